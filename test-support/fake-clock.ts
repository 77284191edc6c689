/** The Scheduler's clock for tests. */
import type { Clock } from '../app/scheduler/scheduler.ts';

/** A clock the test moves by hand; the scheduler's one timer fires when its time comes. */
export class FakeClock implements Clock {
  current: Date;
  timer: { at: number; fn: () => void } | undefined;
  constructor(start: string) {
    this.current = new Date(start);
  }
  now = () => new Date(this.current);
  setTimer = (fn: () => void, ms: number) => {
    const timer = { at: this.current.getTime() + ms, fn };
    this.timer = timer;
    return () => {
      if (this.timer === timer) this.timer = undefined;
    };
  };
  /** Moves time forward, firing the timer at each time it is due (as a running process would). */
  advance(ms: number): void {
    const end = this.current.getTime() + ms;
    while (this.timer && this.timer.at <= end) {
      const { at, fn } = this.timer;
      this.timer = undefined;
      this.current = new Date(at);
      fn();
    }
    this.current = new Date(end);
  }
  /** Jumps forward without firing anything: the machine slept. */
  sleep(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
