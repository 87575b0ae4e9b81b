// Running something at most once per interval, keeping the last call that came too soon
// (it runs when the interval is over). The clock is passed in, so tests need no waiting.

// The browser's clock: {now, setTimeout, clearTimeout}.
export const realClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (timer) => globalThis.clearTimeout(timer),
};

export class Throttle {
  // `run()` is called at most once every `intervalMs`; `clock` as `realClock`.
  constructor(intervalMs, run, clock = realClock) {
    this.interval = intervalMs;
    this.run = run;
    this.clock = clock;
    this.last = -Infinity; // when `run` last ran
    this.timer = null; // the trailing call, when one is due
  }

  get due() {
    return this.timer !== null;
  }

  call() {
    if (this.timer !== null) return; // the trailing call will do it
    const wait = this.last + this.interval - this.clock.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.fire();
    }, wait);
  }

  cancel() {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  fire() {
    this.last = this.clock.now();
    this.run();
  }
}
