// The room page: one WebSocket to /ws/chat/<room>/ that never loses a message.
// state.js decides, socket.js carries frames, view.js shows; this module wires them,
// sends what the state leaves in its outbox and keeps one timer for its deadlines.

import { Api, apiUrls } from "./api.js";
import { Composer } from "./composer.js";
import { Uploads } from "./uploads.js";
import { MembersPanel } from "./members.js";
import { MentionBox } from "./mention-box.js";
import { BROADCASTS, mentionCandidates, mentionedNames } from "./mentions.js";
import { inDnd, nextChange } from "./faces.js";
import { formatTime, usePersonTimeZone } from "./formats.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { IntegrationsDialog } from "./integrations.js";
import { PersonCard } from "./person-card.js";
import { attachPicker } from "./people-picker.js";
import { EmojiPicker, quickReactions } from "./emoji-picker.js";
import { PinsPanel, SavedPanel } from "./kept.js";
import { RoomAbout, aboutOf } from "./room-about.js";
import { RoomControls } from "./room-controls.js";
import * as notify from "./notify.js";
import { typingText } from "./people.js";
import { NewSince, ReadMarker } from "./read.js";
import { Shortcuts, lastEditable } from "./keyboard.js";
import { QuickSwitcher, switcherCandidates } from "./quick-switcher.js";
import { KIND, roomContext, sidebarModel, tabTitle } from "./rooms.js";
import { RoomSocket, socketUrl } from "./socket.js";
import { browserStorage, SavedPending } from "./saved.js";
import { SidebarView } from "./sidebar.js";
import { RoomState } from "./state.js";
import { ThreadPanel, ThreadsView, inThread } from "./threads.js";
import { Throttle } from "./throttle.js";
import { RoomView } from "./view.js";

const OLDER_PAGE_SIZE = 50;
// A search result opens the room at its message: /chat/<room>/?around=<seq>.
let openAt = Number.parseInt(new URLSearchParams(window.location.search).get("around"), 10) || null;
// The Threads view opens a thread of another room at /chat/<room>/?thread=<seq>.
let openThreadAt =
  Number.parseInt(new URLSearchParams(window.location.search).get("thread"), 10) || null;
const ROOMS_REFRESH_EVERY_MS = 1000;
const INVITATION_HOURS = 72;
const FORBIDDEN_CLOSE = 4403;

function embedded(id) {
  const element = document.getElementById(id);
  return element === null ? null : JSON.parse(element.textContent);
}

function now() {
  return performance.now();
}

function newNonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const roomName = embedded("room-name");
const context = roomContext(embedded("room-context"), roomName);
usePersonTimeZone(context.time_zone); // times show in the person's zone (else the browser's)
const closeCodes = embedded("close-codes");
const limits = embedded("limits");
const forbiddenCode = (closeCodes.codes && closeCodes.codes.FORBIDDEN) || FORBIDDEN_CLOSE;
const state = new RoomState({
  finalCloseCodes: [...closeCodes.final, forbiddenCode],
  forbiddenCode: forbiddenCode,
});
const api = new Api({ csrf: embedded("csrf-token") });
let opens = 0; // sockets that opened: after the first, the sidebar is fetched again
let tickTimer = null;
let tooFastShown = false; // the error line shows a `rate_limited` notice
const saved = new SavedPending(browserStorage(window), roomName);
let restored = false; // what an earlier page left pending has been taken up
let myFace = null; // the last `identity` frame: our display name, status, Do Not Disturb

const socket = new RoomSocket({
  url: () => socketUrl(window.location, roomName, state.after),
  onConnecting: () => update(() => state.connecting()),
  onOpen: () => update(() => opened()),
  onFrame: (frame) => update(() => handle(frame)),
  onClose: (code) => update(() => closed(code)),
});

const view = new RoomView(document, {
  onEdit: (seq, text) => composer.startEditing(seq, text),
  onReply: (seq, user, text) => composer.startReplying(seq, user, snippetOf(text)),
  onShowOriginal: (seq) => showOriginal(seq),
  onReact: (seq, emoji) => react(seq, emoji),
  onDelete: (seq) => socket.send({ type: "delete", seq: seq }),
  onMute: (seq, minutes) => socket.send({ type: "mute", seq: seq, minutes: minutes }),
  onNearTop: loadOlder,
  onMessagePerson: (username) => openDm(username).catch((error) => showError(error.detail)),
  onSeen: markRead,
  onPerson: (username) => personCard.open(username),
  onIntegration: (seq) => personCard.openIntegration(roomName, seq),
  onMarkUnread: (seq) => markUnread(seq),
  onPin: (seq) => pinsPanel.pin(seq),
  onSave: (seq) => savedPanel.save(roomName, seq),
  onPickReaction: (seq, opener) =>
    emojiPicker.open((emoji) => {
      react(seq, emoji);
      opener.focus();
    }),
  quickReactions: () => quickReactions(browserStorage(window)),
  onOpenThread: (seq) => threadPanel.show(seq),
  onRemovePreview: (seq) =>
    api.delete(apiUrls.preview(roomName, seq)).catch((error) => showError(error.detail)),
  editWindowMinutes: limits.edit_window_minutes,
});

function react(seq, emoji) {
  if (!socket.send({ type: "react", seq: seq, emoji: emoji })) {
    showError(
      gettext("Not connected: the reaction was not sent. Try again once the room is back."),
    );
  }
}

const emojiPicker = new EmojiPicker(document, browserStorage(window), async () => {
  const body = await api.get(apiUrls.emoji());
  return Array.isArray(body && body.emoji) ? body.emoji : [];
});

const personCard = new PersonCard(document, api, {
  me: context.username,
  onMessage: (username) => openDm(username).catch((error) => showError(error.detail)),
});

// The room's webhooks, for its members and staff (whom the page knows as managers).
new IntegrationsDialog(document, api, {
  roomName: roomName,
  canManage: context.signed_in && (context.member || context.manager),
});

const controls = new RoomControls(document, api, {
  roomName: roomName,
  context: context,
  onError: (detail) => showError(detail),
  onLeft: () => window.location.assign("/chat/"),
});

const uploads = new Uploads(document, {
  upload: (file) => api.upload(apiUrls.attachments(roomName), file),
  onError: (detail) => showError(detail),
  maxBytes: limits.upload_max_bytes,
});

const composer = new Composer(document, {
  maxLength: limits.max_length,
  uploads: uploads,
  onSend: (text, extra) => update(() => send(text, extra)),
  onEdit: (seq, text) => edit(seq, text),
  onType: (text) => {
    update(() => state.typed(text, now()));
    warnOfDnd(text);
  },
  onRefuse: (detail) => showError(detail),
  isChoosing: () => mentionBox.open,
});

const roomAbout = new RoomAbout(document, api, {
  roomName: roomName,
  context: context,
  onArchived: (archived) => {
    context.archived = archived;
    if (!state.forbidden) composer.setDisabled(archived);
  },
  onError: (detail) => showError(detail),
});

const threadPanel = new ThreadPanel(document, api, {
  roomName: roomName,
  view: view,
  onSend: (text, root, alsoRoom) => update(() => sendInThread(text, root, alsoRoom)),
  me: () => state.me,
  signedIn: context.signed_in,
  onRead: () => threadsRefresh.call(),
});
const threadsView = new ThreadsView(document, api, {
  onOpen: (room, seq) => {
    if (room !== roomName) return false; // another room's page opens it
    threadPanel.show(seq);
    return true;
  },
});
const threadsRefresh = new Throttle(ROOMS_REFRESH_EVERY_MS, () => {
  if (context.signed_in) threadsView.refresh();
});

const pinsPanel = new PinsPanel(document, api, {
  roomName: roomName,
  onShow: (seq) => showOriginal(seq),
  onError: (detail) => showError(detail),
});
const savedPanel = new SavedPanel(document, api, { onError: (detail) => showError(detail) });

// --- the sidebar, the tab's title -------------------------------------------------------

// The last GET /api/rooms/; at first, the person's own rooms as the page came with them
// (a copy kept for offline use shows them too).
let apiRooms = embedded("own-rooms") || [];
let roomsStale = false; // the last GET failed (offline): the next connection asks again

const sidebar = new SidebarView(document, {
  onNewRoom: async (name, isPrivate) => {
    const room = await api.post(apiUrls.rooms(), { name: name, private: isPrivate });
    window.location.assign(room.url);
  },
  onNewDm: openDm,
});

async function openDm(username) {
  const room = await api.post(apiUrls.dms(), { username: username });
  window.location.assign(room.url);
}

function showRooms() {
  controls.show(apiRooms.find((room) => room.name === roomName));
  const model = sidebarModel(apiRooms, context);
  sidebar.render(model);
  document.title = tabTitle(context.title, model.unread);
}

async function fetchRooms() {
  try {
    const body = await api.get(apiUrls.rooms());
    apiRooms = Array.isArray(body && body.rooms) ? body.rooms : [];
    roomsStale = false;
    showRooms();
  } catch {
    // Keep the last list; the next activity or reconnect fetches it again.
    roomsStale = true;
  }
}

// Guests have only the room they are in: nothing to fetch.
const roomsRefresh = new Throttle(ROOMS_REFRESH_EVERY_MS, () => {
  if (context.signed_in) fetchRooms();
});

// --- read marks -------------------------------------------------------------------------

const readMarker = context.signed_in
  ? new ReadMarker({
      known: context.last_read,
      post: (seq) => api.post(apiUrls.read(roomName), { seq: seq, forward: true }).catch(() => {}),
    })
  : null;
const newSince = new NewSince(context.signed_in ? context.last_read : null);

// While the page is visible and its newest message is in view, the read mark follows.
function markRead() {
  if (readMarker === null || !state.log.synced || state.forbidden) return;
  if (document.visibilityState !== "visible" || !view.newestInView()) return;
  if (state.log.newest > 0) readMarker.seen(state.log.newest);
}

// "Mark unread from here": the read mark goes back to just before `seq`, in every tab.
async function markUnread(seq) {
  try {
    await api.post(apiUrls.read(roomName), { seq: seq - 1 });
  } catch (error) {
    showError(error.detail);
  }
}

// The read mark moved back to `seq` (here or in another tab): the line goes before the
// next message, which stays unread while shown.
function readMovedBack(seq) {
  if (readMarker) readMarker.moved(seq, state.log.newest);
  const next = Math.min(...[...state.log.seqs].filter((shown) => shown > seq));
  if (Number.isFinite(next)) view.placeNewSince(next);
}

document.addEventListener("visibilitychange", markRead);
window.addEventListener("focus", markRead);

// --- @mentions --------------------------------------------------------------------------

let members = null; // the room's members' usernames, once fetched
let groups = []; // the organization's groups ({name, members}), once fetched
const shownNames = new Map(); // username -> display name, of members and people here

// How the names of the @ list show: display names, @all and @here, groups.
function mentionLabels() {
  const labels = new Map(shownNames);
  for (const person of state.presence.sorted()) if (person.name) labels.set(person.user, person.name);
  if (context.all_mentions && state.me && !state.me.guest) {
    for (const [word, label] of BROADCASTS) labels.set(word, label);
  }
  for (const group of groups) {
    const size = group.members.length;
    labels.set(group.name, interpolate(ngettext("group of %s", "group of %s", size), [size]));
  }
  return labels;
}

const mentionBox = new MentionBox(
  document,
  document.getElementById("chat-message-input"),
  document.getElementById("mention-list"),
  {
    names: () => {
      const present = context.kind === KIND.PUBLIC
        ? state.presence.sorted().map((person) => person.user)
        : [];
      const many = context.all_mentions && state.me && !state.me.guest ? [...BROADCASTS.keys()] : [];
      const named = [...(members || []), ...many, ...groups.map((group) => group.name)];
      return mentionCandidates(named, present, state.me && state.me.user);
    },
    labels: mentionLabels,
    isPerson: (name) => !BROADCASTS.has(name) && !groups.some((group) => group.name === name),
    // A public room's members are listed to signed-in people only.
    onFirstAt: () => {
      if (context.kind === KIND.PUBLIC && !(state.me && !state.me.guest)) return;
      fetchMembers().then(() => mentionBox.refresh()).catch(() => {});
      api.get(apiUrls.groups()).then((body) => {
        groups = Array.isArray(body && body.groups) ? body.groups : [];
        mentionBox.refresh();
      }).catch(() => {});
    },
  },
);

async function fetchMembers() {
  const body = await api.get(apiUrls.members(roomName));
  const list = Array.isArray(body && body.members) ? body.members : [];
  members = list.map((member) => member.username);
  for (const member of list) if (member.display_name) shownNames.set(member.username, member.display_name);
  return list;
}

// --- a private room's members panel ------------------------------------------------------

function setUpMembersPanel() {
  if (context.kind !== KIND.PRIVATE || !context.member || !context.signed_in) return;
  const panel = new MembersPanel(document, {
    me: context.username,
    owner: context.owner,
    onAdd: async (username) => {
      await api.post(apiUrls.members(roomName), { username: username });
      await showMembers();
    },
    onRemove: async (username) => {
      await api.delete(apiUrls.member(roomName, username));
      await showMembers();
    },
    onInvite: async () => {
      const invitation = await api.post(apiUrls.invitations(roomName), {
        hours: INVITATION_HOURS,
      });
      return invitation.url;
    },
    onLeave: async () => {
      await api.delete(apiUrls.member(roomName, context.username));
      window.location.assign("/chat/");
    },
  });
  async function showMembers() {
    panel.render(await fetchMembers());
  }
  panel.show();
  showMembers().catch(() => {});
  membersChanged = () => showMembers().catch(() => {});
}

// Called when the server says the room's members changed (someone joined or left).
let membersChanged = () => {};

// --- notifications ----------------------------------------------------------------------

function setUpNotifications() {
  const button = document.getElementById("notifications-enable");
  const line = document.getElementById("notifications-state");
  if (button === null) return; // not signed in
  const texts = {
    on: gettext("Notifications on"),
    blocked: gettext("Notifications are blocked in this browser's settings."),
    off: "",
    unsupported: "",
  };
  function show() {
    const shown = notify.notificationsState(notify.permission(window));
    button.hidden = shown !== "off";
    line.textContent = texts[shown];
    line.hidden = !texts[shown];
    return shown;
  }
  button.addEventListener("click", async () => {
    const permission = await notify.requestPermission(window);
    show();
    if (permission === "granted") notify.subscribePush(window, api);
  });
  if (show() === "on") notify.subscribePush(window, api);
}

// Runs `change`, then sends what the state wants sent, refreshes what depends on it
// everywhere and sets the timer for its next deadline. Returns what `change` returned.
function update(change) {
  const result = change();
  for (const frame of state.takeOutbox()) socket.send(frame);
  view.setStatus(state.status);
  view.renderTyping(typingText(state.typists.names()));
  if (tooFastShown && !state.throttled) {
    // Every message held back has gone out: the notice no longer applies.
    tooFastShown = false;
    view.clearError();
  }
  window.clearTimeout(tickTimer);
  const deadline = state.nextDeadline();
  if (deadline !== null) {
    tickTimer = window.setTimeout(() => update(() => state.tick(now())), deadline - now());
  }
  return result;
}

function showMessage(frame) {
  view.renderMessage(frame, {
    nextSeq: state.log.nextAfter(frame.seq),
    me: state.me,
    live: state.log.synced,
  });
  const mine = state.isMine(frame.uid);
  if (newSince.place(frame.seq, { mine: mine, deleted: Boolean(frame.deleted) })) {
    view.placeNewSince(frame.seq);
  }
}

let presenceTimer = null;

// Who is here; shown again when a status or Do Not Disturb ends by itself.
function showPresence() {
  const people = state.presence.sorted();
  view.renderPresence(people, state.me, Date.now());
  window.clearTimeout(presenceTimer);
  const next = nextChange(people, Date.now());
  if (next !== null) presenceTimer = window.setTimeout(showPresence, Math.min(next - Date.now() + 50, 2 ** 31 - 1));
}

function opened() {
  state.opened();
  opens += 1;
  if (opens > 1 || roomsStale) roomsRefresh.call(); // what changed while we were away
}

function closed(code) {
  const delay = state.closed(code, Math.random());
  if (state.forbidden) {
    composer.disable();
    mentionBox.close();
    if (!context.signed_in) document.getElementById("forbidden-help").hidden = false;
  }
  return delay;
}

function showError(detail, tooFast = false) {
  tooFastShown = tooFast;
  view.showError(detail);
}

// The start of a message's text on one line, as a reply quotes it.
function snippetOf(text) {
  const line = text.split(/\s+/).join(" ").trim();
  return line.length > 80 ? line.slice(0, 79) + "…" : line;
}

// Shows message `seq`, loading older history until it is there (or there is no more).
async function showOriginal(seq) {
  while (!view.showMessage(seq)) {
    if (state.log.seqs.has(seq)) return; // in the log but not shown: deleted
    const oldest = state.log.oldest;
    if (oldest === null || oldest <= seq) return;
    if (!(await loadOlder())) return; // nothing older, or a load already running
  }
}

// What a pending message shows: its text, or how many files it carries.
function pendingText(text, extra) {
  const files = extra && extra.attachments ? extra.attachments.length : 0;
  if (text || !files) return text;
  return interpolate(ngettext("%s file", "%s files", files), [files]);
}

// `extra`: the message's other fields ({reply_to, attachments}), if any.
function send(text, extra = null) {
  const nonce = newNonce();
  if (!state.submit(text, nonce, extra)) {
    showError(gettext("This room can't be joined."));
    return;
  }
  if (!tooFastShown) view.clearError();
  view.addPending(nonce, pendingText(text, extra), state.me);
  composer.clear();
  warnOfDnd("");
  if (state.me) saved.save(state.me.id, nonce, text, Date.now(), extra);
}

// A reply in the thread of `root`; returns its nonce (null when it can't be sent).
function sendInThread(text, root, alsoRoom) {
  const nonce = newNonce();
  const extra = alsoRoom ? { thread: root, also_room: true } : { thread: root };
  if (!state.submit(text, nonce, extra)) {
    showError(gettext("This room can't be joined."));
    return null;
  }
  if (state.me) saved.save(state.me.id, nonce, text, Date.now(), extra);
  return nonce;
}

// An edit goes out only while connected (it isn't queued like a new message): the text
// stays in the box otherwise, to save again.
function edit(seq, text) {
  if (!socket.send({ type: "edit", seq: seq, message: text })) {
    showError(gettext("Not connected: the edit was not saved. Try again once the room is back."));
    return;
  }
  view.clearError();
  composer.stopEditing();
}

// Once we know who we are: keeps what is pending in the browser's storage, and (the
// first time) takes up what an earlier page of this room left pending, to send it now.
function keepPending() {
  const uid = state.me.id;
  for (const [nonce, text] of state.pending.texts) {
    saved.save(uid, nonce, text, Date.now(), state.pending.extras.get(nonce) ?? null);
  }
  if (restored) return;
  restored = true;
  for (const { nonce, text, extra } of saved.load(uid)) {
    if (!state.pending.has(nonce) && state.submit(text, nonce, extra ?? null)) {
      if (!(extra && extra.thread)) view.addPending(nonce, pendingText(text, extra), state.me);
    }
  }
}

function handle(frame) {
  if (Object.hasOwn(handlers, frame.type)) handlers[frame.type](frame);
}

const handlers = {
  message(frame) {
    const { fresh, acked } = state.message(frame, now());
    if (acked) {
      view.removePending(acked);
      saved.remove(acked);
    }
    if (fresh && inThread(frame)) {
      // A reply in a thread: in its panel when open; its root's summary says the rest.
      if (threadPanel.add(frame)) threadPanel.markRead();
      markRead();
    } else if (fresh) {
      showMessage(frame);
      markRead();
    }
  },
  thread_summary(frame) {
    view.setThreadSummary(frame);
    threadsRefresh.call();
  },
  ready(frame) {
    if (state.readyFrame(frame)) {
      newSince.settle(state.log.lastSeq);
      view.scrollToBottom();
      // The first message not read yet shows, even if it is far up.
      if (view.newSince) view.newSince.scrollIntoView({ block: "nearest" });
      if (openAt !== null) showOriginal(openAt);
      openAt = null;
      if (openThreadAt !== null) threadPanel.show(openThreadAt);
      openThreadAt = null;
    }
    markRead();
  },
  activity(frame) {
    // New messages here, on a page being looked at, are read as they show: the counts
    // don't change. Elsewhere, they do: fetch them (at most once a second).
    if (frame.room !== roomName || document.visibilityState !== "visible") roomsRefresh.call();
    threadsRefresh.call();
    const note = notify.notificationFor(frame, {
      visibility: document.visibilityState,
      permission: notify.permission(window),
      rooms: apiRooms,
      me: context.username,
      dnd: inDnd(myFace, Date.now()),
    });
    if (note) notify.show(window, note);
  },
  read(frame) {
    if (frame.room === roomName && readMarker && frame.seq < readMarker.sent) {
      readMovedBack(frame.seq);
      roomsRefresh.call();
      return;
    }
    if (frame.room === roomName && readMarker) readMarker.moved(frame.seq);
    if (frame.room === roomName && frame.seq >= state.log.newest) {
      // Read to the end here (most often by this very page): nothing left to count.
      apiRooms = apiRooms.map((room) =>
        room.name === roomName ? { ...room, unread: 0, mentions: 0, last_read: frame.seq } : room,
      );
      showRooms();
    } else {
      roomsRefresh.call();
    }
  },
  rooms() {
    roomsRefresh.call();
  },
  members() {
    membersChanged();
  },
  // A slash command ran instead of posting: its answer for this person alone, or
  // (text null) posted to the room, where it arrives as a message.
  command_reply(frame) {
    if (frame.nonce && state.pending.has(frame.nonce)) {
      state.pending.remove(frame.nonce);
      saved.remove(frame.nonce);
    }
    view.commandReply(frame.nonce, frame.command, frame.text);
  },
  preview(frame) {
    view.setPreview(frame);
  },
  pins(frame) {
    pinsPanel.show(frame.pins);
  },
  // The room's topic, description or archived state changed.
  room(frame) {
    roomAbout.show(aboutOf(frame));
    roomsRefresh.call();
  },
  identity(frame) {
    myFace = frame; // our own display name, status and Do Not Disturb
    state.identity(frame);
    keepPending();
    view.setIdentity(frame.user);
    showPresence();
  },
  presence(frame) {
    if (state.presence.snapshot(frame)) showPresence();
  },
  join(frame) {
    if (state.joinOrLeave(frame)) showPresence();
  },
  leave(frame) {
    if (state.joinOrLeave(frame)) showPresence();
  },
  // Several joins and leaves at once (people arriving together), in order.
  presence_changes(frame) {
    let changed = false;
    for (const change of frame.changes) changed = state.joinOrLeave(change) || changed;
    if (changed) showPresence();
  },
  typing(frame) {
    state.typing(frame, now());
  },
  edit(frame) {
    view.editMessage(frame, state.me);
  },
  reactions(frame) {
    view.setReactions(frame, state.me);
  },
  delete(frame) {
    if (composer.editing === frame.seq) composer.stopEditing();
    view.deleteMessage(frame.seq);
  },
  mute(frame) {
    const muted = { user: frame.user, time: formatTime(frame.until) };
    showError(interpolate(gettext("%(user)s is muted here until %(time)s."), muted, true));
  },
  error(frame) {
    if (frame.code === "confirm_required" && state.pending.has(frame.nonce)) {
      // @all, @room or @here would notify many: ask, then send it again confirmed.
      const many = ngettext("Notify all %s person?", "Notify all %s people?", frame.people);
      const question = Number.isInteger(frame.people)
        ? interpolate(many, [frame.people])
        : gettext("Notify everyone?");
      if (window.confirm(question)) {
        state.confirm(frame.nonce);
        return;
      }
    }
    const refused = state.error(frame, now());
    if (refused) {
      view.failPending(refused);
      saved.remove(refused);
    }
    showError(frame.detail, frame.code === "rate_limited");
  },
};

// In a DM: whether the other person is in Do Not Disturb, said above the composer.
async function showOtherPerson() {
  if (context.kind !== KIND.DM || !context.dm_with) return;
  try {
    controls.showOther(await api.get(apiUrls.person(context.dm_with)), Date.now());
  } catch {
    // no notice: writing still works
  }
}

// In a room (a DM says it from the start): whether someone the text being written
// @mentions is in Do Not Disturb. Each person is looked up once, when first mentioned.
const profiles = new Map(); // folded username -> their Profile (null: none), or a promise
function warnOfDnd(text) {
  if (context.kind === KIND.DM || !context.signed_in) return;
  const names = [...mentionedNames(text)].filter((name) => !BROADCASTS.has(name));
  const found = [];
  for (const name of names.slice(0, 10)) {
    const known = profiles.get(name);
    if (known === undefined) {
      profiles.set(name, api.get(apiUrls.person(name)).then(
        (person) => profiles.set(name, person),
        () => profiles.set(name, null),
      ).then(() => warnOfDnd(composer.input.value)));
    } else if (known && !(known instanceof Promise) && inDnd(known, Date.now())) {
      found.push(known);
    }
  }
  controls.showDnd(found);
}

// Loads the page of messages before the oldest shown; whether it got one.
async function loadOlder() {
  const before = state.olderStart();
  if (before === null) return false;
  let exhausted = false;
  try {
    const url = "/chat/" + encodeURIComponent(roomName) + "/messages/?before=" + before +
      "&limit=" + OLDER_PAGE_SIZE;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return false;
    const page = await response.json();
    view.keepingScrollPosition(() => {
      for (const frame of page.messages) {
        if (state.log.add(frame.seq) && !inThread(frame)) showMessage(frame);
      }
    });
    exhausted = !page.has_more;
    return true;
  } finally {
    state.olderDone(exhausted);
  }
}

// Closing the page with messages not yet acknowledged asks first (they are kept anyway).
window.addEventListener("beforeunload", (event) => {
  if (!state.hasPending) return;
  event.preventDefault();
  event.returnValue = "";
});

// A visitor becomes a guest (a session, shared by their tabs) when the page first
// connects, not by viewing it; if that request fails, the handshake makes one instead.
async function becomeGuest() {
  try {
    await fetch("/accounts/guest/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": embedded("csrf-token") },
    });
  } catch (error) {
    // offline: the WebSocket will say so
  }
}

// --- keyboard shortcuts (keyboard.js lists them) ---------------------------------------

// Esc: everything here is read, wherever the log is scrolled; whether there was
// anything to mark.
function markAllRead() {
  if (readMarker === null || state.forbidden || !state.log.synced) return false;
  const newest = state.log.newest;
  if (newest <= 0 || newest <= readMarker.sent) return false;
  readMarker.moved(newest);
  api.post(apiUrls.read(roomName), { seq: newest, forward: true }).catch(() => {});
  return true;
}

// The log's messages that are mine, oldest first, for ↑ in an empty box.
function myMessages() {
  const items = view.log.querySelectorAll(":scope > li.mine:not(.pending):not(.deleted)");
  return [...items].map((item) => {
    const seq = Number(item.dataset.seq);
    const sentAt = item.dataset.sentAt;
    return { seq: seq, uid: item.dataset.uid, sent_at: sentAt, message: view.texts.get(seq) };
  });
}

const quickSwitcher = new QuickSwitcher(document, {
  candidates: (people) => switcherCandidates(apiRooms, context, people),
  findPeople: async (text) => {
    if (!context.signed_in) return [];
    const body = await api.get("/api/people/?q=" + encodeURIComponent(text));
    return body && body.people;
  },
  onOpen: (candidate) => {
    if (candidate.kind !== "person") window.location.assign(candidate.url);
    else openDm(candidate.username).catch((error) => showError(error.detail));
  },
});
new Shortcuts(document, {
  sidebarRooms: () => {
    const model = sidebarModel(apiRooms, context);
    return [...model.rooms, ...model.dms];
  },
  currentRoom: roomName,
  onSwitcher: () => quickSwitcher.open(),
  onGo: (url) => window.location.assign(url),
  onMarkRead: markAllRead,
  lastEditable: () => lastEditable(myMessages(), state.me, limits.edit_window_minutes, Date.now()),
  composer: composer,
  isChoosing: () => mentionBox.open,
});

document.getElementById("room-title").textContent = context.title;
showRooms();
roomsRefresh.call();
setUpMembersPanel();
setUpNotifications();
if (context.signed_in) {
  pinsPanel.load();
  threadsView.refresh();
}
showOtherPerson();
attachPicker(document, document.getElementById("new-dm-username"), api);
attachPicker(document, document.getElementById("add-member-username"), api);
becomeGuest().then(() => socket.connect());
