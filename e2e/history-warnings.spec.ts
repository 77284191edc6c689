/**
 * A backup that succeeded with warnings (written into the catalog as the core records one:
 * the checkpoint helper's write-back failures cannot be brought about on demand here)
 * shows a Warning badge in the History, whose text shows on focus.
 */
import { Catalog, entryWithoutFile } from '../app/catalog/index.ts';
import { defaultSettings } from '../app/core/core.ts';
import { expect, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

test('the History marks a backup that succeeded with a warning, and says the warning on focus', async ({ app, chinookPath, host }) => {
  await addDatabase(app, chinookPath);
  await expect(app.getByRole('button', { name: 'Details of chinook' })).toBeVisible();
  const warning = `The checkpoint helper could not write ${chinookPath}-wal back to disk ahead of its checkpoint (EIO); SQLite's own checkpoint writes it instead`;
  const catalog = new Catalog(host.dataDir, defaultSettings(host.dataDir));
  try {
    const database = catalog.databases.findByPath(chinookPath)!;
    const now = new Date();
    catalog.backups.insert({
      ...entryWithoutFile({
        databaseId: database.id,
        databaseLabel: database.label,
        source: database.path,
        status: 'succeeded',
        trigger: 'manual',
        mode: database.mode,
        startedAt: now.toISOString(),
        finishedAt: new Date(now.getTime() + 1_000).toISOString(),
        durationMs: 1_000,
        error: null,
      }),
      warnings: [warning],
    });
  } finally {
    catalog.close();
  }

  await app.getByRole('link', { name: 'History' }).click();
  const row = app.getByRole('table', { name: 'Backups' }).getByRole('row').filter({ hasText: 'Warning' });
  await expect(row).toHaveCount(1);
  const badge = row.locator('[tabindex="0"]', { hasText: /^Warning$/ });
  // By keyboard, as someone without a mouse would reach it.
  await badge.focus();
  await app.keyboard.press('Shift+Tab');
  await app.keyboard.press('Tab');
  await expect(badge).toBeFocused();
  await expect(app.getByRole('tooltip')).toHaveText(warning);
});
