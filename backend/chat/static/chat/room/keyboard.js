// The room page's keyboard shortcuts, and the dialog that lists them (?):
//   Ctrl+K or ⌘K           the quick switcher (quick-switcher.js)
//   Alt+↑ / Alt+↓           the previous / next room of the sidebar
//   Alt+Shift+↑ / ↓         the previous / next room with something unread
//   Esc                     in the messages or the message box: the room is read
//   ↑                       in an empty message box: edit your last message
//   ?                       outside a text field: the list of shortcuts
// None is a plain letter typed in a text field, none runs while a dialog is open, and a
// key that a field, a menu or the composer used first (Esc cancelling an edit) is
// theirs: shortcutOf() decides, the rest is wiring.

import { mayEdit } from "./composer.js";
import { gettext } from "./i18n.js";

// What a key press asks for: "switcher", "previous-room", "next-room",
// "previous-unread", "next-unread", "mark-read", "edit-last", "help", or null.
// `where`: {textField: focus is in a field that takes text, fieldEmpty: that field has
// no text, composer: it is the message box, conversation: focus is in the messages or
// the message box, dialogOpen: a dialog is open}.
export function shortcutOf(event, where) {
  const { key, altKey = false, ctrlKey = false, metaKey = false, shiftKey = false } = event;
  if (event.isComposing || where.dialogOpen) return null;
  const command = ctrlKey || metaKey;
  const k = key === "k" || key === "K" || event.code === "KeyK"; // KeyK: any layout
  if (command && !altKey && !shiftKey && k) return "switcher";
  if (command) return null;
  if (altKey && (key === "ArrowUp" || key === "ArrowDown")) {
    // A field's text would be lost in another room: its own Alt+arrows then.
    if (where.textField && !where.fieldEmpty) return null;
    const direction = key === "ArrowUp" ? "previous" : "next";
    return direction + (shiftKey ? "-unread" : "-room");
  }
  if (altKey) return null;
  if (key === "Escape" && !shiftKey && where.conversation) return "mark-read";
  if (key === "ArrowUp" && !shiftKey && where.composer && where.fieldEmpty) return "edit-last";
  if (key === "?" && !where.textField) return "help";
  return null;
}

// The room `step` places from `current` (-1: previous, 1: next) among `rooms` (the
// sidebar's, in its order: [{name, url, unread, mentions}]), going round; with
// `unreadOnly`, the nearest that way with unread messages or mentions. Null when there
// is none (or only the current one). From a room not in the list, the first or last.
export function neighbourRoom(rooms, current, step, { unreadOnly = false } = {}) {
  const count = rooms.length;
  if (count === 0) return null;
  const at = rooms.findIndex((room) => room.name === current);
  const start = at === -1 ? (step > 0 ? -1 : count) : at;
  for (let moved = 1; moved <= count; moved += 1) {
    const room = rooms[(((start + step * moved) % count) + count) % count];
    if (room.name === current) continue;
    if (!unreadOnly || room.unread > 0 || room.mentions > 0) return room;
  }
  return null;
}

// The last message `me` wrote that they may still edit: {seq, text}, or null.
// `messages`: the log's, oldest first ({seq, uid, sent_at, message}).
export function lastEditable(messages, me, windowMinutes, nowMs) {
  if (!me) return null;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message.uid !== me.id || typeof message.message !== "string") continue;
    if (!mayEdit(message, me, windowMinutes, nowMs)) return null; // the older ones neither
    return { seq: message.seq, text: message.message };
  }
  return null;
}

// [keys, what they do] for the dialog, in its order.
export function shortcutList() {
  return [
    [gettext("Ctrl+K or ⌘K"), gettext("Go to a room, a direct message or a person")],
    [gettext("Alt+↑, Alt+↓"), gettext("The previous or next room in the sidebar")],
    [
      gettext("Alt+Shift+↑, Alt+Shift+↓"),
      gettext("The previous or next room with unread messages"),
    ],
    [
      gettext("Esc"),
      gettext(
        "Mark this room read (in the messages or the message box); first, it closes a " +
          "dialog or cancels an edit or a reply",
      ),
    ],
    [gettext("↑"), gettext("Edit your last message (in an empty message box)")],
    [gettext("Enter"), gettext("Send the message")],
    [gettext("Shift+Enter"), gettext("A new line in the message")],
    [gettext("↑, ↓, Enter, Tab"), gettext("Choose whom to mention in the list that @ opens")],
    [gettext("↑, ↓, Home, End"), gettext("Move in a message's actions menu")],
    [gettext("?"), gettext("This list (outside text fields)")],
  ];
}

const NOT_TEXT = [
  "checkbox", "radio", "button", "submit", "reset", "file", "range", "color", "image",
];

function isTextField(element) {
  if (!element) return false;
  if (element.isContentEditable) return true;
  if (element.tagName === "TEXTAREA" || element.tagName === "SELECT") return true;
  return element.tagName === "INPUT" && !NOT_TEXT.includes(element.type);
}

function hasText(field) {
  if (field.isContentEditable) return Boolean(field.textContent);
  if (field.tagName === "SELECT") return true; // Alt+↓ opens it: its own
  return field.value !== "";
}

// The "?" dialog: every shortcut, as a definition list.
class ShortcutsDialog {
  constructor(doc) {
    this.doc = doc;
    this.dialog = doc.createElement("dialog");
    this.dialog.id = "shortcuts-dialog";
    this.dialog.className = "list-dialog shortcuts-dialog";
    this.dialog.setAttribute("aria-labelledby", "shortcuts-title");
    const title = doc.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = gettext("Keyboard shortcuts");
    const list = doc.createElement("dl");
    list.className = "shortcuts";
    for (const [keys, what] of shortcutList()) {
      const term = doc.createElement("dt");
      const kbd = doc.createElement("kbd");
      kbd.textContent = keys;
      term.appendChild(kbd);
      const description = doc.createElement("dd");
      description.textContent = what;
      list.append(term, description);
    }
    const form = doc.createElement("form");
    form.method = "dialog";
    const close = doc.createElement("button");
    close.type = "submit";
    close.textContent = gettext("Close");
    form.appendChild(close);
    this.dialog.append(title, list, form);
    doc.body.appendChild(this.dialog);
    this.returnTo = null;
    this.dialog.addEventListener("close", () => {
      if (this.returnTo && this.returnTo.isConnected) this.returnTo.focus();
      this.returnTo = null;
    });
  }

  open() {
    if (this.dialog.open) return;
    this.returnTo = this.doc.activeElement;
    this.dialog.showModal();
  }
}

export class Shortcuts {
  // sidebarRooms(): the sidebar's rooms in order ({name, url, unread, mentions});
  // currentRoom: this room's name; onSwitcher(): opens the quick switcher; onGo(url);
  // onMarkRead(): marks the room read, true if there was something to mark;
  // lastEditable(): {seq, text} of the last message to edit, or null;
  // composer: composer.js's Composer; isChoosing(): the @ list is open.
  constructor(
    doc,
    { sidebarRooms, currentRoom, onSwitcher, onGo, onMarkRead, lastEditable, composer, isChoosing },
  ) {
    this.doc = doc;
    this.help = new ShortcutsDialog(doc);
    this.log = doc.getElementById("chat-log");
    this.status = doc.createElement("p");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    doc.body.appendChild(this.status);
    const act = {
      switcher: () => onSwitcher(),
      "previous-room": () => this.go(neighbourRoom(sidebarRooms(), currentRoom, -1), onGo),
      "next-room": () => this.go(neighbourRoom(sidebarRooms(), currentRoom, 1), onGo),
      "previous-unread": () =>
        this.go(neighbourRoom(sidebarRooms(), currentRoom, -1, { unreadOnly: true }), onGo, true),
      "next-unread": () =>
        this.go(neighbourRoom(sidebarRooms(), currentRoom, 1, { unreadOnly: true }), onGo, true),
      "mark-read": () => {
        if (onMarkRead()) this.say(gettext("Marked as read."));
        return true;
      },
      "edit-last": () => {
        if (composer.editing !== null || isChoosing()) return false;
        const last = lastEditable();
        if (last === null) return false;
        composer.startEditing(last.seq, last.text);
        return true;
      },
      help: () => this.help.open(),
    };
    doc.addEventListener("keydown", (event) => {
      if (event.defaultPrevented) return;
      const target = doc.activeElement;
      const textField = isTextField(target);
      const where = {
        textField: textField,
        fieldEmpty: !textField || !hasText(target),
        composer: target === composer.input,
        conversation: target === composer.input || (this.log !== null && this.log.contains(target)),
        dialogOpen: doc.querySelector("dialog[open]") !== null,
      };
      const shortcut = shortcutOf(event, where);
      if (shortcut === null) return;
      if (act[shortcut]() === false) return;
      event.preventDefault();
    });
  }

  go(room, onGo, unread = false) {
    if (room === null) {
      this.say(unread ? gettext("No other room has unread messages.") : gettext("No other room."));
      return;
    }
    onGo(room.url);
  }

  // Said to screen readers (a status line), as its text changes.
  say(text) {
    this.status.textContent = this.status.textContent === text ? text + "\u00a0" : text;
  }
}
