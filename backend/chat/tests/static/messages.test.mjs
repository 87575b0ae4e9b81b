// The log: each seq once, in order; the bookmark for `?after=`; asking for holes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MessageLog } from "../../static/chat/room/log.js";
import { GAP_WAIT_MS, Phase } from "../../static/chat/room/state.js";
import { joined, message, newRoom, reconnected } from "./helpers.mjs";

describe("the message log", () => {
  it("places each message before the next larger seq, whatever order they come in", () => {
    const log = new MessageLog();
    for (const seq of [5, 3, 9]) log.add(seq);
    assert.equal(log.nextAfter(3), 5);
    assert.equal(log.nextAfter(4), 5);
    assert.equal(log.nextAfter(5), 9);
    assert.equal(log.nextAfter(9), null);
    assert.equal(log.oldest, 3);
  });

  it("takes each seq once", () => {
    const log = new MessageLog();
    assert.equal(log.add(7), true);
    assert.equal(log.add(7), false);
  });

  it("has no bookmark before the first history, so the first socket has no ?after=", () => {
    const room = newRoom();
    room.connecting();
    room.opened();
    room.message(message(51), 0);
    assert.equal(room.after, null);
    reconnected(room);
    assert.equal(room.after, null);
  });

  it("bookmarks the end of the first history, wherever the room's history starts", () => {
    assert.equal(joined({ seqs: [51, 52, 53] }).after, 53);
    assert.equal(joined({ seqs: [], lastSeq: 0 }).after, 0);
    assert.equal(joined({ seqs: [8, 9], lastSeq: 12 }).after, 12);
    // The first history is taken as gap-free, and the bookmark never falls below it.
    assert.equal(joined({ seqs: [5, 7], lastSeq: 4 }).after, 7);
  });

  it("moves the bookmark over contiguous messages only", () => {
    const room = joined({ seqs: [10] });
    room.message(message(12), 0);
    assert.equal(room.after, 10);
    room.message(message(11), 0);
    assert.equal(room.after, 12);
  });

  it("reconnects ?after= the bookmark, and the replay fills the log", () => {
    const room = joined({ seqs: [1, 2, 3] });
    reconnected(room);
    assert.equal(room.after, 3);
    assert.equal(room.phase, Phase.REPLAYING);
    for (const seq of [4, 5]) room.message(message(seq), 0);
    room.readyFrame({ type: "ready", last_seq: 5 });
    assert.equal(room.after, 5);
    assert.equal(room.phase, Phase.LIVE);
  });

  it("reports a message already in the log as not fresh", () => {
    const room = joined({ seqs: [1, 2] });
    assert.equal(room.message(message(2), 0).fresh, false);
    assert.equal(room.message(message(3), 0).fresh, true);
  });
});

describe("a live message that skips ahead", () => {
  it("is followed by a resume after a short wait", () => {
    const room = joined({ seqs: [10] });
    room.message(message(12), 1000);
    assert.equal(room.phase, Phase.GAP_WAIT);
    assert.deepEqual(room.takeOutbox(), []);
    assert.equal(room.nextDeadline(), 1000 + GAP_WAIT_MS);
    room.tick(1000 + GAP_WAIT_MS - 1);
    assert.deepEqual(room.takeOutbox(), []);
    room.tick(1000 + GAP_WAIT_MS);
    assert.deepEqual(room.takeOutbox(), [{ type: "resume", after: 10 }]);
    assert.equal(room.phase, Phase.RESUMING);
    assert.equal(room.nextDeadline(), null);
  });

  it("asks nothing if the hole fills during the wait", () => {
    const room = joined({ seqs: [10] });
    room.message(message(12), 1000);
    room.message(message(11), 1100);
    room.tick(1000 + GAP_WAIT_MS);
    assert.deepEqual(room.takeOutbox(), []);
    assert.equal(room.phase, Phase.LIVE);
    assert.equal(room.after, 12);
  });

  it("asks once while waiting or resuming, then again after the replay's ready", () => {
    const room = joined({ seqs: [10] });
    room.message(message(12), 0);
    room.message(message(14), 100);
    assert.equal(room.nextDeadline(), GAP_WAIT_MS);
    room.tick(GAP_WAIT_MS);
    assert.equal(room.takeOutbox().length, 1);
    room.message(message(16), 600);
    assert.equal(room.nextDeadline(), null);
    for (const seq of [11, 12, 13, 14]) room.message(message(seq), 700);
    room.readyFrame({ type: "ready", last_seq: 16 });
    assert.equal(room.phase, Phase.LIVE);
    assert.equal(room.after, 14);
    room.message(message(18), 800);
    assert.equal(room.phase, Phase.GAP_WAIT);
  });

  it("is not looked for while history is still arriving", () => {
    const room = newRoom();
    room.connecting();
    room.opened();
    room.message(message(5), 0);
    room.message(message(9), 0);
    assert.equal(room.phase, Phase.REPLAYING);
    assert.equal(room.nextDeadline(), null);
  });

  it("is forgotten when the socket drops: the reconnect's ?after= covers it", () => {
    const room = joined({ seqs: [10] });
    room.message(message(12), 0);
    reconnected(room);
    assert.equal(room.nextDeadline(), null);
    assert.equal(room.after, 10);
  });
});

describe("a truncated ready", () => {
  it("asks for the next batch at once and sends no pending message yet", () => {
    const room = newRoom();
    room.connecting();
    room.opened();
    room.submit("hello", "n1");
    for (let seq = 1; seq <= 3; seq += 1) room.message(message(seq), 0);
    room.readyFrame({ type: "ready", last_seq: 3, truncated: true });
    assert.deepEqual(room.takeOutbox(), [{ type: "resume", after: 3 }]);
    assert.equal(room.phase, Phase.RESUMING);
    room.message(message(4), 0);
    room.readyFrame({ type: "ready", last_seq: 4 });
    assert.deepEqual(room.takeOutbox(), [{ message: "hello", nonce: "n1" }]);
  });
});
