/**
 * A schedule that cannot run is answered at its field, as data: `schedules.preview` says
 * which field is wrong and why, `schedules.set` refuses with the field in `issues`, and a
 * value of the wrong type names its path the same way. Nobody has to read a message.
 */
import { expect, it } from 'vitest';
import type { ScheduleSpec } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { coreCases } from '../../test-support/core-calls.ts';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';

const cases = coreCases('pv-schedule-problems-');

it.each<[ScheduleSpec, string, string]>([
  [{ kind: 'interval', everyMinutes: 0 }, 'everyMinutes', 'at least 1 minute'],
  [{ kind: 'interval', everyMinutes: 1.5 }, 'everyMinutes', 'whole number'],
  [{ kind: 'interval', everyMinutes: 600_000 }, 'everyMinutes', 'at most a year'],
  [{ kind: 'daily', time: '25:00' }, 'time', 'HH:MM'],
  [{ kind: 'weekly', days: [], time: '18:30' }, 'days', 'at least one day'],
  [{ kind: 'weekly', days: [7], time: '18:30' }, 'days', 'Sunday'],
  [{ kind: 'cron', expression: '61 * * * *' }, 'expression', 'not a valid cron expression'],
])('schedules.preview of %j names the field %s', async (spec, field, message) => {
  const preview = await cases.call('schedules.preview', { spec });
  expect(preview.problem?.field).toBe(field);
  expect(preview.problem?.message).toContain(message);
  expect(preview.nextRuns).toEqual([]);
});

it('schedules.set refuses a schedule that cannot run with the field as data, and saves nothing', async () => {
  const path = join(cases.work, 'chinook.sqlite');
  copyFileSync(chinookFixture, path);
  const { id } = await cases.call('databases.add', { path });
  const outcome = await cases.core.handle('schedules.set', { databaseId: id, schedule: { spec: { kind: 'interval', everyMinutes: 0 }, enabled: true, skipIfUnchanged: true } });
  expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', issues: [{ path: 'schedule.spec.everyMinutes', message: 'The interval is at least 1 minute' }] } });
  expect(await cases.call('schedules.list', {})).toEqual([]);
});

it('a value of the wrong type is refused with its path as data', async () => {
  const outcome = await cases.core.handle('schedules.preview', { spec: { kind: 'interval', everyMinutes: 'often' } });
  expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', issues: [{ path: 'spec.everyMinutes' }] } });
  const settings = await cases.core.handle('settings.update', { concurrency: 9 });
  expect(settings).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', issues: [{ path: 'concurrency', message: 'Concurrency is a number from 1 to 8' }] } });
});
