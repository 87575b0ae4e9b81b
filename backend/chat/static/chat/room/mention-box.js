// The composer's @mention list: a listbox the text box controls (aria-controls), whose
// active option is the box's aria-activedescendant; driven by MentionList (mentions.js).

import { avatarUrl } from "./faces.js";
import { MentionList } from "./mentions.js";

export class MentionBox {
  // `names()`: who may be mentioned now; `onFirstAt()`: called the first time an "@" is
  // typed (to fetch the room's members, then call `refresh()`); `isPerson(name)`: whether
  // a name is someone's (shown with their picture), not @all, @here or a group.
  constructor(doc, input, listbox, { names, onFirstAt, labels = () => null, isPerson = () => true }) {
    this.isPerson = isPerson;
    this.doc = doc;
    this.input = input;
    this.listbox = listbox;
    this.names = names;
    this.labels = labels; // () => Map of name -> how it shows (a display name, a group)
    this.onFirstAt = onFirstAt;
    this.asked = false;
    this.chosen = false; // a name was just put in: the input event that follows is ours
    this.list = new MentionList();

    input.addEventListener("input", () => this.refresh());
    input.addEventListener("click", () => this.refresh());
    input.addEventListener("blur", () => this.close());
    input.addEventListener("keydown", (event) => this.keydown(event));
    // Clicking an option mustn't take the focus (and close the list) first.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
  }

  get open() {
    return this.list.open;
  }

  refresh() {
    if (this.chosen) {
      this.chosen = false;
      return;
    }
    const caret = this.input.selectionStart ?? this.input.value.length;
    if (!this.asked && this.input.value.includes("@")) {
      this.asked = true;
      this.onFirstAt();
    }
    this.list.update(this.input.value, caret, this.names(), this.labels());
    this.render();
  }

  close() {
    this.list.close();
    this.render();
  }

  keydown(event) {
    if (event.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "Tab" && event.shiftKey) return;
    const action = this.list.key(event.key);
    if (action === null) return;
    event.preventDefault(); // Enter chooses a name instead of sending; Tab stays here
    if (action === "choose") this.choose();
    else this.render();
  }

  choose(index) {
    const { text, caret } = this.list.choose(this.input.value, index);
    this.input.value = text;
    this.input.setSelectionRange(caret, caret);
    this.input.focus();
    this.render();
    this.chosen = true;
    // Whoever listens to typing hears of it, as of any other change of the text.
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  render() {
    const { options, active } = this.list;
    this.listbox.replaceChildren(
      ...options.map((name, index) => {
        const option = this.doc.createElement("li");
        option.id = "mention-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", String(index === active));
        option.dir = "auto";
        const label = this.labels() && this.labels().get(name);
        if (this.isPerson(name)) {
          const face = this.doc.createElement("img");
          face.className = "avatar";
          face.src = avatarUrl(name, 64);
          face.alt = "";
          face.width = face.height = 20;
          option.appendChild(face);
        }
        option.append(label ? label + " (@" + name + ")" : name);
        option.addEventListener("click", () => this.choose(index));
        return option;
      }),
    );
    const open = options.length > 0;
    this.listbox.hidden = !open;
    if (open && active >= 0) {
      this.input.setAttribute("aria-activedescendant", "mention-option-" + active);
      this.listbox.children[active].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }
}
