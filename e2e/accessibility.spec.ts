/**
 * Every screen, dialog and wizard step audited with axe-core against WCAG 2.1 A and AA, in
 * the light and the dark theme: no violation of impact serious or critical may remain. A
 * failure lists each rule, its impact and the elements that break it, with axe's summary
 * of what to fix.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { makeDatabase } from '../test-support/databases.ts';
import { createCancelFlag, OperationContext } from '../app/engine/context.ts';
import { vaultFolderFor } from '../app/vault/location.ts';
import { addVersion } from '../app/vault/vault.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase, seedHeldAndDeferred } from './helpers.ts';

/** Audits what the page shows now; fails softly, so one run reports every view that needs a fix. */
async function audit(app: Page, view: string): Promise<void> {
  // The audit reads the colours of the settled page, not of an element in mid-transition.
  await app.evaluate(() => document.fonts.ready);
  const { violations } = await new AxeBuilder({ page: app }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) =>
      [
        `${violation.id} (${violation.impact}): ${violation.help}`,
        ...violation.nodes.map((node) => `  ${node.target.join(' ')}\n    ${(node.failureSummary ?? '').replaceAll('\n', '\n    ')}`),
      ].join('\n'),
    );
  expect.soft(serious, `${view} has ${serious.length} serious or critical accessibility violations:\n${serious.join('\n')}\n`).toEqual([]);
  // Not WCAG failures by themselves, but what lets a screen reader find its way: the
  // screen's title as its one h1, and a name for every column, actions included.
  const structure = await new AxeBuilder({ page: app }).withRules(['page-has-heading-one', 'empty-table-header']).analyze();
  const unnamed = structure.violations.map((violation) => `${violation.id}: ${violation.help}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ') || 'the page'}`);
  expect.soft(unnamed, `${view} lacks a heading or a column name:\n${unnamed.join('\n')}\n`).toEqual([]);
}

const home = mkdtempSync(join(tmpdir(), 'pv-e2e-a11y-home-'));
const at = (...parts: string[]) => {
  const path = join(home, ...parts);
  mkdirSync(join(path, '..'), { recursive: true });
  return path;
};
makeDatabase(at('.mozilla', 'firefox', 'abcd1234.default-release', 'places.sqlite'));
makeDatabase(at('Zotero', 'zotero.sqlite'), { journalMode: 'delete' });
test.afterAll(() => rmSync(home, { recursive: true, force: true }));
// Each test audits many views in turn, and axe's analysis of one view takes seconds of CPU:
// the limit is for the whole walk, on a loaded machine too.
test.describe.configure({ timeout: 240_000 });
test.use({ hostEnv: { HOME: home, XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' } });

for (const colorScheme of ['light', 'dark'] as const) {
  test.describe(`${colorScheme} theme`, () => {
    test.use({ colorScheme });

    test('every screen without any database, and a database file inspected', async ({ app, chinookPath }) => {
      await expect(app.getByRole('heading', { name: 'Databases', exact: true })).toBeVisible();
      await audit(app, 'Databases, empty');
      await app.getByRole('textbox', { name: 'Database file' }).fill(chinookPath);
      await app.getByRole('button', { name: 'Inspect' }).click();
      await expect(app.getByRole('region', { name: 'Inspection result' }).getByRole('row', { name: 'Track 3,503' })).toBeVisible();
      await audit(app, 'Databases, inspection result');
      for (const screen of ['Schedules', 'History', 'Restore', 'Settings']) {
        await app.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: screen }).click();
        await expect(app.getByRole('heading', { name: screen, exact: true })).toBeVisible();
        await audit(app, `${screen}, empty`);
      }
    });

    test('the databases list, the discovery panel and the details with their remove dialog', async ({ app, chinookPath }) => {
      await addDatabase(app, chinookPath);
      await expect(app.getByRole('row', { name: /^chinook / })).toBeVisible();
      await audit(app, 'Databases, with a database');

      await app.getByRole('button', { name: 'Find databases on this computer' }).click();
      const panel = app.getByRole('region', { name: 'Find databases on this computer' });
      await expect(panel.getByRole('table', { name: 'Databases of Zotero' })).toBeVisible();
      await panel.getByRole('checkbox', { name: 'Add Zotero · zotero' }).check();
      await audit(app, 'Databases, discovery panel with results');

      await app.getByRole('button', { name: 'Details of chinook' }).click();
      const details = app.getByRole('region', { name: 'Details of chinook' });
      await expect(details.getByRole('row', { name: 'Track 3,503' })).toBeVisible();
      await audit(app, 'Database details');
      await saveScreenshot(app, `a11y-details-${colorScheme}`);

      await details.getByRole('button', { name: 'Remove…' }).click();
      await expect(app.getByRole('dialog', { name: 'Remove chinook from Pagevault?' })).toBeVisible();
      await audit(app, 'Remove database dialog');
      await saveScreenshot(app, `a11y-remove-dialog-${colorScheme}`);
    });

    test('the storage view of a database with a copy and versions in its vault', async ({ app, chinookPath, host }) => {
      await addDatabase(app, chinookPath);
      await app.getByRole('button', { name: 'Backup now: chinook' }).click();
      await expect(app.getByRole('group', { name: 'Backup of chinook' }).getByRole('status')).toHaveText('Backup complete');
      const vault = vaultFolderFor(chinookPath, join(host.dataDir, 'backups', 'chinook'));
      for (let i = 0; i < 2; i += 1) await addVersion(chinookPath, vault, new OperationContext(createCancelFlag(), () => undefined), { now: new Date(Date.now() - (2 - i) * 86_400_000) });
      await app.getByRole('button', { name: 'Details of chinook' }).click();
      const storage = app.getByRole('region', { name: 'Storage of chinook' });
      await expect(storage.getByRole('table', { name: 'Bytes on disk per backup' }).getByRole('row')).toHaveCount(1 + 3);
      await audit(app, 'Database details, storage with a copy and versions');
    });

    test('schedules with the schedule editor and its retention tab', async ({ app, chinookPath }) => {
      await addDatabase(app, chinookPath);
      await app.getByRole('link', { name: 'Schedules' }).click();
      const row = app.getByRole('row', { name: /^chinook / });
      await expect(row).toBeVisible();
      await audit(app, 'Schedules, with a database');

      await row.getByRole('button', { name: 'Add a schedule for chinook' }).click();
      const editor = app.getByRole('dialog', { name: 'Schedule of chinook' });
      await expect(editor.getByRole('region', { name: 'Next runs' }).getByRole('listitem')).toHaveCount(5);
      await audit(app, 'Schedule editor');
      await saveScreenshot(app, `a11y-schedule-editor-${colorScheme}`);

      await editor.getByRole('tab', { name: 'Retention' }).click();
      await expect(editor.getByRole('region', { name: 'Retention preview' })).toBeVisible();
      await audit(app, 'Schedule editor, retention');
    });

    test('the history with held and deferred entries, its dialogs, and every step of a restore', async ({ app, chinookPath, host }) => {
      await seedHeldAndDeferred(app, chinookPath, host);
      const table = app.getByRole('table', { name: 'Backups' });
      await expect(table.getByText('Copied while in use')).toBeVisible();
      await expect(table.getByText('Deferred', { exact: true })).toBeVisible();
      await audit(app, 'History, with held and deferred entries');
      await saveScreenshot(app, `a11y-history-${colorScheme}`);

      await app.getByRole('button', { name: 'Import backups from folder…' }).click();
      await expect(app.getByRole('dialog', { name: 'Import backups from a folder' })).toBeVisible();
      await audit(app, 'Import dialog');
      await app.keyboard.press('Escape');
      await expect(app.getByRole('dialog')).toHaveCount(0);

      const actions = app.getByRole('button', { name: /^Actions for the backup of chinook/ });
      await actions.first().click();
      await expect(app.getByRole('menuitem', { name: 'Delete…' })).toBeVisible();
      await audit(app, 'History, actions menu');
      await app.getByRole('menuitem', { name: 'Delete…' }).click();
      await expect(app.getByRole('dialog', { name: 'Delete this backup?' })).toBeVisible();
      await audit(app, 'Delete backup dialog');
      await saveScreenshot(app, `a11y-delete-dialog-${colorScheme}`);
      await app.keyboard.press('Escape');
      await expect(app.getByRole('dialog')).toHaveCount(0);

      await app.getByRole('link', { name: 'Restore' }).click();
      await expect(app.getByRole('table', { name: 'Recent backups' })).toBeVisible();
      await audit(app, 'Restore, choose a backup');
      await app.getByRole('button', { name: /^Choose the backup of chinook from / }).first().click();
      await expect(app.getByRole('status').filter({ hasText: 'The backup is sound' })).toBeVisible();
      await audit(app, 'Restore, check');
      await saveScreenshot(app, `a11y-restore-check-${colorScheme}`);
      await app.getByRole('button', { name: 'Continue' }).click();
      await expect(app.getByRole('radio', { name: 'The database it came from: chinook' })).toBeChecked();
      await audit(app, 'Restore, target');
      await app.getByRole('checkbox', { name: /Take a safety copy/ }).click();
      await expect(app.getByRole('dialog', { name: 'Restore without a safety copy?' })).toBeVisible();
      await audit(app, 'Restore without a safety copy dialog');
      await app.getByRole('button', { name: 'Keep the safety copy' }).click();
      await app.getByRole('button', { name: 'Replace chinook' }).click();
      await expect(app.getByRole('status').filter({ hasText: 'chinook was restored' })).toBeVisible();
      await audit(app, 'Restore, done');
      await saveScreenshot(app, `a11y-restore-done-${colorScheme}`);
    });
  });
}
