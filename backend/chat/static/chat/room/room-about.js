// The room's topic under its title, and for those who manage it (admins, owners, a DM's
// two people) the "Topic…" dialog (PATCH /api/rooms/<name>/) and "Archive" /
// "Unarchive" (POST /api/rooms/<name>/archive/, .../unarchive/). An archived room
// shows a notice instead of a composer. Kept live by the `room` event.

import { apiUrls } from "./api.js";
import { gettext } from "./i18n.js";
import { safeNodes } from "./view.js";

// What the page shows of a room's state: {topicHtml, archived}, from the page's
// context, a `room` event or GET /api/rooms/ (each carries topic_html and archived).
export function aboutOf(room) {
  return {
    topic: typeof room.topic === "string" ? room.topic : "",
    topicHtml: typeof room.topic_html === "string" ? room.topic_html : "",
    description: typeof room.description === "string" ? room.description : "",
    archived: room.archived === true,
  };
}

export class RoomAbout {
  // onArchived(archived): the composer follows; onError(detail).
  constructor(doc, api, { roomName, context, onArchived, onError }) {
    this.doc = doc;
    this.api = api;
    this.roomName = roomName;
    this.onArchived = onArchived;
    this.onError = onError;
    this.topic = doc.getElementById("room-topic");
    this.notice = doc.getElementById("archived-notice");
    this.edit = doc.getElementById("room-about-edit");
    this.archive = doc.getElementById("room-archive");
    this.dialog = doc.getElementById("room-about-dialog");
    this.about = aboutOf(context);
    if (context.manager && this.edit && this.dialog) this.setUpEditing();
    if (context.manager && this.archive && context.kind !== "dm") this.setUpArchive();
    this.show(this.about);
  }

  setUpEditing() {
    const form = this.doc.getElementById("room-about-form");
    const topic = this.doc.getElementById("room-about-topic");
    const description = this.doc.getElementById("room-about-description");
    const error = this.doc.getElementById("room-about-error");
    this.edit.hidden = false;
    this.edit.addEventListener("click", () => {
      topic.value = this.about.topic;
      description.value = this.about.description;
      error.hidden = true;
      this.dialog.showModal();
      topic.focus();
    });
    form.addEventListener("submit", async (event) => {
      if (event.submitter && event.submitter.value === "cancel") return; // closes it
      event.preventDefault();
      try {
        const room = await this.api.patch(apiUrls.room(this.roomName), {
          topic: topic.value.trim(),
          description: description.value.trim(),
        });
        this.show(aboutOf(room));
        this.dialog.close();
      } catch (failure) {
        error.textContent = failure.detail || failure.message;
        error.hidden = false;
      }
    });
  }

  setUpArchive() {
    this.archive.hidden = false;
    this.archive.addEventListener("click", async () => {
      const archived = !this.about.archived;
      const url = archived ? apiUrls.archive(this.roomName) : apiUrls.unarchive(this.roomName);
      try {
        this.show(aboutOf(await this.api.post(url)));
      } catch (failure) {
        this.onError(failure.detail || failure.message);
      }
    });
  }

  // `about` from aboutOf(). The topic is HTML the server made safe (inline Markdown).
  show(about) {
    this.about = about;
    if (this.topic) {
      this.topic.replaceChildren(...safeNodes(about.topicHtml));
      this.topic.hidden = !about.topicHtml;
      this.topic.title = about.description;
    }
    if (this.notice) this.notice.hidden = !about.archived;
    if (this.archive) {
      this.archive.textContent = about.archived ? gettext("Unarchive") : gettext("Archive");
    }
    this.onArchived(about.archived);
  }
}
