/**
 * Add a database, Backup now with live progress, the history and its chart, cancel of a
 * large backup. Every backup is checked on disk with SQLite itself.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { chinookRowCounts } from '../scripts/fixtures.ts';
import { makeDatabase } from '../test-support/databases.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, dragFiles, recordProgress } from './helpers.ts';

function rowCounts(path: string): { counts: Record<string, number>; integrity: string } {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return {
      counts: Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number])),
      integrity: String(db.pragma('integrity_check', { simple: true })),
    };
  } finally {
    db.close();
  }
}

test('add Chinook by path, Backup now, see 100 %, find it in the history and on disk', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  const row = app.getByRole('row', { name: /^chinook / });
  await expect(row).toContainText('DELETE');
  await expect(row).toContainText('Never');
  const progress = await recordProgress(app, 'Backup of chinook');
  await row.getByRole('button', { name: 'Backup now: chinook' }).click();
  await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
  expect((await progress()).at(-1)).toBe(100);
  await expect(app.getByRole('alert').filter({ hasText: 'chinook backed up and verified' })).toBeVisible();
  await expect(row).toContainText(/just now.*verified/);

  const folder = join(host.dataDir, 'backups', 'chinook');
  const files = readdirSync(folder);
  const backup = files.find((name) => /^chinook-\d{8}-\d{6}\.db$/.test(name));
  expect(backup, `a backup in ${folder}: ${files.join(', ')}`).toBeDefined();
  expect(files).toContain(`${backup}.manifest.json`);
  expect(files.some((name) => name.endsWith('.pagevault-partial'))).toBe(false);
  expect(rowCounts(join(folder, backup!))).toEqual({ counts: chinookRowCounts, integrity: 'ok' });

  await app.getByRole('link', { name: 'History' }).click();
  const entry = app.getByRole('table', { name: 'Backups' }).getByRole('row', { name: /chinook/ });
  await expect(entry).toContainText('Verified');
  await expect(entry).toContainText('1.0 MB');
  await expect(entry).toContainText('Stepped');
});

test('the details panel shows what the database holds and edits its settings', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  await app.getByRole('button', { name: 'Details of chinook' }).click();
  const details = app.getByRole('region', { name: 'Details of chinook' });
  await expect(details.getByRole('row', { name: 'Track 3,503' })).toBeVisible();
  await expect(details.getByRole('textbox', { name: 'Backup folder' })).toHaveValue(join(host.dataDir, 'backups', 'chinook'));
  await saveScreenshot(app, 'databases-details');

  // A backup folder that is a file is refused at the field; nothing changes.
  const file = join(dirname(chinookPath), 'not-a-folder');
  writeFileSync(file, 'x');
  await details.getByRole('textbox', { name: 'Backup folder' }).fill(file);
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(details.getByText(`Cannot use ${file} as the backup folder of 'chinook': it is a file, not a folder`)).toBeVisible();
  // Under the field the core names, not the one its words suggest.
  await expect(details.getByRole('textbox', { name: 'Backup folder' })).toHaveAccessibleDescription(/it is a file, not a folder/);
  await expect(details.getByRole('textbox', { name: 'Name' })).not.toHaveAttribute('aria-invalid', 'true');

  const folder = join(dirname(chinookPath), 'my backups');
  await details.getByRole('textbox', { name: 'Backup folder' }).fill(folder);
  await details.getByRole('textbox', { name: 'Name' }).fill('Music store');
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByRole('row', { name: /Music store/ })).toBeVisible();
  await app.keyboard.press('Escape');
  await app.getByRole('button', { name: 'Backup now: Music store' }).click();
  await expect(app.getByRole('group', { name: 'Backup of Music store' }).getByRole('status')).toHaveText('Backup complete');
  expect(readdirSync(folder).filter((name) => name.endsWith('.db'))).toHaveLength(1);
});

test('a 200 MB backup shows intermediate progress, and Cancel removes the partial file', async ({ app, host }) => {
  const path = join(host.workDir, 'large.sqlite');
  makeDatabase(path, { journalMode: 'wal', bytes: 200 << 20 });
  await addDatabase(app, path);
  // Gentle stepping so the copy lasts long enough to watch and cancel.
  await app.getByRole('button', { name: 'Details of large' }).click();
  const details = app.getByRole('region', { name: 'Details of large' });
  // A database this large where nothing clones is kept as Versions by default; this is about a copy.
  const choice = details.getByRole('radiogroup', { name: 'Keep backups as' });
  await expect(choice.getByRole('radio', { name: 'Versions' })).toBeChecked();
  await choice.getByText('Copies', { exact: true }).click();
  await expect(choice.getByRole('radio', { name: 'Copies' })).toBeChecked();
  await details.getByText('Stepped', { exact: true }).click();
  await details.getByRole('textbox', { name: 'Pages per step' }).fill('128');
  await details.getByRole('textbox', { name: 'Pause between steps (ms)' }).fill('25');
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByText('Backups of large go to')).toBeVisible();
  await app.keyboard.press('Escape');

  const progress = await recordProgress(app, 'Backup of large');
  await app.getByRole('button', { name: 'Backup now: large' }).click();
  const job = app.getByRole('group', { name: 'Backup of large' });
  await expect(job).toContainText(/pages/);
  await expect.poll(async () => (await progress()).filter((v) => v > 0 && v < 100).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await expect(job).toContainText(/MB\/s/);
  await saveScreenshot(app, 'databases-running', { withNotifications: true });
  const folder = join(host.dataDir, 'backups', 'large');
  expect(readdirSync(folder).some((name) => name.endsWith('.pagevault-partial'))).toBe(true);

  await job.getByRole('button', { name: 'Cancel the backup of large' }).click();
  await expect(job.getByRole('status')).toHaveText('Cancelled; nothing was kept');
  expect(readdirSync(folder)).toEqual([]);
  const values = await progress();
  expect(values.every((v, i) => i === 0 || v >= values[i - 1]! || v === 0)).toBe(true);

  await app.getByRole('link', { name: 'History' }).click();
  await expect(app.getByRole('table', { name: 'Backups' }).getByRole('row', { name: /large/ })).toContainText('Cancelled');
});

test('adding a text file shows the "not a SQLite database" error and adds nothing', async ({ app, chinookPath }) => {
  const text = join(dirname(chinookPath), 'notes.txt');
  writeFileSync(text, 'shopping list\nmilk\n');
  await addDatabase(app, text);
  const form = app.getByRole('form', { name: 'Add a database' });
  await expect(form.getByRole('alert')).toContainText(`Cannot inspect ${text}: the file is not a SQLite database (it is a text file starting with 'shopping list')`);
  await expect(app.getByRole('heading', { name: 'No databases yet' })).toBeVisible();
  await addDatabase(app, chinookPath);
  await expect(app.getByRole('row', { name: /chinook/ })).toBeVisible();
  await addDatabase(app, chinookPath);
  await expect(form.getByRole('alert')).toContainText(`${chinookPath} is already in Pagevault as 'chinook'`);
  await expect(app.getByRole('table', { name: 'Databases' }).getByRole('row')).toHaveCount(2);
});

test('history filters by status and charts size and duration per database', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  const folder = join(host.dataDir, 'backups', 'chinook');
  const backups = () => (existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.db')).length : 0);
  const backupNow = app.getByRole('button', { name: 'Backup now: chinook' });
  for (let run = 1; run <= 3; run += 1) {
    // A host slow to answer (held still here) while the bar of the backup before still says
    // it is complete: the button is disabled from the press all the same, so a second press
    // cannot be refused as a duplicate, and each press makes exactly one backup.
    await expect(backupNow).toBeEnabled();
    process.kill(host.pid, 'SIGSTOP');
    try {
      await backupNow.click();
      await expect(backupNow).toBeDisabled();
    } finally {
      process.kill(host.pid, 'SIGCONT');
    }
    await expect(backupNow).toBeEnabled();
    expect(backups()).toBe(run);
    await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
  }
  await expect(app.getByText('Backup not started')).toHaveCount(0);
  await app.getByRole('link', { name: 'History' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'backups' })).toHaveText('3 backups');
  await app.getByRole('combobox', { name: 'Database' }).click();
  await app.getByRole('option', { name: 'chinook' }).click();
  const chart = app.getByRole('figure', { name: 'Backup size and duration of chinook' });
  await expect(chart.locator('.recharts-line')).toHaveCount(2);
  await saveScreenshot(app, 'history-chart');
  await app.getByRole('combobox', { name: 'Status' }).click();
  await app.getByRole('option', { name: 'Failed' }).click();
  await expect(app.getByText('No backups match these filters.')).toBeVisible();
  await expect(app.getByRole('status').filter({ hasText: 'backups' })).toHaveText('0 backups');
});

test('Backup all now backs up each database once, and a second press while the host is slow is not taken', async ({ app, chinookPath, host }) => {
  const other = join(host.workDir, 'notes.sqlite');
  makeDatabase(other, { journalMode: 'wal', bytes: 1 << 20 });
  await addDatabase(app, chinookPath);
  await expect(app.getByRole('button', { name: 'Backup now: chinook' })).toBeEnabled();
  await addDatabase(app, other);
  const all = app.getByRole('button', { name: 'Backup all now' });
  await expect(app.getByRole('button', { name: 'Backup now: notes' })).toBeEnabled();
  process.kill(host.pid, 'SIGSTOP');
  try {
    await all.click();
    await expect(all).toBeDisabled();
    // Pressed again (a disabled button takes no press), and each row's own button is busy too.
    await all.click({ force: true });
    await expect(app.getByRole('button', { name: 'Backup now: chinook' })).toBeDisabled();
    await expect(app.getByRole('button', { name: 'Backup now: notes' })).toBeDisabled();
  } finally {
    process.kill(host.pid, 'SIGCONT');
  }
  for (const label of ['chinook', 'notes']) {
    await expect(app.getByRole('group', { name: `Backup of ${label}` }).getByRole('status')).toHaveText('Backup complete');
    await expect(app.getByRole('button', { name: `Backup now: ${label}` })).toBeEnabled();
    expect(readdirSync(join(host.dataDir, 'backups', label)).filter((name) => name.endsWith('.db'))).toHaveLength(1);
  }
  await expect(all).toBeEnabled();
  await expect(app.getByText(/not started/)).toHaveCount(0);
});

test('progress survives a reload of the page', async ({ app, host }) => {
  const path = join(host.workDir, 'medium.sqlite');
  makeDatabase(path, { journalMode: 'delete', bytes: 40 << 20 });
  await addDatabase(app, path);
  await app.getByRole('button', { name: 'Details of medium' }).click();
  const details = app.getByRole('region', { name: 'Details of medium' });
  await details.getByRole('textbox', { name: 'Pages per step' }).fill('64');
  await details.getByRole('textbox', { name: 'Pause between steps (ms)' }).fill('25');
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByText('Backups of medium go to')).toBeVisible();
  await app.keyboard.press('Escape');
  await app.getByRole('button', { name: 'Backup now: medium' }).click();
  await expect(app.getByRole('group', { name: 'Backup of medium' })).toContainText(/pages/);
  await app.reload();
  const job = app.getByRole('group', { name: 'Backup of medium' });
  await expect(job).toContainText(/pages/);
  await expect(app.getByRole('button', { name: 'Backup now: medium' })).toBeDisabled();
  await job.getByRole('button', { name: 'Cancel the backup of medium' }).click();
  await expect(job.getByRole('status')).toHaveText('Cancelled; nothing was kept');
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });

  test('the databases list and the history read well in dark mode', async ({ app, chinookPath }) => {
    await addDatabase(app, chinookPath);
    await app.getByRole('button', { name: 'Backup now: chinook' }).click();
    await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
    await expect(app.getByRole('row', { name: /^chinook / })).toContainText(/just now.*verified/);
    await expect(app.getByRole('group', { name: 'Backup of chinook' })).toHaveCount(0, { timeout: 10_000 });
    await saveScreenshot(app, 'databases-list-dark');
    await app.getByRole('link', { name: 'History' }).click();
    await app.getByRole('combobox', { name: 'Database' }).click();
    await app.getByRole('option', { name: 'chinook' }).click();
    await expect(app.getByRole('figure', { name: 'Backup size and duration of chinook' }).locator('.recharts-line')).toHaveCount(2);
    await saveScreenshot(app, 'history-dark');
  });
});

test('dropping files on the Databases screen offers to add them or restore; the browser explains it cannot add by drop', async ({ app }) => {
  const size = app.viewportSize()!;
  const { drop } = await dragFiles(app, [{ name: 'places.sqlite', bytes: Buffer.from('SQLite format 3\0') }], { at: { x: size.width * 0.8, y: size.height / 2 } });
  const overlay = app.getByRole('dialog', { name: 'Drop files' });
  await expect(overlay.getByText('Drop databases to add them')).toBeVisible();
  await expect(overlay.getByText('Drop a backup to restore it')).toBeVisible();
  await saveScreenshot(app, 'databases-drop-overlay');
  await drop();
  await expect(overlay).toHaveCount(0);
  await expect(app.getByRole('alert').filter({ hasText: 'Not added' })).toContainText('dropping files to add them works in the desktop app');
  await expect(app.getByRole('heading', { name: 'No databases yet' })).toBeVisible();
});
