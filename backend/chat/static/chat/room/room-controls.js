// The room header's controls for a signed-in person: what notifies them here (PUT
// /api/rooms/<name>/notifications/), leaving a public room's sidebar or closing a DM;
// and in a DM, "<name> is in Do Not Disturb" above the composer.

import { apiUrls } from "./api.js";
import { inDnd, localTime, shownName, statusNow } from "./faces.js";
import { formatTime } from "./formats.js";
import { gettext, interpolate } from "./i18n.js";
import { KIND, LEVEL, levelOf } from "./rooms.js";

export class RoomControls {
  // onError(detail), onLeft(): after leaving.
  constructor(doc, api, { roomName, context, onError, onLeft }) {
    this.doc = doc;
    this.api = api;
    this.roomName = roomName;
    this.level = doc.getElementById("room-level");
    this.leave = doc.getElementById("room-leave");
    this.dnd = doc.getElementById("dnd-notice");
    this.close = doc.getElementById("room-close");
    if (this.level) {
      this.level.value = levelOf({ kind: context.kind, level: context.level });
      this.level.addEventListener("change", async () => {
        try {
          const room = await api.put(apiUrls.notifications(roomName), { level: this.level.value });
          this.show(room);
        } catch (error) {
          onError(error.detail);
        }
      });
    }
    if (this.close && context.kind === KIND.DM && context.member) {
      this.close.hidden = false;
      this.close.addEventListener("click", async () => {
        try {
          await api.post(apiUrls.close(roomName));
          onLeft();
        } catch (error) {
          onError(error.detail);
        }
      });
    }
    if (this.leave && context.kind === KIND.PUBLIC && context.member) {
      this.leave.hidden = false;
      this.leave.addEventListener("click", async () => {
        try {
          await api.delete(apiUrls.member(roomName, context.username));
          onLeft();
        } catch (error) {
          onError(error.detail);
        }
      });
    }
  }

  // The room as GET /api/rooms/ lists it.
  show(room) {
    if (this.level && room) this.level.value = levelOf(room);
    if (this.level) this.level.dataset.level = this.level.value;
  }

  // The other person of a DM (their Profile), as of `nowMs`: their status and local
  // time in the header, and whether they are in Do Not Disturb.
  showOther(person, nowMs) {
    const header = this.doc.getElementById("dm-person");
    if (header && person) {
      const status = statusNow(person, nowMs);
      header.querySelector("[data-part=status]").textContent = status
        ? [status.emoji, status.text].join(" ").trim()
        : "";
      const time = localTime(person.time_zone, new Date(nowMs));
      const theirs = interpolate(gettext("%s for them"), [time]);
      header.querySelector("[data-part=time]").textContent = time ? theirs : "";
    }
    this.showDnd(person && inDnd(person, nowMs) ? [person] : []);
  }

  // "<name> is in Do Not Disturb …" above the composer, for these people (Profiles, as
  // GET /api/people/<username>/ has them: the DM's other person, or those the text
  // being written @mentions); nothing when there are none.
  showDnd(people) {
    if (!this.dnd) return;
    this.dnd.hidden = people.length === 0;
    const notice = gettext("%(name)s is in Do Not Disturb: they won't be notified until %(time)s.");
    this.dnd.textContent = people
      .map((person) => {
        const name = shownName({ user: person.username, name: person.display_name });
        return interpolate(notice, { name: name, time: formatTime(person.dnd_until) }, true);
      })
      .join(" ");
  }
}

export { LEVEL };
