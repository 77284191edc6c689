/**
 * A database another program holds exclusively, through the UI: a real writer (Python's
 * sqlite3 in locking_mode=EXCLUSIVE) commits pairs back to back while the user adds it,
 * checks it, and presses Backup now; the backup holds whole pairs and the History says
 * how it was copied.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeDatabase, readState } from '../test-support/databases.ts';
import { startExclusiveWriter } from '../test-support/processes.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, recordProgress } from './helpers.ts';
import { startBrowsingChromium } from '../test-support/browsing-chromium.ts';

test('add a database another program holds, Backup now, and the History says it was copied while in use', async ({ app, host }) => {
  const source = join(host.workDir, 'places.sqlite');
  makeDatabase(source, { journalMode: 'wal', bytes: 4_000_000 });
  const writer = await startExclusiveWriter(source, 'wal', { autocheckpoint: 50 });
  try {
    // Checking it first: the facts come from its header, and the panel says why there are no tables.
    await app.getByRole('textbox', { name: 'Database file' }).fill(source);
    await app.getByRole('button', { name: 'Inspect' }).click();
    const inspection = app.getByRole('region', { name: 'Inspection result' });
    await expect(inspection).toContainText('Held by another program');
    await expect(inspection).toContainText('Backups copy it without a lock');
    await saveScreenshot(app, 'databases-inspect-held');

    await addDatabase(app, source);
    const row = app.getByRole('row', { name: /^places / });
    await expect(row).toContainText('WAL');
    const progress = await recordProgress(app, 'Backup of places');
    await row.getByRole('button', { name: 'Backup now: places' }).click();
    await expect(app.getByRole('group', { name: 'Backup of places' }).getByRole('status')).toHaveText('Backup complete');
    expect((await progress()).at(-1)).toBe(100);

    const folder = join(host.dataDir, 'backups', 'places');
    const backup = readdirSync(folder).find((name) => /^places-\d{8}-\d{6}\.db$/.test(name))!;
    const state = readState(join(folder, backup));
    expect(state.integrity).toBe('ok');
    expect(state.a).toBe(state.b);

    await app.getByRole('link', { name: 'History' }).click();
    const entry = app.getByRole('table', { name: 'Backups' }).getByRole('row', { name: /places/ });
    await expect(entry).toContainText('Verified');
    const badge = entry.getByText('Copied while in use');
    await expect(badge).toBeVisible();
    await badge.hover();
    await expect(app.getByRole('tooltip')).toContainText('Another program held this database, so Pagevault copied it without a lock and checked the copy: consistent up to WAL commit frame');
    await saveScreenshot(app, 'history-held-copy');
  } finally {
    const summary = JSON.parse(await writer.stop()) as { busy: number };
    expect(summary.busy).toBe(0);
  }
});

test("Chromium's History, while Chromium browses: Backup now works and the History entry says how it was copied", async ({ app, host }) => {
  test.slow(); // Chromium's start and its first commit come first
  const profile = join(host.workDir, 'chromium-profile');
  const chromium = await startBrowsingChromium(profile);
  const { page } = chromium;
  try {
    for (let i = 0; i < 3; i += 1) await page.goto(chromium.url(`/visit-${i}`));
    const history = join(profile, 'Default', 'History');
    // Chromium takes its lock on History at its first commit, seconds after it starts, and
    // later on a loaded machine: only the test's own timeout bounds this.
    await chromium.holds('History');

    await addDatabase(app, history);
    const row = app.getByRole('row', { name: /^History / });
    await row.getByRole('button', { name: 'Backup now: History' }).click();
    await expect(app.getByRole('group', { name: 'Backup of History' }).getByRole('status')).toHaveText('Backup complete');
    await page.goto(chromium.url('/after')); // Chromium browses on

    const folder = join(host.dataDir, 'backups', 'History');
    const backup = readdirSync(folder).find((name) => /^History-\d{8}-\d{6}\.db$/.test(name))!;
    const copy = new Database(join(folder, backup), { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    copy.close();

    await app.getByRole('link', { name: 'History' }).click();
    const entry = app.getByRole('table', { name: 'Backups' }).getByRole('row', { name: /History/ });
    await expect(entry).toContainText('Verified');
    await expect(entry.getByText('Copied while in use')).toBeVisible();
  } finally {
    await chromium.close();
  }
});
