// The JSON API (docs/api.md): addresses, and requests that answer the body or throw an
// ApiError carrying the server's `detail`.

import { gettext, interpolate } from "./i18n.js";

const enc = encodeURIComponent;

export const apiUrls = {
  rooms: () => "/api/rooms/",
  members: (room) => "/api/rooms/" + enc(room) + "/members/",
  member: (room, username) => "/api/rooms/" + enc(room) + "/members/" + enc(username) + "/",
  invitations: (room) => "/api/rooms/" + enc(room) + "/invitations/",
  read: (room) => "/api/rooms/" + enc(room) + "/read/",
  attachments: (room) => "/api/rooms/" + enc(room) + "/attachments/",
  notifications: (room) => "/api/rooms/" + enc(room) + "/notifications/",
  close: (room) => "/api/rooms/" + enc(room) + "/close/",
  room: (room) => "/api/rooms/" + enc(room) + "/",
  archive: (room) => "/api/rooms/" + enc(room) + "/archive/",
  unarchive: (room) => "/api/rooms/" + enc(room) + "/unarchive/",
  pins: (room) => "/api/rooms/" + enc(room) + "/pins/",
  pin: (room, seq) => "/api/rooms/" + enc(room) + "/pins/" + seq + "/",
  saved: () => "/api/me/saved/",
  emoji: () => "/emoji.json",
  threads: () => "/api/threads/",
  threadMessages: (room, seq, after, limit) =>
    "/api/rooms/" + enc(room) + "/threads/" + seq + "/messages/?after=" + after + "&limit=" + limit,
  threadFollow: (room, seq) => "/api/rooms/" + enc(room) + "/threads/" + seq + "/follow/",
  threadRead: (room, seq) => "/api/rooms/" + enc(room) + "/threads/" + seq + "/read/",
  preview: (room, seq) => "/api/rooms/" + enc(room) + "/messages/" + seq + "/preview/",
  savedOne: (room, seq) => "/api/me/saved/" + enc(room) + "/" + seq + "/",
  dms: () => "/api/dms/",
  person: (username) => "/api/people/" + enc(username) + "/",
  groups: () => "/api/groups/",
  pushKey: () => "/api/push/key/",
  pushSubscriptions: () => "/api/push/subscriptions/",
};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

function fallbackDetail(status) {
  if (status === 0) return gettext("The server can't be reached. Try again.");
  if (status === 401) return gettext("Sign in to do this.");
  if (status === 403) return gettext("You aren't allowed to do this.");
  return interpolate(gettext("Something went wrong (%s). Try again."), [status]);
}

export class Api {
  // `csrf`: the page's CSRF token; `fetch` can be replaced, for tests.
  constructor({ csrf, fetch }) {
    this.csrf = csrf;
    this.fetch = fetch || ((...args) => globalThis.fetch(...args));
  }

  get(url) {
    return this.request("GET", url);
  }

  post(url, body) {
    return this.request("POST", url, body);
  }

  // Uploads `file` as the multipart field "file".
  upload(url, file) {
    const form = new FormData();
    form.append("file", file);
    return this.request("POST", url, form);
  }

  patch(url, body) {
    return this.request("PATCH", url, body);
  }

  put(url, body) {
    return this.request("PUT", url, body);
  }

  delete(url) {
    return this.request("DELETE", url);
  }

  // The answer's JSON (null for an empty one), or throws an ApiError.
  async request(method, url, body) {
    const headers = { Accept: "application/json" };
    const init = { method: method, credentials: "same-origin", headers: headers };
    if (method !== "GET") headers["X-CSRFToken"] = this.csrf;
    if (body instanceof FormData) {
      init.body = body; // multipart: the browser sets its Content-Type and boundary
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await this.fetch(url, init);
    } catch {
      throw new ApiError(0, "network", fallbackDetail(0));
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const detail = data && typeof data.detail === "string" ? data.detail : null;
      const code = data && typeof data.code === "string" ? data.code : "http_" + response.status;
      throw new ApiError(response.status, code, detail || fallbackDetail(response.status));
    }
    return data;
  }
}
