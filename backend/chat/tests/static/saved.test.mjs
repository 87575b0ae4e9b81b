// Pending messages kept in the browser's storage between pages of a room.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { browserStorage, SavedPending } from "../../static/chat/room/saved.js";

// The Web Storage interface (what localStorage offers), in memory.
class MemoryStorage {
  constructor() {
    this.items = new Map();
  }
  get length() {
    return this.items.size;
  }
  key(index) {
    return Array.from(this.items.keys())[index] ?? null;
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

class FullStorage extends MemoryStorage {
  setItem() {
    throw new Error("QuotaExceededError");
  }
}

describe("pending messages kept in storage", () => {
  it("are found by the next page of the room, oldest first, with their nonces", () => {
    const storage = new MemoryStorage();
    const first = new SavedPending(storage, "lobby");
    first.save("u1", "n2", "second", 1000);
    first.save("u1", "n3", "third", 1000);
    first.save("u1", "n1", "first", 999);
    assert.deepEqual(new SavedPending(storage, "lobby").load("u1"), [
      { nonce: "n1", text: "first" },
      { nonce: "n2", text: "second" },
      { nonce: "n3", text: "third" },
    ]);
  });

  it("keep what a reply replies to, and the files a message carries", () => {
    const storage = new MemoryStorage();
    new SavedPending(storage, "lobby").save("u1", "n1", "agreed", 0, { reply_to: 42 });
    new SavedPending(storage, "lobby").save("u1", "n2", "", 1, { attachments: [5, 6] });
    assert.deepEqual(new SavedPending(storage, "lobby").load("u1"), [
      { nonce: "n1", text: "agreed", extra: { reply_to: 42 } },
      { nonce: "n2", text: "", extra: { attachments: [5, 6] } },
    ]);
  });

  it("belong to one person and one room", () => {
    const storage = new MemoryStorage();
    new SavedPending(storage, "lobby").save("u1", "n1", "mine", 0);
    new SavedPending(storage, "other").save("u1", "n2", "elsewhere", 0);
    new SavedPending(storage, "lobby").save("u2", "n3", "someone else's", 0);
    assert.deepEqual(new SavedPending(storage, "lobby").load("u1"), [
      { nonce: "n1", text: "mine" },
    ]);
  });

  it("are forgotten once acknowledged or refused", () => {
    const storage = new MemoryStorage();
    const saved = new SavedPending(storage, "lobby");
    saved.save("u1", "n1", "a", 0);
    saved.save("u1", "n2", "b", 1);
    saved.remove("n1");
    assert.deepEqual(saved.load("u1"), [{ nonce: "n2", text: "b" }]);
  });

  it("keep their place when saved again", () => {
    const saved = new SavedPending(new MemoryStorage(), "lobby");
    saved.save("u1", "n1", "a", 0);
    saved.save("u1", "n2", "b", 5);
    saved.save("u1", "n1", "a", 10);
    assert.deepEqual(
      saved.load("u1").map((entry) => entry.nonce),
      ["n1", "n2"],
    );
  });

  it("drop an entry that can't be read, and leave other keys alone", () => {
    const storage = new MemoryStorage();
    storage.setItem("chat.pending\nu1\nlobby\nbad", "{not json");
    storage.setItem("unrelated", "kept");
    const saved = new SavedPending(storage, "lobby");
    assert.deepEqual(saved.load("u1"), []);
    assert.equal(storage.getItem("chat.pending\nu1\nlobby\nbad"), null);
    assert.equal(storage.getItem("unrelated"), "kept");
  });

  it("are simply not kept when storage is full or missing", () => {
    const full = new SavedPending(new FullStorage(), "lobby");
    full.save("u1", "n1", "a", 0);
    assert.deepEqual(full.load("u1"), []);
    const none = new SavedPending(null, "lobby");
    none.save("u1", "n1", "a", 0);
    none.remove("n1");
    assert.deepEqual(none.load("u1"), []);
  });

  it("uses no storage where the browser refuses it", () => {
    const refusing = {
      get localStorage() {
        throw new Error("SecurityError");
      },
    };
    assert.equal(browserStorage(refusing), null);
    const storage = new MemoryStorage();
    assert.equal(browserStorage({ localStorage: storage }), storage);
  });
});
