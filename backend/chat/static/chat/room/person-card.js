// A person's card (`<dialog id="person-card">`): their picture, display name and
// username, status, Do Not Disturb, local time and "about", from GET /api/people/<u>/.
// The same card tells of the bot or webhook that posted a message: what it is, where
// and by whom it was made (GET /api/rooms/<name>/messages/<seq>/integration/).
// Text is set with textContent only.

import { apiUrls } from "./api.js";
import { avatarUrl, inDnd, localTime, statusNow } from "./faces.js";
import { gettext, interpolate } from "./i18n.js";
import { integrationUrls } from "./integrations.js";
import { formatDateTime } from "./formats.js";

// The parts only the card of a bot or webhook shows.
const INTEGRATION_PARTS = ["kind", "what", "made"];

export class PersonCard {
  // onMessage(username): its "Message" button was clicked (null: no button).
  constructor(doc, api, { me, onMessage }) {
    this.doc = doc;
    this.api = api;
    this.me = me;
    this.onMessage = onMessage;
    this.dialog = doc.getElementById("person-card");
    this.part = (name) => this.dialog.querySelector("[data-part=" + name + "]");
    this.username = null;
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close(); // a click on the backdrop
    });
    this.part("close").addEventListener("click", () => this.dialog.close());
    this.part("message").addEventListener("click", () => {
      this.dialog.close();
      if (this.username) this.onMessage(this.username);
    });
  }

  async open(username) {
    this.username = username;
    let person;
    try {
      person = await this.api.get(apiUrls.person(username));
    } catch (error) {
      person = { username: username, display_name: "", error: error.detail };
    }
    this.show(person, Date.now());
    if (!this.dialog.open) this.dialog.showModal();
  }

  // The card of the bot or webhook that posted message `seq` of room `roomName`.
  async openIntegration(roomName, seq) {
    this.username = null;
    let card;
    try {
      card = await this.api.get(integrationUrls.messageIntegration(roomName, seq));
    } catch (error) {
      card = { kind: "", name: "", error: error.detail };
    }
    this.showIntegration(card);
    if (!this.dialog.open) this.dialog.showModal();
  }

  showIntegration(card) {
    for (const name of ["username", "status", "dnd", "time", "message", "about"]) {
      this.part(name).hidden = true;
    }
    this.part("avatar").src = avatarUrl(card.username || card.name, 256);
    this.part("name").textContent = card.name;
    const webhook = card.kind === "webhook";
    this.part("kind").textContent = webhook ? gettext("Webhook") : gettext("Bot");
    this.part("kind").hidden = !card.kind;
    if (card.username) {
      this.part("username").textContent = "@" + card.username;
      this.part("username").hidden = false;
    }
    let what = webhook
      ? interpolate(gettext("Posts in %s through an incoming webhook."), [card.room])
      : gettext("A bot account: a program that posts with an API token.");
    if (card.kind && !card.active) what += " " + gettext("It was revoked: it no longer posts.");
    this.part("what").textContent = card.error || what;
    this.part("what").hidden = false;
    const when = card.created ? formatDateTime(card.created) : "";
    const by = { who: card.created_by, when: when };
    let made = "";
    if (card.created_by && when) made = interpolate(gettext("Made by %(who)s on %(when)s."), by, true);
    else if (when) made = interpolate(gettext("Made on %(when)s."), by, true);
    this.part("made").textContent = made;
    this.part("made").hidden = !made;
  }

  show(person, nowMs) {
    for (const name of INTEGRATION_PARTS) this.part(name).hidden = true;
    this.part("username").hidden = false;
    const shown = person.display_name || person.username;
    this.part("avatar").src = person.avatar_url || avatarUrl(person.username, 256);
    this.part("name").textContent = shown;
    this.part("username").textContent = "@" + person.username;
    const status = statusNow(person, nowMs);
    this.part("status").textContent = status ? [status.emoji, status.text].join(" ").trim() : "";
    this.part("status").hidden = !status;
    this.part("dnd").hidden = !inDnd(person, nowMs);
    const time = localTime(person.time_zone, new Date(nowMs));
    const where = { time: time, zone: person.time_zone };
    const local = interpolate(gettext("Local time %(time)s (%(zone)s)"), where, true);
    this.part("time").textContent = time ? local : "";
    this.part("time").hidden = !time;
    this.part("about").textContent = person.about || person.error || "";
    this.part("about").hidden = !(person.about || person.error);
    this.part("message").hidden = !this.me || person.username === this.me || Boolean(person.error);
    this.part("message").textContent = interpolate(gettext("Message %s"), [shown]);
  }
}
