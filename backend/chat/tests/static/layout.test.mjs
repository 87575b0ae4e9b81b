// Day lines and grouping in the log.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { dayKey, dayLabel, GROUP_WITHIN_MS, layoutMarks } from "../../static/chat/room/layout.js";

const at = (day, hour, minute) => new Date(2026, 10, day, hour, minute).toISOString();

describe("the log's layout", () => {
  it("puts a day line before the first message and each new day", () => {
    const marks = layoutMarks([
      { uid: "a", sent_at: at(24, 23, 58) },
      { uid: "a", sent_at: at(24, 23, 59) },
      { uid: "a", sent_at: at(25, 0, 1) },
    ]);
    assert.deepEqual(
      marks.map((m) => m.day),
      [dayKey(at(24, 23, 58)), null, dayKey(at(25, 0, 1))],
    );
    assert.deepEqual(marks.map((m) => m.grouped), [false, true, false]);
  });

  it("groups one author's messages within a few minutes, not others' or later ones", () => {
    const marks = layoutMarks([
      { uid: "a", sent_at: at(24, 10, 0) },
      { uid: "a", sent_at: at(24, 10, 4) },
      { uid: "b", sent_at: at(24, 10, 5) },
      { uid: "b", sent_at: at(24, 10, 30) },
    ]);
    assert.deepEqual(marks.map((m) => m.grouped), [false, true, false, false]);
    assert.equal(GROUP_WITHIN_MS, 300_000);
  });

  it("names today and yesterday, and other days by their date", () => {
    const now = new Date(2026, 10, 25, 12, 0);
    assert.equal(dayLabel("2026-11-25", now), "Today");
    assert.equal(dayLabel("2026-11-24", now), "Yesterday");
    assert.match(dayLabel("2026-11-20", now), /20/);
    assert.match(dayLabel("2025-11-20", now), /2025/);
  });
});
