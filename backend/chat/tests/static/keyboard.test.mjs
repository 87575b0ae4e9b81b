// The room page's shortcuts: which key asks for what, where; the previous and next room;
// the message ↑ edits.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { lastEditable, neighbourRoom, shortcutOf } from "../../static/chat/room/keyboard.js";

const inLog = {
  textField: false, fieldEmpty: true, composer: false, conversation: true, dialogOpen: false,
};
const emptyComposer = { ...inLog, textField: true, composer: true };
const typing = { ...emptyComposer, fieldEmpty: false };
const onAButton = { ...inLog, conversation: false };
const inSearchBox = { ...onAButton, textField: true, fieldEmpty: false };

describe("shortcuts", () => {
  it("open the quick switcher on Ctrl+K or ⌘K, even while typing", () => {
    assert.equal(shortcutOf({ key: "k", ctrlKey: true }, typing), "switcher");
    assert.equal(shortcutOf({ key: "k", metaKey: true }, onAButton), "switcher");
    assert.equal(shortcutOf({ key: "л", code: "KeyK", ctrlKey: true }, inLog), "switcher");
    assert.equal(shortcutOf({ key: "K", ctrlKey: true, shiftKey: true }, inLog), null);
  });

  it("go to the previous or next room on Alt+↑ and Alt+↓, to unread ones with Shift", () => {
    const up = { key: "ArrowUp", altKey: true };
    const down = { key: "ArrowDown", altKey: true };
    assert.equal(shortcutOf(up, emptyComposer), "previous-room");
    assert.equal(shortcutOf(down, inLog), "next-room");
    assert.equal(shortcutOf({ ...up, shiftKey: true }, inLog), "previous-unread");
    assert.equal(shortcutOf({ ...down, shiftKey: true }, onAButton), "next-unread");
  });

  it("leave Alt+arrows to a field with text in it, which would be lost elsewhere", () => {
    assert.equal(shortcutOf({ key: "ArrowUp", altKey: true }, typing), null);
    assert.equal(shortcutOf({ key: "ArrowDown", altKey: true, shiftKey: true }, inSearchBox), null);
  });

  it("mark the room read on Esc in the messages or the message box only", () => {
    assert.equal(shortcutOf({ key: "Escape" }, inLog), "mark-read");
    assert.equal(shortcutOf({ key: "Escape" }, typing), "mark-read");
    assert.equal(shortcutOf({ key: "Escape" }, onAButton), null);
    assert.equal(shortcutOf({ key: "Escape" }, inSearchBox), null);
  });

  it("edit the last message on ↑ in an empty message box, not in one with text", () => {
    assert.equal(shortcutOf({ key: "ArrowUp" }, emptyComposer), "edit-last");
    assert.equal(shortcutOf({ key: "ArrowUp" }, typing), null);
    assert.equal(shortcutOf({ key: "ArrowUp" }, inLog), null);
    assert.equal(shortcutOf({ key: "ArrowUp", shiftKey: true }, emptyComposer), null);
  });

  it("list themselves on ? outside text fields, where it is a character", () => {
    assert.equal(shortcutOf({ key: "?", shiftKey: true }, inLog), "help");
    assert.equal(shortcutOf({ key: "?", shiftKey: true }, onAButton), "help");
    assert.equal(shortcutOf({ key: "?", shiftKey: true }, emptyComposer), null);
    assert.equal(shortcutOf({ key: "?", shiftKey: true }, inSearchBox), null);
  });

  it("never take a plain letter", () => {
    for (const key of "abcdefghijklmnopqrstuvwxyz/") {
      assert.equal(shortcutOf({ key }, inLog), null);
      assert.equal(shortcutOf({ key }, typing), null);
    }
  });

  it("do nothing while a dialog is open (Esc closes it) or an input method composes", () => {
    const dialog = { ...inLog, dialogOpen: true };
    const keys = [
      { key: "Escape" },
      { key: "k", ctrlKey: true },
      { key: "?" },
      { key: "ArrowDown", altKey: true },
    ];
    for (const event of keys) {
      assert.equal(shortcutOf(event, dialog), null);
    }
    assert.equal(shortcutOf({ key: "Escape", isComposing: true }, typing), null);
  });
});

const rooms = [
  { name: "alpha", url: "/chat/alpha/", unread: 0, mentions: 0 },
  { name: "beta", url: "/chat/beta/", unread: 2, mentions: 0 },
  { name: "gamma", url: "/chat/gamma/", unread: 0, mentions: 0 },
  { name: "dm-1-2", url: "/chat/dm-1-2/", unread: 0, mentions: 1 },
];

function names(step, current, options) {
  const room = neighbourRoom(rooms, current, step, options);
  return room && room.name;
}

describe("the previous and next room", () => {
  it("are the sidebar's neighbours, going round at either end", () => {
    assert.equal(names(1, "beta"), "gamma");
    assert.equal(names(-1, "beta"), "alpha");
    assert.equal(names(1, "dm-1-2"), "alpha");
    assert.equal(names(-1, "alpha"), "dm-1-2");
  });

  it("with unread, are the nearest ones with unread messages or mentions", () => {
    assert.equal(names(1, "alpha", { unreadOnly: true }), "beta");
    assert.equal(names(1, "beta", { unreadOnly: true }), "dm-1-2");
    assert.equal(names(-1, "beta", { unreadOnly: true }), "dm-1-2");
    assert.equal(names(-1, "gamma", { unreadOnly: true }), "beta");
  });

  it("are none when nothing else is unread, or the room is alone", () => {
    const quiet = rooms.map((room) => ({ ...room, unread: 0, mentions: 0 }));
    assert.equal(neighbourRoom(quiet, "alpha", 1, { unreadOnly: true }), null);
    assert.equal(neighbourRoom([rooms[0]], "alpha", 1), null);
    assert.equal(neighbourRoom([], "alpha", -1), null);
  });

  it("from a room not in the sidebar, are its first and last", () => {
    assert.equal(names(1, "elsewhere"), "alpha");
    assert.equal(names(-1, "elsewhere"), "dm-1-2");
  });
});

describe("↑ in an empty box", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  const me = { id: "me", user: "me", guest: false, staff: false };
  const sent = (minutesAgo) => new Date(now - minutesAgo * 60_000).toISOString();
  const log = [
    { seq: 1, uid: "me", sent_at: sent(30), message: "older" },
    { seq: 2, uid: "me", sent_at: sent(5), message: "mine, last" },
    { seq: 3, uid: "other", sent_at: sent(1), message: "theirs" },
  ];

  it("edits my last message, not someone else's after it", () => {
    assert.deepEqual(lastEditable(log, me, 15, now), { seq: 2, text: "mine, last" });
  });

  it("edits nothing once my last message is past the edit window", () => {
    assert.equal(lastEditable(log, me, 3, now), null);
  });

  it("edits nothing for a visitor not known yet, or with no message of theirs", () => {
    assert.equal(lastEditable(log, null, 15, now), null);
    assert.equal(lastEditable([log[2]], me, 15, now), null);
  });
});
