/**
 * Catch-up through the whole core: a daily schedule, Pagevault closed for three days,
 * reopened: the missed runs are one history entry with the window, one backup runs, and
 * the UIs get one summary.
 */
import { afterAll, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatchUpSummary, JobFinished } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore } from '../../test-support/core-calls.ts';
import type { Clock } from '../scheduler/scheduler.ts';
import { Core } from './core.ts';

const work = mkdtempSync(join(tmpdir(), 'pv-core-schedules-'));
const cores: Core[] = [];
afterAll(async () => {
  for (const core of cores) await core.close();
  rmSync(work, { recursive: true, force: true });
});

/** A clock standing still at `now`, whose timers never fire on their own. */
const clockAt = (now: string): Clock => ({ now: () => new Date(now), setTimer: () => () => undefined });

it('records the missed runs once, with their window, runs one backup, and tells the UIs', async () => {
  const dataDir = join(work, 'data');
  const path = join(work, 'chinook.sqlite');
  copyFileSync(chinookFixture, path);
  const first = new Core({ dataDir, shell: 'web', clock: clockAt('2026-11-20T08:00:00Z'), timezone: 'UTC' });
  cores.push(first);
  const { id } = await callCore(first, 'databases.add', { path });
  await callCore(first, 'schedules.set', { databaseId: id, schedule: { spec: { kind: 'daily', time: '18:30' }, enabled: true, skipIfUnchanged: true } });
  await first.close();

  const reopened = new Core({ dataDir, shell: 'web', clock: clockAt('2026-11-23T09:00:00Z'), timezone: 'UTC' });
  cores.push(reopened);
  const summaries: CatchUpSummary[] = [];
  reopened.events.on('schedules.caughtUp', (summary) => summaries.push(summary));
  const finished = new Promise<JobFinished>((resolve) => reopened.events.on('job.finished', resolve));
  reopened.startScheduler();

  expect(summaries).toEqual([{ missed: 3, labels: ['chinook'], reason: 'start', message: '3 scheduled backups were missed while the computer was off or Pagevault was closed; caught up (chinook)' }]);
  const run = await finished;
  expect(run.backup).toMatchObject({ status: 'succeeded', trigger: 'schedule' });
  const missed = (await callCore(reopened, 'history.list', { databaseId: id, status: 'missed' })).entries;
  expect(missed).toHaveLength(1);
  expect(missed[0]).toMatchObject({ startedAt: '2026-11-20T18:30:00.000Z', finishedAt: '2026-11-22T18:30:00.000Z', trigger: 'schedule', error: { code: 'MISSED' } });
  expect(missed[0]!.error!.message).toMatch(/^3 scheduled backups from .* were missed; caught up once$/);
  const [info] = await callCore(reopened, 'schedules.list', {});
  expect(info!.lastRun?.status).toBe('succeeded');
  expect(info!.nextRuns[0]).toBe('2026-11-23T18:30:00.000Z');
});
