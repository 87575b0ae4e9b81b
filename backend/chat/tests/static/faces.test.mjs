import assert from "node:assert/strict";
import { test } from "node:test";

import {
  avatarUrl, inDnd, localTime, nextChange, shownName, statusNow,
} from "../../static/chat/room/faces.js";

const NOW = Date.parse("2027-01-04T12:00:00Z");

test("a display name shows instead of the username, which stays the fallback", () => {
  assert.equal(shownName({ user: "layla", name: "ليلى" }), "ليلى");
  assert.equal(shownName({ user: "bob" }), "bob");
});

test("an avatar's address escapes the username", () => {
  assert.equal(avatarUrl("a+b@c", 64), "/avatars/a%2Bb%40c/64/");
});

test("a status shows until it expires, and one without an end stays", () => {
  const status = { emoji: "🌴", text: "Away", expires_at: "2027-01-04T13:00:00Z" };
  assert.deepEqual(statusNow({ status }, NOW), status);
  assert.equal(statusNow({ status }, Date.parse("2027-01-04T13:00:00Z")), null);
  assert.ok(statusNow({ status: { emoji: "🎧", text: "", expires_at: null } }, NOW));
  assert.equal(statusNow({ status: { emoji: "", text: "" } }, NOW), null);
});

test("Do Not Disturb lasts until its end", () => {
  assert.ok(inDnd({ dnd_until: "2027-01-04T12:30:00Z" }, NOW));
  assert.ok(!inDnd({ dnd_until: "2027-01-04T11:30:00Z" }, NOW));
  assert.ok(!inDnd({}, NOW));
});

test("the next change is the earliest end still ahead", () => {
  const people = [
    { status: { text: "x", expires_at: "2027-01-04T14:00:00Z" } },
    { dnd_until: "2027-01-04T12:10:00Z" },
    { dnd_until: "2027-01-04T11:00:00Z" },
  ];
  assert.equal(nextChange(people, NOW), Date.parse("2027-01-04T12:10:00Z"));
  assert.equal(nextChange([{ user: "a" }], NOW), null);
});

test("local time is in the person's time zone, and nothing for an unknown one", () => {
  assert.equal(localTime("Asia/Tokyo", new Date(NOW), "en-GB"), "21:00");
  assert.equal(localTime("Mars/Base", new Date(NOW), "en-GB"), "");
  assert.equal(localTime("", new Date(NOW), "en-GB"), "");
});

test("the people picker offers display names with the username to insert", async () => {
  const { pickerOptions } = await import("../../static/chat/room/people-picker.js");
  assert.deepEqual(
    pickerOptions([{ username: "layla", display_name: "ليلى" }, { username: "bob", display_name: "" }]),
    [{ value: "layla", label: "ليلى (@layla)" }, { value: "bob", label: "@bob" }],
  );
  assert.deepEqual(pickerOptions(null), []);
});
