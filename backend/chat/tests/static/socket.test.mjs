// The WebSocket's address, and reconnecting after a close (with a fake WebSocket).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RoomSocket, socketUrl } from "../../static/chat/room/socket.js";

describe("the socket's address", () => {
  const http = { protocol: "http:", host: "chat.example:8000" };

  it("percent-encodes the room name", () => {
    assert.equal(socketUrl(http, "café", null), "ws://chat.example:8000/ws/chat/caf%C3%A9/");
  });

  it("uses wss on an https page", () => {
    const https = { protocol: "https:", host: "chat.example" };
    assert.equal(socketUrl(https, "lobby", null), "wss://chat.example/ws/chat/lobby/");
  });

  it("asks ?after= the bookmark once there is one, 0 included", () => {
    assert.equal(socketUrl(http, "lobby", 0), "ws://chat.example:8000/ws/chat/lobby/?after=0");
    assert.equal(socketUrl(http, "lobby", 57), "ws://chat.example:8000/ws/chat/lobby/?after=57");
  });
});

class FakeWebSocket {
  static OPEN = 1;
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeWebSocket.made.push(this);
  }

  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }

  send(data) {
    this.sent.push(data);
  }

  emit(type, event = {}) {
    if (type === "open") this.readyState = FakeWebSocket.OPEN;
    if (type === "close") this.readyState = 3;
    this.listeners[type](event);
  }
}

function fakeSocket({ delay }) {
  FakeWebSocket.made = [];
  const log = { frames: [], closes: [], timers: [], urls: 0 };
  const socket = new RoomSocket({
    url: () => "ws://test/" + (log.urls += 1),
    onConnecting: () => {},
    onOpen: () => {},
    onFrame: (frame) => log.frames.push(frame),
    onClose: (code) => {
      log.closes.push(code);
      return delay;
    },
    WebSocketClass: FakeWebSocket,
    setTimer: (callback, ms) => log.timers.push({ callback, ms }),
  });
  return { socket, log };
}

describe("the room socket", () => {
  it("passes object frames on and drops what isn't JSON", () => {
    const { socket, log } = fakeSocket({ delay: 100 });
    socket.connect();
    const [ws] = FakeWebSocket.made;
    for (const data of ["not json", "null", "3", '{"type":"ready","last_seq":0}']) {
      ws.emit("message", { data });
    }
    assert.deepEqual(log.frames, [{ type: "ready", last_seq: 0 }]);
  });

  it("sends JSON only while open", () => {
    const { socket } = fakeSocket({ delay: 100 });
    assert.equal(socket.send({ type: "typing" }), false);
    socket.connect();
    const [ws] = FakeWebSocket.made;
    assert.equal(socket.send({ type: "typing" }), false);
    ws.emit("open");
    assert.equal(socket.send({ type: "typing" }), true);
    assert.deepEqual(ws.sent, ['{"type":"typing"}']);
    ws.emit("close", { code: 1006 });
    assert.equal(socket.send({ type: "typing" }), false);
  });

  it("reconnects after the wait onClose gives, to a fresh address", () => {
    const { socket, log } = fakeSocket({ delay: 750 });
    socket.connect();
    FakeWebSocket.made[0].emit("close", { code: 1012 });
    assert.deepEqual(log.closes, [1012]);
    assert.equal(log.timers.length, 1);
    assert.equal(log.timers[0].ms, 750);
    log.timers[0].callback();
    assert.deepEqual(FakeWebSocket.made.map((ws) => ws.url), ["ws://test/1", "ws://test/2"]);
  });

  it("stays closed when onClose says so", () => {
    const { socket, log } = fakeSocket({ delay: null });
    socket.connect();
    FakeWebSocket.made[0].emit("close", { code: 4404 });
    assert.deepEqual(log.timers, []);
  });
});
