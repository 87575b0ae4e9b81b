// Who is in the room (presence versions) and who is typing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Presence, TYPING_SHOWN_FOR_MS, typingText } from "../../static/chat/room/people.js";
import { TYPING_SEND_EVERY_MS } from "../../static/chat/room/state.js";
import { ABNORMAL_CLOSE, joined, message, newRoom } from "./helpers.mjs";

const person = (id, user = id) => ({ id: id, user: user, guest: true });
const names = (presence) => presence.sorted().map((p) => p.user);

describe("presence", () => {
  it("applies joins and leaves only when their v is above the last one applied", () => {
    const presence = new Presence();
    const snapshot = { type: "presence", v: 5, users: [person("bob"), person("al")] };
    assert.equal(presence.snapshot(snapshot), true);
    assert.deepEqual(names(presence), ["al", "bob"]);
    assert.equal(presence.change({ type: "join", v: 5, user: person("cy") }), false);
    assert.equal(presence.change({ type: "join", v: 6, user: person("cy") }), true);
    assert.equal(presence.change({ type: "leave", v: 6, user: person("al") }), false);
    assert.equal(presence.change({ type: "leave", v: 7, user: person("al") }), true);
    assert.deepEqual(names(presence), ["bob", "cy"]);
  });

  it("ignores an older snapshot and takes one of the same v", () => {
    const presence = new Presence();
    presence.snapshot({ type: "presence", v: 8, users: [person("al")] });
    assert.equal(presence.snapshot({ type: "presence", v: 7, users: [] }), false);
    assert.equal(presence.snapshot({ type: "presence", v: 8, users: [person("bob")] }), true);
    assert.deepEqual(names(presence), ["bob"]);
  });

  it("shows a guest's new name: a join with the same id", () => {
    const presence = new Presence();
    presence.snapshot({ type: "presence", v: 1, users: [person("g1", "guest-1")] });
    presence.change({ type: "join", v: 2, user: person("g1", "Zoé") });
    assert.deepEqual(names(presence), ["Zoé"]);
  });
});

describe("the typing line", () => {
  it("names one or two typists, and counts more", () => {
    assert.equal(typingText([]), "");
    assert.equal(typingText(["al"]), "al is typing…");
    assert.equal(typingText(["al", "bob"]), "al and bob are typing…");
    assert.equal(typingText(["al", "bob", "cy"]), "3 people are typing…");
  });

  it("shows a typist until 5 s after their last typing frame", () => {
    const room = joined();
    room.typing({ type: "typing", user: person("al") }, 0);
    room.typing({ type: "typing", user: person("al") }, 3000);
    assert.equal(room.nextDeadline(), 3000 + TYPING_SHOWN_FOR_MS);
    assert.equal(room.tick(TYPING_SHOWN_FOR_MS), false);
    assert.deepEqual(room.typists.names(), ["al"]);
    assert.equal(room.tick(3000 + TYPING_SHOWN_FOR_MS), true);
    assert.deepEqual(room.typists.names(), []);
  });

  it("names the latest typist last", () => {
    const room = joined();
    for (const id of ["al", "bob", "al"]) room.typing({ type: "typing", user: person(id) }, 0);
    assert.deepEqual(room.typists.names(), ["bob", "al"]);
  });

  it("ignores our own typing", () => {
    const room = joined();
    room.identity({ type: "identity", id: "me", user: "me", guest: true, staff: false });
    assert.equal(room.typing({ type: "typing", user: person("me") }, 0), false);
    assert.deepEqual(room.typists.names(), []);
  });

  it("drops a typist whose message arrives, who leaves, or when the socket drops", () => {
    const room = joined();
    room.presence.snapshot({ type: "presence", v: 1, users: [person("al"), person("bob")] });
    for (const id of ["al", "bob", "cy"]) room.typing({ type: "typing", user: person(id) }, 0);
    room.message(message(1, { uid: "al" }), 10);
    assert.deepEqual(room.typists.names(), ["bob", "cy"]);
    room.joinOrLeave({ type: "leave", v: 2, user: person("bob") });
    assert.deepEqual(room.typists.names(), ["cy"]);
    room.closed(ABNORMAL_CLOSE, 0);
    assert.deepEqual(room.typists.names(), []);
  });
});

describe("sending typing frames", () => {
  it("happens at most every 2 s, only live and with some text, and anew after sending", () => {
    const room = newRoom();
    room.typed("h", 0);
    assert.deepEqual(room.takeOutbox(), [], "not before ready");
    room.opened();
    room.readyFrame({ type: "ready", last_seq: 0 });
    room.typed("   ", 0);
    assert.deepEqual(room.takeOutbox(), [], "not for blanks");
    room.typed("h", 0);
    room.typed("he", TYPING_SEND_EVERY_MS - 1);
    assert.deepEqual(room.takeOutbox(), [{ type: "typing" }]);
    room.typed("hel", TYPING_SEND_EVERY_MS);
    assert.deepEqual(room.takeOutbox(), [{ type: "typing" }]);
    room.submit("hello", "n1");
    room.takeOutbox();
    room.typed("n", TYPING_SEND_EVERY_MS + 1);
    assert.deepEqual(room.takeOutbox(), [{ type: "typing" }]);
  });
});
