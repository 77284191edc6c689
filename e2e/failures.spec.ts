/**
 * A call the core refuses reaches the user even where the UI fires and forgets it. The
 * host, the core and the backup are real; only the answer to one request is replaced
 * on the page's WebSocket, since a real cancel cannot be made to fail on demand.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { makeDatabase } from '../test-support/databases.ts';
import { expect, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

/** Answers `method` on the page's WebSocket with `error` while `failing()` says so; everything else reaches the host. */
async function refuseWhile(page: Page, method: string, error: { code: string; message: string }, failing: () => boolean): Promise<void> {
  await page.routeWebSocket(/\/api$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const request = JSON.parse(String(message)) as { id: number; method: string };
      if (request.method === method && failing()) ws.send(JSON.stringify({ type: 'response', id: request.id, outcome: { ok: false, error } }));
      else server.send(message);
    });
  });
}

test('a refused Cancel says so, and the backup goes on', async ({ page, host }) => {
  const refusal = 'Cannot cancel the job: the core was busy closing';
  await refuseWhile(page, 'jobs.cancel', { code: 'INTERNAL', message: refusal }, () => true);
  await page.goto(host.url);
  const path = join(host.workDir, 'medium.sqlite');
  makeDatabase(path, { journalMode: 'delete', bytes: 40 << 20 });
  await addDatabase(page, path);
  await page.getByRole('button', { name: 'Details of medium' }).click();
  const details = page.getByRole('region', { name: 'Details of medium' });
  await details.getByRole('textbox', { name: 'Pages per step' }).fill('64');
  await details.getByRole('textbox', { name: 'Pause between steps (ms)' }).fill('25');
  await details.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Backups of medium go to')).toBeVisible();
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Backup now: medium' }).click();
  const job = page.getByRole('group', { name: 'Backup of medium' });
  await expect(job).toContainText(/pages/);
  await job.getByRole('button', { name: 'Cancel the backup of medium' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Cannot cancel the backup of medium' });
  await expect(alert).toContainText(refusal);
  await expect(job.getByRole('status')).toHaveText('Backup complete', { timeout: 60_000 });
});

test('a database list that cannot load says why and offers to try again, instead of loading forever', async ({ page, host }) => {
  const refusal = 'Cannot read the catalog: another program holds it locked';
  let failing = true;
  await refuseWhile(page, 'databases.list', { code: 'CATALOG_BUSY', message: refusal }, () => failing);
  await page.goto(host.url);
  const alert = page.getByRole('alert').filter({ hasText: 'Could not load the databases' });
  await expect(alert).toContainText(refusal);
  failing = false;
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByText('No databases yet')).toBeVisible();
  await expect(alert).toHaveCount(0);
});

test('a reload after a change that fails is shown until one succeeds, and the list keeps what it had', async ({ page, host }) => {
  const refusal = 'Cannot read the catalog: another program holds it locked';
  let failing = false;
  await refuseWhile(page, 'databases.list', { code: 'CATALOG_BUSY', message: refusal }, () => failing);
  await page.goto(host.url);
  const [first, second, third] = ['first', 'second', 'third'].map((name) => join(host.workDir, `${name}.sqlite`)) as [string, string, string];
  for (const path of [first, second, third]) makeDatabase(path, { journalMode: 'delete' });
  await addDatabase(page, first);
  await expect(page.getByRole('button', { name: 'Details of first' })).toBeVisible();

  failing = true;
  await addDatabase(page, second);
  const notice = page.getByRole('alert').filter({ hasText: 'Could not load the databases' });
  await expect(notice).toContainText(refusal);
  await expect(page.getByRole('button', { name: 'Details of first' })).toBeVisible();

  failing = false;
  await addDatabase(page, third);
  await expect(page.getByRole('button', { name: 'Details of third' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Details of second' })).toBeVisible();
  await expect(notice).toHaveCount(0);
});
