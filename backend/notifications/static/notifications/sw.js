/* The chat's service worker (served at /sw.js, scope "/"): shows Web Push
 * notifications, and a click on one opens its room, in a tab already showing
 * it if there is one. The payload is JSON {title, body, url, tag}. */
"use strict";

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

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
