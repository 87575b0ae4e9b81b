// How times, dates and numbers read: in the page's language, and in the person's time
// zone when the page knows it (their profile's, from the room's context), else in the
// browser's. Each function takes `{locale, timeZone}` to override both (tests do).

import { pageLanguage } from "./i18n.js";

let personZone; // the person's time zone, once the page knows it

// An IANA time zone name this browser knows ("Europe/Berlin").
export function knownTimeZone(name) {
  if (typeof name !== "string" || !name) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// Times show in `timeZone` from now on; "" or a name the browser doesn't know: in the
// browser's own.
export function usePersonTimeZone(timeZone) {
  personZone = knownTimeZone(timeZone) ? timeZone : undefined;
}

// The person's time zone, or undefined for the browser's.
export function pageTimeZone() {
  return personZone;
}

// The locale times and numbers are written in: the page's language, as the browser's
// preferred variant of it when it has one (a page in "en" read in "en-GB" writes
// 24-hour times; one in "de" read in "de-AT" writes Austrian dates).
export function pageLocale(language = pageLanguage(), preferred = globalThis.navigator?.languages) {
  const base = language.toLowerCase().split("-")[0];
  for (const tag of preferred || []) {
    if (typeof tag === "string" && tag.toLowerCase().split("-")[0] === base) {
      return Intl.DateTimeFormat.supportedLocalesOf([tag]).length ? tag : language;
    }
  }
  return language;
}

const formatters = new Map();

function dateFormat(options, { locale = pageLocale(), timeZone = pageTimeZone() } = {}) {
  const key = JSON.stringify([locale, timeZone ?? null, options]);
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone });
    formatters.set(key, format);
  }
  return format;
}

function asDate(moment) {
  return moment instanceof Date ? moment : new Date(moment);
}

// "14:05" (or "2:05 PM"), of a Date or an ISO time.
export function formatTime(moment, where = {}) {
  return dateFormat({ hour: "2-digit", minute: "2-digit" }, where).format(asDate(moment));
}

// The date: "4 Jan 2027".
export function formatDate(moment, where = {}) {
  return dateFormat({ dateStyle: "medium" }, where).format(asDate(moment));
}

// The date and the time: "4 Jan 2027, 14:05".
export function formatDateTime(moment, where = {}) {
  return dateFormat({ dateStyle: "medium", timeStyle: "short" }, where).format(asDate(moment));
}

// A number with the locale's digits and separators: "4,000", "4.000", "٤٬٠٠٠"; with
// `fractionDigits`, that many after the decimal point ("2.5", "2,5").
export function formatNumber(number, { locale = pageLocale(), fractionDigits } = {}) {
  const digits = fractionDigits === undefined
    ? {}
    : { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits };
  return new Intl.NumberFormat(locale, digits).format(number);
}

// The calendar day of a moment in the time zone, as "YYYY-MM-DD".
export function dayKey(moment, { timeZone = pageTimeZone() } = {}) {
  const format = dateFormat(
    { year: "numeric", month: "2-digit", day: "2-digit" },
    { locale: "en-u-nu-latn", timeZone: timeZone },
  );
  const parts = Object.fromEntries(
    format.formatToParts(asDate(moment)).map((part) => [part.type, part.value]),
  );
  return parts.year + "-" + parts.month + "-" + parts.day;
}

// A day key written out: "Monday, 4 January", with its year when it isn't `thisYear`.
export function formatDay(key, thisYear, { locale = pageLocale() } = {}) {
  const [year, month, day] = key.split("-").map(Number);
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (year !== thisYear) options.year = "numeric";
  // Noon UTC of that day, written in UTC: the same calendar day whatever the zone.
  const noon = new Date(Date.UTC(year, month - 1, day, 12));
  return dateFormat(options, { locale: locale, timeZone: "UTC" }).format(noon);
}

// Whole days from day key `earlier` to day key `later`.
export function daysBetween(earlier, later) {
  const utc = (key) => {
    const [year, month, day] = key.split("-").map(Number);
    return Date.UTC(year, month - 1, day);
  };
  return Math.round((utc(later) - utc(earlier)) / 86_400_000);
}
