// A room's integrations, in the "Integrations" dialog of its members and staff: incoming
// webhooks (a secret URL that posts here as a bot: /api/rooms/<name>/webhooks/) and
// outgoing webhooks (the room's events POSTed to a URL: .../outgoing-webhooks/). Each
// is made, renamed and revoked here; a new one's URL or secret is shown once, with a
// Copy button. The People page's bots (bots.js) use the same pieces. Text is set with
// textContent only.

import { formatDateTime } from "./formats.js";
import { gettext, interpolate } from "./i18n.js";

const enc = encodeURIComponent;
const room = (name) => "/api/rooms/" + enc(name);

export const integrationUrls = {
  webhooks: (name) => room(name) + "/webhooks/",
  webhook: (name, id) => room(name) + "/webhooks/" + id + "/",
  outgoing: (name) => room(name) + "/outgoing-webhooks/",
  outgoingOne: (name, id) => room(name) + "/outgoing-webhooks/" + id + "/",
  messageIntegration: (name, seq) => room(name) + "/messages/" + seq + "/integration/",
  bots: () => "/api/bots/",
  bot: (id) => "/api/bots/" + id + "/",
};

// What an outgoing webhook may be told of, in the order its form offers them.
export const EVENTS = ["message", "edit", "delete", "reaction"];

export function eventLabel(event) {
  const labels = {
    message: gettext("New messages"),
    edit: gettext("Edits"),
    delete: gettext("Deletions"),
    reaction: gettext("Reactions"),
  };
  return labels[event] || event;
}

// What a list says of one webhook or bot: who made it and when, and (for an incoming
// webhook) when it last posted.
export function madeText(item, format = formatDateTime) {
  const made = { who: item.created_by, when: format(item.created) };
  const parts = [
    item.created_by
      ? interpolate(gettext("made by %(who)s on %(when)s"), made, true)
      : interpolate(gettext("made on %(when)s"), made, true),
  ];
  if (Object.hasOwn(item, "last_used_at")) {
    parts.push(
      item.last_used_at
        ? interpolate(gettext("last used %s"), [format(item.last_used_at)])
        : gettext("never used"),
    );
  }
  return parts.join(" · ");
}

// An outgoing webhook's events and filter: "New messages, Edits · only @mentions".
export function outgoingEventsText(hook) {
  const events = (hook.events || []).map(eventLabel).join(", ");
  return hook.mentions_only ? events + " · " + gettext("only messages that @mention it") : events;
}

// An outgoing webhook's state: active, or failing (paused) since when, and why.
export function outgoingStateText(hook, format = formatDateTime) {
  if (hook.state !== "failing") return gettext("Active");
  const since = hook.failing_since ? format(hook.failing_since) : "";
  let text = since
    ? interpolate(gettext("Failing since %s: paused until it is resumed."), [since])
    : gettext("Failing: paused until it is resumed.");
  if (hook.last_error) text += " " + interpolate(gettext("Last error: %s"), [hook.last_error]);
  return text;
}

function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(doc, label, ariaLabel, onClick) {
  const node = el(doc, "button", "link-button", label);
  node.type = "button";
  if (ariaLabel) node.setAttribute("aria-label", ariaLabel);
  node.addEventListener("click", onClick);
  return node;
}

// Copies the read-only `input`'s value with the Clipboard API, or else by selecting it
// for the browser's copy command; `status` says how it went.
export async function copyValue(doc, input, status, clipboard = globalThis.navigator?.clipboard) {
  input.focus();
  input.select();
  try {
    await clipboard.writeText(input.value);
    status.textContent = gettext("Copied.");
    return true;
  } catch {
    // No Clipboard API here (or no permission): the selection is the way.
  }
  let copied = false;
  try {
    copied = doc.execCommand("copy");
  } catch {
    copied = false;
  }
  status.textContent = copied
    ? gettext("Copied.")
    : gettext("It is selected: copy it with Ctrl+C (⌘C on a Mac).");
  return copied;
}

// Shows `value` once in `box`: `label`, the value in a read-only field with a Copy
// button, and that it isn't shown again.
export function showOnce(doc, box, label, value) {
  box.replaceChildren();
  const id = box.id + "-value";
  const caption = el(doc, "label", null, label);
  caption.htmlFor = id;
  const field = el(doc, "input");
  field.id = id;
  field.type = "text";
  field.readOnly = true;
  field.spellcheck = false;
  field.value = value;
  const status = el(doc, "p", "hint");
  status.setAttribute("role", "status");
  const copy = el(doc, "button", null, gettext("Copy"));
  copy.type = "button";
  copy.addEventListener("click", () => copyValue(doc, field, status));
  const row = el(doc, "div", "row");
  row.append(field, copy);
  const note = el(doc, "p", "hint", gettext("Copy it now: it isn't shown again."));
  box.append(caption, row, note, status);
  box.hidden = false;
  field.select();
}

// Forgets what showOnce showed.
export function hideOnce(box) {
  box.replaceChildren();
  box.hidden = true;
}

// One webhook or bot in a list: its name and lines about it, and its buttons; a
// "Rename" button opens a field under it. `rename(name)` and the buttons' actions are
// awaited; what they throw (an ApiError) goes to `onError(detail)`.
export function integrationItem(doc, { id, name, lines, rename, actions, onError }) {
  const item = el(doc, "li", "integration");
  item.dataset.id = String(id);
  item.dataset.name = name;
  const head = el(doc, "p", "integration-head");
  const title = el(doc, "strong", "integration-name", name);
  title.dir = "auto";
  head.append(title);
  item.append(head);
  for (const line of lines) {
    const node = el(doc, "p", line.className || "hint", line.text);
    if (line.state) node.dataset.state = line.state;
    item.append(node);
  }
  const buttons = el(doc, "div", "integration-actions");
  const form = renameForm(doc, name, rename, onError, () => {
    form.hidden = true;
    buttons.hidden = false;
  });
  buttons.append(
    button(doc, gettext("Rename"), interpolate(gettext("Rename %s"), [name]), () => {
      buttons.hidden = true;
      form.hidden = false;
      form.querySelector("input").focus();
      form.querySelector("input").select();
    }),
  );
  for (const action of actions) {
    buttons.append(
      button(doc, action.label, interpolate(action.ariaLabel, [name]), async () => {
        if (action.confirm && !globalThis.confirm(action.confirm)) return;
        try {
          await action.run();
        } catch (error) {
          onError(error.detail);
        }
      }),
    );
  }
  item.append(buttons, form);
  return item;
}

function renameForm(doc, name, rename, onError, close) {
  const form = el(doc, "form", "rename-form");
  form.hidden = true;
  form.noValidate = true;
  const field = el(doc, "input");
  field.name = "name";
  field.type = "text";
  field.value = name;
  field.dir = "auto";
  field.setAttribute("aria-label", interpolate(gettext("New name of %s"), [name]));
  const cancel = el(doc, "button", "link-button", gettext("Cancel"));
  cancel.type = "button";
  cancel.addEventListener("click", () => {
    field.value = name;
    close();
  });
  form.append(field, el(doc, "button", null, gettext("Save")), cancel);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await rename(field.value);
    } catch (error) {
      onError(error.detail);
    }
  });
  return form;
}

// Shows `detail` in an error line (`null`: hides it).
export function showError(line, detail) {
  line.textContent = detail || "";
  line.hidden = !detail;
}

export class IntegrationsDialog {
  // `canManage`: whether the reader may manage the room's webhooks (a member, or staff).
  constructor(doc, api, { roomName, canManage }) {
    this.doc = doc;
    this.api = api;
    this.roomName = roomName;
    this.dialog = doc.getElementById("integrations-dialog");
    const opener = doc.getElementById("integrations-open");
    if (!this.dialog || !opener || !canManage) return;
    const part = (id) => doc.getElementById(id);
    this.incoming = {
      list: part("incoming-list"),
      empty: part("incoming-empty"),
      error: part("incoming-error"),
      made: part("incoming-made"),
      form: part("incoming-form"),
    };
    this.outgoing = {
      list: part("outgoing-list"),
      empty: part("outgoing-empty"),
      error: part("outgoing-error"),
      made: part("outgoing-made"),
      form: part("outgoing-form"),
    };
    opener.hidden = false;
    opener.addEventListener("click", () => this.open());
    this.incoming.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.makeIncoming();
    });
    this.outgoing.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.makeOutgoing();
    });
    // A URL or secret is shown once: closing the dialog forgets it.
    this.dialog.addEventListener("close", () => {
      hideOnce(this.incoming.made);
      hideOnce(this.outgoing.made);
    });
  }

  async open() {
    if (!this.dialog.open) this.dialog.showModal();
    await Promise.all([this.loadIncoming(), this.loadOutgoing()]);
  }

  // --- incoming webhooks ---------------------------------------------------------------

  async loadIncoming() {
    try {
      const body = await this.api.get(integrationUrls.webhooks(this.roomName));
      this.renderIncoming(Array.isArray(body && body.webhooks) ? body.webhooks : []);
    } catch (error) {
      showError(this.incoming.error, error.detail);
    }
  }

  renderIncoming(hooks) {
    const onError = (detail) => showError(this.incoming.error, detail);
    this.incoming.list.replaceChildren(
      ...hooks.map((hook) =>
        integrationItem(this.doc, {
          id: hook.id,
          name: hook.name,
          lines: [{ text: madeText(hook) }],
          onError: onError,
          rename: async (name) => {
            await this.api.patch(integrationUrls.webhook(this.roomName, hook.id), { name: name });
            showError(this.incoming.error, null);
            await this.loadIncoming();
          },
          actions: [
            {
              label: gettext("Revoke"),
              ariaLabel: gettext("Revoke %s"),
              confirm: interpolate(
                gettext("Revoke the webhook “%s”? Its URL stops working at once."),
                [hook.name],
              ),
              run: async () => {
                await this.api.delete(integrationUrls.webhook(this.roomName, hook.id));
                await this.loadIncoming();
              },
            },
          ],
        }),
      ),
    );
    this.incoming.empty.hidden = hooks.length > 0;
  }

  async makeIncoming() {
    const field = this.incoming.form.elements.namedItem("incoming-name");
    try {
      const made = await this.api.post(integrationUrls.webhooks(this.roomName), {
        name: field.value.trim(),
      });
      showError(this.incoming.error, null);
      field.value = "";
      const label = interpolate(gettext("The URL of “%s”"), [made.name]);
      showOnce(this.doc, this.incoming.made, label, made.url);
      await this.loadIncoming();
    } catch (error) {
      showError(this.incoming.error, error.detail);
    }
  }

  // --- outgoing webhooks ---------------------------------------------------------------

  async loadOutgoing() {
    try {
      const body = await this.api.get(integrationUrls.outgoing(this.roomName));
      const hooks = body && body.outgoing_webhooks;
      this.renderOutgoing(Array.isArray(hooks) ? hooks : []);
    } catch (error) {
      showError(this.outgoing.error, error.detail);
    }
  }

  renderOutgoing(hooks) {
    const onError = (detail) => showError(this.outgoing.error, detail);
    const change = async (hook, fields) => {
      await this.api.patch(integrationUrls.outgoingOne(this.roomName, hook.id), fields);
      showError(this.outgoing.error, null);
      await this.loadOutgoing();
    };
    this.outgoing.list.replaceChildren(
      ...hooks.map((hook) => {
        const actions = [];
        if (hook.state === "failing") {
          actions.push({
            label: gettext("Resume"),
            ariaLabel: gettext("Resume %s"),
            run: () => change(hook, { active: true }),
          });
        }
        actions.push({
          label: gettext("Delete"),
          ariaLabel: gettext("Delete %s"),
          confirm: interpolate(
            gettext("Delete the outgoing webhook “%s”? Nothing more is sent to its URL."),
            [hook.name],
          ),
          run: async () => {
            await this.api.delete(integrationUrls.outgoingOne(this.roomName, hook.id));
            await this.loadOutgoing();
          },
        });
        return integrationItem(this.doc, {
          id: hook.id,
          name: hook.name,
          lines: [
            { text: hook.url, className: "integration-url" },
            { text: outgoingEventsText(hook) },
            {
              text: outgoingStateText(hook),
              className: "integration-state",
              state: hook.state === "failing" ? "failing" : "active",
            },
            { text: madeText(hook) },
          ],
          onError: onError,
          rename: (name) => change(hook, { name: name }),
          actions: actions,
        });
      }),
    );
    this.outgoing.empty.hidden = hooks.length > 0;
  }

  async makeOutgoing() {
    const form = this.outgoing.form;
    const checked = (event) => form.querySelector('input[value="' + event + '"]').checked;
    const events = EVENTS.filter(checked);
    const body = {
      url: form.elements.namedItem("outgoing-url").value.trim(),
      events: events,
      mentions_only: form.elements.namedItem("outgoing-mentions").checked,
    };
    const name = form.elements.namedItem("outgoing-name").value.trim();
    if (name) body.name = name;
    try {
      const made = await this.api.post(integrationUrls.outgoing(this.roomName), body);
      showError(this.outgoing.error, null);
      form.elements.namedItem("outgoing-url").value = "";
      form.elements.namedItem("outgoing-name").value = "";
      showOnce(
        this.doc,
        this.outgoing.made,
        interpolate(gettext("The signing secret of “%s”"), [made.name]),
        made.secret,
      );
      await this.loadOutgoing();
    } catch (error) {
      showError(this.outgoing.error, error.detail);
    }
  }
}
