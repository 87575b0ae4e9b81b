// @mentions in the composer: which name is being typed, who it may be, and putting the
// chosen name in. No DOM (view.js shows the list).

import { gettext } from "./i18n.js";

export const MAX_OPTIONS = 8;
const MAX_NAME_LENGTH = 150;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

// How names are compared: NFC, then lower case (as the server does, near enough).
export function foldName(name) {
  return name.normalize("NFC").toLowerCase();
}

// The mention being typed just before `caret`: {start (the "@"), query (what follows
// it)}, or null. An "@" counts at the start or after a character that isn't a letter,
// digit or mark (so "mail@example" isn't one); the query may hold spaces (names can).
export function mentionAt(text, caret) {
  const before = text.slice(0, caret);
  let at = before.lastIndexOf("@");
  while (at !== -1) {
    if (caret - at - 1 > MAX_NAME_LENGTH) return null;
    if (at === 0 || !WORD_CHAR.test(before[at - 1])) {
      const query = before.slice(at + 1);
      if (/^\s/u.test(query) || /[\n\r]/u.test(query)) return null;
      return { start: at, query: query };
    }
    if (at === 0) break;
    at = before.lastIndexOf("@", at - 1);
  }
  return null;
}

// Everyone who may be mentioned, once each (by folded name), without `me`: `members`
// (usernames) and `people` (names of those present).
export function mentionCandidates(members, people, me) {
  const seen = new Set(me ? [foldName(me)] : []);
  const names = [];
  for (const name of [...members, ...people]) {
    if (typeof name !== "string" || !name) continue;
    const key = foldName(name);
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names.sort((a, b) => a.localeCompare(b));
}

// The names that start with `query`, or whose label does (a display name: `labels`
// maps names to how they show), whatever its case, at most `limit`.
export function matchingNames(names, query, limit = MAX_OPTIONS, labels = null) {
  const prefix = foldName(query);
  const matches = (name) => {
    if (foldName(name).startsWith(prefix)) return true;
    const label = labels && labels.get(name);
    return Boolean(label) && foldName(label).split(/\s+/u).some((word) => word.startsWith(prefix));
  };
  return names.filter(matches).slice(0, limit);
}

// `text` with the mention from `start` to `caret` replaced by "@name ": {text, caret}.
export function insertMention(text, start, caret, name) {
  const inserted = "@" + name + " ";
  return {
    text: text.slice(0, start) + inserted + text.slice(caret),
    caret: start + inserted.length,
  };
}

// The open list of names for the mention being typed, and which one is active.
export class MentionList {
  constructor() {
    this.close();
  }

  get open() {
    return this.options.length > 0;
  }

  get activeName() {
    return this.open ? this.options[this.active] : null;
  }

  close() {
    this.options = [];
    this.active = -1;
    this.start = null;
    this.caret = null;
  }

  // The text or caret changed, or the candidates did: true if the list is open after.
  update(text, caret, names, labels = null) {
    const mention = mentionAt(text, caret);
    if (mention === null) {
      this.close();
      return false;
    }
    const previous = this.activeName;
    this.options = matchingNames(names, mention.query, MAX_OPTIONS, labels);
    this.start = mention.start;
    this.caret = caret;
    const kept = previous === null ? -1 : this.options.indexOf(previous);
    this.active = this.options.length === 0 ? -1 : Math.max(0, kept);
    return this.open;
  }

  // A key pressed in the input while the list is open: "move", "choose", "close", or
  // null if the list doesn't take that key.
  key(key) {
    if (!this.open) return null;
    const count = this.options.length;
    if (key === "ArrowDown") {
      this.active = (this.active + 1) % count;
      return "move";
    }
    if (key === "ArrowUp") {
      this.active = (this.active - 1 + count) % count;
      return "move";
    }
    if (key === "Enter" || key === "Tab") return "choose";
    if (key === "Escape") {
      this.close();
      return "close";
    }
    return null;
  }

  // Puts option `index` (the active one by default) into `text`: {text, caret}; closes.
  choose(text, index = this.active) {
    const name = this.options[index];
    const result = insertMention(text, this.start, this.caret, name);
    this.close();
    return result;
  }
}

// Whether a `message` frame @mentions the person with public id `myId` (by name, in
// one of their groups, or with @all, @room or @here: "all" and "here" in `mentions`).
export function mentionsMe(frame, myId) {
  return myId !== null && myId !== undefined && Array.isArray(frame.mentions) &&
    (frame.mentions.includes(myId) || frame.mentions.includes("all") ||
      frame.mentions.includes("here"));
}

// The words that reach many at once, as the @ list offers them.
export const BROADCASTS = new Map([
  ["all", gettext("everyone in this room")],
  ["here", gettext("everyone here now")],
]);

// The usernames `text` @mentions, folded: an "@" at the start or after a character that
// isn't a letter, digit or mark, then a username's characters (a trailing "." or "-" is
// punctuation, not part of it).
export function mentionedNames(text) {
  const names = new Set();
  for (const found of text.matchAll(/(?:^|[^\p{L}\p{N}\p{M}])@([\p{L}\p{N}\p{M}_.+\-]+)/gu)) {
    names.add(foldName(found[1].replace(/[.\-]+$/u, "")));
  }
  return names;
}
