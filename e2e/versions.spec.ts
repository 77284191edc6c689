/**
 * Versions in the browser shell: a database switched to Versions in its drawer, two
 * Backup nows with a change between, the History listing both versions with the new data
 * each stored, and the first one restored through the wizard over the changed database.
 * The outcome is checked on disk with SQLite itself.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import Database from 'better-sqlite3';
import type { Page } from '@playwright/test';
import { chinookRowCounts } from '../scripts/fixtures.ts';
import { integrityOf, rowCounts } from '../test-support/core-calls.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

/** Adds chinook and switches it to Versions in its drawer; `screenshot` names the drawer's picture. */
async function chinookAsVersions(app: Page, chinookPath: string, screenshot: string): Promise<void> {
  await addDatabase(app, chinookPath);
  await app.getByRole('button', { name: 'Details of chinook' }).click();
  const details = app.getByRole('region', { name: 'Details of chinook' });
  const choice = details.getByRole('radiogroup', { name: 'Keep backups as' });
  await expect(choice.getByRole('radio', { name: 'Copies' })).toBeChecked();
  await expect(details.getByText(/^Copies: each copy is a plain SQLite file that opens anywhere/)).toBeVisible();
  // Keyboard: the control is one tab stop whose arrows move the choice.
  await choice.getByRole('radio', { name: 'Copies' }).focus();
  await app.keyboard.press('ArrowRight');
  await expect(choice.getByRole('radio', { name: 'Versions' })).toBeChecked();
  await expect(details.getByText(/^Versions: each version stores only the pages that changed/)).toBeVisible();
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.getByText('Backups of chinook go to')).toBeVisible();
  await saveScreenshot(app, screenshot);
  await expectReadable(app);
  await app.keyboard.press('Escape');
}

/** The version badges and the choice's reason read at WCAG AA contrast (the accessibility spec's bar). */
async function expectReadable(app: Page): Promise<void> {
  await app.evaluate(() => document.fonts.ready);
  const { violations } = await new AxeBuilder({ page: app }).withRules(['color-contrast']).analyze();
  expect(violations.flatMap((violation) => violation.nodes.map((node) => node.target.join(' ')))).toEqual([]);
}

async function backupNow(app: Page): Promise<void> {
  await app.getByRole('button', { name: 'Backup now: chinook' }).click();
  await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete', { timeout: 60_000 });
  await expect(app.getByRole('button', { name: 'Backup now: chinook' })).toBeEnabled();
}

test('Versions: two backups with a change between, both listed with their new data, the first restored through the wizard', async ({ app, chinookPath, host }) => {
  await chinookAsVersions(app, chinookPath, 'versions-drawer');
  await backupNow(app);
  const db = new Database(chinookPath);
  db.exec('DELETE FROM InvoiceLine');
  db.close();
  await backupNow(app);
  // The versions are in one vault beside where copies would be, and no copy was written.
  const folder = join(host.dataDir, 'backups', 'chinook');
  expect(readdirSync(folder)).toEqual(['chinook.vault']);

  await app.getByRole('link', { name: 'History' }).click();
  const rows = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'chinook.vault' });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('chinook.vault · version 2');
  await expect(rows.nth(1)).toContainText('chinook.vault · version 1');
  await expect(rows.nth(0)).toContainText(/Version · \+[\d.]+ (KB|MB)/);
  await expect(rows.nth(1)).toContainText(/Version · \+[\d.]+ (KB|MB)/);
  await saveScreenshot(app, 'versions-history');
  await expectReadable(app);

  // The wizard lists the versions as it lists copies; version 1 is the older one.
  await app.getByRole('link', { name: 'Restore' }).click();
  const recent = app.getByRole('table', { name: 'Recent backups' }).getByRole('row').filter({ hasText: 'Version' });
  await expect(recent).toHaveCount(2);
  await saveScreenshot(app, 'versions-restore-choose');
  await recent.nth(1).getByRole('button', { name: /^Choose the backup of chinook/ }).click();
  await expect(app.getByRole('heading', { name: 'Checking chinook.vault · version 1' })).toBeVisible();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toContainText('every page of version 1 matched its SHA-256 in the vault', { timeout: 30_000 });
  await expect(app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^InvoiceLine / })).toContainText('Differs');
  await saveScreenshot(app, 'versions-restore-check');
  await app.getByRole('button', { name: 'Continue' }).click();
  await expect(app.getByRole('radio', { name: 'The database it came from: chinook' })).toBeChecked();
  await expect(app.getByRole('checkbox', { name: /Take a safety copy/ })).toBeChecked();
  await app.getByRole('button', { name: 'Replace chinook' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'chinook was restored' })).toBeVisible({ timeout: 60_000 });
  expect(rowCounts(chinookPath)).toEqual(chinookRowCounts);
  expect(integrityOf(chinookPath)).toBe('ok');
});

test('History › Pin and Delete on a version: the pinned one shows the pin as a copy does, the deleted one leaves its vault and the History', async ({ app, chinookPath, host }) => {
  await chinookAsVersions(app, chinookPath, 'versions-drawer-pin');
  await backupNow(app);
  const db = new Database(chinookPath);
  db.exec('DELETE FROM InvoiceLine');
  db.close();
  await backupNow(app);

  await app.getByRole('link', { name: 'History' }).click();
  const rows = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'chinook.vault' });
  await expect(rows).toHaveCount(2);
  await rows.nth(1).getByRole('button', { name: /^Actions for the backup of chinook/ }).click();
  await app.getByRole('menuitem', { name: 'Pin (retention keeps it)' }).click();
  await expect(rows.nth(1).getByLabel('Pinned')).toBeVisible();

  await rows.nth(0).getByRole('button', { name: /^Actions for the backup of chinook/ }).click();
  await app.getByRole('menuitem', { name: 'Delete…' }).click();
  const dialog = app.getByRole('dialog', { name: 'Delete this version?' });
  await expect(dialog).toContainText(/frees up to [\d.]+ (B|KB|MB); pages shared with other versions stay/);
  await expect(dialog).toContainText('chinook.vault · version 2');
  await saveScreenshot(app, 'history-version-delete');
  await expectReadable(app);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(app.getByRole('dialog')).toHaveCount(0);
  await expect(rows).toHaveCount(1);
  await expect(rows.nth(0)).toContainText('chinook.vault · version 1');
  await expect(rows.nth(0).getByLabel('Pinned')).toBeVisible();

  const vault = new Database(join(host.dataDir, 'backups', 'chinook', 'chinook.vault', 'vault.sqlite'), { readonly: true });
  try {
    expect(vault.prepare('SELECT id FROM version ORDER BY id').pluck().all()).toEqual([1]);
  } finally {
    vault.close();
  }
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });

  test('the Versions choice and a version in the History read well in dark mode', async ({ app, chinookPath }) => {
    await chinookAsVersions(app, chinookPath, 'versions-drawer-dark');
    await backupNow(app);
    await app.getByRole('link', { name: 'History' }).click();
    await expect(app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'chinook.vault · version 1' })).toContainText('Version');
    await saveScreenshot(app, 'versions-history-dark');
    await expectReadable(app);
  });
});
