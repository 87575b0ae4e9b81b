// A person's card (`<dialog id="person-card">`): their picture, display name and
// username, status, Do Not Disturb, local time and "about", from GET /api/people/<u>/.
// Text is set with textContent only.

import { apiUrls } from "./api.js";
import { avatarUrl, inDnd, localTime, statusNow } from "./faces.js";

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

  show(person, nowMs) {
    const shown = person.display_name || person.username;
    this.part("avatar").src = person.avatar_url || avatarUrl(person.username, 256);
    this.part("name").textContent = shown;
    this.part("username").textContent = "@" + person.username;
    const status = statusNow(person, nowMs);
    this.part("status").textContent = status ? [status.emoji, status.text].join(" ").trim() : "";
    this.part("status").hidden = !status;
    this.part("dnd").hidden = !inDnd(person, nowMs);
    const time = localTime(person.time_zone, new Date(nowMs));
    this.part("time").textContent = time ? "Local time " + time + " (" + person.time_zone + ")" : "";
    this.part("time").hidden = !time;
    this.part("about").textContent = person.about || person.error || "";
    this.part("about").hidden = !(person.about || person.error);
    this.part("message").hidden = !this.me || person.username === this.me || Boolean(person.error);
    this.part("message").textContent = "Message " + shown;
  }
}
