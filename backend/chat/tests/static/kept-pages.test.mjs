// The room pages kept for offline use: whose they are, dropping them, listing them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  forgetAllPages,
  forgetPagesOfOthers,
  keptPages,
  lastRooms,
  roomNameOf,
} from "../../static/chat/kept-pages.js";

// The browser's CacheStorage, as far as the module uses it, over Node's own Request and
// Response.
class Caches {
  constructor() {
    this.named = new Map(); // name -> Map(url -> Response)
  }

  async keys() {
    return [...this.named.keys()];
  }

  async open(name) {
    if (!this.named.has(name)) this.named.set(name, new Map());
    const entries = this.named.get(name);
    return {
      keys: async () => [...entries.keys()].map((url) => new Request(url)),
      match: async (request) => entries.get(request.url ?? request)?.clone(),
      put: async (url, response) => entries.set(url, response),
      delete: async (request) => entries.delete(request.url ?? request),
    };
  }

  async delete(name) {
    return this.named.delete(name);
  }
}

const ORIGIN = "https://chat.example";

async function keep(caches, path, person, keptAt = 0, html = "<p>page</p>") {
  const headers = { "X-Chat-Person": person, "X-Chat-Kept-At": String(keptAt) };
  await (await caches.open("chat-pages-1")).put(ORIGIN + path, new Response(html, { headers }));
}

async function keptPaths(caches) {
  return (await keptPages(caches)).map((page) => new URL(page.url).pathname).sort();
}

describe("kept pages", () => {
  it("made for someone else are dropped when a page says who is signed in", async () => {
    const caches = new Caches();
    await keep(caches, "/chat/ours/", "7");
    await keep(caches, "/chat/theirs/", "8");
    assert.equal(await forgetPagesOfOthers(caches, "7"), 1);
    assert.deepEqual(await keptPaths(caches), ["/chat/ours/"]);
  });

  it("are all dropped when nobody is signed in, or on logging out", async () => {
    const caches = new Caches();
    await keep(caches, "/chat/a/", "7");
    await forgetPagesOfOthers(caches, "");
    assert.deepEqual(await keptPaths(caches), []);
    await keep(caches, "/chat/b/", "7");
    const shell = await caches.open("chat-shell-1");
    await shell.put(ORIGIN + "/static/chat/chat.css", new Response(""));
    await forgetAllPages(caches);
    assert.deepEqual(await caches.keys(), ["chat-shell-1"]); // static files aren't anyone's
  });

  it("are read with when they were kept and their HTML", async () => {
    const caches = new Caches();
    await keep(caches, "/chat/a/", "7", 1234, "<p>a</p>");
    assert.deepEqual(await keptPages(caches), [
      { url: ORIGIN + "/chat/a/", keptAt: 1234, html: "<p>a</p>" },
    ]);
  });
});

describe("the offline page's rooms", () => {
  it("are the kept rooms, the last kept first, titled as their pages were", () => {
    const rooms = lastRooms([
      { url: ORIGIN + "/chat/old/", keptAt: 1, context: { title: "old", kind: "public" } },
      { url: ORIGIN + "/chat/dm-1-2/", keptAt: 3, context: { title: "Bob B.", kind: "dm" } },
      { url: ORIGIN + "/chat/caf%C3%A9/", keptAt: 2, context: null },
    ]);
    assert.deepEqual(rooms, [
      { url: "/chat/dm-1-2/", title: "Bob B.", kind: "dm" },
      { url: "/chat/caf%C3%A9/", title: "café", kind: "public" },
      { url: "/chat/old/", title: "old", kind: "public" },
    ]);
  });

  it("leave out kept pages that aren't a room's", () => {
    assert.deepEqual(lastRooms([{ url: ORIGIN + "/chat/", keptAt: 1, context: null }]), []);
    assert.equal(roomNameOf(ORIGIN + "/chat/a/messages/"), null);
    assert.equal(roomNameOf(ORIGIN + "/chat/%E0%A4%A/"), null); // not UTF-8
  });
});
