// Loading older history when the log is scrolled to its top.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Older } from "../../static/chat/room/state.js";
import { joined, newRoom } from "./helpers.mjs";

describe("older history", () => {
  it("is asked for before the oldest message, one load at a time", () => {
    const room = joined({ seqs: [51, 52] });
    assert.equal(room.olderStart(), 51);
    assert.equal(room.older, Older.LOADING);
    assert.equal(room.olderStart(), null);
    room.olderDone(false);
    room.log.add(1);
    assert.equal(room.olderStart(), null, "nothing before seq 1");
  });

  it("is asked for again, before the new oldest, while the server says there is more", () => {
    const room = joined({ seqs: [101] });
    room.olderStart();
    for (let seq = 51; seq <= 100; seq += 1) room.log.add(seq);
    room.olderDone(false);
    assert.equal(room.olderStart(), 51);
  });

  it("is not asked for again once the server said there is no more", () => {
    const room = joined({ seqs: [60] });
    room.olderStart();
    room.olderDone(true);
    assert.equal(room.older, Older.EXHAUSTED);
    assert.equal(room.olderStart(), null);
  });

  it("is not asked for in an empty room", () => {
    assert.equal(newRoom().olderStart(), null);
    assert.equal(joined().olderStart(), null);
  });
});
