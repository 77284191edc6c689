/**
 * Databases another program holds, as the UI shows them: a backup copied without a lock
 * (imported from a folder whose manifest says so) and a deferred run (written into the
 * catalog as the core records one) in the History, the Databases list and the details.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import type { BackupManifest } from '../app/api/index.ts';
import { Catalog, entryWithoutFile } from '../app/catalog/index.ts';
import { defaultSettings } from '../app/core/core.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

const heldDetail = 'Another program held this database, so Pagevault copied it without a lock and checked the copy: consistent up to WAL commit frame 1,234 of checkpoint 7; 2 tries.';

/** Moves the keyboard focus onto `target` with Tab, as someone without a mouse would. */
async function tabTo(app: Page, target: Locator): Promise<void> {
  await target.focus();
  await app.keyboard.press('Shift+Tab');
  await app.keyboard.press('Tab');
  await expect(target).toBeFocused();
}

/** Seeds a history with one backup of each kind; resolves to the deferred run's message. */
async function seedHeldAndDeferred(app: Page, chinookPath: string, host: { dataDir: string; workDir: string }): Promise<string> {
  await addDatabase(app, chinookPath);
  await app.getByRole('button', { name: 'Backup now: chinook' }).click();
  await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');

  // A folder with a copy of that backup whose manifest says it was taken while the database was held.
  const folder = join(host.dataDir, 'backups', 'chinook');
  const backup = readdirSync(folder).find((name) => /^chinook-\d{8}-\d{6}\.db$/.test(name))!;
  const manifest = JSON.parse(readFileSync(join(folder, `${backup}.manifest.json`), 'utf8')) as BackupManifest;
  const held = join(host.workDir, 'held');
  mkdirSync(held);
  const name = 'chinook-20261130-090000.db';
  copyFileSync(join(folder, backup), join(held, name));
  const startedAt = new Date(Date.now() - 3_600_000);
  writeFileSync(
    join(held, `${name}.manifest.json`),
    JSON.stringify({
      ...manifest,
      file: name,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + 1_400).toISOString(),
      heldCopy: { journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' },
    }),
  );

  // A deferred run, as the core records one when the engine defers (the engine here never does on demand).
  const message = `Deferred: another program kept writing to ${chinookPath} while it was copied; tried 12 times, and the next run tries again`;
  const catalog = new Catalog(host.dataDir, defaultSettings(host.dataDir));
  try {
    const database = catalog.databases.findByPath(chinookPath)!;
    const now = new Date();
    catalog.backups.insert(
      entryWithoutFile({
        databaseId: database.id,
        databaseLabel: database.label,
        source: database.path,
        status: 'deferred',
        trigger: 'manual',
        mode: database.mode,
        startedAt: now.toISOString(),
        finishedAt: new Date(now.getTime() + 2_000).toISOString(),
        durationMs: 2_000,
        error: { code: 'DEFERRED', message },
      }),
    );
  } finally {
    catalog.close();
  }

  await app.getByRole('link', { name: 'History' }).click();
  await app.getByRole('button', { name: 'Import backups from folder…' }).click();
  await app.getByRole('textbox', { name: 'Folder' }).fill(held);
  await app.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(app.getByRole('alert').filter({ hasText: 'Imported 1 backups' })).toBeVisible();
  return message;
}

test('the History says which backup was copied while in use and which run was deferred, on hover and on focus', async ({ app, chinookPath, host }) => {
  const message = await seedHeldAndDeferred(app, chinookPath, host);
  const table = app.getByRole('table', { name: 'Backups' });
  await expect(app.getByRole('status').filter({ hasText: 'backups' })).toHaveText('3 backups');

  const held = table.getByRole('row').filter({ hasText: 'Copied while in use' });
  await expect(held).toHaveCount(1);
  await expect(held).toContainText('Verified');
  await expect(held).toContainText('Imported');
  await tabTo(app, held.locator('[tabindex="0"]', { hasText: 'Copied while in use' }));
  await expect(app.getByRole('tooltip')).toHaveText(heldDetail);

  const deferred = table.getByRole('row').filter({ hasText: 'Deferred' });
  await expect(deferred).toHaveCount(1);
  await expect(deferred).toContainText(message);
  await expect(deferred).not.toContainText('Failed');
  await tabTo(app, deferred.locator('[tabindex="0"]', { hasText: /^Deferred$/ }));
  await expect(app.getByRole('tooltip')).toHaveText(message);
  await app.getByRole('heading', { name: 'History', level: 2 }).click();
  await expect(app.getByRole('tooltip')).toHaveCount(0);
  await saveScreenshot(app, 'history-held-deferred');

  await app.getByRole('combobox', { name: 'Status' }).click();
  await app.getByRole('option', { name: 'Deferred' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'backup' })).toHaveText('1 backup');
  await expect(table.getByRole('row').filter({ hasText: 'Deferred' })).toHaveCount(1);
  await app.getByRole('combobox', { name: 'Status' }).click();
  await app.getByRole('option', { name: 'Failed' }).click();
  await expect(app.getByText('No backups match these filters.')).toBeVisible();
});

test('the Databases list and the details say the last run was deferred, calmly, with its reason on focus', async ({ app, chinookPath, host }) => {
  const message = await seedHeldAndDeferred(app, chinookPath, host);
  await app.getByRole('link', { name: 'Databases' }).click();
  const row = app.getByRole('row', { name: /^chinook / });
  await expect(row).toContainText(/just now · deferred/);
  await tabTo(app, row.locator('[tabindex="0"]', { hasText: '· deferred' }));
  await expect(app.getByRole('tooltip')).toHaveText(message);
  await saveScreenshot(app, 'databases-deferred');

  await app.getByRole('button', { name: 'Details of chinook' }).click();
  const latest = app.getByRole('region', { name: 'Details of chinook' }).getByRole('table', { name: 'Latest backups' });
  await expect(latest.getByRole('row')).toHaveCount(3);
  await expect(latest.getByRole('row').nth(0)).toContainText('deferred');
  await expect(latest.getByRole('row').filter({ hasText: 'copied while in use' })).toHaveCount(1);
});

test('the Schedules screen shows a deferred last run as deferred', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  await expect(app.getByRole('row', { name: /^chinook / })).toContainText('Never');
  const message = `Deferred: another program kept writing to ${chinookPath} while it was copied; tried 12 times, and the next run tries again`;
  const catalog = new Catalog(host.dataDir, defaultSettings(host.dataDir));
  try {
    const database = catalog.databases.findByPath(chinookPath)!;
    catalog.schedules.set(database.id, { spec: { kind: 'daily', time: '03:00' }, enabled: true, skipIfUnchanged: true }, new Date());
    const now = new Date();
    catalog.backups.insert(
      entryWithoutFile({
        databaseId: database.id,
        databaseLabel: database.label,
        source: database.path,
        status: 'deferred',
        trigger: 'schedule',
        mode: database.mode,
        startedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        durationMs: 0,
        error: { code: 'DEFERRED', message },
      }),
    );
  } finally {
    catalog.close();
  }
  // Written behind the host's back: the page loads the schedules afresh.
  await app.reload();
  await app.getByRole('link', { name: 'Schedules' }).click();
  const row = app.getByRole('row', { name: /chinook/ });
  await expect(row).toContainText('Every day at 03:00');
  await expect(row).toContainText('Deferred: in use');
});

test.describe('dark theme', () => {
  test.use({ colorScheme: 'dark' });

  test('held copies and deferred runs read well in dark mode', async ({ app, chinookPath, host }) => {
    await seedHeldAndDeferred(app, chinookPath, host);
    await expect(app.getByRole('table', { name: 'Backups' }).getByText('Copied while in use')).toBeVisible();
    await saveScreenshot(app, 'history-held-deferred-dark');
  });
});
