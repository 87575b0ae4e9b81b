// What the view says of reactions: who gave one, and the emoji it offers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { COMMON_REACTIONS, namesText } from "../../static/chat/room/view.js";

describe("who reacted", () => {
  it("names one, two or more people as a sentence would", () => {
    assert.equal(namesText(["Alice"]), "Alice");
    assert.equal(namesText(["Alice", "Bob"]), "Alice and Bob");
    assert.equal(namesText(["Alice", "Bob", "Carol"]), "Alice, Bob and Carol");
    assert.equal(namesText([]), "");
  });
});

describe("the reaction picker", () => {
  it("offers a few distinct emoji", () => {
    assert.ok(COMMON_REACTIONS.length >= 6 && COMMON_REACTIONS.length <= 12);
    assert.equal(new Set(COMMON_REACTIONS).size, COMMON_REACTIONS.length);
  });
});
