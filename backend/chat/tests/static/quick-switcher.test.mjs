// The quick switcher's matching and ranking, and what it offers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  candidateDetail,
  matchScore,
  rankCandidates,
  switcherCandidates,
} from "../../static/chat/room/quick-switcher.js";

function titles(query, candidates) {
  return rankCandidates(query, candidates).map((candidate) => candidate.title);
}

const named = (...names) => names.map((title, index) => ({ key: "k" + index, title: title }));

describe("fuzzy matching", () => {
  it("finds a name by its letters in order, gaps allowed", () => {
    assert.ok(matchScore("dsgn", "design") > 0);
    assert.equal(matchScore("dsgx", "design"), null);
    assert.equal(matchScore("ngised", "design"), null);
  });

  it("ignores case and accents, and finds names in any script", () => {
    assert.ok(matchScore("cafe", "Café") > 0);
    assert.ok(matchScore("CAFÉ", "cafe") > 0);
    assert.ok(matchScore("日本", "日本語の部屋") > 0);
  });

  it("ranks the whole name, then its start, a word's start, the middle, then letters", () => {
    const candidates = named("my-design-notes", "xdesignx", "design-team", "design", "dxexsxixgxn");
    assert.deepEqual(titles("design", candidates), [
      "design",
      "design-team",
      "my-design-notes",
      "xdesignx",
      "dxexsxixgxn",
    ]);
  });

  it("ranks letters starting words above letters inside them", () => {
    assert.deepEqual(titles("bt", named("about", "backend-team")), ["backend-team", "about"]);
  });

  it("keeps the given order between equally good matches", () => {
    assert.deepEqual(titles("de", named("devs", "deals")), ["devs", "deals"]);
  });

  it("drops what doesn't match and shows everything but the current room for no query", () => {
    const candidates = [...named("alpha", "beta"), { key: "here", title: "gamma", current: true }];
    assert.deepEqual(titles("zz", candidates), []);
    assert.deepEqual(titles("  ", candidates), ["alpha", "beta"]);
    assert.deepEqual(titles("gam", candidates), ["gamma"]);
  });

  it("matches a room's other names (a DM's @username) a little below its title", () => {
    const candidates = [
      { key: "a", title: "Robert", aliases: ["@bob"] },
      { key: "b", title: "bob's room", aliases: ["bobs-room"] },
    ];
    assert.deepEqual(titles("bob", candidates), ["bob's room", "Robert"]);
  });
});

const context = {
  name: "design", kind: "public", title: "design", signed_in: true, username: "me",
};
function room(name, fields) {
  return { name: name, url: "/chat/" + name + "/", kind: "public", title: name, ...fields };
}
const apiRooms = [
  room("design", { member: true, unread: 0 }),
  room("ops", { kind: "private", private: true, member: true, unread: 3 }),
  room("dm-1-2", {
    kind: "dm", private: true, dm_with: "bob", dm_with_name: "Bob B.", member: true, mentions: 1,
  }),
  room("lobby", { member: false }),
  room("old", { member: true, archived: true }),
];

describe("what the switcher offers", () => {
  it("is the sidebar's rooms and DMs, then other public rooms, then archived ones", () => {
    const offered = switcherCandidates(apiRooms, context);
    assert.deepEqual(
      offered.map((candidate) => [candidate.key, candidate.kind]),
      [["room:design", "room"], ["room:ops", "room"], ["room:dm-1-2", "dm"],
       ["room:lobby", "room"], ["room:old", "room"]],  // prettier-ignore
    );
    const dm = offered.find((candidate) => candidate.kind === "dm");
    assert.equal(dm.title, "Bob B.");
    assert.deepEqual(dm.aliases, ["dm-1-2", "@bob"]);
  });

  it("adds the people found, but oneself and those with a DM already", () => {
    const people = [
      { username: "bob", display_name: "Bob B." },
      { username: "me", display_name: "" },
      { username: "carol", display_name: "" },
    ];
    const offered = switcherCandidates(apiRooms, context, people);
    const persons = offered.filter((candidate) => candidate.kind === "person");
    const shown = persons.map((person) => [person.title, person.username]);
    assert.deepEqual(shown, [["carol", "carol"]]);
  });

  it("says what each one is, with its counts", () => {
    const [design, ops, dm, , old] = switcherCandidates(apiRooms, context);
    assert.equal(candidateDetail(design), "room");
    assert.equal(candidateDetail(ops), "private room, 3 unread");
    assert.equal(candidateDetail(dm), "direct message, 1 mention");
    assert.equal(candidateDetail(old), "archived room");
    const person = { kind: "person", username: "carol" };
    assert.equal(candidateDetail(person), "person, @carol");
  });
});
