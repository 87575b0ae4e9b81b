// Which activity frames become a notification, and what it says; the forbidden status.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  keyBytes,
  notificationFor,
  notificationsState,
} from "../../static/chat/room/notify.js";
import { FORBIDDEN_TEXT, Phase } from "../../static/chat/room/state.js";
import { joined } from "./helpers.mjs";
import { RoomState } from "../../static/chat/room/state.js";

const rooms = [
  { name: "design", url: "/chat/design/", title: "design", kind: "private" },
  { name: "dm-1-2", url: "/chat/dm-1-2/", title: "alice", kind: "dm" },
];

function activity(fields) {
  return {
    type: "activity", room: "design", seq: 42, from: "alice", text: "hi @bob",
    mention: false, dm: false, ...fields,
  };
}

const hidden = { visibility: "hidden", permission: "granted", rooms: rooms, me: "bob" };

describe("notifications", () => {
  it("come for a mention while the page is hidden, titled by who and where", () => {
    assert.deepEqual(notificationFor(activity({ mention: true }), hidden), {
      title: "alice in design", body: "hi @bob", tag: "design:42", url: "/chat/design/",
    });
  });

  it("come for a direct message, titled by who alone", () => {
    const note = notificationFor(activity({ room: "dm-1-2", seq: 7, dm: true, text: "yo" }), hidden);
    assert.deepEqual(note, { title: "alice", body: "yo", tag: "dm-1-2:7", url: "/chat/dm-1-2/" });
  });

  it("don't come for other activity, a visible page, or without permission", () => {
    assert.equal(notificationFor(activity({}), hidden), null);
    assert.equal(notificationFor(activity({ mention: true }), { ...hidden, visibility: "visible" }), null);
    for (const permission of ["default", "denied", "unsupported"]) {
      assert.equal(notificationFor(activity({ dm: true }), { ...hidden, permission }), null);
    }
    assert.equal(notificationFor({ type: "read", room: "design", seq: 3 }, hidden), null);
  });

  it("don't come for one's own messages (from another tab or device)", () => {
    assert.equal(notificationFor(activity({ dm: true, from: "bob" }), hidden), null);
  });

  it("name a room that isn't in the list by its name, with its address", () => {
    const note = notificationFor(activity({ room: "café", mention: true }), { ...hidden, rooms: [] });
    assert.equal(note.title, "alice in café");
    assert.equal(note.url, "/chat/caf%C3%A9/");
  });

  it("come for every message of a room set to all, and nothing of one set to nothing", () => {
    const loud = [{ ...rooms[0], level: "all" }];
    assert.ok(notificationFor(activity({}), { ...hidden, rooms: loud }));
    const quiet = [{ ...rooms[0], level: "nothing" }, { ...rooms[1], level: "nothing" }];
    assert.equal(notificationFor(activity({ mention: true }), { ...hidden, rooms: quiet }), null);
    const dm = activity({ room: "dm-1-2", dm: true });
    assert.equal(notificationFor(dm, { ...hidden, rooms: quiet }), null);
  });

  it("don't come in Do Not Disturb", () => {
    assert.equal(notificationFor(activity({ mention: true }), { ...hidden, dnd: true }), null);
  });

  it("are offered by a button until allowed or blocked", () => {
    assert.equal(notificationsState("default"), "off");
    assert.equal(notificationsState("granted"), "on");
    assert.equal(notificationsState("denied"), "blocked");
    assert.equal(notificationsState("unsupported"), "unsupported");
  });

  it("read the server's key as bytes", () => {
    assert.deepEqual(Array.from(keyBytes("AQID_-8")), [1, 2, 3, 255, 239]);
  });
});

describe("a room one may not read", () => {
  it("closes for good with its own status", () => {
    const room = new RoomState({ finalCloseCodes: [4400, 4403], forbiddenCode: 4403 });
    room.connecting();
    room.opened();
    assert.equal(room.closed(4403, 0), null);
    assert.equal(room.phase, Phase.FINAL);
    assert.equal(room.forbidden, true);
    assert.deepEqual(room.status, { state: "closed", text: FORBIDDEN_TEXT });
  });

  it("isn't confused with another final close", () => {
    const room = new RoomState({ finalCloseCodes: [4400, 4403], forbiddenCode: 4403 });
    room.closed(4400, 0);
    assert.equal(room.forbidden, false);
    assert.equal(room.status.text, "Disconnected");
    assert.equal(joined().forbidden, false);
  });
});
