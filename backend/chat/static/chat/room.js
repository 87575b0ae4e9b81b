// The room page: one WebSocket to /ws/chat/<room>/ that never loses a message.
//
// - Every message has a per-room `seq`; the log renders each seq once, in order.
// - `lastSeq` is the highest seq up to which the log has no hole. Reconnects ask
//   for `?after=lastSeq`; a live message that skips ahead triggers a `resume`.
// - What you send gets a random nonce and shows as pending until the server's
//   copy with that nonce comes back; after a reconnect, or when the server says
//   "too fast", it is sent again with the same nonce, which is stored only once.
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
  const presenceList = document.getElementById("presence");
  const presenceCount = document.getElementById("presence-count");
  const typingLine = document.getElementById("typing");
  const newMessages = document.getElementById("new-messages");

  // Close codes after which reconnecting can't help (see docs/protocol.md).
  const FINAL_CLOSE_CODES = new Set([4400, 4404]);
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;
  const OLDER_PAGE_SIZE = 50;
  const TYPING_SEND_EVERY_MS = 2000;
  const TYPING_SHOWN_FOR_MS = 5000;
  const MUTE_MINUTES = 10;
  const GAP_WAIT_MS = 500;

  const rendered = new Map(); // seq -> <li>
  const pending = new Map(); // nonce -> {text, item}
  const people = new Map(); // person id -> {user, guest}
  const typists = new Map(); // person id -> {user, timer}
  let presenceVersion = -1;
  let me = null; // {id, user, guest, staff} from the server's identity frame
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
  let lastTypingSent = 0;
  // After a "too fast" refusal, send one pending message at a time, oldest first.
  let throttled = false;
  let retryTimer = null;

  // --- small helpers ------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

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

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
    newMessages.hidden = true;
  }

  // --- messages -----------------------------------------------------------------

  function isMine(uid) {
    return me !== null && uid === me.id;
  }

  function actionButton(label, title, onClick) {
    const button = el("button", "message-action", label);
    button.type = "button";
    button.setAttribute("aria-label", title);
    button.title = title;
    button.addEventListener("click", onClick);
    return button;
  }

  function messageItem(frame) {
    const item = el("li", "message");
    const meta = el("div", "message-meta");
    meta.appendChild(el("span", "message-author", frame.user));
    if (frame.guest) meta.appendChild(el("span", "badge", "guest"));
    if (frame.sent_at) {
      const time = el("time", "message-time");
      time.dateTime = frame.sent_at;
      time.title = new Date(frame.sent_at).toLocaleString();
      time.textContent = new Date(frame.sent_at).toLocaleTimeString([], {
        hour: "2-digit",
        minute: "2-digit",
      });
      meta.appendChild(time);
    }
    item.append(meta, el("div", "message-body", frame.message));
    if (isMine(frame.uid)) item.classList.add("mine");
    return item;
  }

  function addActions(item, frame) {
    if (!me || frame.seq === undefined) return;
    const actions = el("div", "message-actions");
    if (isMine(frame.uid) || me.staff) {
      actions.appendChild(actionButton("Delete", "Delete this message", function () {
        send({ type: "delete", seq: frame.seq });
      }));
    }
    if (me.staff && !isMine(frame.uid)) {
      actions.appendChild(actionButton("Mute", "Mute " + frame.user + " here for " +
        MUTE_MINUTES + " minutes", function () {
        send({ type: "mute", seq: frame.seq, minutes: MUTE_MINUTES });
      }));
    }
    if (actions.childElementCount) item.appendChild(actions);
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

  function markDeleted(item) {
    item.className = "message deleted";
    item.hidden = true;
    item.replaceChildren();
  }

  function render(frame) {
    if (rendered.has(frame.seq)) return;
    const item = messageItem(frame);
    item.dataset.seq = String(frame.seq);
    if (frame.deleted) {
      markDeleted(item);
    } else {
      addActions(item, frame);
    }
    const stick = nearBottom() || isMine(frame.uid);
    insertBySeq(item, frame.seq);
    rendered.set(frame.seq, item);
    if (oldestSeq === null || frame.seq < oldestSeq) oldestSeq = frame.seq;
    if (stick) {
      scrollToBottom();
    } else if (synced && !frame.deleted) {
      newMessages.hidden = false;
    }
  }

  function advanceLastSeq() {
    while (rendered.has(lastSeq + 1)) lastSeq += 1;
  }

  function onMessage(frame) {
    const mine = frame.nonce && pending.get(frame.nonce);
    if (mine) {
      mine.item.remove();
      pending.delete(frame.nonce);
      if (throttled) sendOldestPending();
    }
    stopTyping(frame.uid);
    render(frame);
    if (!synced) {
      // History on connect is contiguous: it starts wherever the room's history does.
      lastSeq = Math.max(lastSeq, frame.seq);
      return;
    }
    advanceLastSeq();
    if (frame.seq > lastSeq + 1 && !resumeAsked && ready) {
      // A live message skipped ahead. Messages from several server processes can
      // arrive out of order, so give the hole a moment to fill before asking.
      resumeAsked = true;
      window.setTimeout(askForGap, GAP_WAIT_MS);
    }
  }

  function askForGap() {
    advanceLastSeq();
    const behind = Array.from(rendered.keys()).some((seq) => seq > lastSeq + 1);
    resumeAsked = behind && send({ type: "resume", after: lastSeq });
  }

  function onDelete(frame) {
    const item = rendered.get(frame.seq);
    if (item) markDeleted(item);
  }

  function onReady(frame) {
    if (!synced) {
      synced = true;
      lastSeq = Math.max(lastSeq, frame.last_seq);
      scrollToBottom();
    }
    advanceLastSeq();
    ready = true;
    resumeAsked = false;
    if (frame.truncated) {
      resumeAsked = send({ type: "resume", after: lastSeq });
      return;
    }
    flushPending();
  }

  function onIdentity(frame) {
    me = { id: frame.id, user: frame.user, guest: frame.guest, staff: frame.staff };
    if (identityName) identityName.textContent = frame.user;
    renderPresence();
  }

  // --- sending --------------------------------------------------------------------

  function newNonce() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function sendPending(nonce) {
    const entry = pending.get(nonce);
    if (entry && ready) send({ message: entry.text, nonce: nonce });
  }

  function flushPending() {
    if (throttled) {
      sendOldestPending();
      return;
    }
    for (const nonce of pending.keys()) sendPending(nonce);
  }

  function sendOldestPending() {
    const oldest = pending.keys().next();
    if (oldest.done) {
      throttled = false;
    } else {
      sendPending(oldest.value);
    }
  }

  function queue(text) {
    const nonce = newNonce();
    const item = messageItem({
      user: me ? me.user : "you",
      guest: me ? me.guest : false,
      uid: me ? me.id : null,
      message: text,
    });
    item.classList.add("pending", "mine");
    item.querySelector(".message-meta").appendChild(el("span", "message-time", "sending…"));
    log.appendChild(item);
    scrollToBottom();
    pending.set(nonce, { text: text, item: item });
    if (!throttled) sendPending(nonce);
  }

  function onError(frame) {
    const entry = frame.nonce && pending.get(frame.nonce);
    if (entry && frame.code === "rate_limited") {
      // Not lost: sent again, oldest first and with the same nonce, once allowed.
      throttled = true;
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(sendOldestPending, Math.ceil((frame.retry_after || 1) * 1000));
    } else if (entry) {
      pending.delete(frame.nonce);
      entry.item.classList.replace("pending", "failed");
      entry.item.querySelector(".message-time").textContent = "not sent";
    }
    showError(frame.detail);
  }

  // --- presence and typing --------------------------------------------------------

  function renderPresence() {
    const sorted = Array.from(people.entries()).sort(function (a, b) {
      return a[1].user.localeCompare(b[1].user);
    });
    presenceList.replaceChildren(...sorted.map(function ([id, person]) {
      const item = el("li", "person", person.user);
      item.dataset.id = id;
      if (person.guest) item.appendChild(el("span", "badge", "guest"));
      if (me && id === me.id) item.appendChild(el("span", "you", "(you)"));
      return item;
    }));
    presenceCount.textContent = String(people.size);
  }

  function onPresence(frame) {
    if (frame.v < presenceVersion) return;
    presenceVersion = frame.v;
    people.clear();
    for (const person of frame.users) people.set(person.id, person);
    renderPresence();
  }

  function onJoinOrLeave(frame) {
    if (frame.v <= presenceVersion) return; // already part of a newer snapshot
    presenceVersion = frame.v;
    if (frame.type === "join") {
      people.set(frame.user.id, frame.user);
    } else {
      people.delete(frame.user.id);
      stopTyping(frame.user.id);
    }
    renderPresence();
  }

  function renderTyping() {
    const names = Array.from(typists.values(), (t) => t.user);
    if (names.length === 0) typingLine.textContent = "";
    else if (names.length === 1) typingLine.textContent = names[0] + " is typing…";
    else if (names.length === 2) typingLine.textContent = names[0] + " and " + names[1] + " are typing…";
    else typingLine.textContent = names.length + " people are typing…";
  }

  function stopTyping(id) {
    const typist = typists.get(id);
    if (typist) {
      window.clearTimeout(typist.timer);
      typists.delete(id);
      renderTyping();
    }
  }

  function onTyping(frame) {
    if (me && frame.user.id === me.id) return;
    stopTyping(frame.user.id);
    typists.set(frame.user.id, {
      user: frame.user.user,
      timer: window.setTimeout(function () { stopTyping(frame.user.id); }, TYPING_SHOWN_FOR_MS),
    });
    renderTyping();
  }

  input.addEventListener("input", function () {
    const now = Date.now();
    if (input.value.trim() && ready && now - lastTypingSent >= TYPING_SEND_EVERY_MS) {
      lastTypingSent = now;
      send({ type: "typing" });
    }
  });

  // --- older history --------------------------------------------------------------

  async function loadOlder() {
    if (loadingOlder || noOlder || oldestSeq === null || oldestSeq <= 1) return;
    loadingOlder = true;
    try {
      const url = "/chat/" + encodeURIComponent(roomName) + "/messages/?before=" +
        oldestSeq + "&limit=" + OLDER_PAGE_SIZE;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const body = await response.json();
      const previousHeight = log.scrollHeight;
      const previousTop = log.scrollTop;
      for (const frame of body.messages) render(frame);
      log.scrollTop = previousTop + (log.scrollHeight - previousHeight);
      noOlder = !body.has_more;
    } finally {
      loadingOlder = false;
    }
  }

  log.addEventListener("scroll", function () {
    if (log.scrollTop < 40) loadOlder();
    if (nearBottom()) newMessages.hidden = true;
  });
  newMessages.addEventListener("click", scrollToBottom);

  // --- the socket -----------------------------------------------------------------

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    let url = scheme + window.location.host + "/ws/chat/" + encodeURIComponent(roomName) + "/";
    if (synced) url += "?after=" + lastSeq;
    return url;
  }

  // Full jitter: a random wait between half and all of an exponentially growing ceiling.
  function backoffDelay() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  const handlers = {
    message: onMessage,
    ready: onReady,
    identity: onIdentity,
    presence: onPresence,
    join: onJoinOrLeave,
    leave: onJoinOrLeave,
    typing: onTyping,
    delete: onDelete,
    mute: function (frame) {
      showError(frame.user + " is muted here until " + new Date(frame.until).toLocaleTimeString() + ".");
    },
    error: onError,
  };

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
      const handler = handlers[frame.type];
      if (handler) handler(frame);
    });

    socket.addEventListener("close", function (event) {
      socket = null;
      ready = false;
      typists.forEach(function (_, id) { stopTyping(id); });
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
    if (!text.trim()) return;
    if (finalError) {
      showError("This room can't be joined.");
      return;
    }
    clearError();
    queue(text);
    input.value = "";
    lastTypingSent = 0;
    input.focus();
  });

  connect();
})();
