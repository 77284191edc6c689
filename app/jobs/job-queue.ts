/**
 * The core's job queue: runs at most `concurrency` jobs at once, in the order they came,
 * refuses a second job with the same key while one is queued or running, cancels, and
 * passes each job's progress on with the job's ids (the engine throttles it, once, with a
 * trailing flush: ProgressThrottle).
 */
import { randomUUID } from 'node:crypto';
import { PagevaultError } from '../api/errors.ts';
import type { JobInfo, JobProgress } from '../api/types.ts';
import type { EngineProgress } from '../engine/index.ts';

/** What a running job gets: its id, a signal that cancels it and a way to report progress. */
export interface JobHandle {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Passes engine progress on as the job's. */
  progress(progress: EngineProgress): void;
}

/** A job to queue: what it is, for which database, how it is shown, and the work itself. */
export interface JobSpec<T> {
  kind: JobInfo['kind'];
  databaseId: number | null;
  label: string;
  /** Jobs with the same key never run or wait side by side (one backup per database). */
  key: string;
  /** What to say when a job with the same key is already queued or running. */
  duplicateMessage: string;
  run(job: JobHandle): Promise<T>;
}

/** Where the queue reports its changes; the core forwards them as API events. */
export interface QueueListener {
  /** The whole queue, whenever a job is queued, starts or ends. */
  changed(jobs: JobInfo[]): void;
  progress(progress: JobProgress): void;
}

interface Entry {
  info: JobInfo;
  key: string;
  controller: AbortController;
  start: () => void;
}

/** Runs the core's backups, restores and verifications a few at a time, one per database at once. */
export class JobQueue {
  readonly #entries = new Map<string, Entry>();
  readonly #listener: QueueListener;
  #concurrency: number;
  #idleWaiters: Array<() => void> = [];

  constructor(concurrency: number, listener: QueueListener) {
    this.#concurrency = checkConcurrency(concurrency);
    this.#listener = listener;
  }

  /** Changes how many jobs run at once; queued jobs start at once if there is now room. */
  setConcurrency(concurrency: number): void {
    this.#concurrency = checkConcurrency(concurrency);
    this.#startWaiting();
  }

  /** Every queued and running job, in queue order. */
  list(): JobInfo[] {
    return [...this.#entries.values()].map((entry) => entry.info);
  }

  /** True when a job with `key` is queued or running. */
  has(key: string): boolean {
    return [...this.#entries.values()].some((entry) => entry.key === key);
  }

  /**
   * Queues a job. Returns its info at once and `done`, which settles when it ends
   * (rejecting with CANCELLED when it was cancelled, also while still queued).
   */
  enqueue<T>(spec: JobSpec<T>): { info: JobInfo; done: Promise<T> } {
    if (this.has(spec.key)) throw new PagevaultError('ALREADY_RUNNING', spec.duplicateMessage);
    const jobId = randomUUID();
    const controller = new AbortController();
    const info: JobInfo = { jobId, kind: spec.kind, databaseId: spec.databaseId, label: spec.label, state: 'queued', queuedAt: new Date().toISOString(), progress: null };
    let entry!: Entry;
    const done = new Promise<T>((resolve, reject) => {
      const handle: JobHandle = { jobId, signal: controller.signal, progress: (progress) => this.#progress(entry, progress) };
      const start = () => {
        entry.info = { ...entry.info, state: 'running' };
        this.#changed();
        // The job leaves the queue before `done` settles, so whoever awaits it sees it gone.
        // A run that throws before its first await fails the job, not the caller that started it.
        let running: Promise<T>;
        try {
          running = spec.run(handle);
        } catch (error) {
          running = Promise.reject(error);
        }
        running.then(
          (value) => {
            this.#finish(entry);
            resolve(value);
          },
          (error: unknown) => {
            this.#finish(entry);
            reject(error);
          },
        );
      };
      entry = { info, key: spec.key, controller, start };
      controller.signal.addEventListener('abort', () => {
        if (entry.info.state !== 'queued') return;
        this.#finish(entry);
        reject(new PagevaultError('CANCELLED', `${spec.label}: cancelled before it started`));
      });
    });
    this.#entries.set(jobId, entry);
    this.#changed();
    this.#startWaiting();
    return { info: entry.info, done };
  }

  /** Cancels a queued or running job; false when there is no such job. */
  cancel(jobId: string): boolean {
    const entry = this.#entries.get(jobId);
    if (!entry) return false;
    entry.controller.abort();
    return true;
  }

  /** Cancels every job and resolves once none is left. */
  async close(): Promise<void> {
    for (const entry of this.#entries.values()) entry.controller.abort();
    if (this.#entries.size > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  #progress(entry: Entry, engine: EngineProgress): void {
    if (!this.#entries.has(entry.info.jobId)) return;
    const progress: JobProgress = { jobId: entry.info.jobId, kind: entry.info.kind, databaseId: entry.info.databaseId, ...engine };
    entry.info = { ...entry.info, progress };
    this.#listener.progress(progress);
  }

  #finish(entry: Entry): void {
    if (!this.#entries.delete(entry.info.jobId)) return;
    this.#changed();
    this.#startWaiting();
    if (this.#entries.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #startWaiting(): void {
    let running = [...this.#entries.values()].filter((entry) => entry.info.state === 'running').length;
    for (const entry of this.#entries.values()) {
      if (running >= this.#concurrency) break;
      if (entry.info.state === 'queued' && !entry.controller.signal.aborted) {
        running += 1;
        entry.start();
      }
    }
  }

  #changed(): void {
    this.#listener.changed(this.list());
  }
}

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new PagevaultError('INVALID_REQUEST', `Expected concurrency to be a whole number from 1 up, got ${String(value)}`);
  }
  return value;
}
