/**
 * A call the core refuses reaches the user even where the UI fires and forgets it. The
 * host, the core and the backup are real; only the answer to one request is replaced
 * on the page's WebSocket, since a real cancel cannot be made to fail on demand.
 */
import { join } from 'node:path';
import { makeDatabase } from '../test-support/databases.ts';
import { expect, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

test('a refused Cancel says so, and the backup goes on', async ({ page, host }) => {
  const refusal = 'Cannot cancel the job: the core was busy closing';
  await page.routeWebSocket(/\/api$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      const request = JSON.parse(String(message)) as { id: number; method: string };
      if (request.method === 'jobs.cancel') ws.send(JSON.stringify({ type: 'response', id: request.id, outcome: { ok: false, error: { code: 'INTERNAL', message: refusal } } }));
      else server.send(message);
    });
  });
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
