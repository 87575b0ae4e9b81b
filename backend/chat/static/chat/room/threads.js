// Threads: the panel of one thread (its root, its replies, a composer for replying;
// beside the log on a wide screen, over it on a phone), opened from a root's "N replies"
// or a message's "Reply in a thread"; and the Threads view of the threads one follows
// with their unread counts (GET /api/threads/). Replies arrive on the room's one
// WebSocket like every message, with the room's seqs: the panel shows those of its
// thread, the log the others.

import { apiUrls } from "./api.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { roomUrl } from "./rooms.js";
import { messageBody } from "./view.js";

const PAGE = 200;

// Whether a message frame is a reply in a thread (not for the room's log).
export function inThread(frame) {
  return frame.thread !== null && frame.thread !== undefined;
}

// "2 unread" / "" for a Threads view entry.
export function unreadText(count) {
  if (!(Number.isInteger(count) && count > 0)) return "";
  return interpolate(ngettext("%s unread", "%s unread", count), [count]);
}

export class ThreadPanel {
  // view: the room's RoomView (it renders the replies); onSend(text, root, alsoRoom):
  // posts a reply and returns its nonce; me(): who we are (the `identity` frame) or null;
  // onRead(): the thread's read mark moved.
  constructor(doc, api, { roomName, view, onSend, me, signedIn, onRead }) {
    this.onRead = onRead || (() => {});
    this.doc = doc;
    this.api = api;
    this.roomName = roomName;
    this.view = view;
    this.me = me;
    this.signedIn = signedIn;
    this.panel = doc.getElementById("thread-panel");
    this.log = doc.getElementById("thread-log");
    this.rootBox = doc.getElementById("thread-root");
    this.form = doc.getElementById("thread-form");
    this.input = doc.getElementById("thread-input");
    this.alsoRoom = doc.getElementById("thread-also-room");
    this.follow = doc.getElementById("thread-follow");
    this.root = null; // the open thread's root seq
    this.shown = new Set(); // seqs of the replies shown
    this.following = false;
    doc.getElementById("thread-close").addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text || this.root === null) return;
      const nonce = onSend(text, this.root, this.alsoRoom.checked);
      if (nonce) {
        if (this.signedIn && !this.following) {
          this.following = true; // replying follows it
          this.showFollowing();
        }
        this.view.addPending(nonce, text, this.me(), this.log);
        this.input.value = "";
        this.alsoRoom.checked = false;
        this.log.scrollTop = this.log.scrollHeight;
      }
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.follow.hidden = !signedIn;
    this.follow.addEventListener("click", () => this.setFollowing(!this.following));
  }

  get open() {
    return this.root !== null;
  }

  // Opens the thread at `seq`, its replies read from the server (the live ones come as
  // frames meanwhile: a seq is shown once).
  async show(seq) {
    if (this.root !== seq) this.clear();
    this.root = seq;
    this.panel.hidden = false;
    this.doc.body.classList.add("thread-open");
    this.input.focus();
    let after = 0;
    for (;;) {
      let page;
      try {
        page = await this.api.get(apiUrls.threadMessages(this.roomName, seq, after, PAGE));
      } catch (error) {
        this.rootBox.textContent = error.detail || gettext("This thread can't be shown.");
        return;
      }
      if (this.root !== seq) return; // another one was opened meanwhile
      this.following = page.following === true;
      this.showRoot(page.root);
      for (const frame of page.messages) this.add(frame);
      if (!page.has_more || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1].seq;
    }
    this.showFollowing();
    this.markRead();
  }

  showRoot(frame) {
    const mine = this.me() !== null && frame.uid === this.me().id;
    const item = this.view.messageItem(frame, mine, this.me());
    item.querySelector(":scope > .thread-summary")?.remove();
    item.classList.add("thread-root-message");
    this.rootBox.replaceChildren(item);
  }

  // A reply frame (from the socket or the server's list): shown if it is this thread's.
  add(frame) {
    if (frame.thread !== this.root || this.shown.has(frame.seq)) return false;
    this.shown.add(frame.seq);
    this.view.renderInto(this.log, frame, this.me());
    const near = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
    if (near || (this.me() && frame.uid === this.me().id)) this.log.scrollTop = this.log.scrollHeight;
    return true;
  }

  // New replies seen: the thread's read mark follows (for people following it).
  markRead() {
    if (!this.signedIn || !this.following || this.shown.size === 0) return;
    if (this.doc.visibilityState !== "visible") return;
    const newest = Math.max(...this.shown);
    this.api
      .post(apiUrls.threadRead(this.roomName, this.root), { seq: newest })
      .then(() => this.onRead())
      .catch(() => {});
  }

  async setFollowing(following) {
    const url = apiUrls.threadFollow(this.roomName, this.root);
    try {
      if (following) await this.api.put(url);
      else await this.api.delete(url);
      this.following = following;
      this.showFollowing();
    } catch {
      // stays as it was
    }
  }

  showFollowing() {
    this.follow.textContent = this.following ? gettext("Unfollow") : gettext("Follow");
    this.follow.setAttribute("aria-pressed", String(this.following));
  }

  clear() {
    this.view.forget(this.shown);
    this.shown = new Set();
    this.log.replaceChildren();
    this.rootBox.replaceChildren();
  }

  close() {
    this.clear();
    this.root = null;
    this.panel.hidden = true;
    this.doc.body.classList.remove("thread-open");
  }
}

export class ThreadsView {
  // The sidebar's "Threads" button (with the unread count) and its dialog.
  constructor(doc, api, { onOpen }) {
    this.doc = doc;
    this.api = api;
    this.onOpen = onOpen; // onOpen(room, seq)
    this.opener = doc.getElementById("threads-open");
    this.count = doc.getElementById("threads-count");
    this.dialog = doc.getElementById("threads-dialog");
    this.list = doc.getElementById("threads-list");
    this.empty = doc.getElementById("threads-empty");
    if (!this.opener) return;
    this.opener.addEventListener("click", async () => {
      await this.refresh();
      this.dialog.showModal();
    });
  }

  async refresh() {
    if (!this.opener) return;
    let threads;
    try {
      threads = (await this.api.get(apiUrls.threads())).threads;
    } catch {
      return;
    }
    const unread = threads.reduce((sum, thread) => sum + (thread.unread || 0), 0);
    this.count.textContent = String(unread);
    this.count.hidden = unread === 0;
    const label = ngettext("Threads, %s unread", "Threads, %s unread", unread);
    this.opener.setAttribute("aria-label", unread ? interpolate(label, [unread]) : gettext("Threads"));
    const doc = this.doc;
    this.list.replaceChildren(...threads.map((thread) => {
      const item = doc.createElement("li");
      item.className = "kept-item";
      item.dataset.room = thread.room;
      item.dataset.seq = String(thread.seq);
      const meta = doc.createElement("div");
      meta.className = "kept-meta";
      meta.textContent = thread.room;
      const badge = doc.createElement("span");
      badge.className = "unread-badge";
      badge.textContent = String(thread.unread);
      badge.hidden = !thread.unread;
      badge.setAttribute("aria-label", unreadText(thread.unread));
      meta.appendChild(badge);
      const open = doc.createElement("a");
      open.className = "link-button";
      open.textContent = gettext("Open");
      open.href = roomUrl(thread.room) + "?thread=" + thread.seq;
      open.addEventListener("click", (event) => {
        if (this.onOpen(thread.room, thread.seq)) {
          event.preventDefault();
          this.dialog.close();
        }
      });
      item.append(meta, messageBody(thread.root), open);
      return item;
    }));  // prettier-ignore
    this.empty.hidden = threads.length > 0;
  }
}
