// Pending messages kept in the browser's storage (localStorage), so that what was
// written while disconnected survives closing the tab and is sent, with the same nonce,
// the next time the room is opened. One key per message, so tabs never overwrite each
// other's; keyed by person and room, so nobody else who uses this browser sends them.

const PREFIX = "chat.pending";
const SEP = "\n"; // never in a room name, a person's id or a nonce the page makes

function keyPrefix(uid, room) {
  return [PREFIX, uid, room, ""].join(SEP);
}

// The page's localStorage, or null where it can't be used (disabled, sandboxed).
export function browserStorage(win) {
  try {
    const storage = win.localStorage;
    storage.getItem(PREFIX);
    return storage;
  } catch {
    return null;
  }
}

export class SavedPending {
  // `storage`: a Web Storage object (or null: nothing is kept); `room`: the room's name.
  constructor(storage, room) {
    this.storage = storage;
    this.room = room;
    this.written = 0; // orders messages saved in the same millisecond
  }

  // Keeps `text` (and `extra`, its frame's other fields, if any) under `nonce` for person
  // `uid`; a nonce already kept keeps its place.
  save(uid, nonce, text, now, extra = null) {
    const key = keyPrefix(uid, this.room) + nonce;
    if (this.get(key) !== null) return;
    this.written += 1;
    const entry = { text: text, at: now, n: this.written };
    if (extra && Object.keys(extra).length) entry.extra = extra;
    this.set(key, JSON.stringify(entry));
  }

  // Forgets `nonce` (acknowledged, or refused for good), whoever it was kept for.
  remove(nonce) {
    if (!this.storage) return;
    for (const key of this.keys()) {
      if (key.endsWith(SEP + nonce)) this.storage.removeItem(key);
    }
  }

  // What `uid` left pending in this room, oldest first: [{nonce, text}], with `extra`
  // for a message that has other fields.
  load(uid) {
    const prefix = keyPrefix(uid, this.room);
    const found = [];
    for (const key of this.keys()) {
      if (!key.startsWith(prefix)) continue;
      const entry = parse(this.get(key));
      if (entry === null) {
        this.storage.removeItem(key); // unreadable: nothing can be sent from it
        continue;
      }
      found.push({ nonce: key.slice(prefix.length), ...entry });
    }
    found.sort((a, b) => a.at - b.at || a.n - b.n);
    return found.map(({ nonce, text, extra }) =>
      extra === null ? { nonce, text } : { nonce, text, extra },
    );
  }

  keys() {
    if (!this.storage) return [];
    const keys = [];
    for (let i = 0; i < this.storage.length; i += 1) {
      const key = this.storage.key(i);
      if (key !== null && key.startsWith(PREFIX + SEP)) keys.push(key);
    }
    return keys;
  }

  get(key) {
    if (!this.storage) return null;
    return this.storage.getItem(key);
  }

  set(key, value) {
    if (!this.storage) return;
    try {
      this.storage.setItem(key, value);
    } catch {
      // Storage full: the message is still pending on this page, only not kept.
    }
  }
}

function parse(value) {
  try {
    const entry = JSON.parse(value);
    if (typeof entry.text !== "string") return null;
    const extra = frameExtra(entry.extra);
    if (!entry.text && !extra) return null;
    return { text: entry.text, at: Number(entry.at) || 0, n: Number(entry.n) || 0, extra };
  } catch {
    return null;
  }
}

// The kept fields a frame may carry besides its text, read back safely, or null.
function frameExtra(value) {
  if (value === null || typeof value !== "object") return null;
  const extra = {};
  if (Number.isSafeInteger(value.reply_to) && value.reply_to > 0) extra.reply_to = value.reply_to;
  if (Array.isArray(value.attachments) && value.attachments.every(Number.isSafeInteger)) {
    if (value.attachments.length) extra.attachments = value.attachments;
  }
  return Object.keys(extra).length ? extra : null;
}
