// Files to send with the next message: picked with the Attach button, dropped on the
// conversation, or pasted into the composer. Each is uploaded at once (POST
// /api/rooms/<room>/attachments/) and shown as a chip until the message goes.

import { formatNumber } from "./formats.js";
import { gettext, interpolate } from "./i18n.js";

// A file's size for people: 512 B, 48 KiB, 2.5 MiB (digits and separators as the page's
// language writes them).
export function sizeText(bytes) {
  if (bytes < 1024) return interpolate(gettext("%s B"), [formatNumber(bytes)]);
  if (bytes < 1024 * 1024) {
    return interpolate(gettext("%s KiB"), [formatNumber(Math.round(bytes / 1024))]);
  }
  const mebibytes = Math.round((bytes / (1024 * 1024)) * 10) / 10;
  return interpolate(gettext("%s MiB"), [formatNumber(mebibytes, { fractionDigits: 1 })]);
}

export class Uploads {
  // `upload(file)`: a promise of the server's attachment ({id, name, ...}), or throws an
  // ApiError; `onError(detail)`: an upload failed.
  constructor(doc, { upload, onError, maxBytes }) {
    this.doc = doc;
    this.upload = upload;
    this.onError = onError;
    this.maxBytes = maxBytes;
    this.list = doc.getElementById("chat-attachments");
    this.input = doc.getElementById("chat-file-input");
    this.files = new Map(); // chip -> {id} once uploaded, {id: null} while uploading

    this.input.addEventListener("change", () => {
      this.add(this.input.files);
      this.input.value = "";
    });
    const zone = doc.getElementById("conversation");
    zone.addEventListener("dragover", (event) => {
      if (!event.dataTransfer || !event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      zone.classList.add("dropping");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dropping"));
    zone.addEventListener("drop", (event) => {
      zone.classList.remove("dropping");
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      this.add(event.dataTransfer.files);
    });
    doc.getElementById("chat-message-input").addEventListener("paste", (event) => {
      const files = event.clipboardData ? event.clipboardData.files : [];
      if (!files.length) return;
      event.preventDefault();
      this.add(files);
    });
  }

  get uploading() {
    return [...this.files.values()].some((entry) => entry.id === null);
  }

  ids() {
    return [...this.files.values()].filter((entry) => entry.id !== null).map((e) => e.id);
  }

  add(fileList) {
    for (const file of fileList) {
      if (file.size > this.maxBytes) {
        const detail = gettext("“%(name)s” is %(size)s; a file may be at most %(max)s.");
        const sizes = { name: file.name, size: sizeText(file.size), max: sizeText(this.maxBytes) };
        this.onError(interpolate(detail, sizes, true));
        continue;
      }
      this.start(file);
    }
  }

  async start(file) {
    const chip = this.doc.createElement("li");
    chip.className = "upload uploading";
    const label = this.doc.createElement("span");
    label.textContent = interpolate(gettext("%s (uploading…)"), [file.name]);
    label.dir = "auto";
    const remove = this.doc.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.textContent = gettext("Remove");
    remove.setAttribute("aria-label", interpolate(gettext("Remove %s"), [file.name]));
    remove.addEventListener("click", () => this.drop(chip));
    chip.append(label, remove);
    this.list.appendChild(chip);
    this.list.hidden = false;
    this.files.set(chip, { id: null });
    try {
      const attachment = await this.upload(file);
      if (!this.files.has(chip)) return; // removed meanwhile
      this.files.set(chip, { id: attachment.id });
      chip.classList.remove("uploading");
      label.textContent = attachment.name + " (" + sizeText(attachment.size) + ")";
    } catch (error) {
      this.drop(chip);
      const failed = { name: file.name, detail: error.detail || error.message };
      const detail = gettext("“%(name)s” wasn't uploaded: %(detail)s");
      this.onError(interpolate(detail, failed, true));
    }
  }

  drop(chip) {
    this.files.delete(chip);
    chip.remove();
    this.list.hidden = this.files.size === 0;
  }

  clear() {
    for (const chip of [...this.files.keys()]) this.drop(chip);
  }
}
