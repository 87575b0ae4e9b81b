// @mentions: the name being typed, the candidates, the list's keys, the insertion.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  MentionList,
  insertMention,
  matchingNames,
  mentionAt,
  mentionCandidates,
  mentionedNames,
  mentionsMe,
} from "../../static/chat/room/mentions.js";

describe("the mention being typed", () => {
  it("starts at an @ at the start or after a non-word character", () => {
    assert.deepEqual(mentionAt("@al", 3), { start: 0, query: "al" });
    assert.deepEqual(mentionAt("hi @", 4), { start: 3, query: "" });
    assert.deepEqual(mentionAt("hi (@bo", 7), { start: 4, query: "bo" });
    assert.equal(mentionAt("mail@ex", 7), null);
    assert.equal(mentionAt("no at sign", 10), null);
  });

  it("is what comes before the caret, spaces included", () => {
    assert.deepEqual(mentionAt("@ann lee and more", 8), { start: 0, query: "ann lee" });
    assert.deepEqual(mentionAt("@bob hi @ca", 11), { start: 8, query: "ca" });
    assert.equal(mentionAt("@ bob", 5), null, "a space right after the @ ends it");
  });

  it("skips an @ inside a word back to a real one", () => {
    assert.deepEqual(mentionAt("@bo a@b", 7), { start: 0, query: "bo a@b" });
  });
});

describe("mention candidates", () => {
  it("are members and people present, once each, without me, sorted", () => {
    const names = mentionCandidates(["bob", "alice", "Zoé"], ["BOB", "guest 7", "carol"], "Alice");
    assert.deepEqual(names, ["bob", "carol", "guest 7", "Zoé"]);
  });

  it("match by prefix whatever the case, in any script and with spaces", () => {
    const names = ["Ann Lee", "annie", "Bob", "Émile", "émilie", "日本太郎", "Ωmega"];
    assert.deepEqual(matchingNames(names, "ANN"), ["Ann Lee", "annie"]);
    assert.deepEqual(matchingNames(names, "ann l"), ["Ann Lee"]);
    assert.deepEqual(matchingNames(names, "émil"), ["Émile", "émilie"]);
    assert.deepEqual(matchingNames(names, "E\u0301mile"), ["Émile"], "compared in NFC");
    assert.deepEqual(matchingNames(names, "日本"), ["日本太郎"]);
    assert.deepEqual(matchingNames(names, "ωm"), ["Ωmega"]);
    assert.deepEqual(matchingNames(names, "x"), []);
    assert.equal(matchingNames(names, "").length, names.length);
    assert.equal(matchingNames(names, "", 3).length, 3);
  });
});

describe("putting a name in", () => {
  it("replaces the @ and what follows it up to the caret with @name and a space", () => {
    assert.deepEqual(insertMention("hi @al", 3, 6, "alice"), { text: "hi @alice ", caret: 10 });
    assert.deepEqual(insertMention("@an, see", 0, 3, "Ann Lee"), { text: "@Ann Lee , see", caret: 9 });
  });
});

describe("the mention list", () => {
  const names = ["alice", "alfred", "bob"];

  it("opens on an @ with matches and closes without", () => {
    const list = new MentionList();
    assert.equal(list.update("hello", 5, names), false);
    assert.equal(list.update("hi @", 4, names), true);
    assert.deepEqual(list.options, names);
    assert.equal(list.update("hi @al", 6, names), true);
    assert.deepEqual(list.options, ["alice", "alfred"]);
    assert.equal(list.activeName, "alice");
    assert.equal(list.update("hi @alz", 7, names), false);
    assert.equal(list.open, false);
  });

  it("moves with the arrow keys, wrapping, and keeps the active name as the text changes", () => {
    const list = new MentionList();
    list.update("@", 1, names);
    assert.equal(list.key("ArrowDown"), "move");
    assert.equal(list.activeName, "alfred");
    list.key("ArrowUp");
    list.key("ArrowUp");
    assert.equal(list.activeName, "bob");
    list.key("ArrowUp");
    assert.equal(list.activeName, "alfred");
    list.update("@a", 2, names);
    assert.equal(list.activeName, "alfred");
  });

  it("chooses with Enter or Tab, closes with Escape, and leaves other keys alone", () => {
    const list = new MentionList();
    list.update("hey @b", 6, names);
    assert.equal(list.key("a"), null);
    assert.equal(list.key("Enter"), "choose");
    assert.equal(list.key("Tab"), "choose");
    assert.deepEqual(list.choose("hey @b"), { text: "hey @bob ", caret: 9 });
    assert.equal(list.open, false);
    assert.equal(list.key("Enter"), null, "Enter sends again once the list is closed");
    list.update("@", 1, names);
    assert.equal(list.key("Escape"), "close");
    assert.equal(list.open, false);
  });

  it("chooses a clicked option", () => {
    const list = new MentionList();
    list.update("@al and", 3, names);
    assert.deepEqual(list.choose("@al and", 1), { text: "@alfred  and", caret: 8 });
  });
});

describe("a message that mentions me", () => {
  it("has my id among its mentions", () => {
    assert.equal(mentionsMe({ mentions: ["a1", "me"] }, "me"), true);
    assert.equal(mentionsMe({ mentions: ["a1"] }, "me"), false);
    assert.equal(mentionsMe({}, "me"), false);
    assert.equal(mentionsMe({ mentions: ["me"] }, null), false);
  });
});

describe("the names a text mentions", () => {
  it("are the usernames after an @, folded, without trailing punctuation", () => {
    assert.deepEqual([...mentionedNames("@Bob and @carol-x. see mail@example.com")], ["bob", "carol-x"]);
    assert.deepEqual([...mentionedNames("(@zoé) @zoé!")], ["zoé"]);
    assert.deepEqual([...mentionedNames("no one")], []);
  });
});
