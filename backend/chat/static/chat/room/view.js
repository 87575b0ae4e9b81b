// What the room page shows. Text is set with textContent, never as HTML; the one
// exception is a message's `html`, which the server made safe (an allow-list sanitizer)
// and which is parsed here as an inert document, never run.

import { mayEdit } from "./composer.js";
import { avatarUrl, inDnd, shownName, statusNow } from "./faces.js";
import { formatDateTime, formatTime } from "./formats.js";
import { gettext, interpolate, ngettext, pgettext } from "./i18n.js";
import { dayLabel, layoutMarks } from "./layout.js";
import { mentionsMe } from "./mentions.js";
import { sizeText } from "./uploads.js";

const MUTE_MINUTES = 10;
const NEAR_BOTTOM_PX = 60;
const NEAR_TOP_PX = 40;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(label, title, onClick) {
  const button = el("button", "message-action", label);
  button.type = "button";
  button.setAttribute("aria-label", title);
  button.title = title;
  button.addEventListener("click", onClick);
  return button;
}

// The nodes of HTML the server made safe, parsed as an inert document (nothing runs).
export function safeNodes(html) {
  return [...new DOMParser().parseFromString(html, "text/html").body.childNodes];
}

// A message's body: its server-made HTML, or its text while it has none (pending).
export function messageBody(frame) {
  const body = el("div", "message-body");
  body.dir = "auto"; // laid out in the direction of its own text (Arabic, Hebrew…)
  if (frame.html) {
    body.append(...safeNodes(frame.html));
  } else {
    body.textContent = frame.message;
    body.classList.add("plain");
  }
  return body;
}

// "Alice", "Alice and Bob", "Alice, Bob and Carol".
export function namesText(names) {
  if (names.length <= 1) return names.join("");
  const first = names.slice(0, -1).join(pgettext("between names in a list", ", "));
  return interpolate(gettext("%(names)s and %(last)s"), { names: first, last: names.at(-1) }, true);
}

// A message's files: an image as its thumbnail, opening full size in a new tab; any
// other file as a download link with its size.
function attachmentsBlock(attachments) {
  const list = el("ul", "attachments");
  for (const file of attachments) {
    const item = el("li", "attachment");
    const link = el("a");
    link.href = file.url;
    if (file.thumbnail_url) {
      link.target = "_blank";
      link.rel = "noopener";
      const image = el("img");
      image.src = file.thumbnail_url;
      image.alt = file.name;
      image.loading = "lazy";
      link.appendChild(image);
      link.setAttribute("aria-label", interpolate(gettext("Open %s full size"), [file.name]));
    } else {
      link.setAttribute("download", file.name);
      link.append(el("span", "file-name", file.name), el("span", "file-size", sizeText(file.size)));
      link.querySelector(".file-name").dir = "auto";
    }
    item.appendChild(link);
    list.appendChild(item);
  }
  return list;
}

// A link's preview under its message: the site, the title linking to the page, the
// description and the thumbnail the server made (all text set as text). With
// `onRemove`, a button that removes it (the message's author).
export function previewBlock(preview, onRemove = null) {
  const card = el("aside", "link-preview");
  card.setAttribute("aria-label", gettext("Link preview"));
  if (preview.image_url) {
    const image = el("img", "link-preview-image");
    image.src = preview.image_url;
    image.alt = "";
    image.loading = "lazy";
    card.appendChild(image);
  }
  const text = el("div", "link-preview-text");
  if (preview.site_name) text.appendChild(el("span", "link-preview-site", preview.site_name));
  const title = el("a", "link-preview-title", preview.title);
  title.href = /^https?:\/\//.test(preview.url) ? preview.url : "#";
  title.target = "_blank";
  title.rel = "noopener noreferrer nofollow ugc";
  text.appendChild(title);
  if (preview.description) text.appendChild(el("p", "link-preview-description", preview.description));
  for (const part of text.children) part.dir = "auto";
  card.appendChild(text);
  if (onRemove) {
    const remove = el("button", "link-preview-remove", "×");
    remove.type = "button";
    remove.title = gettext("Remove this preview");
    remove.setAttribute("aria-label", remove.title);
    remove.addEventListener("click", onRemove);
    card.appendChild(remove);
  }
  return card;
}

// Where the focus goes in a menu of `count` items on `key` from item `index`: an index,
// "close" (Escape, Tab), or null for a key the menu leaves alone.
export function menuMove(key, index, count) {
  switch (key) {
    case "ArrowDown":
      return (index + 1) % count;
    case "ArrowUp":
      return (index - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    case "Escape":
    case "Tab":
      return "close";
    default:
      return null;
  }
}

function editedMark(editedAt) {
  const mark = el("span", "message-edited", gettext("(edited)"));
  mark.title = interpolate(gettext("Edited %s"), [formatDateTime(editedAt)]);
  return mark;
}

function markDeleted(item) {
  item.className = "message deleted";
  item.hidden = true;
  item.replaceChildren();
}

export class RoomView {
  // onEdit(seq, text), onReact(seq, emoji), onReply(seq, user, text), onDelete(seq),
  // onMute(seq, minutes), onPin(seq), onSave(seq), onRemovePreview(seq),
  // onPickReaction(seq, opener), onOpenThread(seq): a message's buttons were clicked;
  // onIntegration(seq): the name of the bot or webhook that posted message `seq` was;
  // quickReactions(): the emoji a message offers one click away;
  // onShowOriginal(seq): a
  // reply's quote was; onNearTop(): the log was scrolled to its top; onMessagePerson(username): a
  // name's "Message" button was clicked; onSeen(): the reader may have seen new messages
  // (the log scrolled). `editWindowMinutes`: how long authors may edit their messages.
  constructor(
    doc,
    {
      onEdit, onReact, onReply, onShowOriginal, onDelete, onMute, onNearTop, onMessagePerson,
      onSeen, onPerson, onMarkUnread, onPin, onSave, onRemovePreview, onPickReaction,
      quickReactions, onOpenThread, onIntegration, editWindowMinutes,
    },
  ) {
    this.doc = doc;
    this.log = doc.getElementById("chat-log");
    this.status = doc.getElementById("connection-status");
    this.errorBox = doc.getElementById("chat-error");
    this.identityName = doc.getElementById("identity-name");
    this.presenceList = doc.getElementById("presence");
    this.presenceCount = doc.getElementById("presence-count");
    this.typingLine = doc.getElementById("typing");
    this.newMessages = doc.getElementById("new-messages");
    this.onEdit = onEdit;
    this.onReact = onReact;
    this.onReply = onReply;
    this.onShowOriginal = onShowOriginal;
    this.onDelete = onDelete;
    this.onMute = onMute;
    this.editWindowMinutes = editWindowMinutes;
    this.onMessagePerson = onMessagePerson || (() => {});
    this.onPerson = onPerson || (() => {});
    this.onMarkUnread = onMarkUnread || (() => {});
    this.onPin = onPin || (() => {});
    this.onSave = onSave || (() => {});
    this.onRemovePreview = onRemovePreview || (() => {});
    this.onPickReaction = onPickReaction || (() => {});
    this.quickReactions = quickReactions || (() => []);
    this.onOpenThread = onOpenThread || (() => {});
    this.onIntegration = onIntegration || (() => {});
    this.newSince = null; // the "New since you last read" line, once placed
    this.items = new Map(); // seq -> <li>
    this.texts = new Map(); // seq -> the message's text, for editing it
    this.dayLines = new Map(); // day key -> its <li role="separator">
    this.layoutDue = false;
    this.pendingItems = new Map(); // nonce -> <li>

    this.log.addEventListener("scroll", () => {
      if (this.log.scrollTop < NEAR_TOP_PX) onNearTop();
      if (this.nearBottom()) this.newMessages.hidden = true;
      if (onSeen) onSeen();
    });
    this.newMessages.addEventListener("click", () => this.scrollToBottom());
  }

  // Both live regions are written only when they change, so nothing is announced twice.
  setStatus({ state, text }) {
    this.status.dataset.state = state;
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  showError(detail) {
    this.errorBox.textContent = detail;
    this.errorBox.hidden = false;
  }

  clearError() {
    this.errorBox.textContent = "";
    this.errorBox.hidden = true;
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
    this.newMessages.hidden = true;
  }

  // A "Message <name>" button that opens a direct message with a signed-in person.
  messageButton(username) {
    const name = interpolate(gettext("Message %s"), [username]);
    const button = actionButton(gettext("Message"), name, () =>
      this.onMessagePerson(username),
    );
    button.classList.replace("message-action", "dm-button");
    return button;
  }

  // Whether we (signed in) may start a direct message with the author of `frame`.
  canMessage(person, me) {
    return me !== null && !me.guest && !person.guest && person.user !== me.user &&
      (person.uid || person.id) !== me.id;
  }

  // A signed-up person's name (display name, username on hover): a button opening their
  // card; a guest's plain text.
  personName(person, className) {
    const signedUp = !person.guest && !person.bot;
    // A stored message's bot or webhook: its name opens the card of what posted it.
    const integration = Boolean(person.bot) && Number.isInteger(person.seq);
    const name = el(signedUp || integration ? "button" : "span", className, shownName(person));
    name.dir = "auto"; // a name in any script doesn't reorder what is around it
    if (signedUp) {
      name.type = "button";
      name.title = "@" + person.user;
      name.classList.add("person-link");
      name.addEventListener("click", () => this.onPerson(person.user));
    } else if (integration) {
      name.type = "button";
      name.classList.add("person-link");
      name.addEventListener("click", () => this.onIntegration(person.seq));
    }
    return name;
  }

  avatar(person) {
    const image = el("img", "avatar");
    image.src = avatarUrl(person.user, 64);
    image.alt = "";
    image.width = image.height = 28;
    image.loading = "lazy";
    return image;
  }

  messageItem(frame, mine, me = null) {
    const item = el("li", "message");
    const meta = el("div", "message-meta");
    if (frame.seq !== undefined) meta.appendChild(this.avatar(frame));
    meta.appendChild(this.personName(frame, "message-author"));
    if (frame.guest) meta.appendChild(el("span", "badge", gettext("guest")));
    if (frame.bot) meta.appendChild(el("span", "badge", gettext("bot")));
    if (frame.seq !== undefined && this.canMessage(frame, me)) {
      meta.appendChild(this.messageButton(frame.user));
    }
    if (frame.sent_at) {
      const time = el("time", "message-time");
      time.dateTime = frame.sent_at;
      time.title = formatDateTime(frame.sent_at);
      time.textContent = formatTime(frame.sent_at);
      meta.appendChild(time);
    }
    if (frame.edited_at) meta.appendChild(editedMark(frame.edited_at));
    if (frame.system === "thread_reply" && frame.reply_to) {
      // A thread's reply also sent to the room: it says so, and opens the thread.
      const where = el("button", "link-button in-thread", gettext("replied in a thread"));
      where.type = "button";
      where.addEventListener("click", () => this.onOpenThread(frame.reply_to.seq));
      meta.appendChild(where);
    }
    item.appendChild(meta);
    if (frame.reply_to) item.appendChild(this.replyQuote(frame.reply_to));
    item.appendChild(messageBody(frame));
    if (Array.isArray(frame.attachments) && frame.attachments.length) {
      item.appendChild(attachmentsBlock(frame.attachments));
    }
    if (frame.preview && frame.preview.title) item.appendChild(this.preview(frame.seq, frame.preview, mine));
    if (frame.thread_summary) item.appendChild(this.threadSummary(frame.seq, frame.thread_summary));
    if (frame.seq !== undefined) item.appendChild(this.reactionsRow(frame.seq, frame.reactions, me));
    if (mine) item.classList.add("mine");
    if (me !== null && !mine && mentionsMe(frame, me.id)) {
      item.classList.add("mentioned");
      meta.appendChild(el("span", "visually-hidden mentions-you", gettext("mentions you")));
    }
    return item;
  }

  // A line the server wrote in the room: "Alice pinned a message" and the message.
  systemItem(frame) {
    const item = el("li", "message system-line");
    const line = el("p", "system-text");
    line.append(this.personName(frame, "message-author"), " " + frame.message);
    item.appendChild(line);
    if (frame.reply_to) item.appendChild(this.replyQuote(frame.reply_to));
    return item;
  }

  // The quote atop a reply: who wrote the original and how it starts; activating it
  // shows the original (older history is loaded until it is there).
  replyQuote(original) {
    const quote = el("button", "reply-quote");
    quote.type = "button";
    const text = original.deleted ? gettext("message deleted") : original.snippet;
    quote.append(el("span", "reply-author", original.user), el("span", "reply-snippet", text));
    quote.querySelector(".reply-snippet").dir = "auto";
    if (original.deleted) quote.classList.add("deleted");
    const label = gettext("Reply to %(user)s: %(text)s. Show it.");
    quote.setAttribute("aria-label", interpolate(label, { user: original.user, text: text }, true));
    quote.addEventListener("click", () => this.onShowOriginal(original.seq));
    return quote;
  }

  // Scrolls message `seq` into view and marks it for a moment; false if it isn't shown.
  showMessage(seq) {
    const item = this.items.get(seq);
    if (!item || item.hidden) return false;
    item.scrollIntoView({ block: "center" });
    item.classList.add("highlight");
    item.setAttribute("tabindex", "-1");
    item.focus({ preventScroll: true });
    window.setTimeout(() => item.classList.remove("highlight"), 2000);
    return true;
  }

  // The reactions under a message: one toggle per emoji, with its count; who gave it
  // shows on hover and focus, and is the button's accessible name.
  reactionsRow(seq, reactions, me) {
    const row = el("div", "reactions");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", gettext("Reactions"));
    for (const reaction of Array.isArray(reactions) ? reactions : []) {
      const who = namesText(reaction.users);
      const button = el("button", "reaction", reaction.emoji + " " + reaction.count);
      button.type = "button";
      button.dataset.emoji = reaction.emoji;
      button.dataset.who = who;
      const label = interpolate(
        gettext("%(emoji)s %(count)s, from %(who)s"),
        { emoji: reaction.emoji, count: reaction.count, who: who },
        true,
      );
      button.setAttribute("aria-label", label);
      button.setAttribute("aria-pressed", String(me !== null && reaction.uids.includes(me.id)));
      button.addEventListener("click", () => this.onReact(seq, reaction.emoji));
      row.appendChild(button);
    }
    row.hidden = row.childElementCount === 0;
    return row;
  }

  // Message `seq` has new reactions (a `reactions` frame).
  setReactions(frame, me) {
    const item = this.items.get(frame.seq);
    const row = item && item.querySelector(".reactions");
    if (row) row.replaceWith(this.reactionsRow(frame.seq, frame.reactions, me));
  }

  // One "Actions" button per message opens its menu (Reply, React, Edit, Delete, Mute),
  // so the keyboard passes each message with one stop, not five.
  addActions(item, frame, me, mine) {
    if (!me) return;
    const text = () => this.texts.get(frame.seq) ?? frame.message;
    const inThread = frame.thread !== null && frame.thread !== undefined;
    const entries = inThread ? [] : [
      [gettext("Reply"), gettext("Reply to this message"),
        () => this.onReply(frame.seq, frame.user, text())],
      [gettext("Reply in thread"), gettext("Reply in a thread"),
        () => this.onOpenThread(frame.seq)],
    ];  // prettier-ignore
    entries.push([gettext("React…"), gettext("React to this message"),
      () => this.onPickReaction(frame.seq, button)]);  // prettier-ignore
    if (frame.seq > 0 && me && !me.guest) {
      entries.push([gettext("Mark unread"), gettext("Mark unread from here"),
        () => this.onMarkUnread(frame.seq)]);  // prettier-ignore
      entries.push([gettext("Pin"), gettext("Pin this message for everyone here"),
        () => this.onPin(frame.seq)]);  // prettier-ignore
      entries.push([gettext("Save"), gettext("Save this message for yourself"),
        () => this.onSave(frame.seq)]);  // prettier-ignore
    }
    if (mayEdit(frame, me, this.editWindowMinutes, Date.now())) {
      entries.push([gettext("Edit"), gettext("Edit this message"),
        () => this.onEdit(frame.seq, text())]);  // prettier-ignore
    }
    if (mine || me.staff) {
      entries.push([gettext("Delete"), gettext("Delete this message"), () => {
        const question = mine
          ? gettext("Delete your message for everyone? This can't be undone.")
          : interpolate(
            gettext("Delete %s's message for everyone? This can't be undone."), [frame.user],
          );  // prettier-ignore
        if (window.confirm(question)) this.onDelete(frame.seq);
      }]);
    }
    if (me.staff && !mine) {
      const title = interpolate(
        ngettext(
          "Mute %(user)s here for %(minutes)s minute",
          "Mute %(user)s here for %(minutes)s minutes",
          MUTE_MINUTES,
        ),
        { user: frame.user, minutes: MUTE_MINUTES },
        true,
      );
      entries.push([gettext("Mute"), title, () => this.onMute(frame.seq, MUTE_MINUTES)]);
    }
    const actions = el("div", "message-actions");
    // One click from the pointer: the quick reactions and the picker (the keyboard has
    // them in the menu, so they take no tab stop of their own).
    const quick = el("div", "quick-reactions");
    for (const emoji of this.quickReactions()) {
      const react = el("button", "quick-reaction", emoji);
      react.type = "button";
      react.tabIndex = -1;
      react.setAttribute("aria-label", interpolate(gettext("React with %s"), [emoji]));
      react.addEventListener("click", () => this.onReact(frame.seq, emoji));
      quick.appendChild(react);
    }
    const more = el("button", "quick-reaction", "☺+");
    more.type = "button";
    more.tabIndex = -1;
    more.title = gettext("Pick a reaction");
    more.setAttribute("aria-label", more.title);
    more.addEventListener("click", () => this.onPickReaction(frame.seq, more));
    quick.appendChild(more);
    actions.appendChild(quick);
    const button = el("button", "message-menu-button", "⋯");
    button.type = "button";
    button.setAttribute("aria-label", gettext("Actions for this message"));
    button.setAttribute("aria-haspopup", "menu");
    button.setAttribute("aria-expanded", "false");
    const menu = el("div", "message-menu");
    menu.setAttribute("role", "menu");
    menu.setAttribute("aria-label", gettext("Message actions"));
    menu.hidden = true;
    const items = entries.map(([label, name, run]) => {
      const entry = el("button", "message-menu-item", label);
      entry.type = "button";
      entry.setAttribute("role", "menuitem");
      entry.setAttribute("aria-label", name);
      entry.tabIndex = -1;
      entry.addEventListener("click", () => {
        close(false);
        run();
      });
      return entry;
    });
    menu.append(...items);
    const open = (index) => {
      menu.hidden = false;
      button.setAttribute("aria-expanded", "true");
      items[index].focus();
    };
    const close = (refocus) => {
      menu.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    };
    button.addEventListener("click", () => (menu.hidden ? open(0) : close(true)));
    button.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      event.preventDefault();
      open(event.key === "ArrowDown" ? 0 : items.length - 1);
    });
    menu.addEventListener("keydown", (event) => {
      const move = menuMove(event.key, items.indexOf(event.target), items.length);
      if (move === null) return;
      event.preventDefault();
      if (move === "close") close(true);
      else items[move].focus();
    });
    menu.addEventListener("focusout", (event) => {
      if (!actions.contains(event.relatedTarget)) close(false);
    });
    actions.append(button, menu);
    item.appendChild(actions);
  }

  // A message new to the log, placed before `nextSeq` (else before the pending ones).
  // `me` is who we are (or null), `live` whether the first history is complete.
  renderMessage(frame, { nextSeq, me, live }) {
    const mine = me !== null && frame.uid === me.id;
    // A line the server wrote ("pinned a message") shows small, without actions; a
    // thread's reply sent to the room too shows as the message it is.
    const line = frame.system === "pinned";
    const item = line ? this.systemItem(frame) : this.messageItem(frame, mine, me);
    item.dataset.seq = String(frame.seq);
    if (frame.deleted) markDeleted(item);
    else if (!line) this.addActions(item, frame, me, mine);
    const stick = this.nearBottom() || mine;
    let next = nextSeq === null ? null : this.items.get(nextSeq);
    if (nextSeq !== null && (!next || next.parentElement !== this.log)) {
      // The next seq is a thread's reply (not in the log): the next message that is.
      next = [...this.log.children].find((other) => Number(other.dataset.seq) > frame.seq);
    }
    this.log.insertBefore(item, next || this.log.querySelector("li.pending"));
    this.items.set(frame.seq, item);
    item.dataset.uid = frame.uid;
    item.dataset.sentAt = frame.sent_at;
    this.scheduleLayout();
    if (!frame.deleted) this.texts.set(frame.seq, frame.message);
    if (stick) this.scrollToBottom();
    else if (live && !frame.deleted) this.newMessages.hidden = false;
  }

  // Lays the log out again once this frame's changes are in (see layout()).
  scheduleLayout() {
    if (this.layoutDue) return;
    this.layoutDue = true;
    window.requestAnimationFrame(() => this.layout());
  }

  // Day lines before each day's first message, and one author's messages in a row
  // grouped (their name shown once; still there for screen readers).
  layout() {
    this.layoutDue = false;
    const shown = [...this.log.querySelectorAll("li.message:not(.pending):not(.deleted)")];
    const marks = layoutMarks(shown.map((item) => ({
      uid: item.dataset.uid, sent_at: item.dataset.sentAt,
    })));  // prettier-ignore
    const days = new Set();
    shown.forEach((item, index) => {
      const { day, grouped } = marks[index];
      item.classList.toggle("grouped", grouped);
      if (day === null) return;
      days.add(day);
      let line = this.dayLines.get(day);
      if (!line) {
        line = el("li", "day-line"); // a plain item: a list may hold nothing else
        line.appendChild(el("span", null, dayLabel(day)));
        this.dayLines.set(day, line);
      }
      let before = item;
      while (before.previousElementSibling && before.previousElementSibling.id === "new-since") {
        before = before.previousElementSibling;
      }
      if (before.previousElementSibling !== line) this.log.insertBefore(line, before);
    });
    for (const [day, line] of this.dayLines) {
      if (!days.has(day)) {
        line.remove();
        this.dayLines.delete(day);
      }
    }
  }

  // Runs `renderOlder` (which adds messages above) without moving what the reader sees.
  keepingScrollPosition(renderOlder) {
    const previousHeight = this.log.scrollHeight;
    const previousTop = this.log.scrollTop;
    renderOlder();
    this.layout(); // its day lines too, before measuring
    this.log.scrollTop = previousTop + (this.log.scrollHeight - previousHeight);
  }

  // Puts the "New since you last read" line right before message `seq`.
  placeNewSince(seq) {
    const item = this.items.get(seq);
    if (!item) return;
    if (this.newSince === null) {
      this.newSince = el("li", "new-since"); // a plain item: a list may hold nothing else
      this.newSince.id = "new-since";
      this.newSince.appendChild(el("span", null, gettext("New since you last read")));
    }
    this.log.insertBefore(this.newSince, item);
  }

  // Whether the newest message is in view: the log is at its bottom, or its last
  // message shows.
  newestInView() {
    if (this.nearBottom()) return true;
    const shown = this.log.querySelectorAll("li.message:not(.pending):not(.deleted)");
    const last = shown[shown.length - 1];
    if (!last) return true;
    const box = this.log.getBoundingClientRect();
    const itemBox = last.getBoundingClientRect();
    return itemBox.top < box.bottom && itemBox.bottom > box.top;
  }

  // Message `seq` has new text (an `edit` frame); `me` decides its mention highlight.
  editMessage(frame, me) {
    const item = this.items.get(frame.seq);
    if (!item || item.classList.contains("deleted")) return;
    this.texts.set(frame.seq, frame.message);
    item.querySelector(".message-body").replaceWith(messageBody(frame));
    const meta = item.querySelector(".message-meta");
    const mark = meta.querySelector(".message-edited");
    if (mark) mark.replaceWith(editedMark(frame.edited_at));
    else meta.appendChild(editedMark(frame.edited_at));
    const mentioned = me !== null && !item.classList.contains("mine") && mentionsMe(frame, me.id);
    item.classList.toggle("mentioned", mentioned);
    const said = meta.querySelector(".mentions-you");
    if (said && !mentioned) said.remove();
    if (!said && mentioned) {
      meta.appendChild(el("span", "visually-hidden mentions-you", gettext("mentions you")));
    }
  }

  preview(seq, preview, mine) {
    return previewBlock(preview, mine ? () => this.onRemovePreview(seq) : null);
  }

  // Message `seq`'s preview arrived, or (null) was removed: a `preview` frame.
  setPreview(frame) {
    const item = this.items.get(frame.seq);
    if (!item || item.classList.contains("deleted")) return;
    const shown = item.querySelector(".link-preview");
    if (shown) shown.remove();
    if (!frame.preview || !frame.preview.title) return;
    const stick = this.nearBottom();
    const card = this.preview(frame.seq, frame.preview, item.classList.contains("mine"));
    item.insertBefore(card, item.querySelector(".reactions")); // where messageItem puts it
    if (stick) this.scrollToBottom();
  }

  // Under a thread's root: "3 replies · Bob, Carol · last at 10:42", opening the thread.
  threadSummary(seq, summary) {
    const button = el("button", "thread-summary");
    button.type = "button";
    const count = interpolate(
      ngettext("%s reply", "%s replies", summary.replies), [summary.replies],
    );
    const people = (summary.people || []).map((person) => person.name || person.user);
    const parts = [count];
    if (people.length) parts.push(people.join(", "));
    if (summary.last_at) {
      parts.push(interpolate(gettext("last at %s"), [formatTime(summary.last_at)]));
    }
    button.textContent = parts.join(" · ");
    button.setAttribute("aria-label", interpolate(gettext("%s: open the thread"), [count]));
    button.addEventListener("click", () => this.onOpenThread(seq));
    return button;
  }

  // A thread's summary changed (a `thread_summary` frame), or (null) it has none left.
  setThreadSummary(frame) {
    const item = this.items.get(frame.seq);
    if (!item || item.classList.contains("deleted")) return;
    const shown = item.querySelector(":scope > .thread-summary");
    if (shown) shown.remove();
    if (!frame.thread_summary || !frame.thread_summary.replies) return;
    item.insertBefore(this.threadSummary(frame.seq, frame.thread_summary), item.querySelector(".reactions"));
  }

  // A message shown in `list` (a thread's panel) rather than the room's log: kept up to
  // date by edits, reactions, deletions and previews like the log's own.
  renderInto(list, frame, me) {
    const mine = me !== null && frame.uid === me.id;
    const item = this.messageItem(frame, mine, me);
    item.dataset.seq = String(frame.seq);
    if (frame.deleted) markDeleted(item);
    else this.addActions(item, frame, me, mine);
    const next = [...list.children].find((other) => Number(other.dataset.seq) > frame.seq);
    list.insertBefore(item, next || list.querySelector("li.pending"));
    this.items.set(frame.seq, item);
    if (!frame.deleted) this.texts.set(frame.seq, frame.message);
    return item;
  }

  // What `renderInto` showed for these seqs is gone (the panel closed).
  forget(seqs) {
    for (const seq of seqs) {
      this.items.delete(seq);
      this.texts.delete(seq);
    }
  }

  deleteMessage(seq) {
    const item = this.items.get(seq);
    this.texts.delete(seq);
    if (item) markDeleted(item);
    this.scheduleLayout();
  }

  addPending(nonce, text, me, list = this.log) {
    const item = this.messageItem(
      {
        user: me ? me.user : gettext("you"),
        guest: me ? me.guest : false,
        message: text,
      },
      true,
    );
    item.classList.add("pending");
    const sending = el("span", "message-time", gettext("sending…"));
    item.querySelector(".message-meta").appendChild(sending);
    list.appendChild(item);
    if (list === this.log) this.scrollToBottom();
    this.pendingItems.set(nonce, item);
  }

  removePending(nonce) {
    const item = this.pendingItems.get(nonce);
    if (item) item.remove();
    this.pendingItems.delete(nonce);
  }

  // A slash command's answer only its sender sees (text null: posted to the room): the
  // command and the answer stay in the log until the page is left.
  commandReply(nonce, command, text) {
    const item = this.pendingItems.get(nonce);
    this.pendingItems.delete(nonce);
    if (text === null) {
      if (item) item.remove();
      return;
    }
    const onlyYou = gettext("only visible to you");
    if (item) {
      item.classList.replace("pending", "ephemeral");
      item.querySelector(".message-time").textContent = onlyYou;
    }
    const reply = this.messageItem({ user: command, guest: false, bot: true, message: text }, false);
    reply.classList.add("ephemeral");
    reply.querySelector(".message-meta").appendChild(el("span", "message-time", onlyYou));
    this.log.appendChild(reply);
    this.scrollToBottom();
  }

  failPending(nonce) {
    const item = this.pendingItems.get(nonce);
    if (!item) return;
    this.pendingItems.delete(nonce);
    item.classList.replace("pending", "failed");
    item.querySelector(".message-time").textContent = gettext("not sent");
  }

  setIdentity(name) {
    if (this.identityName) this.identityName.textContent = name;
    // "You are a guest" until the name is known, then "You are <name> [guest]".
    const badge = this.doc.getElementById("identity-badge");
    if (badge) badge.hidden = false;
  }

  // `people`: sorted {id, user, guest}; `me`: who we are ({id, user, guest}), or null.
  // Who is here, with their pictures, statuses and Do Not Disturb as of `nowMs`.
  renderPresence(people, me, nowMs = Date.now()) {
    const meId = me ? me.id : null;
    this.presenceList.replaceChildren(
      ...people.map((person) => {
        const item = el("li", "person");
        item.dataset.id = person.id;
        item.appendChild(this.avatar(person));
        item.appendChild(this.personName(person, "person-name"));
        const status = statusNow(person, nowMs);
        if (status) {
          const shown = el("span", "status-line", [status.emoji, status.text].join(" ").trim());
          shown.dir = "auto";
          item.appendChild(shown);
        }
        if (inDnd(person, nowMs)) {
          const dnd = el("span", "badge dnd-badge", gettext("DND"));
          dnd.title = gettext("Do Not Disturb");
          item.appendChild(dnd);
        }
        if (person.guest) item.appendChild(el("span", "badge", gettext("guest")));
        if (person.id === meId) item.appendChild(el("span", "you", gettext("(you)")));
        else if (this.canMessage(person, me)) item.appendChild(this.messageButton(person.user));
        return item;
      }),
    );
    this.presenceCount.textContent = String(people.length);
  }

  renderTyping(text) {
    if (this.typingLine.textContent !== text) this.typingLine.textContent = text;
  }

}
