// What the view says of reactions, the emoji it offers, and keys in a message's menu.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { menuMove, namesText } from "../../static/chat/room/view.js";

describe("who reacted", () => {
  it("names one, two or more people as a sentence would", () => {
    assert.equal(namesText(["Alice"]), "Alice");
    assert.equal(namesText(["Alice", "Bob"]), "Alice and Bob");
    assert.equal(namesText(["Alice", "Bob", "Carol"]), "Alice, Bob and Carol");
    assert.equal(namesText([]), "");
  });
});

describe("keys in a message's menu", () => {
  it("move down and up, wrapping at the ends", () => {
    assert.equal(menuMove("ArrowDown", 0, 3), 1);
    assert.equal(menuMove("ArrowDown", 2, 3), 0);
    assert.equal(menuMove("ArrowUp", 0, 3), 2);
  });

  it("jump to the first and last items", () => {
    assert.equal(menuMove("Home", 2, 3), 0);
    assert.equal(menuMove("End", 0, 3), 2);
  });

  it("close on Escape and Tab, and leave other keys alone", () => {
    assert.equal(menuMove("Escape", 1, 3), "close");
    assert.equal(menuMove("Tab", 1, 3), "close");
    assert.equal(menuMove("a", 1, 3), null);
  });
});

describe("a file's size", () => {
  it("is told in bytes, KiB or MiB", async () => {
    const { sizeText } = await import("../../static/chat/room/uploads.js");
    assert.equal(sizeText(512), "512 B");
    assert.equal(sizeText(48 * 1024), "48 KiB");
    assert.equal(sizeText(2.5 * 1024 * 1024), "2.5 MiB");
  });
});
