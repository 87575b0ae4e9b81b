// Shared set-up for the room page's unit tests (not a test file itself).

import { RoomState } from "../../static/chat/room/state.js";

export const FINAL_CLOSE_CODES = [4400, 4404];
export const ABNORMAL_CLOSE = 1006;

export function newRoom() {
  return new RoomState({ finalCloseCodes: FINAL_CLOSE_CODES });
}

export function message(seq, fields = {}) {
  return {
    type: "message",
    seq: seq,
    message: "m" + seq,
    uid: "someone",
    user: "someone",
    guest: true,
    sent_at: "2026-11-24T10:15:02.123Z",
    nonce: null,
    ...fields,
  };
}

// A socket opens and its first history (`seqs`) arrives, then `ready`.
export function joined({ seqs = [], lastSeq = Math.max(0, ...seqs) } = {}) {
  const room = newRoom();
  room.connecting();
  room.opened();
  for (const seq of seqs) room.message(message(seq), 0);
  room.readyFrame({ type: "ready", last_seq: lastSeq });
  room.takeOutbox();
  return room;
}

// The socket drops and a new one opens (before its `ready`).
export function reconnected(room) {
  room.closed(ABNORMAL_CLOSE, 0);
  room.connecting();
  room.opened();
  return room;
}

// A clock for code that takes one ({now, setTimeout, clearTimeout}): time moves only
// when a test calls `advance(ms)`, which runs the timers that fall due, in order.
export class FakeClock {
  constructor(start = 0) {
    this.time = start;
    this.timers = new Map(); // id -> {at, callback}
    this.nextId = 1;
  }

  now() {
    return this.time;
  }

  setTimeout(callback, ms) {
    const id = this.nextId;
    this.nextId += 1;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback: callback });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  get pending() {
    return this.timers.size;
  }

  advance(ms) {
    const end = this.time + ms;
    for (;;) {
      let due = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (due === null || timer.at < due[1].at)) due = [id, timer];
      }
      if (due === null) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

// The same clock as an object with bound methods, as the page's modules take it.
export function fakeClock(start = 0) {
  const clock = new FakeClock(start);
  return {
    clock: clock,
    api: {
      now: () => clock.now(),
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (id) => clock.clearTimeout(id),
    },
  };
}
