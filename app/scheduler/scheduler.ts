/**
 * The scheduler: lives in the core (the Electron main process or the host), reads the
 * schedules from the catalog and starts backups through the same job queue as Backup
 * now. It wakes at the next slot, or at least every 30 s to notice a clock jump (a
 * sleeping laptop). Slots that passed while it could not run are "missed": each schedule
 * records them once, with their window, and runs once to catch up, not once per slot.
 */
import type { CatchUpSummary } from '../api/types.ts';
import type { Catalog, ScheduleRow } from '../catalog/index.ts';
import { schedulesPaused } from '../api/rules.ts';
import { nextRuns, slotsBetween } from './schedule-rules.ts';

/** The scheduler's time, injectable so tests move it without waiting. */
export interface Clock {
  now(): Date;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

/** Real time, for the app; tests pass a fake clock instead. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A run of missed slots of one schedule. */
export interface MissedWindow {
  from: Date;
  to: Date;
  count: number;
  /** True when there were more slots than were counted. */
  more: boolean;
}

/** What the scheduler asks of the core: start a backup and record the runs it missed. */
export interface SchedulerHooks {
  /** Queues a scheduled backup; may throw when one of that database is already queued or running. */
  startBackup(databaseId: number, skipIfUnchanged: boolean): void;
  recordMissed(schedule: ScheduleRow, label: string, window: MissedWindow, reason: CatchUpSummary['reason']): void;
  caughtUp(summary: CatchUpSummary): void;
  /**
   * The catalog failed during a tick (locked by another program, damaged): the slots it
   * could not record are tried again at the next tick. Called once per streak of the same
   * failure, not at every tick.
   */
  failed?(error: unknown): void;
}

/** The time zone and lateness rules the scheduler judges slots by. */
export interface SchedulerOptions {
  /** IANA time zone for calendar schedules; the machine's when absent. */
  timezone?: string;
  /** A slot noticed later than this is missed, not merely late (default 2 minutes). */
  graceMs?: number;
  /** The longest the scheduler sleeps, so a clock jump is noticed (default 30 s). */
  maxSleepMs?: number;
}

const DEFAULT_GRACE_MS = 2 * 60_000;
const DEFAULT_MAX_SLEEP_MS = 30_000;

/** Runs saved schedules at their slots, catches up once after a gap, and reports the runs it missed. */
export class Scheduler {
  readonly #catalog: Catalog;
  readonly #clock: Clock;
  readonly #hooks: SchedulerHooks;
  readonly #timezone: string | undefined;
  readonly #graceMs: number;
  readonly #maxSleepMs: number;
  #cancelTimer: (() => void) | undefined;
  #stopped = true;
  /** The message of the failure reported last; null once a tick went through. */
  #failure: string | null = null;

  constructor(catalog: Catalog, clock: Clock, hooks: SchedulerHooks, options: SchedulerOptions = {}) {
    this.#catalog = catalog;
    this.#clock = clock;
    this.#hooks = hooks;
    this.#timezone = options.timezone;
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.#maxSleepMs = options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
  }

  /** Catches up what was missed while Pagevault was not running, then keeps time. */
  start(): void {
    this.#stopped = false;
    this.tick('start');
  }

  /** The machine woke up (Electron's powerMonitor): catch up now. */
  resume(): void {
    if (!this.#stopped) this.tick('resume');
  }

  /** Schedules or the pause changed: look again now. */
  refresh(): void {
    if (!this.#stopped) this.tick('timer');
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /** The next run of a schedule after now, or after the pause when paused. */
  nextRunsOf(row: ScheduleRow, count: number): Date[] {
    const now = this.#clock.now();
    const after = new Date(Math.max(now.getTime(), Date.parse(row.lastSlotAt ?? row.anchorAt)));
    return nextRuns(row.spec, new Date(row.anchorAt), after, count, this.#timezone);
  }

  /**
   * Runs what is due at the clock's now, records what was missed, and sleeps until the
   * next slot. Never throws: it runs from a timer, where an exception would end the
   * process. A slot whose run could not be recorded is not marked done, so the next tick
   * (at the latest `maxSleepMs` later) runs it.
   */
  tick(reason: 'timer' | 'start' | 'resume' = 'timer'): void {
    const now = this.#clock.now();
    let pausedUntil: number | undefined;
    const failures: unknown[] = [];
    try {
      pausedUntil = this.#runDue(now, reason, failures);
    } catch (error) {
      failures.push(error);
    }
    this.#report(failures);
    this.#arm(now, pausedUntil);
  }

  /** Starts and records the due slots; collects per-schedule failures; resolves to the pause's end when paused. */
  #runDue(now: Date, reason: 'timer' | 'start' | 'resume', failures: unknown[]): number | undefined {
    // Slots missed while Pagevault ran can only have passed while the machine slept (or
    // its clock jumped), whether the wake-up or the late timer noticed it first.
    const why: CatchUpSummary['reason'] = reason === 'start' ? 'start' : 'resume';
    const pausedUntil = this.#catalog.settings.get().schedulesPausedUntil;
    const paused = schedulesPaused(pausedUntil, now);
    let missed = 0;
    const labels: string[] = [];

    for (const row of this.#catalog.schedules.list()) {
      if (!row.enabled) continue;
      try {
        const database = this.#catalog.databases.get(row.databaseId);
        if (!database) continue;
        const since = new Date(row.lastSlotAt ?? row.anchorAt);
        const { slots, more } = slotsBetween(row.spec, new Date(row.anchorAt), since, now, this.#timezone);
        if (slots.length === 0) continue;
        // First, so that a catalog that cannot be written leaves the slot to the next tick.
        this.#catalog.schedules.setLastSlot(row.databaseId, slots.at(-1)!);
        // Paused: the slots pass without running, as the user asked.
        if (paused) continue;
        const late = slots.filter((slot) => now.getTime() - slot.getTime() > this.#graceMs);
        if (late.length > 0) {
          missed += late.length;
          labels.push(database.label);
          try {
            this.#hooks.recordMissed(row, database.label, { from: late[0]!, to: late.at(-1)!, count: late.length, more }, why);
          } catch (error) {
            failures.push(error);
          }
        }
        try {
          this.#hooks.startBackup(row.databaseId, row.skipIfUnchanged);
        } catch (error) {
          // A backup of this database already queued or running covers this slot.
          if ((error as { code?: string }).code !== 'ALREADY_RUNNING') failures.push(error);
        }
      } catch (error) {
        failures.push(error);
      }
    }
    if (missed > 0) {
      try {
        this.#hooks.caughtUp(catchUpSummary(missed, labels, why));
      } catch (error) {
        failures.push(error);
      }
    }
    return paused ? Date.parse(pausedUntil!) : undefined;
  }

  #report(failures: unknown[]): void {
    if (failures.length === 0) {
      this.#failure = null;
      return;
    }
    const [first] = failures;
    const message = first instanceof Error ? first.message : String(first);
    if (message === this.#failure) return;
    this.#failure = message;
    try {
      this.#hooks.failed?.(first);
    } catch {
      // Reporting must not stop the scheduler either.
    }
  }

  #arm(now: Date, pausedUntil: number | undefined): void {
    this.#cancelTimer?.();
    if (this.#stopped) return;
    let wake = now.getTime() + this.#maxSleepMs;
    if (pausedUntil !== undefined) wake = Math.min(wake, pausedUntil);
    try {
      for (const row of this.#catalog.schedules.list()) {
        if (!row.enabled) continue;
        const [next] = nextRuns(row.spec, new Date(row.anchorAt), new Date(Math.max(now.getTime(), Date.parse(row.lastSlotAt ?? row.anchorAt))), 1, this.#timezone);
        if (next) wake = Math.min(wake, next.getTime());
      }
    } catch {
      // The catalog cannot be read now: look again after the longest sleep.
    }
    this.#cancelTimer = this.#clock.setTimer(() => this.tick('timer'), Math.max(0, wake - now.getTime()));
  }
}

/** "3 scheduled backups were missed while the computer was off; caught up". */
export function catchUpSummary(missed: number, labels: string[], reason: CatchUpSummary['reason']): CatchUpSummary {
  const what = missed === 1 ? '1 scheduled backup was' : `${missed} scheduled backups were`;
  const when = reason === 'start' ? 'while the computer was off or Pagevault was closed' : 'while the computer was asleep';
  return { missed, labels, reason, message: `${what} missed ${when}; caught up (${labels.join(', ')})` };
}
