/** A tray item whose call fails tells the user why, through a real core. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiErrorBody } from '../app/api/index.ts';
import { Core } from '../app/core/core.ts';
import { reportingCaller } from './tray-calls.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-tray-calls-'));
const core = new Core({ dataDir: join(root, 'data'), shell: 'electron' });
afterAll(async () => {
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

describe('tray calls', () => {
  it('reports a refused call with what was asked and the core’s reason, and stays quiet on success', async () => {
    const reports: Array<[string, ApiErrorBody]> = [];
    const call = reportingCaller(core, (title, error) => reports.push([title, error]));
    // A menu built before midnight offers "until tomorrow" as a time that has passed since.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    await call('Pause schedules until tomorrow', 'schedules.pause', { until: yesterday });
    await call('Resume schedules', 'schedules.pause', { until: null });
    expect(reports).toEqual([['Pause schedules until tomorrow', { code: expect.any(String), message: `Cannot pause schedules until ${yesterday}: that time has passed` }]]);
  });
});
