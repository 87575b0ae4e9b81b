// Read state: moving the person's read mark as they see messages, and where the
// "New since you last read" line goes on a page that was just opened.

import { Throttle } from "./throttle.js";

export const READ_POST_EVERY_MS = 2000;

// The read mark to send: the highest seq seen, at most every 2 s (the last one seen
// too soon goes when the 2 s are over), never one that isn't above what was sent or
// known already.
export class ReadMarker {
  // `post(seq)` sends it; `known` is the mark the page was rendered with (or null).
  constructor({ post, known = null, clock, intervalMs = READ_POST_EVERY_MS }) {
    this.post = post;
    this.sent = typeof known === "number" ? known : -1;
    this.wanted = this.sent;
    // After "Mark unread": messages up to this seq stay unread while shown; a newer one
    // arriving and being seen marks everything read again.
    this.floor = -1;
    this.throttle = new Throttle(intervalMs, () => this.flush(), clock);
  }

  // The person has seen every message up to `seq`.
  seen(seq) {
    if (typeof seq !== "number" || seq <= this.wanted || seq <= this.floor) return;
    this.wanted = seq;
    this.throttle.call();
  }

  // The mark is at `seq` already (a `read` frame: another tab or device moved it).
  // Moved back ("Mark unread"): what the page shows now, up to `newest`, stays unread.
  moved(seq, newest = null) {
    if (typeof seq !== "number") return;
    if (seq < this.sent) {
      this.sent = this.wanted = seq;
      this.floor = typeof newest === "number" ? newest : Infinity;
      return;
    }
    if (seq > this.sent) this.sent = seq;
    if (seq > this.wanted) this.wanted = seq;
  }

  flush() {
    if (this.wanted <= this.sent) return;
    this.sent = this.wanted;
    this.post(this.sent);
  }
}

// Where the "New since you last read" line goes: right before the first message after
// the read mark the page was rendered with that someone else wrote (and isn't deleted),
// among the messages the page had when it opened (its first history, and older ones
// loaded later); messages that arrive live don't move it.
export class NewSince {
  constructor(lastRead) {
    this.lastRead = typeof lastRead === "number" ? lastRead : null;
    this.before = null; // the seq the line stands before, or null
    this.limit = Infinity; // the last seq of the first history, once it is complete
  }

  // The first history is complete: it ends at `lastSeq`.
  settle(lastSeq) {
    if (this.limit === Infinity) this.limit = lastSeq;
  }

  // A message is shown; true if the line now goes right before it.
  place(seq, { mine = false, deleted = false } = {}) {
    if (this.lastRead === null || mine || deleted) return false;
    if (seq <= this.lastRead || seq > this.limit) return false;
    if (this.before !== null && this.before <= seq) return false;
    this.before = seq;
    return true;
  }
}
