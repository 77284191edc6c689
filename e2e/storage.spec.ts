/**
 * The storage view in a database's details: real copies (one made by Backup now, three
 * imported from a folder as older backups), a real vault of versions at the database's
 * vault folder made by the vault itself, and a retention policy; the figures the view
 * shows are checked against the files on disk, in the light and the dark theme.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackupManifest } from '../app/api/index.ts';
import { Catalog } from '../app/catalog/index.ts';
import { defaultSettings } from '../app/core/core.ts';
import { createCancelFlag, OperationContext } from '../app/engine/context.ts';
import { vaultFolderFor } from '../app/vault/location.ts';
import { addVersion, listVersions } from '../app/vault/vault.ts';
import { VAULT_FILE } from '../app/vault/vault-store.ts';
import { formatBytes } from '../renderer/src/format.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

const DAY_MS = 86_400_000;

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('the details show what each copy and version takes, the total and what retention would free', async ({ app, chinookPath, host }) => {
      await addDatabase(app, chinookPath);
      await app.getByRole('button', { name: 'Details of chinook' }).click();
      const storage = app.getByRole('region', { name: 'Storage of chinook' });
      await expect(storage).toContainText('No backups of chinook on disk yet');
      await app.getByRole('button', { name: 'Close the details of chinook' }).click();

      await app.getByRole('button', { name: 'Backup now: chinook' }).click();
      await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
      const folder = join(host.dataDir, 'backups', 'chinook');
      const backup = readdirSync(folder).find((name) => /^chinook-\d{8}-\d{6}\.db$/.test(name))!;
      const manifest = JSON.parse(readFileSync(join(folder, `${backup}.manifest.json`), 'utf8')) as BackupManifest;
      // Three older copies, days apart, imported as a user would bring back a folder of backups.
      const older = join(host.workDir, 'older-copies-with-a-rather-long-folder-name-that-goes-on-and-on');
      mkdirSync(older);
      const copies = [join(folder, backup)];
      for (let i = 1; i <= 3; i += 1) {
        const name = `chinook-2026110${i}-090000.db`;
        copyFileSync(join(folder, backup), join(older, name));
        const startedAt = new Date(Date.now() - (20 - i) * DAY_MS);
        writeFileSync(join(older, `${name}.manifest.json`), JSON.stringify({ ...manifest, file: name, startedAt: startedAt.toISOString(), finishedAt: new Date(startedAt.getTime() + 900).toISOString() }));
        copies.push(join(older, name));
      }
      await app.getByRole('link', { name: 'History' }).click();
      await app.getByRole('button', { name: 'Import backups from folder…' }).click();
      await app.getByRole('textbox', { name: 'Folder' }).fill(older);
      await app.getByRole('button', { name: 'Import', exact: true }).click();
      await expect(app.getByRole('alert').filter({ hasText: 'Imported 3 backups' })).toBeVisible();

      // Versions at the folder the app keeps the database's vault in, made by the vault itself.
      const vault = vaultFolderFor(chinookPath, folder);
      const ctx = new OperationContext(createCancelFlag(), () => undefined);
      for (let i = 0; i < 3; i += 1) {
        const db = new Database(chinookPath);
        db.prepare('INSERT INTO Genre (Name) VALUES (?)').run(`Genre ${i} ${'x'.repeat(3000)}`);
        db.close();
        await addVersion(chinookPath, vault, ctx, { now: new Date(Date.now() - (10 - i) * DAY_MS) });
      }
      const catalog = new Catalog(host.dataDir, defaultSettings(host.dataDir));
      try {
        const database = catalog.databases.findByPath(chinookPath)!;
        catalog.retention.set(database.id, { keepLast: 2, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null }, new Date());
      } finally {
        catalog.close();
      }

      // Keep the newest two of each: the two oldest imported copies and the first version go.
      const size = (path: string) => statSync(path).size;
      const versions = listVersions(vault).versions;
      const total = copies.reduce((sum, path) => sum + size(path), 0) + size(join(vault, VAULT_FILE));
      const wouldFree = size(copies[1]!) + size(copies[2]!) + versions[0]!.newBytes;

      await app.reload();
      await app.getByRole('link', { name: 'Databases' }).click();
      await app.getByRole('button', { name: 'Details of chinook' }).click();
      await expect(storage.getByTestId('storage-total')).toHaveText(`Backups take ${formatBytes(total)} on disk (the database itself is ${formatBytes(size(chinookPath))}).`);
      await expect(storage.getByTestId('storage-retention')).toHaveText(`Retention would free up to ${formatBytes(wouldFree)} now, deleting 3 backups.`);
      const table = storage.getByRole('table', { name: 'Bytes on disk per backup' });
      await expect(table.getByRole('row')).toHaveCount(1 + 4 + 3);
      await expect(table.getByRole('row').filter({ hasText: 'Would delete' })).toHaveCount(3);
      await expect(table.getByRole('row').filter({ hasText: 'Would delete' }).filter({ hasText: 'Version 1' })).toHaveCount(1);
      await expect(table.getByRole('row', { name: /Version 3/ })).toContainText(formatBytes(versions[2]!.newBytes));
      await expect(storage.getByRole('figure', { name: 'Bytes on disk of each backup of chinook, over time' }).locator('.recharts-bar-rectangle')).not.toHaveCount(0);

      // The list of backups scrolls by keyboard.
      const list = storage.getByRole('region', { name: 'Backups of chinook and their bytes on disk' });
      await list.focus();
      await expect(list).toBeFocused();
      // A bar's tooltip says which backup it is and what retention does to it.
      // The oldest backup is the first of eight bars after the value axis.
      const plot = (await storage.locator('.recharts-surface').boundingBox())!;
      await app.mouse.move(plot.x + 70 + (plot.width - 70) / 16, plot.y + plot.height / 2);
      await expect(app.getByText('Retention would delete it')).toBeVisible();
      await app.mouse.move(0, 0);
      // The drawer's title stays on top as it scrolls: the view's heading goes just below it.
      await storage.evaluate((element) => {
        element.scrollIntoView({ block: 'start' });
        element.closest('.mantine-Drawer-content')?.scrollBy(0, -72);
      });
      await saveScreenshot(app, `storage-${colorScheme}`);
    });
  });
}
