// The room page: one WebSocket to /ws/chat/<room>/ that never loses a message.
//
// - Every message has a per-room `seq`; the log renders each seq once, in order.
// - `lastSeq` is the highest seq up to which the log has no hole. Reconnects ask
//   for `?after=lastSeq`; a live message that skips ahead triggers a `resume`.
// - What you send gets a random nonce and shows as pending until the server's
//   copy with that nonce comes back; after a reconnect it is sent again with the
//   same nonce, which the server stores only once.
// - Text is always rendered with textContent, never as HTML.
"use strict";

(function () {
  const roomName = JSON.parse(document.getElementById("room-name").textContent);
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-message-input");
  const status = document.getElementById("connection-status");
  const errorBox = document.getElementById("chat-error");
  const identityName = document.getElementById("identity-name");

  // Close codes after which reconnecting can't help (see docs/protocol.md).
  const FINAL_CLOSE_CODES = new Set([4400, 4404]);
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const OLDER_PAGE_SIZE = 50;

  const rendered = new Map(); // seq -> <li>
  const pending = new Map(); // nonce -> {text, item}
  let me = null; // {user, guest} from the server's identity frame
  let lastSeq = 0;
  let synced = false; // true once the first history has arrived
  let resumeAsked = false;
  let oldestSeq = null;
  let loadingOlder = false;
  let noOlder = false;
  let socket = null;
  let ready = false;
  let attempt = 0;
  let finalError = false;

  // --- connection state ---------------------------------------------------------

  function setState(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function showError(detail) {
    errorBox.textContent = detail;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  // --- rendering ----------------------------------------------------------------

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  function formatTime(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function messageItem(author, guest, body) {
    const item = document.createElement("li");
    item.className = "message";
    const header = document.createElement("div");
    header.className = "message-meta";
    const name = document.createElement("span");
    name.className = "message-author";
    name.textContent = author;
    header.appendChild(name);
    if (guest) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "guest";
      header.appendChild(badge);
    }
    const text = document.createElement("div");
    text.className = "message-body";
    text.textContent = body;
    item.append(header, text);
    if (me && me.user === author && me.guest === guest) {
      item.classList.add("mine");
    }
    return item;
  }

  function addTime(item, iso) {
    const time = document.createElement("time");
    time.className = "message-time";
    time.dateTime = iso;
    time.title = new Date(iso).toLocaleString();
    time.textContent = formatTime(iso);
    item.querySelector(".message-meta").appendChild(time);
  }

  // Insert by seq: before the next larger seq, else before the pending items.
  function insertBySeq(item, seq) {
    let next = null;
    let nextSeq = Infinity;
    for (const [otherSeq, other] of rendered) {
      if (otherSeq > seq && otherSeq < nextSeq) {
        next = other;
        nextSeq = otherSeq;
      }
    }
    log.insertBefore(item, next || log.querySelector("li.pending"));
  }

  function render(frame) {
    if (rendered.has(frame.seq)) {
      return false;
    }
    const item = messageItem(frame.user, frame.guest, frame.message);
    item.dataset.seq = String(frame.seq);
    addTime(item, frame.sent_at);
    const stick = nearBottom();
    insertBySeq(item, frame.seq);
    rendered.set(frame.seq, item);
    if (oldestSeq === null || frame.seq < oldestSeq) {
      oldestSeq = frame.seq;
    }
    if (stick) {
      log.scrollTop = log.scrollHeight;
    }
    return true;
  }

  function advanceLastSeq() {
    while (rendered.has(lastSeq + 1)) {
      lastSeq += 1;
    }
  }

  function onMessage(frame) {
    const mine = frame.nonce && pending.get(frame.nonce);
    if (mine) {
      mine.item.remove();
      pending.delete(frame.nonce);
    }
    render(frame);
    if (!synced) {
      // History on connect is contiguous: it starts wherever the room's history does.
      lastSeq = Math.max(lastSeq, frame.seq);
      return;
    }
    advanceLastSeq();
    if (frame.seq > lastSeq + 1 && !resumeAsked && ready) {
      // A live message skipped ahead: ask for the hole.
      resumeAsked = true;
      socket.send(JSON.stringify({ type: "resume", after: lastSeq }));
    }
  }

  function onReady(frame) {
    if (!synced) {
      synced = true;
      lastSeq = Math.max(lastSeq, frame.last_seq);
    }
    advanceLastSeq();
    ready = true;
    resumeAsked = false;
    if (frame.truncated) {
      resumeAsked = true;
      socket.send(JSON.stringify({ type: "resume", after: lastSeq }));
      return;
    }
    flushPending();
  }

  function onIdentity(frame) {
    me = { user: frame.user, guest: frame.guest };
    if (identityName) {
      identityName.textContent = frame.user;
    }
  }

  // --- sending ------------------------------------------------------------------

  function newNonce() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sendPending(nonce) {
    const entry = pending.get(nonce);
    socket.send(JSON.stringify({ message: entry.text, nonce: nonce }));
  }

  function flushPending() {
    for (const nonce of pending.keys()) {
      sendPending(nonce);
    }
  }

  function queue(text) {
    const nonce = newNonce();
    const item = messageItem(me ? me.user : "you", me ? me.guest : false, text);
    item.classList.add("pending", "mine");
    const note = document.createElement("span");
    note.className = "message-time";
    note.textContent = "sending…";
    item.querySelector(".message-meta").appendChild(note);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    pending.set(nonce, { text: text, item: item });
    if (socket && socket.readyState === WebSocket.OPEN && ready) {
      sendPending(nonce);
    }
  }

  // --- older history ------------------------------------------------------------

  async function loadOlder() {
    if (loadingOlder || noOlder || oldestSeq === null || oldestSeq <= 1) {
      return;
    }
    loadingOlder = true;
    try {
      const url = "/chat/" + encodeURIComponent(roomName) + "/messages/?before=" +
        oldestSeq + "&limit=" + OLDER_PAGE_SIZE;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) {
        return;
      }
      const body = await response.json();
      const previousHeight = log.scrollHeight;
      const previousTop = log.scrollTop;
      for (const frame of body.messages) {
        render(frame);
      }
      log.scrollTop = previousTop + (log.scrollHeight - previousHeight);
      noOlder = !body.has_more;
    } finally {
      loadingOlder = false;
    }
  }

  log.addEventListener("scroll", function () {
    if (log.scrollTop < 40) {
      loadOlder();
    }
  });

  // --- the socket ---------------------------------------------------------------

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let url = scheme + window.location.host + "/ws/chat/" + encodeURIComponent(roomName) + "/";
    if (synced) {
      url += "?after=" + lastSeq;
    }
    return url;
  }

  // Full jitter: a random wait between half and all of an exponentially growing ceiling.
  function backoffDelay() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  function connect() {
    setState("connecting", "Connecting…");
    ready = false;
    socket = new WebSocket(socketUrl());

    socket.addEventListener("open", function () {
      attempt = 0;
      setState("open", "Connected");
    });

    socket.addEventListener("message", function (event) {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame.type === "message") {
        onMessage(frame);
      } else if (frame.type === "ready") {
        onReady(frame);
      } else if (frame.type === "identity") {
        onIdentity(frame);
      } else if (frame.type === "error") {
        showError(frame.detail);
      }
    });

    socket.addEventListener("close", function (event) {
      socket = null;
      ready = false;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        finalError = true;
        setState("closed", "Disconnected");
        return;
      }
      const delay = backoffDelay();
      attempt += 1;
      setState("closed", "Reconnecting in " + Math.ceil(delay / 1000) + " s…");
      window.setTimeout(connect, delay);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) {
      return;
    }
    if (finalError) {
      showError("This room can't be joined.");
      return;
    }
    clearError();
    queue(text);
    input.value = "";
    input.focus();
  });

  connect();
})();
