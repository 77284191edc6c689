/**
 * What an engine operation gets from the worker it runs in: a way to report progress
 * (throttled), to notice a cancel, and to pause without spinning.
 */
import { PagevaultError } from '../api/errors.ts';
import type { JobPhase } from '../api/types.ts';

/** One progress report as the engine emits it. */
export interface EngineProgress {
  phase: JobPhase;
  totalPages: number;
  remainingPages: number;
  bytesCopied: number;
  bytesPerSecond: number;
  restarts: number;
  elapsedMs: number;
}

/** Minimum time between two progress reports: at most 20 a second. */
export const PROGRESS_INTERVAL_MS = 50;

export class OperationContext {
  readonly #cancelFlag: Int32Array;
  readonly #send: (progress: EngineProgress) => void;
  readonly #warnings: string[];
  readonly #started = performance.now();
  #lastSent = -Infinity;
  #lastPhase: JobPhase | undefined;

  constructor(cancelFlag: Int32Array, send: (progress: EngineProgress) => void, warnings: string[] = []) {
    this.#cancelFlag = cancelFlag;
    this.#send = send;
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
   * Reports progress. Reports closer together than PROGRESS_INTERVAL_MS are dropped,
   * except the first of a phase and `force`d ones (the last of a phase).
   */
  report(progress: Omit<EngineProgress, 'elapsedMs'>, force = false): void {
    const now = performance.now();
    const newPhase = progress.phase !== this.#lastPhase;
    if (!force && !newPhase && now - this.#lastSent < PROGRESS_INTERVAL_MS) return;
    this.#lastSent = now;
    this.#lastPhase = progress.phase;
    this.#send({ ...progress, elapsedMs: Math.round(now - this.#started) });
  }

  /** A view of this context whose reports all carry `phase` (a backup nested in a restore). */
  withPhase(phase: JobPhase): OperationContext {
    return new OperationContext(this.#cancelFlag, (progress) => this.#send({ ...progress, phase }), this.#warnings);
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
