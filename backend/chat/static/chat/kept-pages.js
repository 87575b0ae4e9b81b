// The room pages the service worker keeps for offline use (sw.js, which can't import
// this module and so repeats the names below): dropping those of someone else, and
// listing them on the offline page. Takes the browser's CacheStorage (`caches`), or
// anything with its methods; no DOM.

// The caches holding kept pages are named "chat-pages-<version>".
export const PAGES_CACHE_PREFIX = "chat-pages";
// Whom a kept page was made for (the signed-in person's id, set by the server).
export const PERSON_HEADER = "X-Chat-Person";
// When it was kept (milliseconds since 1970, set by the service worker).
export const KEPT_AT_HEADER = "X-Chat-Kept-At";

async function pageCacheNames(cacheStorage) {
  return (await cacheStorage.keys()).filter((name) => name.startsWith(PAGES_CACHE_PREFIX));
}

async function pageCaches(cacheStorage) {
  const names = await pageCacheNames(cacheStorage);
  return Promise.all(names.map((name) => cacheStorage.open(name)));
}

// Drops every kept page that wasn't made for `person` (an id; "" when nobody is signed
// in: all of them). How many it dropped.
export async function forgetPagesOfOthers(cacheStorage, person) {
  let dropped = 0;
  for (const cache of await pageCaches(cacheStorage)) {
    for (const request of await cache.keys()) {
      const kept = await cache.match(request);
      if (!kept || kept.headers.get(PERSON_HEADER) !== person || !person) {
        await cache.delete(request);
        dropped += 1;
      }
    }
  }
  return dropped;
}

// Drops every kept page (logging out).
export async function forgetAllPages(cacheStorage) {
  const names = await pageCacheNames(cacheStorage);
  await Promise.all(names.map((name) => cacheStorage.delete(name)));
}

// The kept pages: [{url, keptAt, html}], in no order.
export async function keptPages(cacheStorage) {
  const pages = [];
  for (const cache of await pageCaches(cacheStorage)) {
    for (const request of await cache.keys()) {
      const kept = await cache.match(request);
      if (!kept) continue;
      const keptAt = Number(kept.headers.get(KEPT_AT_HEADER)) || 0;
      pages.push({ url: request.url, keptAt: keptAt, html: await kept.text() });
    }
  }
  return pages;
}

// A room's name from its page's address (/chat/<name>/), or null for another page.
export function roomNameOf(url) {
  const match = /^\/chat\/([^/]+)\/$/.exec(new URL(url, "http://localhost").pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

// The rooms of kept pages, the last one kept first: [{url, title, kind}]. `pages`:
// [{url, keptAt, context}], `context` the page's room-context (its title and kind) or
// null, when the page's is unreadable (titled by the room's name then).
export function lastRooms(pages) {
  const rooms = [];
  const seen = new Set();
  const newestFirst = [...pages].sort((a, b) => b.keptAt - a.keptAt);
  for (const page of newestFirst) {
    const name = roomNameOf(page.url);
    if (name === null || seen.has(name)) continue;
    seen.add(name);
    const context = page.context && typeof page.context === "object" ? page.context : {};
    rooms.push({
      url: new URL(page.url, "http://localhost").pathname,
      title: typeof context.title === "string" && context.title ? context.title : name,
      kind: typeof context.kind === "string" ? context.kind : "public",
    });
  }
  return rooms;
}
