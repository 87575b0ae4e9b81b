// Messages kept at hand: the room's pins (GET /api/rooms/<name>/pins/, kept live by the
// `pins` event) in a dialog opened from the header, and one's saved messages
// (GET /api/me/saved/) in a dialog opened from the sidebar. Each entry shows its
// author, where it is and its text, and a way to it and to take it off the list.

import { apiUrls } from "./api.js";
import { shownName } from "./faces.js";
import { gettext, interpolate } from "./i18n.js";
import { roomUrl } from "./rooms.js";
import { messageBody } from "./view.js";

function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(doc, label, onClick) {
  const node = el(doc, "button", "link-button", label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// One kept message: `where` says where it is (a room, who pinned it), `go` opens it.
function entry(doc, message, where, actions) {
  const item = el(doc, "li", "kept-item");
  item.dataset.seq = String(message.seq);
  const meta = el(doc, "div", "kept-meta");
  const author = el(doc, "span", "message-author", shownName(message));
  author.dir = "auto";
  meta.append(author, el(doc, "span", "hint", " · " + where));
  item.append(meta, messageBody(message));
  const row = el(doc, "div", "kept-actions");
  row.append(...actions);
  item.appendChild(row);
  return item;
}

export class PinsPanel {
  // onShow(seq): show the message in the log; onError(detail).
  constructor(doc, api, { roomName, onShow, onError }) {
    this.doc = doc;
    this.api = api;
    this.roomName = roomName;
    this.onShow = onShow;
    this.onError = onError;
    this.opener = doc.getElementById("pins-open");
    this.dialog = doc.getElementById("pins-dialog");
    this.list = doc.getElementById("pins-list");
    this.empty = doc.getElementById("pins-empty");
    this.count = doc.getElementById("pins-count");
    this.pins = [];
    if (!this.opener || !this.dialog) return;
    this.opener.hidden = false;
    this.opener.addEventListener("click", () => this.dialog.showModal());
  }

  async load() {
    if (!this.opener) return;
    try {
      this.show((await this.api.get(apiUrls.pins(this.roomName))).pins);
    } catch {
      // the panel stays as it was; the next `pins` event fills it
    }
  }

  async pin(seq) {
    try {
      await this.api.post(apiUrls.pins(this.roomName), { seq: seq });
    } catch (error) {
      this.onError(error.detail);
    }
  }

  // `pins` as GET /api/rooms/<name>/pins/ or a `pins` event has them, newest first.
  show(pins) {
    if (!this.list) return;
    this.pins = Array.isArray(pins) ? pins : [];
    const doc = this.doc;
    this.list.replaceChildren(...this.pins.map((pin) => entry(doc, pin.message,
      interpolate(gettext("pinned by %s"), [pin.pinned_by]), [
        button(doc, gettext("Show"), () => {
          this.dialog.close();
          this.onShow(pin.seq);
        }),
        button(doc, gettext("Unpin"), async () => {
          try {
            await this.api.delete(apiUrls.pin(this.roomName, pin.seq));
          } catch (error) {
            this.onError(error.detail);
          }
        }),
      ])));  // prettier-ignore
    this.empty.hidden = this.pins.length > 0;
    this.count.textContent = String(this.pins.length);
  }
}

export class SavedPanel {
  constructor(doc, api, { onError }) {
    this.doc = doc;
    this.api = api;
    this.onError = onError;
    this.opener = doc.getElementById("saved-open");
    this.dialog = doc.getElementById("saved-dialog");
    this.list = doc.getElementById("saved-list");
    this.empty = doc.getElementById("saved-empty");
    if (!this.opener || !this.dialog) return;
    this.opener.addEventListener("click", async () => {
      await this.load();
      this.dialog.showModal();
    });
  }

  async save(room, seq) {
    try {
      await this.api.post(apiUrls.saved(), { room: room, seq: seq });
    } catch (error) {
      this.onError(error.detail);
    }
  }

  async load() {
    try {
      this.show((await this.api.get(apiUrls.saved())).saved);
    } catch (error) {
      this.onError(error.detail);
    }
  }

  show(saved) {
    const doc = this.doc;
    const entries = Array.isArray(saved) ? saved : [];
    this.list.replaceChildren(...entries.map((kept) => {
      const open = el(doc, "a", "link-button", gettext("Open"));
      open.href = roomUrl(kept.room) + "?around=" + kept.seq;
      return entry(doc, kept.message, kept.room, [
        open,
        button(doc, gettext("Remove"), async () => {
          try {
            await this.api.delete(apiUrls.savedOne(kept.room, kept.seq));
            await this.load();
          } catch (error) {
            this.onError(error.detail);
          }
        }),
      ]);
    }));  // prettier-ignore
    this.empty.hidden = entries.length > 0;
  }
}
