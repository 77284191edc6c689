/**
 * Databases another program holds, as the UI shows them: a backup copied without a lock
 * (imported from a folder whose manifest says so) and a deferred run (written into the
 * catalog as the core records one) in the History, the Databases list and the details.
 */
import type { Locator, Page } from '@playwright/test';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, recordDeferredRun, seedHeldAndDeferred } from './helpers.ts';

const heldDetail = 'Another program held this database, so Pagevault copied it without a lock and checked the copy: consistent up to WAL commit frame 1,234 of checkpoint 7; 2 tries.';

/** Moves the keyboard focus onto `target` with Tab, as someone without a mouse would. */
async function tabTo(app: Page, target: Locator): Promise<void> {
  await target.focus();
  await app.keyboard.press('Shift+Tab');
  await app.keyboard.press('Tab');
  await expect(target).toBeFocused();
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
  await app.getByRole('heading', { name: 'History', level: 1 }).click();
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
  recordDeferredRun(host.dataDir, chinookPath, { trigger: 'schedule', durationMs: 0, schedule: true });
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
