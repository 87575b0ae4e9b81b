// Throttling, the read mark the page sends, and where "New since you last read" goes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { NewSince, READ_POST_EVERY_MS, ReadMarker } from "../../static/chat/room/read.js";
import { Throttle } from "../../static/chat/room/throttle.js";
import { fakeClock } from "./helpers.mjs";

describe("the throttle", () => {
  it("runs at once, then at most once per interval, keeping the trailing call", () => {
    const { clock, api } = fakeClock(10_000);
    const runs = [];
    const throttle = new Throttle(1000, () => runs.push(clock.now()), api);
    throttle.call();
    assert.deepEqual(runs, [10_000]);
    clock.advance(200);
    throttle.call();
    throttle.call();
    clock.advance(300);
    throttle.call();
    assert.deepEqual(runs, [10_000], "the calls that came too soon wait");
    assert.equal(throttle.due, true);
    clock.advance(500);
    assert.deepEqual(runs, [10_000, 11_000], "one trailing run for all of them");
    clock.advance(5000);
    assert.deepEqual(runs, [10_000, 11_000]);
    throttle.call();
    assert.deepEqual(runs, [10_000, 11_000, 16_000], "after a quiet interval: at once");
  });

  it("can be cancelled", () => {
    const { clock, api } = fakeClock();
    let runs = 0;
    const throttle = new Throttle(1000, () => (runs += 1), api);
    throttle.call();
    throttle.call();
    throttle.cancel();
    clock.advance(2000);
    assert.equal(runs, 1);
    assert.equal(clock.pending, 0);
  });
});

describe("the read mark", () => {
  function marker(known = null) {
    const { clock, api } = fakeClock(50_000);
    const posted = [];
    const read = new ReadMarker({ post: (seq) => posted.push(seq), known: known, clock: api });
    return { clock, posted, read };
  }

  it("is sent at once, then at most every 2 s with the highest seq seen", () => {
    const { clock, posted, read } = marker();
    read.seen(3);
    assert.deepEqual(posted, [3]);
    read.seen(4);
    clock.advance(500);
    read.seen(6);
    read.seen(5);
    assert.deepEqual(posted, [3]);
    clock.advance(READ_POST_EVERY_MS - 500);
    assert.deepEqual(posted, [3, 6]);
  });

  it("never sends a seq that isn't above the last one sent", () => {
    const { clock, posted, read } = marker();
    read.seen(9);
    read.seen(7);
    read.seen(9);
    clock.advance(10_000);
    assert.deepEqual(posted, [9]);
  });

  it("starts from the mark the page was rendered with", () => {
    const { clock, posted, read } = marker(40);
    read.seen(38);
    read.seen(40);
    clock.advance(10_000);
    assert.deepEqual(posted, []);
    read.seen(41);
    assert.deepEqual(posted, [41]);
  });

  it("takes a mark moved elsewhere (a read frame) as sent", () => {
    const { clock, posted, read } = marker(10);
    read.seen(11);
    read.seen(12); // due in 2 s
    read.moved(20);
    clock.advance(READ_POST_EVERY_MS);
    assert.deepEqual(posted, [11], "the mark is past 12 already");
    read.seen(19);
    read.seen(21);
    clock.advance(READ_POST_EVERY_MS);
    assert.deepEqual(posted, [11, 21]);
  });

  it("keeps what was marked unread unread while shown, until a newer message is seen", () => {
    const { clock, posted, read } = marker(30);
    read.moved(25, 30); // "Mark unread from 26", the page showing up to 30
    read.seen(30);
    clock.advance(10_000);
    assert.deepEqual(posted, [], "26 to 30 stay unread while looked at");
    read.seen(31);
    assert.deepEqual(posted, [31]);
  });
});

describe("the new-since line", () => {
  it("goes before the first message after the read mark that someone else wrote", () => {
    const line = new NewSince(40);
    assert.equal(line.place(39), false);
    assert.equal(line.place(40), false);
    assert.equal(line.place(41, { mine: true }), false);
    assert.equal(line.place(42, { deleted: true }), false);
    assert.equal(line.place(43), true);
    assert.equal(line.place(44), false);
    assert.equal(line.before, 43);
  });

  it("moves up to an earlier one shown later (older messages), never down", () => {
    const line = new NewSince(10);
    line.place(20);
    line.settle(25);
    assert.equal(line.place(15), true);
    assert.equal(line.place(18), false);
    assert.equal(line.before, 15);
  });

  it("isn't placed by messages that arrive live", () => {
    const line = new NewSince(10);
    line.place(5);
    line.place(10);
    line.settle(10);
    assert.equal(line.place(11), false);
    assert.equal(line.before, null);
    line.settle(30); // a later ready (a reconnect) changes nothing
    assert.equal(line.place(12), false);
  });

  it("isn't shown without a read mark (a guest, or not a member)", () => {
    const line = new NewSince(null);
    assert.equal(line.place(1), false);
    assert.equal(line.before, null);
  });

  it("counts from 0 for a member who has read nothing", () => {
    const line = new NewSince(0);
    assert.equal(line.place(1), true);
  });
});
