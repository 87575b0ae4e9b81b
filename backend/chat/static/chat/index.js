// The room directory on /chat/: rooms with activity, refreshed every few seconds.
import { formatDate } from "./room/formats.js";
import { gettext, interpolate, ngettext } from "./room/i18n.js";
import { lockIcon } from "./room/icons.js";

const list = document.getElementById("room-directory");
const empty = document.getElementById("room-directory-empty");
const REFRESH_MS = 5000;

function relativeTime(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return gettext("just now");
  if (seconds < 3600) {
    const minutes = Math.floor(seconds / 60);
    return interpolate(ngettext("%s min ago", "%s min ago", minutes), [minutes]);
  }
  if (seconds < 86400) {
    const hours = Math.floor(seconds / 3600);
    return interpolate(ngettext("%s h ago", "%s h ago", hours), [hours]);
  }
  return formatDate(iso);
}

function entry(room) {
  const item = document.createElement("li");
  item.className = "room-entry";
  item.dataset.room = room.name;
  const link = document.createElement("a");
  link.href = room.url;
  link.className = "room-link";
  link.dir = "auto";
  // A direct message is titled by the other person.
  link.textContent = room.title || room.name;
  item.append(link);
  if (room.private) {
    link.prepend(lockIcon(document));
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    const kind = room.kind === "dm" ? gettext("(direct message)") : gettext("(private)");
    hidden.textContent = " " + kind;
    link.append(hidden);
  }
  const online = document.createElement("span");
  online.className = "room-online";
  online.textContent = interpolate(ngettext("%s online", "%s online", room.online), [room.online]);
  item.append(online);
  if (room.last_message_at) {
    const last = document.createElement("time");
    last.className = "room-last";
    last.dateTime = room.last_message_at;
    last.textContent = relativeTime(room.last_message_at);
    item.append(last);
  }
  return item;
}

async function refresh() {
  try {
    const response = await fetch(list.dataset.source, { headers: { Accept: "application/json" } });
    if (response.ok) {
      const body = await response.json();
      list.replaceChildren(...body.rooms.map(entry));
      empty.hidden = body.rooms.length > 0;
    }
  } catch (err) {
    // Keep the last list; the next refresh tries again.
  }
  window.setTimeout(refresh, REFRESH_MS);
}

refresh();
