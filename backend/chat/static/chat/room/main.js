// The room page: one WebSocket to /ws/chat/<room>/ that never loses a message.
// state.js decides, socket.js carries frames, view.js shows; this module wires them,
// sends what the state leaves in its outbox and keeps one timer for its deadlines.

import { typingText } from "./people.js";
import { RoomSocket, socketUrl } from "./socket.js";
import { browserStorage, SavedPending } from "./saved.js";
import { RoomState } from "./state.js";
import { RoomView } from "./view.js";

const OLDER_PAGE_SIZE = 50;

function embedded(id) {
  return JSON.parse(document.getElementById(id).textContent);
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
const state = new RoomState({ finalCloseCodes: embedded("close-codes").final });
let tickTimer = null;
let tooFastShown = false; // the error line shows a `rate_limited` notice
const saved = new SavedPending(browserStorage(window), roomName);
let restored = false; // what an earlier page left pending has been taken up

const socket = new RoomSocket({
  url: () => socketUrl(window.location, roomName, state.after),
  onConnecting: () => update(() => state.connecting()),
  onOpen: () => update(() => state.opened()),
  onFrame: (frame) => update(() => handle(frame)),
  onClose: (code) => update(() => state.closed(code, Math.random())),
});

const view = new RoomView(document, {
  onSend: (text) => update(() => send(text)),
  onType: (text) => update(() => state.typed(text, now())),
  onDelete: (seq) => socket.send({ type: "delete", seq: seq }),
  onMute: (seq, minutes) => socket.send({ type: "mute", seq: seq, minutes: minutes }),
  onNearTop: loadOlder,
});

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
}

function showPresence() {
  view.renderPresence(state.presence.sorted(), state.me && state.me.id);
}

function showError(detail, tooFast = false) {
  tooFastShown = tooFast;
  view.showError(detail);
}

function send(text) {
  const nonce = newNonce();
  if (!state.submit(text, nonce)) {
    showError("This room can't be joined.");
    return;
  }
  if (!tooFastShown) view.clearError();
  view.addPending(nonce, text, state.me);
  view.clearInput();
  if (state.me) saved.save(state.me.id, nonce, text, Date.now());
}

// Once we know who we are: keeps what is pending in the browser's storage, and (the
// first time) takes up what an earlier page of this room left pending, to send it now.
function keepPending() {
  const uid = state.me.id;
  for (const [nonce, text] of state.pending.texts) saved.save(uid, nonce, text, Date.now());
  if (restored) return;
  restored = true;
  for (const { nonce, text } of saved.load(uid)) {
    if (!state.pending.has(nonce) && state.submit(text, nonce)) {
      view.addPending(nonce, text, state.me);
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
    if (fresh) showMessage(frame);
  },
  ready(frame) {
    if (state.readyFrame(frame)) view.scrollToBottom();
  },
  identity(frame) {
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
  typing(frame) {
    state.typing(frame, now());
  },
  delete(frame) {
    view.deleteMessage(frame.seq);
  },
  mute(frame) {
    const until = new Date(frame.until).toLocaleTimeString();
    showError(frame.user + " is muted here until " + until + ".");
  },
  error(frame) {
    const refused = state.error(frame, now());
    if (refused) {
      view.failPending(refused);
      saved.remove(refused);
    }
    showError(frame.detail, frame.code === "rate_limited");
  },
};

async function loadOlder() {
  const before = state.olderStart();
  if (before === null) return;
  let exhausted = false;
  try {
    const url = "/chat/" + encodeURIComponent(roomName) + "/messages/?before=" + before +
      "&limit=" + OLDER_PAGE_SIZE;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const page = await response.json();
    view.keepingScrollPosition(() => {
      for (const frame of page.messages) {
        if (state.log.add(frame.seq)) showMessage(frame);
      }
    });
    exhausted = !page.has_more;
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

becomeGuest().then(() => socket.connect());
