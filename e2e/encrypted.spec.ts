// Adding an encrypted database through the UI: refused without its key, asked for it, a
// wrong key said so, the right one added, and Backup now writes an encrypted backup.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEncryptedDatabase, pairsOf } from '../test-support/encrypted-databases.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
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

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });
    test(`an encrypted database added without its key backs up as a raw copy, and the History says what could not be checked (${colorScheme})`, async ({ app, host }, testInfo) => {
      const dir = join(host.workDir, `case-${testInfo.testId}`);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, 'signal.sqlite');
      makeEncryptedDatabase(path, passphrase);

      await addDatabase(app, path);
      const keyForm = app.getByRole('form', { name: 'Key of the encrypted database' });
      await expect(keyForm).toContainText('Backups will be raw copies of its encrypted pages');
      await saveScreenshot(app, `encrypted-add-without-key-${colorScheme}`);
      await keyForm.getByRole('button', { name: 'Add without key' }).click();
      await expect(keyForm).toBeHidden();
      const row = app.getByRole('row', { name: /^signal / });
      await row.getByRole('button', { name: 'Backup now: signal' }).click();
      await expect(app.getByRole('group', { name: 'Backup of signal' }).getByRole('status')).toHaveText('Backup complete');

      const folder = join(host.dataDir, 'backups', 'signal');
      const backup = join(folder, readdirSync(folder).find((name) => /^signal-\d{8}-\d{6}\.db$/.test(name))!);
      expect(pairsOf(backup, passphrase)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });

      await app.getByRole('link', { name: 'History' }).click();
      const entry = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Warning' });
      await expect(entry).toHaveCount(1);
      // Reached by keyboard, as the tooltip opens on focus from the keyboard.
      const badge = entry.locator('[tabindex="0"]', { hasText: /^Warning$/ });
      await badge.focus();
      await app.keyboard.press('Shift+Tab');
      await app.keyboard.press('Tab');
      await expect(badge).toBeFocused();
      // The badge before it (Shift+Tab went there) may still be fading its own tooltip out.
      await expect(app.getByRole('tooltip').filter({ hasText: 'was copied without its key' })).toHaveText(`${path} was copied without its key: its encrypted pages were copied as they are, so integrity_check could not run on the copy and only its SHA-256 is recorded`);
      await saveScreenshot(app, `encrypted-raw-history-${colorScheme}`);
    });
  });
}
