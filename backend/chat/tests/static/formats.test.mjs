// Times, dates and numbers in the reader's language and the person's time zone.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import {
  dayKey,
  formatDateTime,
  formatDay,
  formatNumber,
  formatTime,
  pageLocale,
  pageTimeZone,
  usePersonTimeZone,
} from "../../static/chat/room/formats.js";
import { dayLabel } from "../../static/chat/room/layout.js";

const NOON_UTC = "2027-01-04T12:00:00Z";

describe("a time", () => {
  it("is written in the language's way, in the person's time zone", () => {
    assert.equal(formatTime(NOON_UTC, { locale: "de", timeZone: "Asia/Tokyo" }), "21:00");
    assert.equal(formatTime(NOON_UTC, { locale: "en-US", timeZone: "Asia/Tokyo" }), "09:00 PM");
    assert.equal(formatTime(NOON_UTC, { locale: "de", timeZone: "America/New_York" }), "07:00");
  });

  it("is written in Arabic with the Arabic day period", () => {
    assert.match(formatTime(NOON_UTC, { locale: "ar", timeZone: "Asia/Tokyo" }), /م$/u);
  });

  it("has its date with it where the page says when exactly", () => {
    const shown = formatDateTime(NOON_UTC, { locale: "de", timeZone: "Europe/Berlin" });
    assert.equal(shown, "04.01.2027, 13:00");
  });
});

describe("the person's time zone", () => {
  afterEach(() => usePersonTimeZone(""));

  it("is used once the page knows it", () => {
    usePersonTimeZone("Asia/Tokyo");
    assert.equal(pageTimeZone(), "Asia/Tokyo");
    assert.equal(formatTime(NOON_UTC, { locale: "de" }), "21:00");
  });

  it("gives way to the browser's when it is empty or unknown", () => {
    usePersonTimeZone("Mars/Olympus_Mons");
    assert.equal(pageTimeZone(), undefined);
    usePersonTimeZone("");
    assert.equal(pageTimeZone(), undefined);
  });
});

describe("days", () => {
  it("begin at midnight in the person's time zone", () => {
    const lateInLondon = "2027-01-04T23:30:00Z";
    assert.equal(dayKey(lateInLondon, { timeZone: "Europe/London" }), "2027-01-04");
    assert.equal(dayKey(lateInLondon, { timeZone: "Asia/Tokyo" }), "2027-01-05");
  });

  it("are today and yesterday as the person's clock says", () => {
    const now = new Date("2027-01-04T23:30:00Z"); // already the 5th in Tokyo
    assert.equal(dayLabel("2027-01-05", now, { timeZone: "Asia/Tokyo" }), "Today");
    assert.notEqual(dayLabel("2027-01-05", now, { timeZone: "Europe/London" }), "Today");
    assert.equal(dayLabel("2027-01-04", now, { timeZone: "Asia/Tokyo" }), "Yesterday");
    assert.equal(dayLabel("2027-01-04", now, { timeZone: "Europe/London" }), "Today");
  });

  it("are written out in the page's language, with the year when it isn't this one", () => {
    assert.equal(formatDay("2027-01-04", 2027, { locale: "de" }), "Montag, 4. Januar");
    assert.equal(formatDay("2026-01-04", 2027, { locale: "de" }), "Sonntag, 4. Januar 2026");
    assert.match(formatDay("2027-01-04", 2027, { locale: "ar" }), /^الاثنين/u);
  });
});

describe("numbers", () => {
  it("have the language's separators", () => {
    assert.equal(formatNumber(4000, { locale: "de" }), "4.000");
    assert.equal(formatNumber(4000, { locale: "en" }), "4,000");
    assert.equal(formatNumber(2.5, { locale: "de", fractionDigits: 1 }), "2,5");
  });
});

describe("the locale", () => {
  it("is the browser's variant of the page's language, else the language itself", () => {
    assert.equal(pageLocale("en", ["en-GB", "de"]), "en-GB");
    assert.equal(pageLocale("de", ["fr-CH", "de-AT"]), "de-AT");
    assert.equal(pageLocale("de", ["en-US"]), "de");
    assert.equal(pageLocale("ar", []), "ar");
  });
});
