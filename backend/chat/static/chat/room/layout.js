// How the log reads: a line at the start of each day, and consecutive messages of one
// author within a few minutes grouped under one name.

import { dayKey, daysBetween, formatDay } from "./formats.js";
import { gettext } from "./i18n.js";

export { dayKey };

export const GROUP_WITHIN_MS = 5 * 60 * 1000;

// For messages in order ({uid, sent_at}): whether a day line goes before each (its day
// key, or null), and whether each is grouped with the one before it.
export function layoutMarks(messages) {
  const marks = [];
  let previous = null;
  for (const message of messages) {
    const day = dayKey(message.sent_at);
    const newDay = previous === null || dayKey(previous.sent_at) !== day;
    const grouped = !newDay && previous.uid === message.uid &&
      Date.parse(message.sent_at) - Date.parse(previous.sent_at) <= GROUP_WITHIN_MS;
    marks.push({ day: newDay ? day : null, grouped });
    previous = message;
  }
  return marks;
}

// "Today", "Yesterday", or the date written out, for a day key (days as they are in
// the person's time zone: formats.js).
export function dayLabel(key, now = new Date(), where = {}) {
  const today = dayKey(now, where);
  const days = daysBetween(key, today);
  if (days === 0) return gettext("Today");
  if (days === 1) return gettext("Yesterday");
  return formatDay(key, Number(today.slice(0, 4)), where);
}
