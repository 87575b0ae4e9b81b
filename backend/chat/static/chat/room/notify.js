// Notifications: which `activity` frames become a system notification (pure), and the
// browser's parts (permission, the service worker's push subscription, showing one).

import { apiUrls } from "./api.js";
import { gettext, interpolate } from "./i18n.js";
import { KIND, LEVEL, levelOf, roomUrl, titleOf } from "./rooms.js";

// The notification an `activity` frame calls for, or null: what the room's level lets
// through (every message at "all", a DM's by default; at "mentions" a mention of the
// person, @all, @here, a group of theirs; nothing at "nothing"), while the page is hidden,
// notifications are allowed and the person isn't in Do Not Disturb, from someone else.
// {title, body, tag, url}.
export function notificationFor(frame, { visibility, permission, rooms, me, dnd = false }) {
  if (!frame || frame.type !== "activity") return null;
  const room = (rooms || []).find((entry) => entry.name === frame.room);
  const level = levelOf(room || { kind: frame.dm ? KIND.DM : KIND.PUBLIC });
  if (level === LEVEL.NOTHING || dnd) return null;
  if (level !== LEVEL.ALL && !frame.mention) return null;
  if (visibility !== "hidden" || permission !== "granted") return null;
  if (me && frame.from === me) return null;
  const where = { person: frame.from, room: titleOf(rooms, frame.room) };
  const title = frame.dm ? frame.from : interpolate(gettext("%(person)s in %(room)s"), where, true);
  return {
    title: title,
    body: typeof frame.text === "string" ? frame.text : "",
    tag: frame.room + ":" + frame.seq,
    url: room && room.url ? room.url : roomUrl(frame.room),
  };
}

// What the notifications control shows for a permission: "off" (a button to enable),
// "on", "blocked", or "unsupported" (nothing).
export function notificationsState(permission) {
  if (permission === "granted") return "on";
  if (permission === "denied") return "blocked";
  if (permission === "default") return "off";
  return "unsupported";
}

// A VAPID key (base64url) as the bytes pushManager.subscribe() takes.
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
}

// --- the browser ----------------------------------------------------------------------

export function permission(win) {
  return "Notification" in win ? win.Notification.permission : "unsupported";
}

// Asks for permission (only ever from a click); the permission after.
export async function requestPermission(win) {
  if (!("Notification" in win)) return "unsupported";
  return await win.Notification.requestPermission();
}

// Once notifications are allowed: Web Push through the service worker at /sw.js, if the
// server has a key. Failures leave the page's own notifications working.
export async function subscribePush(win, api) {
  if (!("serviceWorker" in win.navigator) || !("PushManager" in win)) return false;
  try {
    const answer = await api.get(apiUrls.pushKey());
    const key = answer && answer.public_key;
    if (!key) return false;
    const registration = await win.navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const ready = await win.navigator.serviceWorker.ready;
    const manager = (ready || registration).pushManager;
    const subscription =
      (await manager.getSubscription()) ||
      (await manager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
    await api.post(apiUrls.pushSubscriptions(), subscription.toJSON());
    return true;
  } catch {
    return false;
  }
}

// Shows `note` ({title, body, tag, url}); a click brings the window forward on its room.
export function show(win, note) {
  const notification = new win.Notification(note.title, { body: note.body, tag: note.tag });
  notification.addEventListener("click", () => {
    win.focus();
    notification.close();
    if (win.location.pathname !== note.url) win.location.assign(note.url);
  });
  return notification;
}
