/**
 * A database another program holds exclusively, through the UI: a real writer (Python's
 * sqlite3 in locking_mode=EXCLUSIVE) commits pairs back to back while the user adds it,
 * checks it, and presses Backup now; the backup holds whole pairs and the History says
 * how it was copied.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeDatabase, readState } from '../test-support/databases.ts';
import { startExclusiveWriter } from '../test-support/processes.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, recordProgress } from './helpers.ts';

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
