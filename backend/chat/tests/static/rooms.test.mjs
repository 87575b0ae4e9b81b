// The sidebar model from GET /api/rooms/, link names, the tab title, and the API client.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Api, ApiError, apiUrls } from "../../static/chat/room/api.js";
import {
  roomContext,
  roomLabel,
  roomUrl,
  sidebarModel,
  tabTitle,
} from "../../static/chat/room/rooms.js";

function apiRoom(name, fields = {}) {
  return {
    name: name,
    url: "/chat/" + encodeURIComponent(name) + "/",
    kind: "public",
    private: false,
    title: name,
    member: true,
    owner: false,
    online: 0,
    messages: 10,
    last_message_at: "2026-11-25T05:40:12.345Z",
    unread: 0,
    mentions: 0,
    last_read: 10,
    ...fields,
  };
}

const signedIn = roomContext(
  { name: "lobby", kind: "public", title: "lobby", private: false, member: true,
    owner: false, last_read: 3, signed_in: true, username: "alice" },
  "lobby",
);

describe("the sidebar model", () => {
  it("lists the rooms one is a member of, and the current one, sorted by title", () => {
    const model = sidebarModel(
      [
        apiRoom("zoo", { unread: 2 }),
        apiRoom("busy", { member: false, unread: 9 }),
        apiRoom("lobby", { member: false }),
        apiRoom("design", { kind: "private", private: true, unread: 3, mentions: 1 }),
      ],
      signedIn,
    );
    assert.deepEqual(model.rooms.map((room) => room.name), ["design", "lobby", "zoo"]);
    assert.deepEqual(model.rooms.map((room) => room.current), [false, true, false]);
    assert.equal(model.rooms[0].private, true);
    assert.deepEqual(model.dms, []);
    assert.equal(model.unread, 5, "rooms that aren't shown don't count");
  });

  it("puts direct messages apart, titled by the other person", () => {
    const model = sidebarModel(
      [
        apiRoom("dm-1-2", { kind: "dm", private: true, title: "bob", unread: 1 }),
        apiRoom("dm-1-3", { kind: "dm", private: true, title: "Ana" }),
        apiRoom("lobby"),
      ],
      signedIn,
    );
    assert.deepEqual(model.dms.map((room) => room.title), ["Ana", "bob"]);
    assert.deepEqual(model.rooms.map((room) => room.name), ["lobby"]);
    assert.equal(model.unread, 1);
  });

  it("titles a direct message by the other person's display name when they have one", () => {
    const model = sidebarModel(
      [apiRoom("dm-1-2", { kind: "dm", private: true, title: "layla", dm_with: "layla",
                           dm_with_name: "ليلى" })],  // prettier-ignore
      signedIn,
    );
    assert.deepEqual(model.dms.map((room) => [room.title, room.username]), [["ليلى", "layla"]]);
    assert.equal(model.dms[0].level, "all", "a DM's default");
  });

  it("leaves the unread of a room set to nothing out of the total, but not its mentions", () => {
    const model = sidebarModel(
      [apiRoom("quiet", { level: "nothing", unread: 7, mentions: 1 }), apiRoom("a", { unread: 2 })],
      signedIn,
    );
    assert.equal(model.unread, 3);
    assert.equal(model.rooms.find((room) => room.name === "quiet").level, "nothing");
    assert.equal(model.rooms.find((room) => room.name === "a").level, "mentions");
  });

  it("adds the current room when the list doesn't have it", () => {
    const model = sidebarModel([apiRoom("zoo")], signedIn);
    const current = model.rooms.find((room) => room.current);
    assert.equal(current.name, "lobby");
    assert.equal(current.url, "/chat/lobby/");
    assert.equal(current.unread, 0);
  });

  it("counts the current room's unread messages too", () => {
    const model = sidebarModel([apiRoom("lobby", { unread: 4 }), apiRoom("a", { unread: 1 })], signedIn);
    assert.equal(model.unread, 5);
  });

  it("shows a guest no counts", () => {
    const guest = roomContext({ name: "lobby", signed_in: false }, "lobby");
    const model = sidebarModel([apiRoom("lobby", { member: false, unread: 4 })], guest);
    assert.deepEqual(model.rooms.map((room) => [room.name, room.unread]), [["lobby", 0]]);
    assert.equal(model.unread, 0);
  });

  it("puts archived rooms in their own section, out of the others", () => {
    const model = sidebarModel(
      [apiRoom("old", { member: true, archived: true }), apiRoom("new", { member: true })],
      signedIn,
    );
    assert.deepEqual(model.rooms.map((room) => room.name), ["lobby", "new"]);
    assert.deepEqual(model.archived.map((room) => room.name), ["old"]);
  });

  it("survives a list that isn't one", () => {
    assert.deepEqual(sidebarModel(undefined, signedIn).rooms.map((room) => room.name), ["lobby"]);
  });
});

describe("the room context", () => {
  it("defaults every field when the page has none", () => {
    assert.deepEqual(roomContext("", "café"), {
      name: "café", kind: "public", title: "café", private: false, member: false,
      owner: false, last_read: null, signed_in: false, username: null, level: "",
      dm_with: null, all_mentions: true, topic: "", topic_html: "", description: "",
      archived: false, manager: false, time_zone: "",
    });
  });

  it("keeps what the page has", () => {
    const context = roomContext({ name: "dm-1-2", kind: "dm", title: "bob", private: true,
      member: true, owner: false, last_read: 0, signed_in: true, username: "alice" }, "dm-1-2");
    assert.equal(context.title, "bob");
    assert.equal(context.last_read, 0);
    assert.equal(context.private, true);
  });
});

describe("sidebar links and the tab title", () => {
  it("name the counts", () => {
    assert.equal(roomLabel({ title: "design", unread: 3, mentions: 1 }), "design, 3 unread, 1 mention");
    assert.equal(roomLabel({ title: "design", unread: 5, mentions: 2 }), "design, 5 unread, 2 mentions");
    assert.equal(roomLabel({ title: "design", unread: 0, mentions: 0 }), "design");
  });

  it("put the unread count first in the tab title", () => {
    assert.equal(tabTitle("design", 0), "design · Chat");
    assert.equal(tabTitle("bob", 7), "(7) bob · Chat");
  });

  it("encode room names in addresses", () => {
    assert.equal(roomUrl("café ok"), "/chat/caf%C3%A9%20ok/");
    assert.equal(apiUrls.member("a/b", "Zoé"), "/api/rooms/a%2Fb/members/Zo%C3%A9/");
    assert.equal(apiUrls.read("日本"), "/api/rooms/%E6%97%A5%E6%9C%AC/read/");
  });
});

describe("the API client", () => {
  function fakeFetch(status, body) {
    const calls = [];
    const fetch = async (url, init) => {
      calls.push({ url, init });
      return {
        status: status,
        ok: status >= 200 && status < 300,
        json: async () => {
          if (body === undefined) throw new SyntaxError("no body");
          return body;
        },
      };
    };
    return { calls, fetch };
  }

  it("sends the CSRF token and JSON with unsafe requests, same-origin", async () => {
    const { calls, fetch } = fakeFetch(201, { name: "x" });
    const api = new Api({ csrf: "tok", fetch });
    assert.deepEqual(await api.post("/api/rooms/", { name: "x", private: true }), { name: "x" });
    assert.equal(calls[0].init.method, "POST");
    assert.equal(calls[0].init.credentials, "same-origin");
    assert.equal(calls[0].init.headers["X-CSRFToken"], "tok");
    assert.equal(calls[0].init.body, '{"name":"x","private":true}');
  });

  it("doesn't send the token with a GET, and takes a 204 as null", async () => {
    const get = fakeFetch(200, { rooms: [] });
    await new Api({ csrf: "tok", fetch: get.fetch }).get("/api/rooms/");
    assert.equal(get.calls[0].init.headers["X-CSRFToken"], undefined);
    const del = fakeFetch(204);
    assert.equal(await new Api({ csrf: "tok", fetch: del.fetch }).delete("/x/"), null);
  });

  it("throws the server's detail", async () => {
    const { fetch } = fakeFetch(409, { type: "error", code: "room_taken", detail: "Taken." });
    await assert.rejects(new Api({ csrf: "t", fetch }).post("/api/rooms/", {}), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 409);
      assert.equal(error.code, "room_taken");
      assert.equal(error.detail, "Taken.");
      return true;
    });
  });

  it("says something readable when the answer has no detail, or no answer came", async () => {
    const { fetch } = fakeFetch(422, { detail: [{ msg: "field required" }] });
    await assert.rejects(new Api({ csrf: "t", fetch }).post("/x/", {}), /Something went wrong \(422\)/);
    const offline = async () => {
      throw new TypeError("Failed to fetch");
    };
    await assert.rejects(new Api({ csrf: "t", fetch: offline }).get("/x/"), /can't be reached/);
  });
});
