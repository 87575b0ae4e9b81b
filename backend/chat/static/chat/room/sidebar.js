// The sidebar (`<nav aria-label="Your rooms">`): the person's rooms and direct messages
// with their unread and mention counts, forms to start new ones, and its toggle on
// phones. The model comes from rooms.js.

import { avatarUrl } from "./faces.js";
import { gettext, interpolate } from "./i18n.js";
import { lockIcon } from "./icons.js";
import { roomLabel } from "./rooms.js";

function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Shows `detail` in a form's error line (or hides it with null), and marks its input.
export function formError(errorLine, input, detail) {
  if (!errorLine) return;
  errorLine.textContent = detail || "";
  errorLine.hidden = !detail;
  if (input) {
    if (detail) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

// Runs `action()` (a promise) for a form's submission: its button is disabled meanwhile,
// and what it throws is shown in the form's error line.
async function submitting(form, errorLine, input, action) {
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  formError(errorLine, input, null);
  try {
    await action();
  } catch (error) {
    formError(errorLine, input, error.detail || error.message);
  } finally {
    if (button) button.disabled = false;
  }
}

// On each submission of a one-field form: the field's trimmed value goes to `action`
// (a promise), or `emptyDetail` is shown when it is blank.
export function onTextSubmit(form, input, errorLine, emptyDetail, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      formError(errorLine, input, emptyDetail);
      return;
    }
    submitting(form, errorLine, input, () => action(value));
  });
}

export class SidebarView {
  // onNewRoom(name, isPrivate), onNewDm(username): promises (that throw an ApiError).
  constructor(doc, { onNewRoom, onNewDm }) {
    this.doc = doc;
    this.nav = doc.getElementById("sidebar");
    this.body = this.nav.parentElement;
    this.roomList = doc.getElementById("sidebar-rooms");
    this.dmList = doc.getElementById("sidebar-dms");
    this.dmEmpty = doc.getElementById("sidebar-dms-empty");
    this.archivedList = doc.getElementById("sidebar-archived");
    this.archivedTitle = doc.getElementById("sidebar-archived-title");
    this.toggle = doc.getElementById("sidebar-toggle");

    this.toggle.addEventListener("click", () => this.setOpen(!this.nav.classList.contains("open")));

    const roomForm = doc.getElementById("new-room-form");
    if (roomForm) {
      const name = doc.getElementById("new-room-name");
      const isPrivate = doc.getElementById("new-room-private");
      const error = doc.getElementById("new-room-error");
      onTextSubmit(roomForm, name, error, gettext("Give the room a name."), (value) =>
        onNewRoom(value, isPrivate.checked),
      );
    }
    const dmForm = doc.getElementById("new-dm-form");
    if (dmForm) {
      const username = doc.getElementById("new-dm-username");
      const error = doc.getElementById("new-dm-error");
      const empty = gettext("Whom to write to? Give their username.");
      onTextSubmit(dmForm, username, error, empty, onNewDm);
    }
  }

  setOpen(open) {
    this.nav.classList.toggle("open", open);
    this.body.classList.toggle("sidebar-open", open);
    this.toggle.setAttribute("aria-expanded", String(open));
  }

  // `model` from sidebarModel().
  render(model) {
    this.roomList.replaceChildren(...model.rooms.map((room) => this.entry(room)));
    if (this.dmList) {
      this.dmList.replaceChildren(...model.dms.map((room) => this.entry(room)));
      this.dmEmpty.hidden = model.dms.length > 0;
    }
    if (this.archivedList) {
      const archived = model.archived || [];
      this.archivedList.replaceChildren(...archived.map((room) => this.entry(room)));
      this.archivedList.hidden = this.archivedTitle.hidden = archived.length === 0;
    }
    const unread = interpolate(gettext("Rooms (%s)"), [model.unread]);
    this.toggle.textContent = model.unread > 0 ? unread : gettext("Rooms");
  }

  entry(room) {
    const doc = this.doc;
    const item = el(doc, "li", "room-item");
    item.dataset.room = room.name;
    if (room.level === "nothing") item.classList.add("muted-room");
    const link = el(doc, "a");
    link.href = room.url;
    link.setAttribute("aria-label", roomLabel(room));
    if (room.current) link.setAttribute("aria-current", "page");
    const title = el(doc, "span", "room-title", room.title);
    title.dir = "auto";
    if (room.unread) title.classList.add("unread");
    link.appendChild(title);
    if (room.private && room.kind !== "dm") link.prepend(lockIcon(doc));
    if (room.kind === "dm" && room.username) {
      const face = el(doc, "img", "avatar");
      face.src = avatarUrl(room.username, 64);
      face.alt = "";
      face.width = face.height = 20;
      face.loading = "lazy";
      link.prepend(face);
    }
    if (room.mentions) link.appendChild(el(doc, "span", "mention-badge", "@" + room.mentions));
    if (room.unread) link.appendChild(el(doc, "span", "unread-badge", String(room.unread)));
    item.appendChild(link);
    return item;
  }
}
