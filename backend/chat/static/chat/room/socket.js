// The room's WebSocket: JSON frames in and out, and reconnecting after a close.

// ws[s]://HOST/ws/chat/<room>/, with `?after=<seq>` once there is a bookmark.
export function socketUrl(location, roomName, after) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let url = scheme + location.host + "/ws/chat/" + encodeURIComponent(roomName) + "/";
  if (after !== null) url += "?after=" + after;
  return url;
}

export class RoomSocket {
  // - url(): the address for the next socket;
  // - onConnecting(), onOpen(), onFrame(frame): as the names say;
  // - onClose(code): the wait in ms before reconnecting, or null to stay closed.
  // `WebSocket` and `setTimeout` can be replaced, for tests.
  constructor({ url, onConnecting, onOpen, onFrame, onClose, WebSocketClass, setTimer }) {
    this.url = url;
    this.onConnecting = onConnecting;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onClose = onClose;
    this.WebSocket = WebSocketClass || globalThis.WebSocket;
    this.setTimer = setTimer || ((callback, ms) => globalThis.setTimeout(callback, ms));
    this.socket = null;
  }

  connect() {
    this.onConnecting();
    const socket = new this.WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("open", () => this.onOpen());
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (frame !== null && typeof frame === "object") this.onFrame(frame);
    });
    socket.addEventListener("close", (event) => {
      this.socket = null;
      const delay = this.onClose(event.code);
      if (delay !== null) this.setTimer(() => this.connect(), delay);
    });
  }

  // Sends `frame` if the socket is open; false if it isn't.
  send(frame) {
    if (this.socket === null || this.socket.readyState !== this.WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }
}
