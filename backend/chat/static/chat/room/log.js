// The seqs the page's log holds, and `lastSeq`: the highest seq up to which it has no
// hole, the bookmark for catching up (`?after=`, `resume`).
export class MessageLog {
  constructor() {
    this.seqs = new Set();
    this.lastSeq = null; // null until the first history is complete
    this.oldest = null;
    this.newest = 0;
  }

  get synced() {
    return this.lastSeq !== null;
  }

  // Takes `seq` into the log; false if it was already there.
  add(seq) {
    if (this.seqs.has(seq)) return false;
    this.seqs.add(seq);
    if (this.oldest === null || seq < this.oldest) this.oldest = seq;
    if (seq > this.newest) this.newest = seq;
    return true;
  }

  // The first history is complete: it has no hole, wherever the room's history starts.
  sync(lastSeq) {
    if (this.lastSeq === null) this.lastSeq = Math.max(this.newest, lastSeq);
  }

  advance() {
    if (this.lastSeq === null) return;
    while (this.seqs.has(this.lastSeq + 1)) this.lastSeq += 1;
  }

  // Some message is past a hole.
  get behind() {
    return this.lastSeq !== null && this.newest > this.lastSeq + 1;
  }

  // The smallest seq in the log above `seq` (a new item goes before it), or null.
  nextAfter(seq) {
    let next = null;
    for (const other of this.seqs) {
      if (other > seq && (next === null || other < next)) next = other;
    }
    return next;
  }
}
