/**
 * The one throttle of progress reports, from the engine to every UI (the core's events,
 * the CLI's bar and its --json lines): at most one report per interval, the first of a
 * phase at once, and a trailing flush, so the latest report always arrives even when no
 * other follows it. Its clock is injectable, so its tests do not depend on the machine's speed.
 */

/** What the throttle needs of time: now in milliseconds, and a timer it can cancel. */
export interface ThrottleClock {
  now(): number;
  setTimer(callback: () => void, ms: number): () => void;
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  setTimer: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** Passes on at most one report per interval, the first of each phase at once, and flushes the latest when the interval ends. */
export class ProgressThrottle<T extends { phase: string }> {
  readonly #intervalMs: number;
  readonly #send: (value: T) => void;
  readonly #clock: ThrottleClock;
  #lastSentAt = -Infinity;
  #lastPhase: string | undefined;
  #pending: T | undefined;
  #cancelTimer: (() => void) | undefined;

  constructor(intervalMs: number, send: (value: T) => void, clock: ThrottleClock = realClock) {
    this.#intervalMs = intervalMs;
    this.#send = send;
    this.#clock = clock;
  }

  /**
   * Sends `value` now when the interval is up, its phase is new, or `force` says so (a
   * pending older value is then dropped: it is superseded); otherwise keeps it as the one
   * to send when the interval is up.
   */
  offer(value: T, force = false): void {
    const now = this.#clock.now();
    if (force || value.phase !== this.#lastPhase || now - this.#lastSentAt >= this.#intervalMs) {
      this.#sendNow(value, now);
      return;
    }
    this.#pending = value;
    this.#cancelTimer ??= this.#clock.setTimer(() => {
      this.#cancelTimer = undefined;
      this.flush();
    }, this.#intervalMs - (now - this.#lastSentAt));
  }

  /** Sends the value still waiting for its interval, if any: before a pause, and when the operation ends. */
  flush(): void {
    if (this.#pending) this.#sendNow(this.#pending, this.#clock.now());
  }

  #sendNow(value: T, now: number): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#pending = undefined;
    this.#lastSentAt = now;
    this.#lastPhase = value.phase;
    this.#send(value);
  }
}
