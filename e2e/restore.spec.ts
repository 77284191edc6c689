/**
 * The restore wizard in the browser shell: a backup dropped onto the window is uploaded,
 * checked, compared with the live database and restored over it, with a safety copy
 * and Undo. Every outcome is checked on disk with SQLite itself.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { chinookRowCounts } from '../scripts/fixtures.ts';
import { integrityOf, rowCounts } from '../test-support/core-calls.ts';
import { makeDatabase } from '../test-support/databases.ts';
import { startLocker } from '../test-support/processes.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, dragFiles, keepAsCopies, recordProgress } from './helpers.ts';

/** Adds `path`, takes one backup through the UI and returns the backup file's path. */
async function backedUp(app: Page, path: string, label: string, folder: string, options: { large?: boolean } = {}): Promise<string> {
  await addDatabase(app, path);
  if (options.large) await keepAsCopies(app, label);
  const row = app.getByRole('row', { name: new RegExp(`^${label} `) });
  await row.getByRole('button', { name: `Backup now: ${label}` }).click();
  await expect(app.getByRole('group', { name: `Backup of ${label}` }).getByRole('status')).toHaveText('Backup complete', { timeout: 60_000 });
  const name = readdirSync(folder).find((file) => file.endsWith('.db'));
  expect(name).toBeDefined();
  return join(folder, name!);
}

function deleteInvoiceLines(path: string): void {
  const db = new Database(path);
  db.exec('DELETE FROM InvoiceLine');
  db.close();
}

test('drop a backup onto the window, restore it over the changed database, then undo', async ({ app, chinookPath, host }) => {
  const backup = await backedUp(app, chinookPath, 'chinook', join(host.dataDir, 'backups', 'chinook'));
  deleteInvoiceLines(chinookPath);

  const { drop } = await dragFiles(app, [{ name: backup.split('/').pop()!, bytes: readFileSync(backup) }]);
  await expect(app.getByRole('dialog', { name: 'Drop files' }).getByText('Drop a backup to restore it')).toBeVisible();
  await saveScreenshot(app, 'restore-drop-overlay');
  await drop();

  // Step 2: the uploaded copy is checked and compared with the live database.
  await expect(app.getByRole('heading', { name: /^Checking chinook-\d{8}-\d{6}\.db$/ })).toBeVisible();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toContainText('its SHA-256 matches the backup of chinook taken');
  const invoiceLine = app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^InvoiceLine / });
  await expect(invoiceLine).toContainText('2,240');
  await expect(invoiceLine).toContainText('Differs');
  await expect(app.getByText('1 table with different row counts')).toBeVisible();
  await saveScreenshot(app, 'restore-step-check');
  await app.getByRole('button', { name: 'Continue' }).click();

  // Step 3: the database it came from is proposed, with what replacing it means.
  await expect(app.getByRole('radio', { name: 'The database it came from: chinook' })).toBeChecked();
  await expect(app.getByRole('status').filter({ hasText: 'This replaces chinook' })).toContainText(chinookPath);
  await expect(app.getByRole('checkbox', { name: /Take a safety copy/ })).toBeChecked();
  await saveScreenshot(app, 'restore-step-target');

  // Turning the safety copy off needs a confirmation; keep it.
  await app.getByRole('checkbox', { name: /Take a safety copy/ }).click();
  await expect(app.getByRole('dialog', { name: 'Restore without a safety copy?' })).toBeVisible();
  await app.getByRole('button', { name: 'Keep the safety copy' }).click();
  await expect(app.getByRole('checkbox', { name: /Take a safety copy/ })).toBeChecked();

  await app.getByRole('button', { name: 'Replace chinook' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'chinook was restored' })).toBeVisible();
  expect(rowCounts(chinookPath)).toEqual(chinookRowCounts);
  expect(integrityOf(chinookPath)).toBe('ok');
  // Every step reads as complete, Done included; none is still in progress.
  const steps = app.getByLabel('Restore steps').getByRole('button');
  await expect(steps).toHaveCount(5);
  for (const step of await steps.all()) await expect(step).toHaveAttribute('data-completed', 'true');
  await saveScreenshot(app, 'restore-step-done');

  // The safety copy is in the history as "before restore", and Undo brings the change back.
  await app.getByRole('button', { name: 'Undo restore' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'Undone: chinook is back as it was' })).toBeVisible();
  expect(rowCounts(chinookPath).InvoiceLine).toBe(0);
  expect(integrityOf(chinookPath)).toBe('ok');
  await app.getByRole('button', { name: 'Open the history' }).click();
  const safetyCopies = app.getByRole('row').filter({ hasText: 'Before restore' });
  await expect(safetyCopies).toHaveCount(2);
  // Only hashed, on purpose (Undo checks it): each says what it is, not a "Not verified" warning.
  await expect(safetyCopies.filter({ hasText: 'Hashed; not checked' })).toHaveCount(2);
  await expect(safetyCopies.filter({ hasText: 'Not verified' })).toHaveCount(0);
  // Reached by keyboard, as the tooltip opens on focus from the keyboard.
  const badge = safetyCopies.first().locator('[tabindex="0"]', { hasText: /^Hashed; not checked$/ });
  await badge.focus();
  await app.keyboard.press('Shift+Tab');
  await app.keyboard.press('Tab');
  await expect(badge).toBeFocused();
  await expect(app.getByRole('tooltip').filter({ hasText: 'A safety copy' })).toContainText('Undo restore checks it against that SHA-256');
});

test('dropping a text file, several files or a non-database says what was expected and changes nothing', async ({ app, host }) => {
  const text = { name: 'notes.txt', bytes: Buffer.from('remember the milk\n') };
  let { drop } = await dragFiles(app, [text]);
  await drop();
  await expect(app.getByRole('alert').filter({ hasText: 'Nothing to restore' })).toContainText('notes.txt is not a database backup. Drop a SQLite database or Pagevault backup file (.db, .sqlite, .sqlite3, .db3, or an encrypted .db.age).');
  ({ drop } = await dragFiles(app, [text, { name: 'b.db', bytes: Buffer.from('x') }]));
  await drop();
  await expect(app.getByRole('alert').filter({ hasText: '2 items were dropped' })).toBeVisible();
  await expect(app.getByRole('heading', { name: 'Databases', exact: true })).toBeVisible();

  // A .db that is really text gets through the name check and is refused by the engine at step 2.
  ({ drop } = await dragFiles(app, [{ name: 'fake.db', bytes: Buffer.from('not a database at all\n'.repeat(50)) }]));
  await drop();
  const refusal = app.getByRole('alert').filter({ hasText: 'This file cannot be restored' });
  await expect(refusal).toContainText('the file is not a SQLite database');
  await expect(refusal).toContainText('fake.db');
  await expect(app.getByRole('button', { name: 'Continue' })).toBeDisabled();
  await saveScreenshot(app, 'restore-step-check-refused');
  expect(readdirSync(host.dataDir)).not.toContain('backups');
});

test('choose a backup from the history; a target another program holds is flagged and needs consent', async ({ app, chinookPath, host }) => {
  const backup = await backedUp(app, chinookPath, 'chinook', join(host.dataDir, 'backups', 'chinook'));
  const other = join(dirname(chinookPath), 'other.sqlite');
  writeFileSync(other, readFileSync(chinookPath));
  await addDatabase(app, other);
  await app.getByRole('link', { name: 'Restore' }).click();
  await expect(app.getByRole('table', { name: 'Recent backups' }).getByRole('row')).toHaveCount(2);
  await saveScreenshot(app, 'restore-step-choose');
  await app.getByRole('button', { name: /^Choose the backup of chinook from / }).click();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible();
  await app.getByRole('button', { name: 'Continue' }).click();

  const locker = await startLocker(other);
  try {
    await app.getByRole('radio', { name: 'Another database in Pagevault' }).click();
    await app.getByRole('combobox', { name: 'Database to replace' }).click();
    await app.getByRole('option', { name: /^other / }).click();
    const warning = app.getByRole('alert').filter({ hasText: 'Another program is using other' });
    await expect(warning).toContainText('holds a lock on it right now');
    const replace = app.getByRole('button', { name: 'Replace other' });
    await expect(replace).toBeDisabled();
    await warning.getByRole('checkbox', { name: 'I understand; restore anyway' }).check();
    await expect(replace).toBeEnabled();
    await saveScreenshot(app, 'restore-step-target-in-use');
  } finally {
    await locker.stop();
  }
  expect(readFileSync(other).equals(readFileSync(chinookPath))).toBe(true);
  expect(backup).toContain('chinook-');
});

test('a large restore shows its phases and a bar that moves', async ({ app, host }) => {
  const path = join(host.workDir, 'big.sqlite');
  makeDatabase(path, { journalMode: 'wal', bytes: 200 << 20 });
  const backup = await backedUp(app, path, 'big', join(host.dataDir, 'backups', 'big'), { large: true });
  await app.getByRole('link', { name: 'History' }).click();
  await app.getByRole('button', { name: /^Actions for the backup of big/ }).click();
  await app.getByRole('menuitem', { name: 'Restore…' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible({ timeout: 30_000 });
  await app.getByRole('button', { name: 'Continue' }).click();
  const progress = await recordProgress(app, 'Restore of big');
  await app.getByRole('button', { name: 'Replace big' }).click();
  const bar = app.getByRole('group', { name: 'Restore of big' });
  await expect(bar.getByText(/Verifying the backup before|Taking a safety copy|Restoring pages|Verifying the restored/)).toBeVisible();
  await saveScreenshot(app, 'restore-step-restoring');
  await expect(app.getByRole('status').filter({ hasText: 'big was restored' })).toBeVisible({ timeout: 60_000 });
  const seen = await progress();
  expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
  expect(integrityOf(path)).toBe('ok');
  expect(backup).toContain('big-');
});
