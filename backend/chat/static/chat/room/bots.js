// The People page's "Bots" section, for admins: bots are made (their token shown once,
// with a Copy button), renamed and revoked through /api/bots/. Text is set with
// textContent only.

import { Api } from "./api.js";
import { gettext, interpolate } from "./i18n.js";
import {
  hideOnce,
  integrationItem,
  integrationUrls,
  madeText,
  showError,
  showOnce,
} from "./integrations.js";

export class BotsSection {
  constructor(doc, api) {
    this.doc = doc;
    this.api = api;
    const part = (id) => doc.getElementById(id);
    this.list = part("bots-list");
    this.empty = part("bots-empty");
    this.error = part("bots-error");
    this.made = part("bot-made");
    this.form = part("bot-form");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.make();
    });
  }

  async load() {
    try {
      const body = await this.api.get(integrationUrls.bots());
      this.render(Array.isArray(body && body.bots) ? body.bots : []);
    } catch (error) {
      showError(this.error, error.detail);
    }
  }

  render(bots) {
    const onError = (detail) => showError(this.error, detail);
    this.list.replaceChildren(
      ...bots.map((bot) =>
        integrationItem(this.doc, {
          id: bot.id,
          name: bot.name || bot.username,
          lines: [{ text: "@" + bot.username }, { text: madeText(bot) }],
          onError: onError,
          rename: async (name) => {
            await this.api.patch(integrationUrls.bot(bot.id), { name: name });
            showError(this.error, null);
            await this.load();
          },
          actions: [
            {
              label: gettext("Revoke"),
              ariaLabel: gettext("Revoke %s"),
              confirm: interpolate(
                gettext("Revoke the bot “%s”? Its account is deactivated and its tokens stop."),
                [bot.username],
              ),
              run: async () => {
                await this.api.delete(integrationUrls.bot(bot.id));
                hideOnce(this.made);
                await this.load();
              },
            },
          ],
        }),
      ),
    );
    this.empty.hidden = bots.length > 0;
  }

  async make() {
    const username = this.form.elements.namedItem("bot-username");
    const name = this.form.elements.namedItem("bot-name");
    try {
      const made = await this.api.post(integrationUrls.bots(), {
        username: username.value.trim(),
        name: name.value.trim(),
      });
      showError(this.error, null);
      username.value = name.value = "";
      const label = interpolate(gettext("The token of %s"), [made.username]);
      showOnce(this.doc, this.made, label, made.token);
      await this.load();
    } catch (error) {
      showError(this.error, error.detail);
    }
  }
}

const page = globalThis.document;
if (page && page.getElementById("bots")) {
  const csrf = page.querySelector("#bot-form [name=csrfmiddlewaretoken]").value;
  new BotsSection(page, new Api({ csrf: csrf })).load();
}
