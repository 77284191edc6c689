/**
 * The restore wizard with encrypted databases: a dropped backup of a database whose key
 * Pagevault keeps opens with that key, is compared table by table with the live encrypted
 * database, restored over it and undone; a backup no kept key opens asks for the key and
 * cipher, refuses a wrong one, and goes on with the right one. Checked on disk with the key.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { makeEncryptedDatabase, openWithKey, pairsOf } from '../test-support/encrypted-databases.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, dragFiles } from './helpers.ts';

const passphrase = 'the passphrase of the app';
// Every keyed open derives the key (SQLCipher 4: PBKDF2, 256,000 rounds): a second or more
// on a loaded machine, and a check, a comparison and a restore each open the files several times.
const slow = { timeout: 180_000 };

function tablesOf(path: string, key: string): string[] {
  const db = openWithKey(path, key, 'sqlcipher-4', true);
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** Adds the encrypted database `path` with its key through the UI and takes one backup; returns the backup's path. */
async function addedAndBackedUp(app: Page, path: string, folder: string): Promise<string> {
  await addDatabase(app, path);
  const keyForm = app.getByRole('form', { name: 'Key of the encrypted database' });
  await keyForm.getByLabel('Key', { exact: true }).fill(passphrase);
  await keyForm.getByRole('button', { name: 'Add with key' }).click();
  await expect(keyForm).toBeHidden(slow);
  await app.getByRole('button', { name: 'Backup now: vault' }).click();
  await expect(app.getByRole('group', { name: 'Backup of vault' }).getByRole('status')).toHaveText('Backup complete', slow);
  return join(folder, readdirSync(folder).find((name) => /^vault-\d{8}-\d{6}\.db$/.test(name))!);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('a dropped backup of an encrypted database opens with the kept key, is compared with the live database, restored over it and undone', async ({ app, host }, testInfo) => {
      test.setTimeout(900_000);
      const dir = join(host.workDir, `case-${testInfo.testId}`);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, 'vault.sqlite');
      makeEncryptedDatabase(path, passphrase, { journalMode: 'delete' });
      const backup = await addedAndBackedUp(app, path, join(host.dataDir, 'backups', 'vault'));
      // Since the backup: a table the restore takes away, and rows it puts back.
      const db = openWithKey(path, passphrase);
      db.exec("CREATE TABLE since (note TEXT); INSERT INTO since VALUES ('after the backup'); DELETE FROM pairs_b WHERE k > 50");
      db.close();

      const { drop } = await dragFiles(app, [{ name: backup.split('/').pop()!, bytes: readFileSync(backup) }]);
      await drop();
      await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toContainText('its SHA-256 matches the backup of vault taken', slow);
      await expect(app.getByText('SQLCipher 4 (key accepted)')).toBeVisible();
      const pairsB = app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^pairs_b / });
      await expect(pairsB).toContainText('100');
      await expect(pairsB).toContainText('Differs');
      await saveScreenshot(app, `encrypted-restore-check-${colorScheme}`);
      await app.getByRole('button', { name: 'Continue' }).click();

      await expect(app.getByRole('radio', { name: 'The database it came from: vault' })).toBeChecked(slow);
      await app.getByRole('button', { name: 'Replace vault' }).click();
      await expect(app.getByRole('status').filter({ hasText: 'vault was restored' })).toBeVisible(slow);
      expect(tablesOf(path, passphrase)).not.toContain('since');
      expect(pairsOf(path, passphrase)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });
      await saveScreenshot(app, `encrypted-restore-done-${colorScheme}`);

      await app.getByRole('button', { name: 'Undo restore' }).click();
      await expect(app.getByRole('status').filter({ hasText: 'Undone: vault is back as it was' })).toBeVisible(slow);
      expect(tablesOf(path, passphrase)).toContain('since');
      expect(pairsOf(path, passphrase)).toMatchObject({ a: 100, b: 50, integrity: 'ok' });
    });
  });
}

test('a backup no kept key opens asks for the key and cipher, refuses a wrong key, and opens with the right one', async ({ app, host }, testInfo) => {
  test.setTimeout(600_000);
  const dir = join(host.workDir, `case-${testInfo.testId}`);
  mkdirSync(dir, { recursive: true });
  const foreign = join(dir, 'foreign.db');
  makeEncryptedDatabase(foreign, 'a key Pagevault never saw', { journalMode: 'delete' });

  const { drop } = await dragFiles(app, [{ name: 'foreign.db', bytes: readFileSync(foreign) }]);
  await drop();
  const asks = app.getByRole('region', { name: 'Key of the encrypted database in this backup' });
  await expect(asks).toContainText('This is a backup of an encrypted database', slow);
  await asks.getByLabel('Key', { exact: true }).fill('not it');
  await asks.getByRole('button', { name: 'Open with this key' }).click();
  await expect(asks).toContainText('That key does not open this backup', slow);
  await saveScreenshot(app, 'encrypted-restore-key-needed');
  await asks.getByLabel('Key', { exact: true }).fill('a key Pagevault never saw');
  await asks.getByRole('button', { name: 'Open with this key' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible(slow);
  await expect(app.getByText('SQLCipher 4 (key accepted)')).toBeVisible();
  await expect(app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^pairs_a / })).toContainText('100');
});
