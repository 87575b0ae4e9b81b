// How people show: their display name (else their username), their picture, their
// status and Do Not Disturb while those last, their local time. No DOM.

import { formatTime, knownTimeZone } from "./formats.js";

// The name a person shows: a message's or presence entry's `name`, else `user`.
export function shownName(person) {
  return (person && (person.name || person.user)) || "";
}

// The picture of a signed-up person (the server draws initials when there is none).
export function avatarUrl(username, size = 64) {
  return "/avatars/" + encodeURIComponent(username) + "/" + size + "/";
}

function ended(moment, nowMs) {
  return typeof moment === "string" && Date.parse(moment) <= nowMs;
}

// The person's status ({emoji, text, expires_at}) unless it has ended, else null.
export function statusNow(person, nowMs) {
  const status = person && person.status;
  if (!status || (!status.emoji && !status.text)) return null;
  if (status.expires_at && ended(status.expires_at, nowMs)) return null;
  return status;
}

// Whether the person is in Do Not Disturb at `nowMs`.
export function inDnd(person, nowMs) {
  const until = person && person.dnd_until;
  return typeof until === "string" && !ended(until, nowMs);
}

// When what a person shows next changes by itself (a status or DND ending), or null.
export function nextChange(people, nowMs) {
  let next = null;
  for (const person of people) {
    for (const moment of [person.status && person.status.expires_at, person.dnd_until]) {
      if (typeof moment !== "string") continue;
      const at = Date.parse(moment);
      if (at > nowMs && (next === null || at < next)) next = at;
    }
  }
  return next;
}

// The time now where the person is ("14:05"), or "" for no or an unknown time zone;
// written for the page's locale unless `locale` says otherwise.
export function localTime(timeZone, date, locale = undefined) {
  if (!knownTimeZone(timeZone)) return "";
  return formatTime(date, locale === undefined ? { timeZone } : { locale, timeZone });
}
