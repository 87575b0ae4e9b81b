/* The chat's service worker (served at /sw.js, scope "/"): shows Web Push
 * notifications, and a click on one opens its room, in a tab already showing
 * it if there is one. The payload is JSON {title, body, url, tag}.
 *
 * It also keeps the app's shell for offline use. Room pages: from the network,
 * and a copy of each one made for a signed-in person (the server's X-Chat-Person
 * header says whom for) is kept; without a network, a room's copy answers, marked
 * so the page says it is offline, else the offline page (/offline/, kept when this
 * worker installs), which links to the kept rooms. Static files: those whose name
 * carries their content's hash (collected) from the cache first, others (and the
 * JavaScript catalog) from the network first; kept either way. Nothing else (the
 * API, attachments, avatars) is kept.
 * Pages drop copies made for someone else, and all of them on logging out
 * (chat/kept-pages.js, which names the caches and headers as below). The words a
 * person reads are in the pages; this worker has only the last resort below. */
"use strict";

const VERSION = "1"; // a new version starts with empty caches
const SHELL_CACHE = "chat-shell-" + VERSION; // static files and the offline page
const PAGES_CACHE = "chat-pages-" + VERSION; // room pages
const OFFLINE_PAGE = "/offline/";
const PERSON_HEADER = "X-Chat-Person";
const KEPT_AT_HEADER = "X-Chat-Kept-At";
// On a kept page's offline notice (templates/offline_notice.html).
const SERVED_FROM_NETWORK = 'data-served="network"';
const SERVED_FROM_CACHE = 'data-served="cache"';
// Scripts and stylesheets outside /static/ (the JavaScript catalog) are kept like files.
const FILE_KINDS = ["script", "style"];
const PAGES_KEPT = 30;
const FILES_KEPT = 400;
// A collected file's name: main.3f2a9c0d1e4b.js (config/static.py).
const HASHED_NAME = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;

self.addEventListener("install", (event) => {
  self.skipWaiting();
  // Failing to keep it leaves push working; activation tries again.
  event.waitUntil(keepOfflinePage().catch(() => {}));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const current = [SHELL_CACHE, PAGES_CACHE];
      for (const name of await caches.keys()) {
        if (name.startsWith("chat-") && !current.includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
      if (!(await caches.match(OFFLINE_PAGE))) await keepOfflinePage().catch(() => {});
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(navigation(event, url));
  } else if (url.pathname.startsWith("/static/") || FILE_KINDS.includes(request.destination)) {
    event.respondWith(staticFile(event, url));
  }
  // Anything else goes to the network, untouched and never kept.
});

// {type: "keep", urls}: a page loaded before this worker took over, and its files.
// {type: "forget"}: the person logs out; their pages go.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "keep" && Array.isArray(data.urls)) {
    event.waitUntil(keepLoaded(data.urls.slice(0, 100)));
  }
});

async function keepLoaded(urls) {
  for (const raw of urls) {
    let url;
    try {
      url = new URL(raw);
    } catch (error) {
      continue;
    }
    if (url.origin !== self.location.origin) continue;
    try {
      if (url.pathname.startsWith("/static/")) {
        const cache = await caches.open(SHELL_CACHE);
        const kept = await cache.match(url.href, { ignoreVary: true });
        if (!kept) await keepFile(url.href, await fetch(url.href));
      } else {
        const response = await fetch(url.href, { credentials: "same-origin" });
        if (response.ok && response.headers.has(PERSON_HEADER)) await keepPage(url, response);
      }
    } catch (error) {
      // offline again: kept next time
    }
  }
}

// The offline page and the files it names (stylesheet, scripts, icons).
async function keepOfflinePage() {
  const cache = await caches.open(SHELL_CACHE);
  const response = await fetch(OFFLINE_PAGE, { credentials: "omit" });
  if (!response.ok) throw new Error("the offline page answered " + response.status);
  const html = await response.clone().text();
  const files = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((found) => found[1]);
  await cache.addAll([...new Set(files)]);
  await cache.put(OFFLINE_PAGE, response);
}

// The address a room page is kept under: without its query (?around=, ?thread=).
function pageKey(url) {
  return url.origin + url.pathname;
}

async function navigation(event, url) {
  try {
    const response = await fetch(event.request);
    if (response.ok && response.headers.has(PERSON_HEADER)) {
      event.waitUntil(keepPage(url, response.clone()).catch(() => {}));
    }
    return response;
  } catch (error) {
    const kept = await (await caches.open(PAGES_CACHE)).match(pageKey(url), { ignoreVary: true });
    if (kept) return servedFromCache(kept);
    const offline = await caches.match(OFFLINE_PAGE, { ignoreVary: true });
    if (offline) return offline;
    // The last resort, in English: the offline page itself couldn't be kept.
    return new Response("You are offline.", {
      status: 503,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
}

// A response's headers for a body of our own (already decoded).
function headersOf(response) {
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
  return headers;
}

// A kept room page, marked so that it says it is offline.
async function servedFromCache(kept) {
  const html = (await kept.text()).replace(SERVED_FROM_NETWORK, SERVED_FROM_CACHE);
  return new Response(html, { status: 200, headers: headersOf(kept) });
}

async function keepPage(url, response) {
  const person = response.headers.get(PERSON_HEADER);
  const cache = await caches.open(PAGES_CACHE);
  // One person's pages at a time: a page made for someone else drops the others'.
  for (const request of await cache.keys()) {
    const other = await cache.match(request);
    if (!other || other.headers.get(PERSON_HEADER) !== person) await cache.delete(request);
  }
  const headers = headersOf(response);
  headers.set(KEPT_AT_HEADER, String(Date.now()));
  const body = await response.blob();
  await cache.put(pageKey(url), new Response(body, { status: 200, headers: headers }));
  await trim(cache, PAGES_KEPT);
}

async function keepFile(key, response) {
  if (!response.ok || response.type !== "basic") return;
  const cache = await caches.open(SHELL_CACHE);
  await cache.put(key, response);
  await trim(cache, FILES_KEPT);
}

async function staticFile(event, url) {
  const request = event.request;
  const cache = await caches.open(SHELL_CACHE);
  if (HASHED_NAME.test(url.pathname)) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
  }
  try {
    const response = await fetch(request);
    if (response.ok) event.waitUntil(keepFile(request, response.clone()).catch(() => {}));
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}

// The cache's oldest entries go past `most` (the offline page stays).
async function trim(cache, most) {
  const keys = (await cache.keys()).filter(
    (request) => new URL(request.url).pathname !== OFFLINE_PAGE,
  );
  for (const request of keys.slice(0, Math.max(0, keys.length - most))) await cache.delete(request);
}

self.addEventListener("push", (event) => {
  const payload = pushPayload(event.data);
  const options = { body: payload.body || "", data: { url: payload.url || "/" } };
  if (payload.tag) {
    options.tag = payload.tag;
  }
  event.waitUntil(self.registration.showNotification(payload.title || "Chat", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  event.waitUntil(windowFocusOrOpen(sameOriginUrl(data.url)));
});

function pushPayload(data) {
  if (!data) {
    return {};
  }
  try {
    const payload = data.json();
    return payload && typeof payload === "object" ? payload : {};
  } catch (error) {
    return { body: data.text() };
  }
}

/* Only this site's pages are opened; anything else becomes the home page. */
function sameOriginUrl(url) {
  try {
    const target = new URL(url || "/", self.location.origin);
    if (target.origin === self.location.origin) {
      return target;
    }
  } catch (error) {
    // falls through to the home page
  }
  return new URL("/", self.location.origin);
}

async function windowFocusOrOpen(target) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    const shown = new URL(client.url);
    if (shown.origin !== target.origin || shown.pathname !== target.pathname) {
      continue;
    }
    const focused = await client.focus();
    const wanted = target.search + target.hash;
    if (wanted && wanted !== shown.search + shown.hash && focused && "navigate" in focused) {
      return focused.navigate(target.href);
    }
    return focused;
  }
  return self.clients.openWindow(target.href);
}
