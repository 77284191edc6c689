/**
 * The scheduler against a real catalog with an injected clock: runs at its slots, catches
 * up once after a 3-day gap with the missed window recorded, notices a clock jump, honours
 * a pause and skips disabled schedules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatchUpSummary, Schedule } from '../api/types.ts';
import { Catalog } from '../catalog/index.ts';
import { defaultSettings } from '../core/core.ts';
import { Scheduler, type MissedWindow } from './scheduler.ts';
import { FakeClock } from '../../test-support/fake-clock.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

let dir: string;
let catalog: Catalog;
let clock: FakeClock;
let started: Array<{ databaseId: number; at: string; skip: boolean }>;
let missed: Array<{ label: string; window: MissedWindow; reason: string }>;
let summaries: CatchUpSummary[];
let scheduler: Scheduler;
let databaseId: number;

function addDatabase(label: string): number {
  return catalog.databases.insert({ path: `/data/${label}.db`, label, destination: `/backups/${label}`, mode: 'snapshot', pagesPerStep: null, pauseMs: null, journalMode: 'wal', pageSize: 4096, addedAt: clock.now().toISOString() }).id;
}

function makeScheduler(): Scheduler {
  return new Scheduler(
    catalog,
    clock,
    {
      startBackup: (id, skip) => started.push({ databaseId: id, at: clock.now().toISOString(), skip }),
      recordMissed: (_row, label, window, reason) => missed.push({ label, window, reason }),
      caughtUp: (summary) => summaries.push(summary),
    },
    // Long sleeps keep the simulated days quick; a clock jump is noticed all the same.
    { timezone: 'UTC', maxSleepMs: 6 * HOUR },
  );
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pv-scheduler-'));
  clock = new FakeClock('2026-11-20T08:00:00Z');
  catalog = new Catalog(dir, defaultSettings(dir));
  started = [];
  missed = [];
  summaries = [];
  databaseId = addDatabase('notes');
  scheduler = makeScheduler();
});

afterEach(() => {
  scheduler.stop();
  catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

const daily: Schedule = { spec: { kind: 'daily', time: '18:30' }, enabled: true, skipIfUnchanged: true };

describe('the scheduler', () => {
  it('runs each slot once, at its time, with skip-if-unchanged passed on', () => {
    catalog.schedules.set(databaseId, { spec: { kind: 'interval', everyMinutes: 15 }, enabled: true, skipIfUnchanged: false }, clock.now());
    scheduler.start();
    expect(started).toEqual([]);
    clock.advance(HOUR);
    expect(started.map((run) => run.at)).toEqual(['2026-11-20T08:15:00.000Z', '2026-11-20T08:30:00.000Z', '2026-11-20T08:45:00.000Z', '2026-11-20T09:00:00.000Z']);
    expect(started.every((run) => run.skip === false && run.databaseId === databaseId)).toBe(true);
    expect(missed).toEqual([]);
    expect(summaries).toEqual([]);
  });

  it('catches up once after a 3-day gap while the app was closed, and records the missed window', () => {
    catalog.schedules.set(databaseId, daily, clock.now());
    scheduler.start();
    clock.advance(DAY); // 18:30 on the 20th runs
    expect(started).toHaveLength(1);
    scheduler.stop();

    // Closed for 3 days: the 21st, 22nd and 23rd are missed. Reopened on the 24th at 08:00.
    clock.sleep(3 * DAY);
    const reopened = makeScheduler();
    reopened.start();
    expect(started).toHaveLength(2);
    expect(started[1]!.at).toBe('2026-11-24T08:00:00.000Z');
    expect(missed).toEqual([
      {
        label: 'notes',
        window: { from: new Date('2026-11-21T18:30:00Z'), to: new Date('2026-11-23T18:30:00Z'), count: 3, more: false },
        reason: 'start',
      },
    ]);
    expect(summaries).toEqual([
      { missed: 3, labels: ['notes'], reason: 'start', message: '3 scheduled backups were missed while the computer was off or Pagevault was closed; caught up (notes)' },
    ]);
    // And then it keeps time again: the 24th at 18:30 runs normally.
    clock.advance(DAY);
    expect(started.map((run) => run.at).at(-1)).toBe('2026-11-24T18:30:00.000Z');
    expect(missed).toHaveLength(1);
    reopened.stop();
  });

  it('calls the slots a late timer finds missed a resume: the machine slept', () => {
    catalog.schedules.set(databaseId, { spec: { kind: 'interval', everyMinutes: 60 }, enabled: true, skipIfUnchanged: true }, clock.now());
    scheduler.start();
    // The timer set before the sleep fires late, when the machine wakes.
    clock.sleep(5 * HOUR + 10 * MINUTE);
    clock.timer!.fn();
    expect(started).toHaveLength(1);
    expect(missed[0]).toMatchObject({ window: { count: 5 }, reason: 'resume' });
    expect(summaries[0]!.message).toBe('5 scheduled backups were missed while the computer was asleep; caught up (notes)');
  });

  it('does not call a slot missed when the timer is merely a little late', () => {
    catalog.schedules.set(databaseId, { spec: { kind: 'interval', everyMinutes: 10 }, enabled: true, skipIfUnchanged: true }, clock.now());
    scheduler.start();
    clock.sleep(10 * MINUTE + 30_000);
    scheduler.tick();
    expect(started).toHaveLength(1);
    expect(missed).toEqual([]);
  });

  it('lets slots pass without running while paused, and runs again after', () => {
    catalog.schedules.set(databaseId, { spec: { kind: 'interval', everyMinutes: 30 }, enabled: true, skipIfUnchanged: true }, clock.now());
    catalog.settings.update({ schedulesPausedUntil: new Date(clock.now().getTime() + 2 * HOUR).toISOString() });
    scheduler.start();
    clock.advance(2 * HOUR - MINUTE);
    expect(started).toEqual([]);
    expect(missed).toEqual([]);
    clock.advance(31 * MINUTE);
    expect(started.map((run) => run.at)).toEqual(['2026-11-20T10:00:00.000Z', '2026-11-20T10:30:00.000Z']);
  });

  it('skips disabled schedules, and a schedule changed while closed does not count slots from before', () => {
    const other = addDatabase('photos');
    catalog.schedules.set(databaseId, { ...daily, enabled: false }, clock.now());
    catalog.schedules.set(other, daily, clock.now());
    scheduler.start();
    clock.advance(DAY);
    expect(started.map((run) => run.databaseId)).toEqual([other]);
    scheduler.stop();
    clock.sleep(2 * DAY);
    catalog.schedules.set(other, { ...daily, spec: { kind: 'daily', time: '07:00' } }, clock.now());
    makeScheduler().start();
    expect(missed).toEqual([]);
  });

  it('lists the next runs from now', () => {
    const row = catalog.schedules.set(databaseId, { ...daily, spec: { kind: 'weekly', days: [1, 3], time: '06:00' } }, clock.now());
    expect(scheduler.nextRunsOf(row, 3).map((d) => d.toISOString())).toEqual(['2026-11-23T06:00:00.000Z', '2026-11-25T06:00:00.000Z', '2026-11-30T06:00:00.000Z']);
  });
});
