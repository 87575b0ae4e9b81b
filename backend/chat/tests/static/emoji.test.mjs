// The reaction picker's search, its memory of recently used emoji, and quick reactions.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  DEFAULT_QUICK,
  emojiMatches,
  quickReactions,
  recentEmoji,
  rememberEmoji,
} from "../../static/chat/room/emoji-picker.js";

function memoryStorage(initial = {}) {
  const items = new Map(Object.entries(initial));
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
  };
}

const CATALOG = [
  ["😀", "grinning face", "grinning"],
  ["🐱", "cat face", "cat"],
  ["🐈", "cat", ""],
  ["🎉", "party popper", "tada"],
  ["😹", "cat with tears of joy", "joy cat"],
];

describe("searching emoji", () => {
  it("finds every emoji whose names have all the words, name-starts first", () => {
    assert.deepEqual(emojiMatches(CATALOG, "cat").map(([e]) => e), ["🐱", "🐈", "😹"]);
    assert.deepEqual(emojiMatches(CATALOG, "cat joy").map(([e]) => e), ["😹"]);
  });

  it("finds them by their other names", () => {
    assert.deepEqual(emojiMatches(CATALOG, "tada").map(([e]) => e), ["🎉"]);
  });

  it("lists everything for an empty query, up to the limit", () => {
    assert.equal(emojiMatches(CATALOG, "  ").length, CATALOG.length);
    assert.equal(emojiMatches(CATALOG, "", 2).length, 2);
  });

  it("ignores case", () => {
    assert.deepEqual(emojiMatches(CATALOG, "PARTY").map(([e]) => e), ["🎉"]);
  });
});

describe("recently used emoji", () => {
  it("are remembered most recent first, without repeats", () => {
    const storage = memoryStorage();
    rememberEmoji(storage, "🎉");
    rememberEmoji(storage, "🐱");
    rememberEmoji(storage, "🎉");
    assert.deepEqual(recentEmoji(storage), ["🎉", "🐱"]);
  });

  it("keep at most sixteen", () => {
    const storage = memoryStorage();
    for (let code = 0; code < 20; code += 1) rememberEmoji(storage, String.fromCodePoint(0x1f600 + code));
    assert.equal(recentEmoji(storage).length, 16);
  });

  it("survive storage holding something else", () => {
    assert.deepEqual(recentEmoji(memoryStorage({ "chat.recentEmoji": "{not json" })), []);
    assert.deepEqual(recentEmoji(memoryStorage({ "chat.recentEmoji": '{"a": 1}' })), []);
  });

  it("come first among the quick reactions, filled up with the defaults", () => {
    const storage = memoryStorage();
    assert.deepEqual(quickReactions(storage), [...DEFAULT_QUICK]);
    rememberEmoji(storage, "🎉");
    assert.deepEqual(quickReactions(storage), ["🎉", ...DEFAULT_QUICK.slice(0, 2)]);
  });
});
