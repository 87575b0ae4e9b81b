// The quick switcher (Ctrl+K or ⌘K): a dialog whose box finds rooms, direct messages and
// people by a few letters of their name, in order ("dsgn" finds "design"); ↑ and ↓
// choose, Enter opens (a person: the direct message with them, started if need be), Esc
// closes and focus goes back where it was. The box is a combobox over a listbox: focus
// stays in the box, aria-activedescendant names the chosen option.

import { gettext, interpolate, ngettext } from "./i18n.js";
import { KIND, sidebarModel } from "./rooms.js";
import { Throttle } from "./throttle.js";

export const SHOWN_AT_MOST = 30;
const ASK_PEOPLE_EVERY_MS = 250;

// Text as it is compared: lower case, without accents ("Café" and "cafe" match).
export function fold(text) {
  return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

const SEPARATORS = new Set([" ", "-", "_", ".", "@", "/"]);

function startsWord(text, index) {
  return index === 0 || SEPARATORS.has(text[index - 1]);
}

// How well `query` matches `text`, higher is better, or null when it doesn't: the whole
// text, then its start, then a word's start, then anywhere in it, then its letters in
// order with gaps (fewer and shorter gaps, and letters starting words, rank higher).
export function matchScore(query, text) {
  const wanted = fold(query).trim();
  const seen = fold(text);
  if (!wanted) return 0;
  if (seen === wanted) return 1000;
  if (seen.startsWith(wanted)) return 900 - Math.min(99, seen.length - wanted.length);
  let at = seen.indexOf(wanted);
  if (at !== -1) {
    const first = at;
    while (at !== -1 && !startsWord(seen, at)) at = seen.indexOf(wanted, at + 1);
    if (at !== -1) return 800 - Math.min(99, at);
    return 700 - Math.min(99, first);
  }
  let score = 0;
  let from = 0;
  let previous = -2;
  for (const letter of wanted) {
    if (letter === " ") continue;
    const found = seen.indexOf(letter, from);
    if (found === -1) return null;
    if (found === previous + 1) score += 5;
    if (startsWord(seen, found)) score += 10;
    score -= Math.min(10, found - from);
    previous = found + letter.length - 1;
    from = found + letter.length;
  }
  return Math.max(1, Math.min(599, 300 + score));
}

// The candidates best matching `query`, best first (ties keep their order); with no
// query, every one but the current room, in order.
export function rankCandidates(query, candidates, limit = SHOWN_AT_MOST) {
  if (!fold(query).trim()) return candidates.filter((one) => !one.current).slice(0, limit);
  const scored = [];
  candidates.forEach((candidate, order) => {
    const scores = [matchScore(query, candidate.title)];
    // Another name (the room's own, @username) counts a little less than the title.
    for (const alias of candidate.aliases || []) {
      const score = matchScore(query, alias);
      scores.push(score === null ? null : score - 1);
    }
    const best = Math.max(...scores.filter((score) => score !== null));
    if (Number.isFinite(best)) scored.push({ candidate, best, order });
  });
  scored.sort((a, b) => b.best - a.best || a.order - b.order);
  return scored.slice(0, limit).map((entry) => entry.candidate);
}

// What the switcher offers: the sidebar's rooms and DMs (in its order), the other rooms
// of the last GET /api/rooms/ (public ones, archived ones), then `people` (found by GET
// /api/people/?q=) who have no DM here yet, but oneself. Each: {key, kind ("room", "dm"
// or "person"), title, aliases, url or username, private, unread, mentions, current}.
export function switcherCandidates(apiRooms, context, people = []) {
  const model = sidebarModel(apiRooms, context);
  const candidates = [];
  const keys = new Set();
  const dmWith = new Set();
  const add = (candidate) => {
    if (keys.has(candidate.key)) return;
    keys.add(candidate.key);
    candidates.push(candidate);
  };
  const roomOf = (room, archived) => ({
    key: "room:" + room.name,
    kind: room.kind === KIND.DM ? "dm" : "room",
    title: room.title,
    aliases: room.username ? [room.name, "@" + room.username] : [room.name],
    url: room.url,
    private: room.private && room.kind !== KIND.DM,
    archived: archived,
    unread: room.unread || 0,
    mentions: room.mentions || 0,
    current: Boolean(room.current),
  });
  for (const room of [...model.rooms, ...model.dms]) {
    add(roomOf(room, false));
    if (room.username) dmWith.add(room.username);
  }
  for (const room of Array.isArray(apiRooms) ? apiRooms : []) {
    if (room.member || room.kind === KIND.DM || room.archived) continue;
    add(roomOf({ ...room, title: room.title || room.name, unread: 0, mentions: 0 }, false));
  }
  for (const room of model.archived) add(roomOf(room, true));
  for (const person of Array.isArray(people) ? people : []) {
    if (!person || dmWith.has(person.username) || person.username === context.username) continue;
    add({
      key: "person:" + person.username,
      kind: "person",
      title: person.display_name || person.username,
      aliases: ["@" + person.username],
      username: person.username,
      unread: 0,
      mentions: 0,
      current: false,
    });
  }
  return candidates;
}

// What an option says of its candidate, after its title.
export function candidateDetail(candidate) {
  const parts = [];
  if (candidate.kind === "person") {
    parts.push(interpolate(gettext("person, @%s"), [candidate.username]));
  } else if (candidate.kind === "dm") {
    parts.push(gettext("direct message"));
  } else if (candidate.archived) {
    parts.push(gettext("archived room"));
  } else {
    parts.push(candidate.private ? gettext("private room") : gettext("room"));
  }
  if (candidate.unread) {
    const text = ngettext("%s unread", "%s unread", candidate.unread);
    parts.push(interpolate(text, [candidate.unread]));
  }
  if (candidate.mentions) {
    const text = ngettext("%s mention", "%s mentions", candidate.mentions);
    parts.push(interpolate(text, [candidate.mentions]));
  }
  return parts.join(", ");
}

function el(doc, tag, attributes = {}, text) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class QuickSwitcher {
  // candidates(people): what to rank (switcherCandidates); findPeople(text): a promise of
  // the people whose name has `text` ({username, display_name}); onOpen(candidate).
  constructor(doc, { candidates, findPeople, onOpen }) {
    this.doc = doc;
    this.candidates = candidates;
    this.onOpen = onOpen;
    this.people = [];
    this.shown = [];
    this.active = 0;
    this.returnTo = null;
    this.dialog = el(doc, "dialog", {
      id: "quick-switcher",
      class: "quick-switcher",
      "aria-labelledby": "quick-switcher-title",
    });
    const title = el(doc, "h2", { id: "quick-switcher-title" });
    title.textContent = gettext("Go to a room or a person");
    this.input = el(doc, "input", {
      id: "quick-switcher-input",
      type: "text",
      role: "combobox",
      autocomplete: "off",
      spellcheck: "false",
      "aria-labelledby": "quick-switcher-title",
      "aria-describedby": "quick-switcher-hint",
      "aria-autocomplete": "list",
      "aria-expanded": "true",
      "aria-controls": "quick-switcher-list",
      placeholder: gettext("A room, a conversation or someone's name"),
    });
    const hint = el(
      doc, "p", { id: "quick-switcher-hint", class: "hint" },
      gettext("↑ and ↓ choose, Enter opens, Esc closes."),
    );  // prettier-ignore
    this.list = el(doc, "ul", {
      id: "quick-switcher-list",
      class: "quick-switcher-list",
      role: "listbox",
      "aria-label": gettext("Matches"),
    });
    this.empty = el(doc, "p", { class: "hint", role: "status" });
    this.dialog.append(title, this.input, hint, this.list, this.empty);
    doc.body.appendChild(this.dialog);

    this.askPeople = new Throttle(ASK_PEOPLE_EVERY_MS, async () => {
      const text = this.input.value.trim();
      if (!text) return;
      try {
        const found = await findPeople(text);
        if (this.input.value.trim() !== text || !this.dialog.open) return;
        this.people = Array.isArray(found) ? found : [];
        this.render({ keepActive: true });
      } catch {
        // rooms still match
      }
    });
    this.input.addEventListener("input", () => {
      this.render();
      this.askPeople.call();
    });
    this.input.addEventListener("keydown", (event) => this.keydown(event));
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.choose(Number(option.dataset.index));
    });
    this.dialog.addEventListener("close", () => {
      this.askPeople.cancel();
      if (this.returnTo && this.returnTo.isConnected) this.returnTo.focus();
      this.returnTo = null;
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  open() {
    if (this.dialog.open) return;
    this.returnTo = this.doc.activeElement;
    this.input.value = "";
    this.people = [];
    this.render();
    this.dialog.showModal();
    this.input.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  keydown(event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "k" || event.code === "KeyK")) {
      event.preventDefault(); // Ctrl+K again: the switcher stays (not the browser's search)
      return;
    }
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    const count = this.shown.length;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + count) % count;
      this.showActive();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.choose(this.active);
    }
  }

  choose(index) {
    const candidate = this.shown[index];
    if (!candidate) return;
    this.returnTo = null; // we are going elsewhere
    this.close();
    this.onOpen(candidate);
  }

  // The options for the box's text: the best one chosen, or (`keepActive`, as people
  // arrive) the one chosen before, if it is still there.
  render({ keepActive = false } = {}) {
    const before = this.shown[this.active];
    this.shown = rankCandidates(this.input.value, this.candidates(this.people));
    const kept = before ? this.shown.findIndex((candidate) => candidate.key === before.key) : -1;
    this.active = keepActive && kept !== -1 ? kept : 0;
    this.list.replaceChildren(
      ...this.shown.map((candidate, index) => {
        const option = el(this.doc, "li", {
          id: "quick-switcher-option-" + index,
          role: "option",
          class: "quick-switcher-option",
          "aria-selected": "false",
        });
        option.dataset.index = String(index);
        const title = el(this.doc, "span", { class: "quick-switcher-title", dir: "auto" });
        title.textContent = candidate.title;
        const detail = el(this.doc, "span", { class: "quick-switcher-detail" });
        detail.textContent = candidateDetail(candidate);
        option.append(title, detail);
        return option;
      }),
    );
    this.empty.textContent = this.shown.length ? "" : gettext("Nothing matches.");
    this.empty.hidden = this.shown.length > 0;
    this.input.setAttribute("aria-expanded", String(this.shown.length > 0));
    this.showActive();
  }

  showActive() {
    const options = this.list.children;
    for (const option of options) option.setAttribute("aria-selected", "false");
    const active = options[this.active];
    if (!active) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    active.setAttribute("aria-selected", "true");
    this.input.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }
}
