// Who is in the room and who is typing.

import { gettext, interpolate, ngettext } from "./i18n.js";

export const TYPING_SHOWN_FOR_MS = 5000;

// Who is in the room. `v` orders snapshots, joins and leaves.
export class Presence {
  constructor() {
    this.version = -1;
    this.people = new Map(); // person id -> {id, user, guest}
  }

  // A snapshot; false if an already applied frame is newer.
  snapshot(frame) {
    if (frame.v < this.version) return false;
    this.version = frame.v;
    this.people = new Map(frame.users.map((person) => [person.id, person]));
    return true;
  }

  // A `join` or `leave`; false if a snapshot or change with this `v` or a later one came first.
  change(frame) {
    if (frame.v <= this.version) return false;
    this.version = frame.v;
    if (frame.type === "join") this.people.set(frame.user.id, frame.user);
    else this.people.delete(frame.user.id);
    return true;
  }

  sorted() {
    return Array.from(this.people.values()).sort((a, b) => a.user.localeCompare(b.user));
  }
}

// Who is typing, each until a moment `TYPING_SHOWN_FOR_MS` after their last `typing` frame.
export class Typists {
  constructor() {
    this.until = new Map(); // person id -> {user, until}
  }

  start(id, user, now) {
    this.until.delete(id); // the latest typist is named last
    this.until.set(id, { user: user, until: now + TYPING_SHOWN_FOR_MS });
  }

  // False if `id` wasn't typing.
  stop(id) {
    return this.until.delete(id);
  }

  clear() {
    const any = this.until.size > 0;
    this.until.clear();
    return any;
  }

  // Drops those shown long enough; true if any was.
  expire(now) {
    let any = false;
    for (const [id, typist] of this.until) {
      if (typist.until <= now) {
        this.until.delete(id);
        any = true;
      }
    }
    return any;
  }

  get nextExpiry() {
    let next = null;
    for (const typist of this.until.values()) {
      if (next === null || typist.until < next) next = typist.until;
    }
    return next;
  }

  names() {
    return Array.from(this.until.values(), (typist) => typist.user);
  }
}

export function typingText(names) {
  if (names.length === 0) return "";
  if (names.length === 1) return interpolate(gettext("%s is typing…"), names);
  if (names.length === 2) {
    const two = { first: names[0], second: names[1] };
    return interpolate(gettext("%(first)s and %(second)s are typing…"), two, true);
  }
  const many = ngettext("%s person is typing…", "%s people are typing…", names.length);
  return interpolate(many, [names.length]);
}
