// The page's words in the reader's language. The catalog comes from Django's
// JavaScript catalog (a classic script from our own origin, loaded before the page's
// modules), which sets globalThis.django; without it (unit tests, a failed load) every
// string is shown as written, in English. Write gettext("...") around every string a
// person reads, so that makemessages finds it.

const catalog = () => globalThis.django;

export function gettext(msgid) {
  const found = catalog();
  return found ? found.gettext(msgid) : msgid;
}

export function ngettext(singular, plural, count) {
  const found = catalog();
  if (found) return found.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

export function pgettext(context, msgid) {
  const found = catalog();
  return found ? found.pgettext(context, msgid) : msgid;
}

// interpolate("%(count)s new", { count: 3 }, true) or interpolate("%s new", [3]),
// as Django's catalog does it.
export function interpolate(format, values, named = false) {
  if (named) return format.replace(/%\(\w+\)s/g, (m) => String(values[m.slice(2, -2)]));
  let index = 0;
  return format.replace(/%s/g, () => String(values[index++]));
}

// The page's language as <html lang> names it, for Intl formatting.
export function pageLanguage(doc = globalThis.document) {
  return doc?.documentElement?.lang || "en";
}
