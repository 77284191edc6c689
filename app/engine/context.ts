/**
 * What an engine operation gets from the worker it runs in: a way to report progress
 * (throttled, with a trailing flush), to notice a cancel, and to pause without spinning.
 */
import { PagevaultError } from '../api/errors.ts';
import type { JobPhase, OperationProgress } from '../api/types.ts';
import { ProgressThrottle, type ThrottleClock } from './progress-throttle.ts';

/** One progress report as the engine emits it. */
export type EngineProgress = OperationProgress;

/** Minimum time between two progress reports: about 10 a second. */
export const PROGRESS_INTERVAL_MS = 100;

/** One operation's progress, cancel flag and warnings, as the worker hands them to the engine code it runs. */
export class OperationContext {
  readonly #cancelFlag: Int32Array;
  readonly #warnings: string[];
  readonly #started = performance.now();
  #throttle: ProgressThrottle<EngineProgress>;
  /** Set on a view made by withPhase: every report carries this phase. */
  #phase: JobPhase | undefined;

  constructor(cancelFlag: Int32Array, send: (progress: EngineProgress) => void, clock?: ThrottleClock, warnings: string[] = []) {
    this.#cancelFlag = cancelFlag;
    this.#throttle = new ProgressThrottle(PROGRESS_INTERVAL_MS, send, clock);
    this.#warnings = warnings;
  }

  /** Notes something that went wrong without failing the operation; its result lists it. */
  warn(message: string): void {
    this.#warnings.push(message);
  }

  /** What `warn` noted so far, in order. */
  warnings(): string[] {
    return [...this.#warnings];
  }

  /** Milliseconds since the operation started. */
  elapsedMs(): number {
    return performance.now() - this.#started;
  }

  /**
   * Reports progress, throttled (ProgressThrottle): reports closer together than
   * PROGRESS_INTERVAL_MS wait for the interval, the latest of them is sent; the first of a
   * phase and `force`d ones go at once.
   */
  report(progress: Omit<EngineProgress, 'elapsedMs'>, force = false): void {
    this.#throttle.offer({ ...progress, phase: this.#phase ?? progress.phase, elapsedMs: Math.round(this.elapsedMs()) }, force);
  }

  /** Sends the report still waiting for its interval; the worker calls it when the operation ends. */
  flush(): void {
    this.#throttle.flush();
  }

  /** A view of this context whose reports all carry `phase` (a backup nested in a restore); it shares this throttle. */
  withPhase(phase: JobPhase): OperationContext {
    const view = new OperationContext(this.#cancelFlag, () => undefined, undefined, this.#warnings);
    view.#throttle = this.#throttle;
    view.#phase = phase;
    return view;
  }

  isCancelled(): boolean {
    return Atomics.load(this.#cancelFlag, 0) !== 0;
  }

  /** Throws CANCELLED when a cancel was asked for. `subject` words the message. */
  throwIfCancelled(subject: string): void {
    if (this.isCancelled()) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
  }

  /** Sleeps up to `ms` on the worker's thread; wakes at once on cancel. Returns true if cancelled. */
  pause(ms: number): boolean {
    // The thread sleeps: what is waiting for its interval goes out first, not after the pause.
    this.flush();
    if (ms > 0) Atomics.wait(this.#cancelFlag, 0, 0, ms);
    return this.isCancelled();
  }
}

/** The cancel flag shared between the caller's thread and the worker. */
export function createCancelFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Raises the flag and wakes a worker that is pausing on it. */
export function raiseCancelFlag(flag: Int32Array): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
