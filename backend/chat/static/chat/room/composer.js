// The composer: a box that grows with its text (then scrolls), where Enter sends and
// Shift+Enter adds a line; a counter near the length limit instead of cutting text off;
// and an edit mode, in which the box holds a sent message's text to change it.

import { formatNumber } from "./formats.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

// The counter shows from this share of the limit on.
export const COUNTER_FROM = 0.9;

// What a key press in the box asks for: "send", "cancel", or null (the box's own: a
// new line, a letter…). A key that finishes an input method's composition is its own.
export function keyAction({ key, shiftKey = false, altKey = false, isComposing = false }) {
  if (isComposing) return null;
  if (key === "Escape") return "cancel";
  if (key === "Enter" && !shiftKey && !altKey) return "send";
  return null;
}

// Characters as the server counts them (code points, so an emoji is one).
export function textLength(text) {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

// The counter's text near the limit ({text, over}), or null while far from it.
export function lengthNote(length, max) {
  if (length < max * COUNTER_FROM) return null;
  const left = max - length;
  if (left >= 0) {
    // Translators: characters the message may still have, under the composer.
    const text = ngettext("%s left", "%s left", left);
    return { text: interpolate(text, [formatNumber(left)]), over: false };
  }
  // Translators: characters the message has beyond its length limit.
  const text = ngettext("%s over the limit", "%s over the limit", -left);
  return { text: interpolate(text, [formatNumber(-left)]), over: true };
}

// Whether `me` may edit `frame` at `nowMs` (the server decides; this only offers it):
// staff any message, authors their own for `windowMinutes` after sending it.
export function mayEdit(frame, me, windowMinutes, nowMs) {
  if (!me || frame.deleted || frame.seq === undefined) return false;
  if (me.staff) return true;
  if (frame.uid !== me.id || !(windowMinutes > 0)) return false;
  return nowMs - Date.parse(frame.sent_at) <= windowMinutes * 60_000;
}

export class Composer {
  // onSend(text, extra), onEdit(seq, text): the box was submitted (extra: {reply_to,
  // attachments} as the message has them); onType(text): it changed; onRefuse(detail):
  // it was submitted with more than `maxLength` characters, or while files upload;
  // isChoosing(): whether Enter belongs to the @mention list right now; `uploads`: the
  // files to send with the next message (uploads.js).
  constructor(doc, { maxLength, uploads, onSend, onEdit, onType, onRefuse, isChoosing }) {
    this.uploads = uploads;
    this.form = doc.getElementById("chat-form");
    this.input = doc.getElementById("chat-message-input");
    this.submitButton = doc.getElementById("chat-message-submit");
    this.counter = doc.getElementById("chat-counter");
    this.editingLine = doc.getElementById("chat-editing");
    this.maxLength = maxLength;
    this.replyingLine = doc.getElementById("chat-replying");
    this.replyingText = doc.getElementById("chat-replying-text");
    this.editing = null; // the seq of the message being edited
    this.replyTo = null; // the seq of the message the next one answers
    this.draft = ""; // what was in the box when editing began

    doc.getElementById("chat-edit-cancel").addEventListener("click", () => this.stopEditing());
    doc.getElementById("chat-reply-cancel").addEventListener("click", () => this.stopReplying());
    this.input.addEventListener("input", () => {
      this.fit();
      if (this.editing === null) onType(this.input.value);
    });
    this.input.addEventListener("keydown", (event) => {
      const action = keyAction(event);
      if (action === "cancel" && this.editing !== null) {
        event.preventDefault();
        this.stopEditing();
      } else if (action === "cancel" && this.replyTo !== null) {
        event.preventDefault();
        this.stopReplying();
      } else if (action === "send" && !isChoosing()) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value;
      const files = this.editing === null ? this.uploads.ids() : [];
      if (this.editing === null && this.uploads.uploading) {
        onRefuse(gettext("Wait until the files are uploaded, then send."));
        return;
      }
      if (!text.trim() && !files.length) return;
      const length = textLength(text);
      if (length > this.maxLength) {
        const detail = gettext(
          "The message has %(length)s characters; the limit is %(max)s. " +
            "Shorten it or split it in two.",
        );
        const counts = { length: formatNumber(length), max: formatNumber(this.maxLength) };
        onRefuse(interpolate(detail, counts, true));
        return;
      }
      if (this.editing !== null) {
        onEdit(this.editing, text);
        return;
      }
      const extra = {};
      if (this.replyTo !== null) extra.reply_to = this.replyTo;
      if (files.length) extra.attachments = files;
      onSend(text.trim() ? text : "", extra);
    });
  }

  // Grows the box with its text (its CSS max-height stops it, then it scrolls), and
  // shows the counter.
  fit() {
    const box = this.input;
    box.style.height = "auto";
    box.style.height = box.scrollHeight + (box.offsetHeight - box.clientHeight) + "px";
    const note = lengthNote(textLength(box.value), this.maxLength);
    this.counter.hidden = note === null;
    this.counter.textContent = note === null ? "" : note.text;
    this.counter.classList.toggle("over", note !== null && note.over);
    this.submitButton.disabled = this.disabled || (note !== null && note.over);
  }

  clear() {
    this.input.value = "";
    this.stopReplying();
    this.uploads.clear();
    this.fit();
    this.input.focus();
  }

  // The next message sent answers message `seq` (by `user`, starting `snippet`).
  startReplying(seq, user, snippet) {
    if (this.editing !== null) this.stopEditing();
    this.replyTo = seq;
    const replying = gettext("Replying to %(user)s: %(snippet)s");
    this.replyingText.textContent = interpolate(replying, { user: user, snippet: snippet }, true);
    this.replyingLine.hidden = false;
    this.input.focus();
  }

  stopReplying() {
    this.replyTo = null;
    this.replyingLine.hidden = true;
    this.replyingText.textContent = "";
  }

  startEditing(seq, text) {
    this.stopReplying();
    if (this.editing === null) this.draft = this.input.value;
    this.editing = seq;
    this.editingLine.hidden = false;
    this.submitButton.textContent = gettext("Save");
    this.input.value = text;
    this.fit();
    this.input.focus();
    this.input.setSelectionRange(text.length, text.length);
  }

  stopEditing() {
    if (this.editing === null) return;
    this.editing = null;
    this.editingLine.hidden = true;
    this.submitButton.textContent = gettext("Send");
    this.input.value = this.draft;
    this.draft = "";
    this.fit();
    this.input.focus();
  }

  disable() {
    this.setDisabled(true);
  }

  setDisabled(disabled) {
    this.disabled = disabled;
    this.input.disabled = disabled;
    this.submitButton.disabled = disabled;
  }
}
