// The people picker: as a username field is typed in (starting a DM, adding a member),
// people whose username or display name holds the text are offered in its <datalist>
// (GET /api/people/?q=, case-insensitive), each as "Display name (@username)".

import { Throttle } from "./throttle.js";

const ASK_EVERY_MS = 250;

// The options for what GET /api/people/?q= found: [{value, label}].
export function pickerOptions(found) {
  return (Array.isArray(found) ? found : []).map((person) => ({
    value: person.username,
    label: person.display_name ? person.display_name + " (@" + person.username + ")" : "@" + person.username,
  }));
}

export function attachPicker(doc, input, api) {
  if (!input) return;
  const list = doc.createElement("datalist");
  list.id = input.id + "-people";
  input.after(list);
  input.setAttribute("list", list.id);
  let asked = "";
  const ask = new Throttle(ASK_EVERY_MS, async () => {
    const text = input.value.trim();
    if (!text || text === asked) return;
    asked = text;
    try {
      const body = await api.get("/api/people/?q=" + encodeURIComponent(text));
      list.replaceChildren(
        ...pickerOptions(body && body.people).map(({ value, label }) => {
          const option = doc.createElement("option");
          option.value = value;
          option.label = label;
          option.textContent = label;
          return option;
        }),
      );
    } catch {
      // no suggestions: typing the username still works
    }
  });
  input.addEventListener("input", () => ask.call());
}
