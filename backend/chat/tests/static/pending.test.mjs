// What you send: nonces, re-sending after a reconnect, and one at a time after "too fast".

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { PendingQueue, Sending } from "../../static/chat/room/pending.js";
import { Phase } from "../../static/chat/room/state.js";
import { joined, message, newRoom, reconnected } from "./helpers.mjs";

const frame = (text, nonce) => ({ message: text, nonce: nonce });

function ack(room, nonce, seq) {
  return room.message(message(seq, { nonce: nonce, uid: "me" }), 0);
}

function refusal(code, nonce, fields = {}) {
  return { type: "error", code: code, detail: "Refused.", nonce: nonce, ...fields };
}

function rateLimited(room, nonce, now, retryAfter = 1) {
  return room.error(refusal("rate_limited", nonce, { retry_after: retryAfter }), now);
}

describe("a message you write", () => {
  it("is sent at once with its nonce when the room is live", () => {
    const room = joined();
    room.submit("hello", "n1");
    assert.deepEqual(room.takeOutbox(), [frame("hello", "n1")]);
  });

  it("goes again confirmed, under its nonce and in its place, once @all is confirmed", () => {
    const room = joined();
    room.submit("@all ship it", "n1", { reply_to: 4 });
    room.submit("after", "n2");
    room.takeOutbox();
    room.confirm("n1");
    assert.deepEqual(room.takeOutbox(), [
      { message: "@all ship it", nonce: "n1", reply_to: 4, confirm: true },
    ]);
    assert.deepEqual([...room.pending.texts.keys()], ["n1", "n2"]);
    room.confirm("gone");
    assert.deepEqual(room.takeOutbox(), []);
  });

  it("as a reply names what it replies to, also when sent again after a reconnect", () => {
    const room = joined();
    room.submit("agreed", "n1", { reply_to: 7 });
    assert.deepEqual(room.takeOutbox(), [{ message: "agreed", nonce: "n1", reply_to: 7 }]);
    reconnected(room);
    room.readyFrame({ type: "ready", last_seq: 0 });
    assert.deepEqual(room.takeOutbox(), [{ message: "agreed", nonce: "n1", reply_to: 7 }]);
  });

  it("waits while disconnected and is sent with the next ready", () => {
    const room = newRoom();
    room.connecting();
    room.submit("early", "n1");
    room.opened();
    assert.deepEqual(room.takeOutbox(), []);
    room.readyFrame({ type: "ready", last_seq: 0 });
    assert.deepEqual(room.takeOutbox(), [frame("early", "n1")]);
  });

  it("is sent again after a reconnect, oldest first, same nonce, until acknowledged", () => {
    const room = joined();
    room.submit("a", "n1");
    room.submit("b", "n2");
    room.submit("c", "n3");
    room.takeOutbox();
    assert.equal(ack(room, "n2", 1).acked, "n2");
    reconnected(room);
    room.readyFrame({ type: "ready", last_seq: 1 });
    assert.deepEqual(room.takeOutbox(), [frame("a", "n1"), frame("c", "n3")]);
  });

  it("is refused for good by other errors, and not sent again", () => {
    const room = joined();
    room.submit("x".repeat(5000), "n1");
    room.takeOutbox();
    assert.equal(room.error(refusal("message_too_long", "n1"), 0), "n1");
    reconnected(room);
    room.readyFrame({ type: "ready", last_seq: 0 });
    assert.deepEqual(room.takeOutbox(), []);
  });

  it("can't be written once the room has closed for good", () => {
    const room = joined();
    room.closed(4404, 0);
    assert.equal(room.submit("hello", "n1"), false);
    assert.deepEqual(room.takeOutbox(), []);
  });

  it("ignores errors about no pending message", () => {
    const room = joined();
    assert.equal(room.error(refusal("forbidden", undefined), 0), null);
    assert.equal(rateLimited(room, "unknown", 0), null);
    assert.equal(room.pending.sending, Sending.ALL);
  });
});

describe("after a rate_limited refusal", () => {
  function throttled() {
    const room = joined();
    for (const [text, nonce] of [["a", "n1"], ["b", "n2"], ["c", "n3"]]) room.submit(text, nonce);
    room.takeOutbox();
    ack(room, "n1", 1);
    rateLimited(room, "n2", 10_000, 2);
    rateLimited(room, "n3", 10_000, 2);
    return room;
  }

  it("sends the oldest pending message again once retry_after has passed", () => {
    const room = throttled();
    assert.equal(room.nextDeadline(), 12_000);
    room.tick(11_999);
    assert.deepEqual(room.takeOutbox(), []);
    room.tick(12_000);
    assert.deepEqual(room.takeOutbox(), [frame("b", "n2")]);
  });

  it("sends the rest one at a time, each after the previous one's acknowledgement", () => {
    const room = throttled();
    room.submit("d", "n4");
    assert.deepEqual(room.takeOutbox(), [], "held back while throttled");
    room.tick(12_000);
    assert.deepEqual(room.takeOutbox(), [frame("b", "n2")]);
    ack(room, "n2", 2);
    assert.deepEqual(room.takeOutbox(), [frame("c", "n3")]);
    ack(room, "n3", 3);
    assert.deepEqual(room.takeOutbox(), [frame("d", "n4")]);
    ack(room, "n4", 4);
    assert.equal(room.pending.sending, Sending.ALL);
    room.submit("e", "n5");
    assert.deepEqual(room.takeOutbox(), [frame("e", "n5")], "all at once again");
  });

  it("a later refusal moves the retry", () => {
    const room = throttled();
    rateLimited(room, "n2", 11_000, 3);
    assert.equal(room.nextDeadline(), 14_000);
  });

  it("is throttled (the notice stays) until every held-back message is acknowledged", () => {
    const room = throttled();
    assert.equal(room.throttled, true);
    room.tick(12_000);
    ack(room, "n2", 2);
    assert.equal(room.throttled, true, "n3 still held back");
    ack(room, "n3", 3);
    assert.equal(room.throttled, false);
  });

  it("still sends one at a time after a reconnect", () => {
    const room = throttled();
    reconnected(room);
    room.readyFrame({ type: "ready", last_seq: 1 });
    assert.deepEqual(room.takeOutbox(), [frame("b", "n2")]);
  });

  it("sends nothing while disconnected when the retry comes due", () => {
    const room = throttled();
    room.closed(1006, 0);
    room.tick(12_000);
    assert.deepEqual(room.takeOutbox(), []);
    assert.equal(room.phase, Phase.WAITING);
  });
});

describe("retry_after", () => {
  it("is rounded up to a whole millisecond, and is one second when missing", () => {
    const queue = new PendingQueue();
    queue.throttle(100, 0.0014);
    assert.equal(queue.retryAt, 102);
    queue.throttle(100, undefined);
    assert.equal(queue.retryAt, 1100);
  });
});

describe("hasPending", () => {
  it("is true from a write until its acknowledgement", () => {
    const room = joined();
    assert.equal(room.hasPending, false);
    room.submit("hello", "n1");
    assert.equal(room.hasPending, true);
    ack(room, "n1", 1);
    assert.equal(room.hasPending, false);
  });
});
