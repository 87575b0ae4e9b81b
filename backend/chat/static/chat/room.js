// The room page: one WebSocket to /ws/chat/<room>/, reconnecting on its own.
// Every message is rendered with textContent, never as HTML.
"use strict";

(function () {
  const roomName = JSON.parse(document.getElementById("room-name").textContent);
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-form");
  const input = document.getElementById("chat-message-input");
  const status = document.getElementById("connection-status");
  const errorBox = document.getElementById("chat-error");

  // Close codes after which reconnecting can't help (see docs/protocol.md).
  const FINAL_CLOSE_CODES = new Set([4400, 4404]);
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_MAX_MS = 15000;

  let socket = null;
  let attempt = 0;
  let finalError = false;

  function socketUrl() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + "/ws/chat/" + encodeURIComponent(roomName) + "/";
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

  function renderMessage(frame) {
    const item = document.createElement("li");
    item.className = "message";
    const body = document.createElement("span");
    body.className = "message-body";
    body.textContent = frame.message;
    item.appendChild(body);
    if (frame.sent_at) {
      const time = document.createElement("time");
      time.dateTime = frame.sent_at;
      time.textContent = new Date(frame.sent_at).toLocaleTimeString([], {
        hour: "2-digit",
        minute: "2-digit",
      });
      item.appendChild(time);
    }
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.appendChild(item);
    if (nearBottom) {
      log.scrollTop = log.scrollHeight;
    }
  }

  // Full jitter: a random wait up to an exponentially growing ceiling.
  function backoffDelay() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  function connect() {
    setState("connecting", "Connecting…");
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
        renderMessage(frame);
      } else if (frame.type === "error") {
        showError(frame.detail);
      }
    });

    socket.addEventListener("close", function (event) {
      socket = null;
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
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      showError(finalError ? "This room can't be joined." : "Not connected yet; your message is kept, send it again in a moment.");
      return;
    }
    clearError();
    socket.send(JSON.stringify({ message: text }));
    input.value = "";
    input.focus();
  });

  connect();
})();
