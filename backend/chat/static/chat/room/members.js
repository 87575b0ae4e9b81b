// The members panel of a private room: who is in it (owners marked), adding someone by
// username, an invite link to copy, removing members (owners) and leaving (the others).

import { gettext, interpolate } from "./i18n.js";
import { formError, onTextSubmit } from "./sidebar.js";

function el(doc, tag, className, text) {
  const node = doc.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class MembersPanel {
  // `me`: our username; `owner`: whether we own the room. The callbacks return promises
  // that throw an ApiError: onAdd(username), onRemove(username), onInvite() -> url,
  // onLeave().
  constructor(doc, { me, owner, onAdd, onRemove, onInvite, onLeave }) {
    this.doc = doc;
    this.me = me;
    this.owner = owner;
    this.onRemove = onRemove;
    this.panel = doc.getElementById("members-panel");
    this.list = doc.getElementById("members");
    this.error = doc.getElementById("members-error");

    const form = doc.getElementById("add-member-form");
    const username = doc.getElementById("add-member-username");
    const addError = doc.getElementById("add-member-error");
    onTextSubmit(form, username, addError, gettext("Give their username."), async (value) => {
      await onAdd(value);
      username.value = "";
    });

    const invite = doc.getElementById("invite-button");
    const result = doc.getElementById("invite-result");
    const url = doc.getElementById("invite-url");
    const copied = doc.getElementById("invite-copied");
    invite.addEventListener("click", () =>
      this.attempt(invite, async () => {
        url.value = await onInvite();
        copied.textContent = "";
        result.hidden = false;
        url.focus();
        url.select();
      }),
    );
    doc.getElementById("invite-copy").addEventListener("click", async () => {
      url.select();
      try {
        await navigator.clipboard.writeText(url.value);
        copied.textContent = gettext("Copied.");
      } catch {
        copied.textContent = gettext("Select the link and copy it.");
      }
    });

    this.leave = doc.getElementById("leave-room");
    this.leave.hidden = owner;
    this.leave.addEventListener("click", () => this.attempt(this.leave, onLeave));
  }

  show() {
    this.panel.hidden = false;
  }

  // Runs `action` for a button: disabled meanwhile, its failure shown in the panel.
  async attempt(button, action) {
    button.disabled = true;
    formError(this.error, null, null);
    try {
      await action();
    } catch (error) {
      formError(this.error, null, error.detail || error.message);
    } finally {
      button.disabled = false;
    }
  }

  // `members`: [{username, owner}].
  render(members) {
    const sorted = [...members].sort(
      (a, b) => Number(b.owner) - Number(a.owner) || a.username.localeCompare(b.username),
    );
    this.list.replaceChildren(...sorted.map((member) => this.entry(member)));
  }

  entry(member) {
    const doc = this.doc;
    const item = el(doc, "li", "member");
    item.dataset.username = member.username;
    const name = el(doc, "span", "member-name", member.username);
    name.dir = "auto";
    item.appendChild(name);
    if (member.owner) item.appendChild(el(doc, "span", "badge", gettext("owner")));
    if (member.username === this.me) item.appendChild(el(doc, "span", "you", gettext("(you)")));
    if (this.owner && member.username !== this.me) {
      const remove = el(doc, "button", "member-remove", "×");
      remove.type = "button";
      const label = interpolate(gettext("Remove %s from the room"), [member.username]);
      remove.setAttribute("aria-label", label);
      remove.title = label;
      remove.addEventListener("click", () =>
        this.attempt(remove, () => this.onRemove(member.username)),
      );
      item.appendChild(remove);
    }
    return item;
  }
}
