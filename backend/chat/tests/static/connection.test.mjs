// The connection's phases, backoff with jitter, final close codes and the status line.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  BACKOFF_MAX_MS,
  Phase,
  RoomState,
  backoffDelay,
  connectionStatus,
} from "../../static/chat/room/state.js";
import { ABNORMAL_CLOSE, joined, newRoom } from "./helpers.mjs";

describe("backoff", () => {
  it("waits between half and all of a ceiling that doubles from 0.5 s", () => {
    assert.equal(backoffDelay(0, 0), 250);
    assert.equal(backoffDelay(0, 0.5), 375);
    assert.equal(backoffDelay(1, 0), 500);
    assert.equal(backoffDelay(3, 0), 2000);
    assert.ok(backoffDelay(3, 0.999) < 4000);
  });

  it("never waits more than 15 s", () => {
    assert.equal(backoffDelay(5, 1), BACKOFF_MAX_MS);
    assert.equal(backoffDelay(50, 0), BACKOFF_MAX_MS / 2);
    assert.equal(backoffDelay(50, 1), BACKOFF_MAX_MS);
  });

  it("grows with each failed attempt and starts over once a socket opens", () => {
    const room = newRoom();
    room.connecting();
    const delays = [1, 2, 3].map(() => room.closed(ABNORMAL_CLOSE, 0));
    assert.deepEqual(delays, [250, 500, 1000]);
    room.connecting();
    room.opened();
    assert.equal(room.closed(ABNORMAL_CLOSE, 0), 250);
  });
});

describe("a busy server", () => {
  it("is given the time it asked for, and up to a quarter more", () => {
    const room = newRoom();
    room.connecting();
    room.error({ type: "error", code: "try_again_later", retry_after: 2 }, 0);
    assert.equal(room.closed(1013, 0), 2000);
    room.error({ type: "error", code: "try_again_later", retry_after: 2 }, 0);
    assert.equal(room.closed(1013, 0.5), 2250);
  });

  it("is asked for nothing more once the wait was taken", () => {
    const room = newRoom();
    room.connecting();
    room.error({ type: "error", code: "try_again_later", retry_after: 20 }, 0);
    room.closed(1013, 0);
    assert.ok(room.closed(1013, 0) < 20000);
  });
});

describe("the phases", () => {
  it("go connecting, replaying, live", () => {
    const room = newRoom();
    assert.equal(room.phase, Phase.CONNECTING);
    room.opened();
    assert.equal(room.phase, Phase.REPLAYING);
    assert.equal(room.ready, false);
    room.readyFrame({ type: "ready", last_seq: 0 });
    assert.equal(room.phase, Phase.LIVE);
    assert.equal(room.ready, true);
  });

  for (const code of [1000, 1001, 1011, 1012, 1013, 4408, 4429]) {
    it(`wait and reconnect after close code ${code}`, () => {
      const room = joined();
      assert.equal(typeof room.closed(code, 0), "number");
      assert.equal(room.phase, Phase.WAITING);
    });
  }

  it("stop for good after a final close code", () => {
    const room = joined();
    assert.equal(room.closed(4400, 0), null);
    assert.equal(room.phase, Phase.FINAL);
  });

  it("take the final close codes from whoever builds the state", () => {
    const room = new RoomState({ finalCloseCodes: [4999] });
    assert.equal(room.closed(4404, 0), 250);
    assert.equal(room.closed(4999, 0), null);
  });
});

describe("the status line", () => {
  it("says what the connection is doing", () => {
    const status = (phase, delay = null) => connectionStatus(phase, delay);
    assert.deepEqual(status(Phase.CONNECTING), { state: "connecting", text: "Connecting…" });
    for (const phase of [Phase.REPLAYING, Phase.LIVE, Phase.GAP_WAIT, Phase.RESUMING]) {
      assert.deepEqual(status(phase), { state: "open", text: "Connected" });
    }
    assert.deepEqual(status(Phase.WAITING, 1200), { state: "closed", text: "Reconnecting in 2 s…" });
    assert.deepEqual(status(Phase.FINAL), { state: "closed", text: "Disconnected" });
  });

  it("follows the room's phase and backoff", () => {
    const room = joined();
    room.closed(ABNORMAL_CLOSE, 0.5);
    assert.deepEqual(room.status, { state: "closed", text: "Reconnecting in 1 s…" });
    room.connecting();
    assert.equal(room.status.state, "connecting");
  });
});
