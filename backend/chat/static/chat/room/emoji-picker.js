// Reactions: the full emoji picker (every emoji, from GET /emoji.json, fetched once and
// searched by name) with the person's recently used ones first, and the few quick
// reactions shown on a message as the pointer rests on it. What was used recently is
// kept in the browser's storage.

import { gettext, interpolate } from "./i18n.js";

export const DEFAULT_QUICK = Object.freeze(["👍", "❤️", "😂"]);
const RECENT_KEY = "chat.recentEmoji";
const RECENT_MAX = 16;
const SHOWN_MAX = 240;

// The emoji used most recently first (an empty list when none, or when the storage
// holds something else).
export function recentEmoji(storage) {
  try {
    const list = JSON.parse(storage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(list) ? list.filter((item) => typeof item === "string").slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

export function rememberEmoji(storage, emoji) {
  const list = [emoji, ...recentEmoji(storage).filter((item) => item !== emoji)];
  try {
    storage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  } catch {
    // storage full or refused: the picker still works, without memory
  }
}

// The quick reactions on a message: the recently used, then the defaults; three.
export function quickReactions(storage) {
  return [...new Set([...recentEmoji(storage), ...DEFAULT_QUICK])].slice(0, DEFAULT_QUICK.length);
}

// The emoji of `catalog` ([[emoji, name, other names], ...]) whose names have every word
// of `query`: those whose name starts with the query first; at most `limit`.
export function emojiMatches(catalog, query, limit = SHOWN_MAX) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return catalog.slice(0, limit);
  const found = catalog.filter(([, name, aliases]) => {
    const text = name + " " + (aliases || "");
    return words.every((word) => text.includes(word));
  });
  const start = words.join(" ");
  const first = found.filter(([, name]) => name.startsWith(start));
  const rest = found.filter(([, name]) => !name.startsWith(start));
  return [...first, ...rest].slice(0, limit);
}

export class EmojiPicker {
  // `storage`: where recently used emoji are kept; `fetchCatalog()`: a promise of the
  // catalog (GET /emoji.json's "emoji").
  constructor(doc, storage, fetchCatalog) {
    this.doc = doc;
    this.storage = storage;
    this.fetchCatalog = fetchCatalog;
    this.catalog = null;
    this.onPick = null;
    this.dialog = null;
  }

  build() {
    const doc = this.doc;
    const dialog = doc.createElement("dialog");
    dialog.className = "emoji-picker";
    dialog.setAttribute("aria-label", gettext("Pick a reaction"));
    const search = doc.createElement("input");
    search.type = "search";
    search.placeholder = gettext("Search emoji");
    search.setAttribute("aria-label", search.placeholder);
    const grid = doc.createElement("div");
    grid.className = "emoji-grid";
    grid.setAttribute("role", "group");
    grid.setAttribute("aria-label", gettext("Emoji"));
    search.addEventListener("input", () => this.render(search.value));
    search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const first = grid.querySelector("button");
      if (first) this.pick(first.dataset.emoji);
    });
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close(); // a click on the backdrop
    });
    dialog.append(search, grid);
    doc.body.appendChild(dialog);
    this.dialog = dialog;
    this.search = search;
    this.grid = grid;
  }

  async open(onPick) {
    if (this.dialog === null) this.build();
    this.onPick = onPick;
    this.search.value = "";
    this.render("");
    this.dialog.showModal();
    this.search.focus();
    if (this.catalog === null) {
      try {
        this.catalog = await this.fetchCatalog();
      } catch {
        this.catalog = null; // the recent and default ones still show
      }
      if (this.dialog.open) this.render(this.search.value);
    }
  }

  button(emoji, name) {
    const button = this.doc.createElement("button");
    button.type = "button";
    button.className = "emoji-choice";
    button.textContent = emoji;
    button.dataset.emoji = emoji;
    button.title = name || emoji;
    button.setAttribute("aria-label", interpolate(gettext("React with %s"), [name || emoji]));
    button.addEventListener("click", () => this.pick(emoji));
    return button;
  }

  render(query) {
    const names = new Map((this.catalog || []).map(([emoji, name]) => [emoji, name]));
    const shown = [];
    if (!query.trim()) {
      const recent = recentEmoji(this.storage);
      for (const emoji of [...new Set([...recent, ...DEFAULT_QUICK])]) shown.push([emoji, names.get(emoji)]);
    }
    const seen = new Set(shown.map(([emoji]) => emoji));
    for (const [emoji, name] of emojiMatches(this.catalog || [], query)) {
      if (!seen.has(emoji)) shown.push([emoji, name]);
    }
    this.grid.replaceChildren(...shown.map(([emoji, name]) => this.button(emoji, name)));
  }

  pick(emoji) {
    rememberEmoji(this.storage, emoji);
    this.dialog.close();
    if (this.onPick) this.onPick(emoji);
  }
}
