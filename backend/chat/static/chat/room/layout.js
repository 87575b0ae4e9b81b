// How the log reads: a line at the start of each day, and consecutive messages of one
// author within a few minutes grouped under one name.

export const GROUP_WITHIN_MS = 5 * 60 * 1000;

// The local calendar day of an ISO time, as "YYYY-MM-DD".
export function dayKey(iso) {
  const at = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return at.getFullYear() + "-" + pad(at.getMonth() + 1) + "-" + pad(at.getDate());
}

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

// "Today", "Yesterday", or the date written out, for a day key.
export function dayLabel(key, now = new Date()) {
  const [year, month, day] = key.split("-").map(Number);
  const date = new Date(year, month - 1, day);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const days = Math.round((today - date) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  const options = { weekday: "long", day: "numeric", month: "long" };
  if (year !== now.getFullYear()) options.year = "numeric";
  return date.toLocaleDateString(undefined, options);
}
