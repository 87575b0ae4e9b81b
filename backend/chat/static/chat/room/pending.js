// How pending messages are sent: all at once, or (after a `rate_limited` refusal)
// the oldest alone until the queue is empty again.
export const Sending = Object.freeze({ ALL: "all", ONE_BY_ONE: "one-by-one" });

// Messages written on this page that the server hasn't echoed back yet, oldest first.
export class PendingQueue {
  constructor() {
    this.texts = new Map(); // nonce -> text, in the order they were written
    this.extras = new Map(); // nonce -> what else its frame carries: reply_to, attachments
    this.sending = Sending.ALL;
    this.retryAt = null;
  }

  has(nonce) {
    return this.texts.has(nonce);
  }

  // `extra`: fields for its frame besides the text ({reply_to, attachments, confirm}),
  // if any. A nonce already pending keeps its place.
  add(nonce, text, extra = null) {
    this.texts.set(nonce, text);
    if (extra && Object.keys(extra).length) this.extras.set(nonce, extra);
  }

  // Drops `nonce` (acknowledged, or refused for good); false if it wasn't pending.
  remove(nonce) {
    this.extras.delete(nonce);
    return this.texts.delete(nonce);
  }

  // "Too fast": from now on one at a time, the oldest again once `retryAfter` seconds pass.
  throttle(now, retryAfter) {
    this.sending = Sending.ONE_BY_ONE;
    this.retryAt = now + Math.ceil((retryAfter || 1) * 1000);
  }

  frame(nonce) {
    return { message: this.texts.get(nonce), nonce: nonce, ...this.extras.get(nonce) };
  }

  // The oldest message's frame; when none is left, sending all at once again.
  oldest() {
    const first = this.texts.keys().next();
    if (first.done) {
      this.sending = Sending.ALL;
      return [];
    }
    return [this.frame(first.value)];
  }

  // What to send on a (re)connection.
  flush() {
    if (this.sending === Sending.ONE_BY_ONE) return this.oldest();
    return Array.from(this.texts.keys(), (nonce) => this.frame(nonce));
  }
}
