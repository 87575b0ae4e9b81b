// The room page's state, with no DOM, no WebSocket and no timers: whoever drives it
// passes the time in (`now`, in milliseconds), sends the frames it leaves in its
// outbox, and calls `tick(now)` at `nextDeadline()`. See docs/protocol.md.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { MessageLog } from "./log.js";
import { PendingQueue, Sending } from "./pending.js";
import { Presence, Typists } from "./people.js";

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 15000;
export const GAP_WAIT_MS = 500;
export const TYPING_SEND_EVERY_MS = 2000;

// Where the connection is. One value instead of a handful of flags.
export const Phase = Object.freeze({
  CONNECTING: "connecting", // a socket is opening
  REPLAYING: "replaying", // open: history (or a replay after `?after=`) is arriving
  LIVE: "live", // `ready` came: the log is complete, live messages follow
  GAP_WAIT: "gap-wait", // live, but a message skipped ahead: giving the hole a moment to fill
  RESUMING: "resuming", // live, and a `resume` was sent: waiting for its `ready`
  WAITING: "waiting", // closed: a reconnect is due after a backoff
  FINAL: "final", // closed with a code after which reconnecting can't help
});

// Phases in which the server has sent `ready` on the current socket.
const READY = new Set([Phase.LIVE, Phase.GAP_WAIT, Phase.RESUMING]);

// Loading older history over HTTP.
export const Older = Object.freeze({ IDLE: "idle", LOADING: "loading", EXHAUSTED: "exhausted" });

// Full jitter: a wait between half and all of a ceiling that doubles with each attempt.
// `random` is a number in [0, 1), as from Math.random().
export function backoffDelay(attempt, random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return ceiling / 2 + random * (ceiling / 2);
}

export const FORBIDDEN_TEXT = gettext("You don't have access to this room.");

// `#connection-status`: its `data-state` and its text. `forbidden`: the last close said
// the person may not read the room.
export function connectionStatus(phase, reconnectDelay, forbidden = false) {
  if (phase === Phase.CONNECTING) return { state: "connecting", text: gettext("Connecting…") };
  if (phase === Phase.FINAL) {
    return { state: "closed", text: forbidden ? FORBIDDEN_TEXT : gettext("Disconnected") };
  }
  if (phase === Phase.WAITING) {
    const seconds = Math.ceil(reconnectDelay / 1000);
    const text = ngettext("Reconnecting in %s s…", "Reconnecting in %s s…", seconds);
    return { state: "closed", text: interpolate(text, [seconds]) };
  }
  return { state: "open", text: gettext("Connected") };
}

function earliest(...times) {
  const set = times.filter((time) => time !== null);
  return set.length ? Math.min(...set) : null;
}

// Everything the page knows, driven by the frames that arrive and what the person does.
export class RoomState {
  // `forbiddenCode`: the close code that means "you may not read this room".
  constructor({ finalCloseCodes, forbiddenCode = null }) {
    this.finalCloseCodes = new Set(finalCloseCodes);
    this.forbiddenCode = forbiddenCode;
    this.closeCode = null; // the code of the last close
    this.phase = Phase.CONNECTING;
    this.log = new MessageLog();
    this.pending = new PendingQueue();
    this.presence = new Presence();
    this.typists = new Typists();
    this.older = Older.IDLE;
    this.me = null; // {id, user, guest, staff} from the identity frame
    this.attempt = 0; // reconnects since the last socket that opened
    this.reconnectDelay = null;
    this.retryAfterMs = null; // the wait a busy server asked for (try_again_later)
    this.gapCheckAt = null;
    this.lastTypingSent = -Infinity;
    this.outbox = [];
  }

  get ready() {
    return READY.has(this.phase);
  }

  // `?after=` for the next socket: the bookmark, or null before the first history.
  get after() {
    return this.log.lastSeq;
  }

  // Closed for good because the person may not read the room (or no longer may).
  get forbidden() {
    return this.phase === Phase.FINAL && this.closeCode === this.forbiddenCode;
  }

  get status() {
    return connectionStatus(this.phase, this.reconnectDelay, this.forbidden);
  }

  // Messages written here that the server hasn't acknowledged (or refused) yet.
  get hasPending() {
    return this.pending.texts.size > 0;
  }

  // After a `rate_limited` refusal, until every held-back message has gone out.
  get throttled() {
    return this.pending.sending === Sending.ONE_BY_ONE;
  }

  isMine(uid) {
    return this.me !== null && uid === this.me.id;
  }

  // The frames to send now, in order; the outbox is empty afterwards.
  takeOutbox() {
    const frames = this.outbox;
    this.outbox = [];
    return frames;
  }

  // When `tick` has something to do, or null.
  nextDeadline() {
    return earliest(this.gapCheckAt, this.pending.retryAt, this.typists.nextExpiry);
  }

  // --- the connection ---------------------------------------------------------------

  connecting() {
    this.phase = Phase.CONNECTING;
    this.reconnectDelay = null;
  }

  opened() {
    this.attempt = 0;
    this.phase = Phase.REPLAYING;
  }

  // The socket closed: the wait before reconnecting in ms, or null if it would be useless.
  // `random` is in [0, 1), for the jitter.
  closed(code, random) {
    this.closeCode = code;
    this.gapCheckAt = null;
    this.typists.clear();
    if (this.finalCloseCodes.has(code)) {
      this.phase = Phase.FINAL;
      return null;
    }
    if (this.retryAfterMs !== null) {
      // As the server asked (it gives each page its own turn), and up to a quarter more
      // so pages told the same turn don't arrive in the same instant.
      this.reconnectDelay = this.retryAfterMs * (1 + random / 4);
      this.retryAfterMs = null;
    } else {
      this.reconnectDelay = backoffDelay(this.attempt, random);
    }
    this.attempt += 1;
    this.phase = Phase.WAITING;
    return this.reconnectDelay;
  }

  // --- frames from the server -----------------------------------------------------

  // A `message` frame: {fresh} is true if its seq is new to the log, {acked} names the
  // pending message it acknowledges.
  message(frame, now) {
    const acked = frame.nonce && this.pending.remove(frame.nonce) ? frame.nonce : null;
    if (acked && this.pending.sending === Sending.ONE_BY_ONE) this.sendOldest();
    this.typists.stop(frame.uid);
    const fresh = this.log.add(frame.seq);
    this.log.advance();
    if (this.phase === Phase.LIVE && frame.seq > this.log.lastSeq + 1) {
      // Messages from several server processes can arrive out of order.
      this.phase = Phase.GAP_WAIT;
      this.gapCheckAt = now + GAP_WAIT_MS;
    }
    return { fresh: fresh, acked: acked };
  }

  // `ready`: true if it completes the first history.
  readyFrame(frame) {
    const first = !this.log.synced;
    this.log.sync(frame.last_seq);
    this.log.advance();
    if (frame.truncated) {
      this.resume();
    } else {
      // A gap check still due stays due: the hole may outlast this `ready`.
      this.phase = this.gapCheckAt === null ? Phase.LIVE : Phase.GAP_WAIT;
      this.outbox.push(...this.pending.flush());
    }
    return first;
  }

  // An `error` frame: the nonce of a pending message it refuses for good, or null.
  error(frame, now) {
    if (frame.code === "try_again_later" && frame.retry_after > 0) {
      this.retryAfterMs = frame.retry_after * 1000;
    }
    if (!frame.nonce || !this.pending.has(frame.nonce)) return null;
    if (frame.code === "rate_limited") {
      // Not lost: sent again, oldest first and with the same nonce, once allowed.
      this.pending.throttle(now, frame.retry_after);
      return null;
    }
    this.pending.remove(frame.nonce);
    return frame.nonce;
  }

  identity(frame) {
    this.me = { id: frame.id, user: frame.user, guest: frame.guest, staff: frame.staff };
  }

  // `typing`: true if the typing line changes.
  typing(frame, now) {
    if (this.isMine(frame.user.id)) return false;
    this.typists.start(frame.user.id, frame.user.user, now);
    return true;
  }

  // `join` or `leave`: true if the list changes.
  joinOrLeave(frame) {
    if (!this.presence.change(frame)) return false;
    if (frame.type === "leave") this.typists.stop(frame.user.id);
    return true;
  }

  // --- what the person does ---------------------------------------------------------

  // Writes a message under `nonce` (`extra`: its other fields, {reply_to, attachments});
  // false if the room can't be joined.
  submit(text, nonce, extra = null) {
    if (this.phase === Phase.FINAL) return false;
    this.pending.add(nonce, text, extra);
    if (this.pending.sending === Sending.ALL && this.ready) {
      this.outbox.push(this.pending.frame(nonce));
    }
    this.lastTypingSent = -Infinity;
    return true;
  }

  // The person confirmed a pending message the server asked about (`confirm_required`:
  // @all, @room or @here would notify many): it goes again, confirmed, same nonce.
  confirm(nonce) {
    if (!this.pending.has(nonce)) return;
    this.pending.add(nonce, this.pending.texts.get(nonce), {
      ...this.pending.extras.get(nonce),
      confirm: true,
    });
    if (this.ready) this.outbox.push(this.pending.frame(nonce));
  }

  // The person changed the input's text.
  typed(text, now) {
    if (text.trim() && this.ready && now - this.lastTypingSent >= TYPING_SEND_EVERY_MS) {
      this.lastTypingSent = now;
      this.outbox.push({ type: "typing" });
    }
  }

  // The seq to load older messages before, or null if there's nothing to load now.
  olderStart() {
    const oldest = this.log.oldest;
    if (this.older !== Older.IDLE || oldest === null || oldest <= 1) return null;
    this.older = Older.LOADING;
    return oldest;
  }

  // The load ended; `exhausted` if the answer said there is nothing older.
  olderDone(exhausted) {
    this.older = exhausted ? Older.EXHAUSTED : Older.IDLE;
  }

  // --- time -----------------------------------------------------------------------

  // Does what is due at `now`; true if the typing line changes.
  tick(now) {
    if (this.gapCheckAt !== null && this.gapCheckAt <= now) {
      this.gapCheckAt = null;
      this.log.advance();
      if (this.ready && this.log.behind) this.resume();
      else if (this.phase === Phase.GAP_WAIT) this.phase = Phase.LIVE;
    }
    if (this.pending.retryAt !== null && this.pending.retryAt <= now) {
      this.pending.retryAt = null;
      this.sendOldest();
    }
    return this.typists.expire(now);
  }

  resume() {
    this.phase = Phase.RESUMING;
    this.outbox.push({ type: "resume", after: this.log.lastSeq });
  }

  sendOldest() {
    const frames = this.pending.oldest();
    if (this.ready) this.outbox.push(...frames);
  }
}
