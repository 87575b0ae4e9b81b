// The sidebar's rooms and the tab's title, from `GET /api/rooms/` (docs/api.md). No DOM.

import { interpolate, ngettext, pgettext } from "./i18n.js";

export const KIND = Object.freeze({ PUBLIC: "public", PRIVATE: "private", DM: "dm" });

export function roomUrl(name) {
  return "/chat/" + encodeURIComponent(name) + "/";
}

// What the page was rendered with (`room-context`), with a default for every field:
// a page whose server doesn't send it still works as a public room for a guest.
export function roomContext(embedded, roomName) {
  const context = embedded !== null && typeof embedded === "object" ? embedded : {};
  const kind = Object.values(KIND).includes(context.kind) ? context.kind : KIND.PUBLIC;
  return {
    name: typeof context.name === "string" ? context.name : roomName,
    kind: kind,
    title: typeof context.title === "string" && context.title ? context.title : roomName,
    private: typeof context.private === "boolean" ? context.private : kind !== KIND.PUBLIC,
    member: context.member === true,
    owner: context.owner === true,
    last_read: typeof context.last_read === "number" ? context.last_read : null,
    signed_in: context.signed_in === true,
    username: typeof context.username === "string" ? context.username : null,
    level: typeof context.level === "string" ? context.level : "",
    dm_with: typeof context.dm_with === "string" ? context.dm_with : null,
    all_mentions: context.all_mentions !== false,
    topic: typeof context.topic === "string" ? context.topic : "",
    topic_html: typeof context.topic_html === "string" ? context.topic_html : "",
    description: typeof context.description === "string" ? context.description : "",
    archived: context.archived === true,
    manager: context.manager === true,
    time_zone: typeof context.time_zone === "string" ? context.time_zone : "",
  };
}

// The current room as a sidebar entry, when the API's list doesn't have it (yet).
function contextEntry(context) {
  return {
    name: context.name,
    url: roomUrl(context.name),
    kind: context.kind,
    private: context.private,
    title: context.title,
    member: context.member,
    owner: context.owner,
    unread: 0,
    mentions: 0,
    last_read: context.last_read,
    level: context.kind === KIND.DM ? LEVEL.ALL : LEVEL.MENTIONS,
    archived: context.archived,
  };
}

// What notifies the person in a room (`level` of GET /api/rooms/).
export const LEVEL = Object.freeze({ ALL: "all", MENTIONS: "mentions", NOTHING: "nothing" });

// A room's level, with the defaults: a DM's every message, a room's mentions.
export function levelOf(room) {
  if (room && Object.values(LEVEL).includes(room.level)) return room.level;
  return room && room.kind === KIND.DM ? LEVEL.ALL : LEVEL.MENTIONS;
}

function count(value) {
  return Number.isInteger(value) && value > 0 ? value : 0;
}

function byTitle(a, b) {
  return a.title.localeCompare(b.title) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

// The sidebar: {rooms, dms, archived, unread}. Rooms the person is a member of, and the
// current one; `rooms` are public and private ones, `dms` direct messages (titled by the
// other person's display name, else username), `archived` archived rooms, each sorted
// by title; `unread` is the sum of their unread counts, but for rooms set to notify of
// nothing (shown dimmed; their mentions still count). Guests see no counts.
export function sidebarModel(apiRooms, context) {
  const shown = [];
  let current = false;
  for (const room of Array.isArray(apiRooms) ? apiRooms : []) {
    const isCurrent = room.name === context.name;
    if (!room.member && !isCurrent) continue;
    current = current || isCurrent;
    shown.push({
      name: room.name,
      url: room.url || roomUrl(room.name),
      kind: room.kind,
      private: Boolean(room.private),
      title: room.dm_with_name || room.title || room.name,
      username: room.dm_with || null,
      level: levelOf(room),
      unread: context.signed_in ? count(room.unread) : 0,
      mentions: context.signed_in ? count(room.mentions) : 0,
      current: isCurrent,
      archived: room.archived === true,
    });
  }
  if (!current) {
    const entry = contextEntry(context);
    shown.push({ ...entry, current: true });
  }
  const live = shown.filter((room) => !room.archived);
  const rooms = live.filter((room) => room.kind !== KIND.DM).sort(byTitle);
  const dms = live.filter((room) => room.kind === KIND.DM).sort(byTitle);
  const archived = shown.filter((room) => room.archived).sort(byTitle);
  const unread = shown.reduce(
    (sum, room) => sum + (room.level === LEVEL.NOTHING ? room.mentions : room.unread),
    0,
  );
  return { rooms: rooms, dms: dms, archived: archived, unread: unread };
}

// A sidebar link's accessible name: "design, 3 unread, 1 mention".
export function roomLabel(room) {
  const parts = [room.title];
  if (room.unread) {
    // Translators: messages not read yet in a room.
    parts.push(interpolate(ngettext("%s unread", "%s unread", room.unread), [room.unread]));
  }
  if (room.mentions) {
    parts.push(interpolate(ngettext("%s mention", "%s mentions", room.mentions), [room.mentions]));
  }
  return parts.join(pgettext("between parts of a label", ", "));
}

// The tab's title: "(3) design · Chat", or "design · Chat" with nothing unread.
export function tabTitle(title, unread) {
  const plain = title + " · Chat";
  return unread > 0 ? "(" + unread + ") " + plain : plain;
}

// A room's title by its name, from the last list (or the name itself).
export function titleOf(apiRooms, name) {
  const room = (apiRooms || []).find((entry) => entry.name === name);
  if (!room) return name;
  return room.dm_with_name || room.title || name;
}
