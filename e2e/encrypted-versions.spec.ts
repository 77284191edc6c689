/**
 * Versions encrypted at rest in the browser shell: encryption at rest turned on in Settings
 * (its recovery key shown once), a database switched to Versions in its drawer, two Backup
 * nows with a write to the database between, the History listing both versions as
 * versions and as encrypted with the new data each stored, one verified from the History,
 * and the first restored through the wizard with the key the app keeps (it asks for none).
 * The outcome is checked on disk with SQLite itself.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { chinookRowCounts } from '../scripts/fixtures.ts';
import { integrityOf, rowCounts } from '../test-support/core-calls.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

// Two versions, a verify and a restore of Chinook, each through age, on a loaded machine.
test.describe.configure({ timeout: 180_000 });

async function backupNow(app: Page, label = 'chinook'): Promise<void> {
  await app.getByRole('button', { name: `Backup now: ${label}` }).click();
  await expect(app.getByRole('group', { name: `Backup of ${label}` }).getByRole('status')).toHaveText('Backup complete', { timeout: 60_000 });
  await expect(app.getByRole('button', { name: `Backup now: ${label}` })).toBeEnabled();
}

/** Turns on encryption at rest to a new age key in Settings and closes its recovery key once shown. */
async function encryptAtRest(app: Page): Promise<void> {
  await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await app.getByRole('main').getByText('age key', { exact: true }).click();
  const dialog = app.getByRole('dialog', { name: 'Save this recovery key now' });
  const recoveryKey = (await dialog.getByLabel('Recovery key').textContent())!.trim();
  expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  await dialog.getByRole('button', { name: 'I have saved it' }).click();
  await expect(dialog).toBeHidden();
  await expect(app.getByText(/Backups are <name>\.db\.age, encrypted to age1[0-9a-z]+/)).toBeVisible();
  await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Databases' }).click();
}

/** Adds the database at `path` and switches it to Versions in its drawer, which says it follows the encryption default. */
async function addAsVersions(app: Page, path: string, label: string): Promise<void> {
  await addDatabase(app, path);
  await app.getByRole('button', { name: `Details of ${label}` }).click();
  const details = app.getByRole('region', { name: `Details of ${label}` });
  await expect(details.getByRole('region', { name: 'Encryption at rest' }).getByRole('radio', { name: 'As the default' })).toBeChecked();
  const choice = details.getByRole('radiogroup', { name: 'Keep backups as' });
  await choice.getByText('Versions', { exact: true }).click();
  await expect(choice.getByRole('radio', { name: 'Versions' })).toBeChecked();
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByText(`Backups of ${label} go to`)).toBeVisible();
  await app.keyboard.press('Escape');
}

test('Versions encrypted at rest: two versions marked Encrypted with their new data, one verified in the History, the first restored without asking for a key', async ({ app, chinookPath, host }) => {
  const nav = app.getByRole('navigation', { name: 'Main' });
  await encryptAtRest(app);
  await addAsVersions(app, chinookPath, 'chinook');

  await backupNow(app);
  // A write from another program between the two versions: 400 new artists.
  const db = new Database(chinookPath);
  const insert = db.prepare('INSERT INTO Artist (Name) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 400; i++) insert.run(`Artist added between the versions, number ${i}`);
  })();
  db.close();
  await backupNow(app);

  // The versions are in one vault, and neither a plain nor an age copy was written.
  const folder = join(host.dataDir, 'backups', 'chinook');
  expect(readdirSync(folder)).toEqual(['chinook.vault']);
  // An encrypted vault (format 3: its pages sealed), not a plain one beside the age setting.
  const vault = new Database(join(folder, 'chinook.vault', 'vault.sqlite'), { readonly: true });
  try {
    expect(vault.prepare("SELECT value FROM meta WHERE key = 'formatVersion'").pluck().get()).toBe('3');
  } finally {
    vault.close();
  }

  await nav.getByRole('link', { name: 'History' }).click();
  const rows = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'chinook.vault' });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('chinook.vault · version 2');
  await expect(rows.nth(1)).toContainText('chinook.vault · version 1');
  for (const row of [rows.nth(0), rows.nth(1)]) {
    await expect(row.getByText(/^Version · \+[\d.]+ (KB|MB)$/)).toBeVisible();
    await expect(row.getByText('Encrypted', { exact: true })).toBeVisible();
  }
  // Version 1 stored the whole database; version 2 only the pages the new artists changed.
  const newBytes = async (row: number) => {
    const [, amount, unit] = /\+([\d.]+) (KB|MB)/.exec((await rows.nth(row).getByText(/^Version · /).textContent())!)!;
    return Number(amount) * (unit === 'MB' ? 1_000_000 : 1_000);
  };
  expect(await newBytes(0)).toBeLessThan(await newBytes(1));
  await app.evaluate(() => document.fonts.ready);
  await saveScreenshot(app, 'history-encrypted-versions-light');
  await app.emulateMedia({ colorScheme: 'dark' });
  await expect(app.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await saveScreenshot(app, 'history-encrypted-versions-dark');
  await app.emulateMedia({ colorScheme: 'light' });

  await rows.nth(1).getByRole('button', { name: /^Actions for the backup of chinook/ }).click();
  await app.getByRole('menuitem', { name: /^Verify/ }).click();
  await expect(app.getByText('Backup verified')).toBeVisible({ timeout: 60_000 });
  // What was checked: the pages of the vault's versions, not quick_check on a file.
  await expect(app.getByText(`chinook.vault · version 1 verified: every page of every version in ${join(folder, 'chinook.vault')} matched its hash.`)).toBeVisible();

  // The wizard opens the encrypted version with the key the app keeps.
  await nav.getByRole('link', { name: 'Restore' }).click();
  const recent = app.getByRole('table', { name: 'Recent backups' }).getByRole('row').filter({ hasText: 'Version' });
  await expect(recent).toHaveCount(2);
  await recent.nth(1).getByRole('button', { name: /^Choose the backup of chinook/ }).click();
  await expect(app.getByRole('heading', { name: 'Checking chinook.vault · version 1' })).toBeVisible();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible({ timeout: 60_000 });
  await expect(app.getByRole('region', { name: 'Key for this encrypted backup' })).toHaveCount(0);
  await expect(app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^Artist / })).toContainText('Differs');
  await app.getByRole('button', { name: 'Continue' }).click();
  await expect(app.getByRole('radio', { name: 'The database it came from: chinook' })).toBeChecked();
  await app.getByRole('button', { name: 'Replace chinook' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'chinook was restored' })).toBeVisible({ timeout: 60_000 });
  expect(rowCounts(chinookPath)).toEqual(chinookRowCounts);
  expect(integrityOf(chinookPath)).toBe('ok');
});

test('a long database name is cut short in the History, never the version number', async ({ app, chinookPath }) => {
  const label = 'lightroom-catalog-family-photos-2026-everything';
  const path = join(dirname(chinookPath), `${label}.sqlite`);
  copyFileSync(chinookPath, path);
  await encryptAtRest(app);
  await addAsVersions(app, path, label);
  await backupNow(app, label);
  await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
  const row = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: label });
  await expect(row.getByText('Encrypted', { exact: true })).toBeVisible();
  const version = row.getByText(/· version 1$/);
  await expect(version).toBeVisible();
  // Shown whole: the element holding the version number is not cut by its own ellipsis or by the cell.
  const fit = await version.evaluate((element) => {
    const cell = element.closest('td')!.getBoundingClientRect();
    return { clipped: element.scrollWidth > element.clientWidth, inside: element.getBoundingClientRect().right <= cell.right };
  });
  expect(fit).toEqual({ clipped: false, inside: true });
});
