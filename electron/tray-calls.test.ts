/** A tray item whose call fails tells the user why, through a real core. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody } from '../app/api/index.ts';
import { Core } from '../app/core/core.ts';
import { makeDatabase } from '../test-support/databases.ts';
import { notStarted, reportingCaller } from './tray-calls.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-tray-calls-'));
const core = new Core({ dataDir: join(root, 'data'), shell: 'electron' });
afterAll(async () => {
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

describe('tray calls', () => {
  it('reports a refused call with what was asked and the core’s reason, and stays quiet on success', async () => {
    const reports: Array<[string, ApiErrorBody, boolean]> = [];
    const call = reportingCaller(core, (title, error, failed) => reports.push([title, error, failed]));
    // A menu built before midnight offers "until tomorrow" as a time that has passed since.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    await call('Pause schedules until tomorrow', 'schedules.pause', { until: yesterday });
    await call('Resume schedules', 'schedules.pause', { until: null });
    expect(reports).toEqual([['Pause schedules until tomorrow failed', { code: expect.any(String), message: `Cannot pause schedules until ${yesterday}: that time has passed` }, true]]);
  });

  it('"Backup all now" tells which databases it did not start, without showing the tray as failed', async () => {
    const one = join(root, 'one.db');
    const two = join(root, 'two.db');
    makeDatabase(one);
    makeDatabase(two);
    const first = await core.call('databases.add', { path: one, label: 'One' });
    await core.call('databases.add', { path: two, label: 'Two' });
    const running = await core.call('backups.start', { databaseId: first.id });
    const reports: Array<[string, ApiErrorBody, boolean]> = [];
    const call = reportingCaller(core, (title, error, failed) => reports.push([title, error, failed]));
    await call('Backup all now', 'backups.startAll', {}, notStarted);
    expect(reports).toEqual([
      ['Backup all now: 1 of 2 databases not started', { code: 'INVALID_REQUEST', message: "A backup of 'One' is already running; wait for it to finish or cancel it" }, false],
    ]);
    expect(running.databaseId).toBe(first.id);
    // Both backups end before the core closes.
    await expect.poll(async () => (await core.call('jobs.list', {})).length, { timeout: 60_000 }).toBe(0);
  });
});
