// Shared set-up for the room page's unit tests (not a test file itself).

import { RoomState } from "../../static/chat/room/state.js";

export const FINAL_CLOSE_CODES = [4400, 4404];
export const ABNORMAL_CLOSE = 1006;

export function newRoom() {
  return new RoomState({ finalCloseCodes: FINAL_CLOSE_CODES });
}

export function message(seq, fields = {}) {
  return {
    type: "message",
    seq: seq,
    message: "m" + seq,
    uid: "someone",
    user: "someone",
    guest: true,
    sent_at: "2026-11-24T10:15:02.123Z",
    nonce: null,
    ...fields,
  };
}

// A socket opens and its first history (`seqs`) arrives, then `ready`.
export function joined({ seqs = [], lastSeq = Math.max(0, ...seqs) } = {}) {
  const room = newRoom();
  room.connecting();
  room.opened();
  for (const seq of seqs) room.message(message(seq), 0);
  room.readyFrame({ type: "ready", last_seq: lastSeq });
  room.takeOutbox();
  return room;
}

// The socket drops and a new one opens (before its `ready`).
export function reconnected(room) {
  room.closed(ABNORMAL_CLOSE, 0);
  room.connecting();
  room.opened();
  return room;
}
