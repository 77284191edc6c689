/**
 * Schedules in the browser shell: create one from the UI with its next runs previewed,
 * see a scheduled run land in the history, and preview a retention policy.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

// Times are written in the clock of the browser's locale: one locale for the whole file,
// so a sentence does not depend on the machine's LANG (the locale tests below set their own).
test.use({ locale: 'en-US' });

test('create a schedule with its next five runs previewed, see it run, and find the run in the history', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  await expect(app.getByRole('row', { name: /^chinook / })).toBeVisible();
  await app.getByRole('link', { name: 'Schedules' }).click();
  const row = app.getByRole('row', { name: /^chinook / });
  await expect(row).toContainText('Not scheduled');
  await row.getByRole('button', { name: 'Add a schedule for chinook' }).click();

  const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
  await editor.getByText('Weekly', { exact: true }).click();
  await editor.getByText('Sat', { exact: true }).click();
  const preview = editor.getByRole('region', { name: 'Next runs' });
  await expect(preview).toContainText('Every Monday, Tuesday, Wednesday, Thursday, Friday and Saturday at 06:30 PM');
  await expect(preview.getByRole('listitem')).toHaveCount(5);

  // An impossible cron expression is refused at the field, and Save is off.
  await editor.getByText('Cron', { exact: true }).click();
  await editor.getByRole('textbox', { name: 'Cron expression' }).fill('61 * * * *');
  await expect(editor.getByText("'61 * * * *' is not a valid cron expression: Invalid value for minute: 61")).toBeVisible();
  await expect(editor.getByRole('button', { name: 'Save schedule' })).toBeDisabled();
  await editor.getByRole('textbox', { name: 'Cron expression' }).fill('*/3 * * * * *');
  await expect(preview).toContainText('Every 3 seconds');
  await saveScreenshot(app, 'schedule-editor');
  await editor.getByRole('checkbox', { name: /Skip if unchanged/ }).uncheck();
  await editor.getByRole('button', { name: 'Save schedule' }).click();

  await expect(row).toContainText('Every 3 seconds');
  await expect(row.getByText(/^Today at /)).toBeVisible();
  await expect(row).toContainText('Backed up', { timeout: 20_000 });
  await saveScreenshot(app, 'schedules');
  await row.getByRole('switch', { name: 'Schedule of chinook enabled' }).click({ force: true });
  await expect(row).toContainText('Disabled');

  await app.getByRole('link', { name: 'History' }).click();
  await expect(app.getByRole('row').filter({ hasText: 'Scheduled' }).first()).toBeVisible();
  await saveScreenshot(app, 'history-scheduled');
  expect(readdirSync(join(host.dataDir, 'backups', 'chinook')).some((name) => name.endsWith('.db'))).toBe(true);
});

test('a schedule that cannot run is refused under the field the core names, with the core\'s words for it', async ({ app, chinookPath }) => {
  await addDatabase(app, chinookPath);
  await app.getByRole('link', { name: 'Schedules' }).click();
  await app.getByRole('row', { name: /^chinook / }).getByRole('button', { name: 'Add a schedule for chinook' }).click();
  const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
  const save = editor.getByRole('button', { name: 'Save schedule' });

  await editor.getByText('Every…', { exact: true }).click();
  const every = editor.getByRole('textbox', { name: 'Every' });
  await every.fill('0');
  await expect(every).toHaveAccessibleDescription('The interval is at least 1 minute');
  await expect(save).toBeDisabled();
  await every.fill('15');
  await expect(editor.getByRole('region', { name: 'Next runs' })).toContainText('Every 15 hours');

  // No day and no time: one problem, at the days, in the core's words and nothing else.
  await editor.getByText('Weekly', { exact: true }).click();
  for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']) await editor.getByText(day, { exact: true }).click();
  await editor.getByRole('textbox', { name: 'At' }).fill('');
  await expect(editor.getByText('Choose at least one day', { exact: true })).toBeVisible();
  await expect(editor.getByText(/spec\./)).toHaveCount(0);
  await expect(save).toBeDisabled();
});

test('a retention policy previews which backups it would delete and the space it frees', async ({ app, chinookPath }) => {
  await addDatabase(app, chinookPath);
  const databaseRow = app.getByRole('row', { name: /^chinook / });
  for (let i = 0; i < 3; i += 1) {
    await databaseRow.getByRole('button', { name: 'Backup now: chinook' }).click();
    await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
    await expect(app.getByRole('group', { name: 'Backup of chinook' })).toHaveCount(0, { timeout: 10_000 });
  }
  await app.getByRole('link', { name: 'Schedules' }).click();
  await app.getByRole('button', { name: 'Add a schedule for chinook' }).click();
  const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
  await editor.getByRole('tab', { name: 'Retention' }).click();
  await expect(editor.getByRole('region', { name: 'Retention preview' })).toContainText('Nothing would be deleted now: all 3 backups are kept.');
  await editor.getByRole('textbox', { name: 'Keep the last' }).fill('1');
  const preview = editor.getByRole('region', { name: 'Retention preview' });
  await expect(preview).toContainText('Would delete 2 of 3 backups now, freeing 2.0 MB');
  await expect(preview.getByRole('row')).toHaveCount(2);
  await expect(editor.getByText('Keeps only the latest backup')).toBeVisible();
  await saveScreenshot(app, 'retention-preview');
  await editor.getByRole('button', { name: 'Save retention' }).click();
  await expect(app.getByRole('alert').filter({ hasText: 'Retention of chinook saved' })).toBeVisible();
});

test('a catalog that another program keeps locked across a scheduled run is said so on screen, and the app goes on', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  await app.getByRole('link', { name: 'Schedules' }).click();
  const row = app.getByRole('row', { name: /^chinook / });
  await row.getByRole('button', { name: 'Add a schedule for chinook' }).click();
  const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
  await editor.getByText('Cron', { exact: true }).click();
  await editor.getByRole('textbox', { name: 'Cron expression' }).fill('*/2 * * * * *');
  await editor.getByRole('checkbox', { name: /Skip if unchanged/ }).uncheck();
  await editor.getByRole('button', { name: 'Save schedule' }).click();
  await expect(row).toContainText('Every 2 seconds');
  // Another program takes the catalog and holds it through the next slots.
  const other = new Database(join(host.dataDir, 'catalog.sqlite'), { timeout: 5000 });
  other.exec('BEGIN EXCLUSIVE');
  try {
    const notice = app.getByRole('alert').filter({ hasText: 'Pagevault could not write its catalog' });
    await expect(notice).toBeVisible({ timeout: 30_000 });
    await expect(notice).toContainText(join(host.dataDir, 'catalog.sqlite'));
    await saveScreenshot(app, 'catalog-problem', { withNotifications: true });
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  // Once the lock is gone, the schedule runs again: new backups land in the folder.
  const folder = join(host.dataDir, 'backups', 'chinook');
  const backups = () => (existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.db')).length : 0);
  const before = backups();
  await expect.poll(backups, { timeout: 30_000 }).toBeGreaterThan(before);
  await expect(row).toContainText('Backed up');
});

// The browser draws the time field in the clock of its locale; the next runs beside it
// must use the same one.
for (const [locale, clock, sentence] of [
  ['en-US', /at 06:30 PM$/, 'Every day at 06:30 PM'],
  ['en-GB', /at 18:30$/, 'Every day at 18:30'],
] as const) {
  test.describe(`in the ${locale} locale`, () => {
    test.use({ locale });
    test(`the schedule editor's sentence and next runs use the time field's clock`, async ({ app, chinookPath }) => {
      await addDatabase(app, chinookPath);
      await app.getByRole('link', { name: 'Schedules' }).click();
      await app.getByRole('button', { name: 'Add a schedule for chinook' }).click();
      const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
      await editor.getByText('Daily', { exact: true }).click();
      await editor.getByLabel('At').fill('18:30');
      const runs = editor.getByRole('region', { name: 'Next runs' }).getByRole('listitem');
      await expect(runs).toHaveCount(5);
      for (const run of await runs.all()) await expect(run).toHaveText(clock);
      await expect(editor.getByRole('region', { name: 'Next runs' }).getByText(sentence, { exact: true })).toBeVisible();
      // The Schedules list says it the same way.
      await editor.getByRole('button', { name: 'Save schedule' }).click();
      await expect(editor).toBeHidden();
      await expect(app.getByRole('table', { name: 'Schedules' }).getByText(sentence, { exact: true })).toBeVisible();
    });
  });
}
