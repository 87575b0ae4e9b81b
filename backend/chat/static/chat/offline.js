// The offline page (/offline/, shown by the service worker for a page it has no copy
// of): links to the room pages it kept, the last one first; once the server answers
// again, the page the person asked for loads.

import { keptPages, lastRooms } from "./kept-pages.js";
import { lockIcon } from "./room/icons.js";

const CHECK_EVERY_MS = 15000; // whether the server answers again, when the browser is online

const list = document.getElementById("offline-rooms");
const none = document.getElementById("offline-none");

// The page's room-context (its title and kind), read from its HTML, inert.
function contextOf(html) {
  const page = new DOMParser().parseFromString(html, "text/html");
  const embedded = page.getElementById("room-context");
  try {
    return embedded === null ? null : JSON.parse(embedded.textContent);
  } catch {
    return null;
  }
}

function entry(room) {
  const item = document.createElement("li");
  item.className = "room-item";
  const link = document.createElement("a");
  link.href = room.url;
  const title = document.createElement("span");
  title.className = "room-title";
  title.dir = "auto";
  title.textContent = room.title;
  link.appendChild(title);
  if (room.kind === "private") link.prepend(lockIcon(document));
  item.appendChild(link);
  return item;
}

async function showRooms() {
  let rooms = [];
  try {
    const pages = await keptPages(window.caches);
    rooms = lastRooms(pages.map((page) => ({ ...page, context: contextOf(page.html) })));
  } catch {
    // no cache to read: nothing to list
  }
  list.replaceChildren(...rooms.map(entry));
  none.hidden = rooms.length > 0;
}

async function reloadWhenAnswered() {
  if (!navigator.onLine) return;
  try {
    const response = await fetch(window.location.href, { method: "HEAD", cache: "no-store" });
    if (response.status < 500) window.location.reload();
  } catch {
    // still unreachable
  }
}

// "online" only says a network is there: the server answering is what counts.
window.addEventListener("online", reloadWhenAnswered);
window.setInterval(reloadWhenAnswered, CHECK_EVERY_MS);
showRooms();
