// Every page: registers the service worker (/sw.js: Web Push, and pages kept for
// offline use), says when the page is offline, and drops kept pages that aren't the
// signed-in person's (all of them on logging out).

import { forgetAllPages, forgetPagesOfOthers } from "./kept-pages.js";

const notice = document.getElementById("offline-notice");
const connection = document.getElementById("connection-status"); // room pages
const person = document.querySelector('meta[name="chat-person"]');

// The service worker answered with its copy (it wrote data-served="cache").
function servedFromCache() {
  return notice !== null && notice.dataset.served === "cache";
}

function showOffline() {
  if (notice) notice.hidden = navigator.onLine && !servedFromCache();
}

window.addEventListener("online", showOffline);
window.addEventListener("offline", showOffline);
if (connection && notice) {
  // A copy's room connects once the server is back: the page is live again.
  new MutationObserver(() => {
    if (connection.dataset.state !== "open") return;
    notice.dataset.served = "network";
    showOffline();
  }).observe(connection, { attributes: true, attributeFilter: ["data-state"] });
}
showOffline();

// A page from the server (not a kept copy) says who is signed in now.
if ("caches" in window && person !== null && !servedFromCache()) {
  forgetPagesOfOthers(window.caches, person.content).catch(() => {});
}

// Logging out drops the kept pages, without holding the form back: the service worker
// is told (it finishes even as this page goes), and this page starts on it too.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-signs-out")) return;
  const worker = "serviceWorker" in navigator ? navigator.serviceWorker.controller : null;
  if (worker) worker.postMessage({ type: "forget" });
  if ("caches" in window) forgetAllPages(window.caches).catch(() => {});
});

async function pageLoaded() {
  if (document.readyState === "complete") return;
  await new Promise((done) => window.addEventListener("load", done, { once: true }));
}

// A signed-in person's room page and the static files it loaded before the service
// worker took over (the first page of a browser): the service worker keeps them as it
// would have, had it been there.
function loadedUrls() {
  const files = performance
    .getEntriesByType("resource")
    .map((entry) => entry.name)
    .filter((url) => {
      const parsed = new URL(url);
      return parsed.origin === window.location.origin && parsed.pathname.startsWith("/static/");
    });
  return [window.location.href, ...files];
}

async function register() {
  if (!("serviceWorker" in navigator)) return;
  const controlled = navigator.serviceWorker.controller !== null;
  await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  if (controlled || connection === null || !(person && person.content)) return;
  await pageLoaded();
  const ready = await navigator.serviceWorker.ready;
  if (ready.active) ready.active.postMessage({ type: "keep", urls: loadedUrls() });
}

// Failing leaves the page as it is: only push and the offline copy are missing.
register().catch(() => {});
