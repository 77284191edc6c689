// Adding an encrypted database through the UI: refused without its key, asked for it, a
// wrong key said so, the right one added, and Backup now writes an encrypted backup.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEncryptedDatabase, pairsOf } from '../test-support/encrypted-databases.ts';
import { expect, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

const passphrase = 'the passphrase of the app';

test('an encrypted database asks for its key, refuses a wrong one, and is added and backed up with the right one', async ({ app, host }, testInfo) => {
  const dir = join(host.workDir, `case-${testInfo.testId}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'vault.sqlite');
  makeEncryptedDatabase(path, passphrase);

  await addDatabase(app, path);
  const keyForm = app.getByRole('form', { name: 'Key of the encrypted database' });
  await expect(keyForm).toContainText(`${path} is encrypted. Enter its key to add it`);
  await keyForm.getByLabel('Key', { exact: true }).fill('not the key');
  await keyForm.getByRole('button', { name: 'Add with key' }).click();
  await expect(keyForm.getByRole('alert')).toContainText(`Cannot inspect ${path}: the key does not open it as SQLCipher 4`);

  await keyForm.getByLabel('Key', { exact: true }).fill(passphrase);
  await keyForm.getByRole('button', { name: 'Add with key' }).click();
  await expect(keyForm).toBeHidden();
  const row = app.getByRole('row', { name: /^vault / });
  await row.getByRole('button', { name: 'Backup now: vault' }).click();
  await expect(app.getByRole('group', { name: 'Backup of vault' }).getByRole('status')).toHaveText('Backup complete');

  const folder = join(host.dataDir, 'backups', 'vault');
  const backup = join(folder, readdirSync(folder).find((name) => /^vault-\d{8}-\d{6}\.db$/.test(name))!);
  expect(readFileSync(backup).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
  expect(pairsOf(backup, passphrase)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });
  expect(readFileSync(join(host.dataDir, 'catalog.sqlite')).includes(Buffer.from(passphrase))).toBe(false);
});
