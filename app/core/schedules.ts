/**
 * The `schedules.*` methods and the core's scheduler: schedules are validated and saved
 * in the catalog, scheduled runs go through BackupJobs like Backup now, and missed runs
 * become history entries and one summary for the UIs and the desktop.
 */
import { PagevaultError } from '../api/errors.ts';
import type { CatchUpSummary, Schedule, ScheduleInfo, SchedulePreview, ScheduleSpec, Settings } from '../api/types.ts';
import { entryWithoutFile, type ScheduleRow } from '../catalog/index.ts';
import { checkSchedule, describeSchedule, nextRuns, type ScheduleProblem } from '../scheduler/schedule-rules.ts';
import { Scheduler, type Clock, type MissedWindow } from '../scheduler/scheduler.ts';
import type { BackupJobs } from './backup-jobs.ts';
import type { CoreContext } from './context.ts';
import { withFileFact } from './file-facts.ts';
import type { Databases } from './databases.ts';

const PREVIEW_COUNT = 5;

/** The `schedules.*` methods and the scheduler that runs the saved schedules through BackupJobs. */
export class Schedules {
  readonly #ctx: CoreContext;
  readonly #databases: Databases;
  readonly #clock: Clock;
  readonly scheduler: Scheduler;

  constructor(ctx: CoreContext, databases: Databases, backups: BackupJobs, clock: Clock, timezone?: string) {
    this.#ctx = ctx;
    this.#databases = databases;
    this.#clock = clock;
    this.scheduler = new Scheduler(
      ctx.catalog,
      clock,
      {
        startBackup: (databaseId, skipIfUnchanged) => backups.start(databaseId, { trigger: 'schedule', skipIfUnchanged }),
        recordMissed: (row, label, window) => this.#recordMissed(row, label, window),
        caughtUp: (summary) => this.#caughtUp(summary),
        failed: (error) => ctx.catalogProblem('Running the scheduled backups', error, 'Pagevault tries again by itself at its next look at the schedules, within 30 seconds'),
      },
      { timezone },
    );
  }

  list(clock: { hour12?: boolean } = {}): Promise<ScheduleInfo[]> {
    return Promise.all(
      this.#ctx.catalog.schedules.list().flatMap((row) => {
        const database = this.#ctx.catalog.databases.get(row.databaseId);
        return database ? [this.#info(row, database.label, clock)] : [];
      }),
    );
  }

  /** What a schedule would do, or what is wrong with it (shown at its field). */
  preview(spec: ScheduleSpec, clock: { hour12?: boolean } = {}): SchedulePreview & { problem: ScheduleProblem | null } {
    const problem = checkSchedule(spec) ?? null;
    if (problem) return { description: '', nextRuns: [], problem };
    const now = this.#clock.now();
    return { description: describeSchedule(spec, clock), nextRuns: nextRuns(spec, now, now, PREVIEW_COUNT).map((d) => d.toISOString()), problem: null };
  }

  set(databaseId: number, schedule: Schedule): Promise<ScheduleInfo> {
    const database = this.#databases.get(databaseId);
    const problem = checkSchedule(schedule.spec);
    if (problem) {
      throw new PagevaultError('INVALID_REQUEST', `Cannot save the schedule of '${database.label}': ${problem.message}`, { issues: [{ path: `schedule.spec.${problem.field}`, message: problem.message }] });
    }
    const row = this.#ctx.catalog.schedules.set(databaseId, schedule, this.#clock.now());
    this.#ctx.catalog.events.record('schedule.saved', `Schedule of '${database.label}': ${describeSchedule(schedule.spec)}${schedule.enabled ? '' : ' (disabled)'}`, databaseId);
    this.#changed();
    return this.#info(row, database.label);
  }

  remove(databaseId: number): { removed: boolean } {
    const database = this.#databases.get(databaseId);
    const removed = this.#ctx.catalog.schedules.remove(databaseId);
    if (removed) this.#ctx.catalog.events.record('schedule.removed', `Removed the schedule of '${database.label}'`, databaseId);
    this.#changed();
    return { removed };
  }

  /** Pauses every schedule until `until` (ISO), or resumes them with null. */
  pause(until: string | null): Settings {
    if (until !== null && Date.parse(until) <= this.#clock.now().getTime()) {
      throw new PagevaultError('INVALID_REQUEST', `Cannot pause schedules until ${until}: that time has passed`);
    }
    const settings = this.#ctx.catalog.settings.update({ schedulesPausedUntil: until });
    this.#ctx.catalog.events.record('schedules.paused', until ? `Schedules paused until ${until}` : 'Schedules resumed');
    this.#ctx.changed('settings');
    this.#changed();
    return settings;
  }

  async #info(row: ScheduleRow, label: string, clock: { hour12?: boolean } = {}): Promise<ScheduleInfo> {
    const { spec, enabled, skipIfUnchanged } = row;
    const lastRun = await withFileFact(this.#ctx.catalog.backups.latestByTrigger(row.databaseId, 'schedule') ?? null);
    return {
      databaseId: row.databaseId,
      label,
      schedule: { spec, enabled, skipIfUnchanged },
      description: describeSchedule(spec, clock),
      nextRuns: this.scheduler.nextRunsOf(row, PREVIEW_COUNT).map((d) => d.toISOString()),
      lastRun,
      updatedAt: row.updatedAt,
    };
  }

  #changed(): void {
    this.#ctx.changed('schedules');
    this.scheduler.refresh();
  }

  #recordMissed(row: ScheduleRow, label: string, window: MissedWindow): void {
    const database = this.#ctx.catalog.databases.get(row.databaseId);
    const count = `${window.count}${window.more ? '+' : ''}`;
    const message =
      window.count === 1 && !window.more
        ? `The scheduled backup of ${window.from.toLocaleString()} was missed; caught up once`
        : `${count} scheduled backups from ${window.from.toLocaleString()} to ${window.to.toLocaleString()} were missed; caught up once`;
    this.#ctx.catalog.backups.insert(
      entryWithoutFile({
        databaseId: row.databaseId,
        databaseLabel: label,
        source: database?.path ?? '',
        status: 'missed',
        trigger: 'schedule',
        mode: database?.mode ?? 'snapshot',
        startedAt: window.from.toISOString(),
        finishedAt: window.to.toISOString(),
        durationMs: null,
        error: { code: 'MISSED', message },
      }),
    );
    this.#ctx.changed('history');
  }

  #caughtUp(summary: CatchUpSummary): void {
    this.#ctx.events.emit('schedules.caughtUp', summary);
    this.#ctx.shell.notify?.({ kind: 'success', title: 'Missed backups caught up', body: summary.message });
    this.#ctx.catalog.events.record('schedules.caught-up', summary.message);
  }
}
