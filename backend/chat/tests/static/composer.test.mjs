// The composer's keys, its counter near the length limit, and who may edit a message.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { keyAction, lengthNote, mayEdit, textLength } from "../../static/chat/room/composer.js";

describe("keys in the composer", () => {
  it("sends on Enter and adds a line on Shift+Enter or Alt+Enter", () => {
    assert.equal(keyAction({ key: "Enter" }), "send");
    assert.equal(keyAction({ key: "Enter", shiftKey: true }), null);
    assert.equal(keyAction({ key: "Enter", altKey: true }), null);
  });

  it("leaves an Enter that ends an input method's composition to it", () => {
    assert.equal(keyAction({ key: "Enter", isComposing: true }), null);
  });

  it("cancels on Escape and leaves other keys alone", () => {
    assert.equal(keyAction({ key: "Escape" }), "cancel");
    assert.equal(keyAction({ key: "a" }), null);
  });
});

describe("the length counter", () => {
  it("is hidden far from the limit", () => {
    assert.equal(lengthNote(0, 4000), null);
    assert.equal(lengthNote(3599, 4000), null);
  });

  it("counts down near it and says by how much the text is over it", () => {
    assert.deepEqual(lengthNote(3600, 4000), { text: (400).toLocaleString() + " left", over: false });
    assert.deepEqual(lengthNote(4000, 4000), { text: "0 left", over: false });
    assert.deepEqual(lengthNote(4012, 4000), { text: "12 over the limit", over: true });
  });

  it("counts characters as the server does: an emoji is one", () => {
    assert.equal(textLength("a😀b"), 3);
    assert.equal(textLength(""), 0);
  });
});

describe("who may edit a message", () => {
  const sent = "2026-11-24T10:00:00.000Z";
  const frame = { seq: 4, uid: "me", sent_at: sent };
  const me = { id: "me", staff: false };
  const at = (minutes) => Date.parse(sent) + minutes * 60_000;

  it("its author, within the window", () => {
    assert.equal(mayEdit(frame, me, 15, at(14)), true);
    assert.equal(mayEdit(frame, me, 15, at(16)), false);
  });

  it("not someone else, nor anyone when the window is 0", () => {
    assert.equal(mayEdit(frame, { id: "other", staff: false }, 15, at(1)), false);
    assert.equal(mayEdit(frame, me, 0, at(0)), false);
  });

  it("staff, any message at any time; nobody a deleted one or without an identity", () => {
    assert.equal(mayEdit(frame, { id: "mod", staff: true }, 15, at(600)), true);
    assert.equal(mayEdit({ ...frame, deleted: true }, me, 15, at(1)), false);
    assert.equal(mayEdit(frame, null, 15, at(1)), false);
  });
});
