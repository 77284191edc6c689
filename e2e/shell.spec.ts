import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, saveScreenshot, test } from './fixtures.ts';

const screens = [
  { nav: 'Databases', heading: 'No databases yet', text: 'Add one above to take its first backup' },
  { nav: 'Schedules', heading: 'No schedules yet', text: 'A schedule backs a database up' },
  { nav: 'History', heading: 'No backups yet', text: 'Take the first one from the Databases screen' },
];

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`app shell, ${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('every screen has its empty state', async ({ app }) => {
      for (const screen of screens) {
        await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen.nav }).click();
        await expect(app.getByRole('heading', { level: 1, name: screen.nav })).toBeVisible();
        await expect(app.getByRole('heading', { name: screen.heading })).toBeVisible();
        await expect(app.getByText(screen.text)).toBeVisible();
        await expect(app).toHaveURL(new RegExp(`#/${screen.nav.toLowerCase()}$`));
        await saveScreenshot(app, `${screen.nav.toLowerCase()}-empty-${colorScheme}`);
      }
      await app.getByRole('link', { name: 'Restore' }).click();
      await expect(app.getByText('No backups yet. Take one with Backup now on the Databases screen, or choose a backup file below.')).toBeVisible();
      await saveScreenshot(app, `restore-empty-${colorScheme}`);
      await app.getByRole('link', { name: 'Settings' }).click();
      const about = app.getByRole('region', { name: 'About Pagevault' });
      await expect(about.getByText('Browser UI (npm run web)')).toBeVisible();
      await expect(about.getByText(/^3\.\d+\.\d+$/)).toBeVisible();
      await saveScreenshot(app, `settings-${colorScheme}`);
    });
  });
}

test('the theme setting switches to dark without a reload', async ({ app }) => {
  await app.getByRole('link', { name: 'Settings' }).click();
  const theme = app.getByRole('radiogroup', { name: 'Theme' });
  await theme.getByText('Dark', { exact: true }).click();
  await expect(app.getByRole('radio', { name: 'Dark' })).toBeChecked();
  await expect(app.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await theme.getByText('Light', { exact: true }).click();
  await expect(app.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'light');
});

test('reload keeps the current screen', async ({ app }) => {
  await app.getByRole('link', { name: 'History' }).click();
  await app.reload();
  await expect(app.getByRole('heading', { level: 1, name: 'History' })).toBeVisible();
});

test('inspecting the Chinook database shows its tables and row counts', async ({ app, chinookPath }) => {
  await app.getByRole('textbox', { name: 'Database file' }).fill(chinookPath);
  await app.getByRole('button', { name: 'Inspect' }).click();
  const result = app.getByRole('region', { name: 'Inspection result' });
  await expect(result.getByRole('row', { name: 'Track 3,503' })).toBeVisible();
  await expect(result.getByText('246 × 4,096 bytes')).toBeVisible();
  await saveScreenshot(app, 'databases-inspect');
});

test('inspecting a text file shows the "not a SQLite database" error', async ({ app, chinookPath }) => {
  const text = join(dirname(chinookPath), 'notes.txt');
  writeFileSync(text, 'shopping list\nmilk\n');
  await app.getByRole('textbox', { name: 'Database file' }).fill(text);
  await app.keyboard.press('Enter');
  const alert = app.getByRole('alert');
  await expect(alert).toContainText(`Cannot inspect ${text}: the file is not a SQLite database (it is a text file starting with 'shopping list')`);
  await saveScreenshot(app, 'databases-inspect-error');
});

test('any database file can be checked for restoring; without a manifest it goes into a new file by default', async ({ app, chinookPath }) => {
  await app.getByRole('link', { name: 'Restore' }).click();
  await app.getByRole('textbox', { name: 'Backup file' }).fill(chinookPath);
  await app.getByRole('button', { name: 'Check this backup' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toContainText('it has no manifest to compare with');
  await expect(app.getByText('Unknown (no manifest or history entry)')).toBeVisible();
  await expect(app.getByRole('table', { name: 'Tables in the backup' }).getByRole('row', { name: 'Track 3,503' })).toBeVisible();
  await app.getByRole('button', { name: 'Continue' }).click();
  await expect(app.getByRole('radio', { name: 'A new file' })).toBeChecked();
  await expect(app.getByRole('button', { name: 'Restore', exact: true })).toBeDisabled();
  await app.getByRole('textbox', { name: 'New file' }).fill(join(dirname(chinookPath), 'restored.sqlite'));
  await app.getByRole('button', { name: 'Use this path' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'A new database file will be created' })).toBeVisible();
  await app.getByRole('button', { name: 'Restore into the new file' }).click();
  await expect(app.getByRole('status').filter({ hasText: 'restored was restored' })).toBeVisible();
  await expect(app.getByRole('button', { name: 'Undo restore' })).toHaveCount(0);
});
