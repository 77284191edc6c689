/**
 * Encryption at rest through the UI, in the light and the dark theme: Settings' default
 * (an age key, shown once as a recovery key with a copy button), a database's own setting
 * in its details, an encrypted backup marked in the History and verified there, and the
 * restore wizard asking for the key of a dropped .db.age that no kept key opens.
 */
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AgeEncryptor } from '../app/age/age-stream.ts';
import { generateAgeIdentity, parseRecipient } from '../app/age/keys.ts';
import { chinookRowCounts } from '../scripts/fixtures.ts';
import { integrityOf, rowCounts } from '../test-support/core-calls.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, dragFiles } from './helpers.ts';

// Backups, a verify and a restore of Chinook, each with age around it, on a loaded machine.
test.describe.configure({ timeout: 180_000 });

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('the default is an age key shown once; a database follows it, its backup is marked Encrypted and verifies in the History', async ({ app, chinookPath, host }) => {
      await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await expect(app.getByRole('heading', { name: 'Settings', exact: true })).toBeVisible();
      await app.getByRole('main').getByText('age key', { exact: true }).click();
      const dialog = app.getByRole('dialog', { name: 'Save this recovery key now' });
      await expect(dialog).toBeVisible();
      const recoveryKey = (await dialog.getByLabel('Recovery key').textContent())!.trim();
      expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
      await expect(dialog.getByRole('button', { name: 'Copy recovery key' })).toBeVisible();
      await saveScreenshot(app, `encryption-recovery-key-${colorScheme}`);
      await dialog.getByRole('button', { name: 'I have saved it' }).click();
      await expect(dialog).toBeHidden();
      await expect(app.getByText(/Backups are <name>\.db\.age, encrypted to age1[0-9a-z]+; age -d -i recovery-key\.txt opens them\./)).toBeVisible();
      await saveScreenshot(app, `encryption-settings-${colorScheme}`);
      // Shown once: coming back to Settings shows the recipient, never the key.
      await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
      await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
      await expect(app.getByRole('radio', { name: 'age key' })).toBeChecked();
      await expect(app.getByRole('dialog')).toHaveCount(0);
      await expect(app.getByText(recoveryKey)).toHaveCount(0);

      await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Databases' }).click();
      await addDatabase(app, chinookPath);
      await app.getByRole('button', { name: 'Details of chinook' }).click();
      const setting = app.getByRole('region', { name: 'Details of chinook' }).getByRole('region', { name: 'Encryption at rest' });
      await expect(setting.getByRole('radio', { name: 'As the default' })).toBeChecked();
      await expect(setting).toContainText('(the default key)');
      await setting.scrollIntoViewIfNeeded();
      await saveScreenshot(app, `encryption-details-${colorScheme}`);
      await app.keyboard.press('Escape');

      const row = app.getByRole('row', { name: /^chinook / });
      await row.getByRole('button', { name: 'Backup now: chinook' }).click();
      await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete', { timeout: 60_000 });
      const folder = join(host.dataDir, 'backups', 'chinook');
      const name = readdirSync(folder).find((file) => /^chinook-\d{8}-\d{6}\.db\.age$/.test(file));
      expect(name).toBeDefined();
      expect(readFileSync(join(folder, name!)).subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');

      await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'History' }).click();
      const entry = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: name! });
      await expect(entry.getByText('Encrypted', { exact: true })).toBeVisible();
      // The column cuts the database's name short, never the time or the .db.age that says what the file is.
      const tail = entry.getByText(name!.slice('chinook'.length), { exact: true });
      await expect(tail).toBeVisible();
      expect(await tail.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
      await saveScreenshot(app, `encryption-history-${colorScheme}`);
      await entry.getByRole('button', { name: /^Actions for the backup of chinook/ }).click();
      await app.getByRole('menuitem', { name: /^Verify/ }).click();
      await expect(app.getByText('Backup verified')).toBeVisible({ timeout: 60_000 });
    });

    test('a dropped .db.age that no kept key opens asks for its recovery key, then checks and restores into a new file', async ({ app, chinookPath, host }) => {
      const dir = join(host.workDir, 'elsewhere');
      mkdirSync(dir, { recursive: true });
      const foreign = generateAgeIdentity();
      const encrypted = join(dir, 'chinook-20260101-120000.db.age');
      await pipeline(createReadStream(chinookPath), new AgeEncryptor([parseRecipient(foreign.recipient, 'the recipient')]), createWriteStream(encrypted));

      const { drop } = await dragFiles(app, [{ name: 'chinook-20260101-120000.db.age', bytes: readFileSync(encrypted) }]);
      await drop();
      const keyForm = app.getByRole('region', { name: 'Key for this encrypted backup' });
      await expect(keyForm).toContainText('This backup is encrypted');
      // The form says what is needed; the engine's message with the staging copy's path is not repeated above it.
      await expect(app.getByText(/^Cannot inspect /)).toHaveCount(0);
      await keyForm.getByRole('textbox', { name: 'Recovery key' }).fill(foreign.identity);
      await saveScreenshot(app, `encryption-restore-key-${colorScheme}`);
      await keyForm.getByRole('button', { name: 'Open with this key' }).click();
      await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible({ timeout: 60_000 });
      await expect(app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: /^Track / })).toContainText('3,503');
      await saveScreenshot(app, `encryption-restore-check-${colorScheme}`);
      await app.getByRole('button', { name: 'Continue' }).click();

      await app.getByRole('radio', { name: 'A new file' }).check();
      const target = join(dir, 'restored.sqlite');
      await app.getByRole('textbox', { name: 'New file' }).fill(target);
      await app.getByRole('textbox', { name: 'New file' }).press('Enter');
      await app.getByRole('button', { name: 'Restore into the new file' }).click();
      await expect(app.getByRole('status').filter({ hasText: 'was restored' })).toBeVisible({ timeout: 60_000 });
      expect(integrityOf(target)).toBe('ok');
      expect(rowCounts(target)).toEqual(chinookRowCounts);
    });
  });
}
