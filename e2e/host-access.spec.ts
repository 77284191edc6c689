/**
 * How the browser UI holds the host's access token: it arrives in the address's fragment,
 * which no server receives, moves into sessionStorage, and is never a cookie, which the
 * browser would also send to every other server on 127.0.0.1.
 */
import { addDatabase } from './helpers.ts';
import { expect, saveScreenshot, test } from './fixtures.ts';

test('the token arrives in #token=, leaves the address, survives a reload and is never a cookie', async ({ app, host, context }) => {
  expect(host.url).toMatch(/\/#token=/);
  await expect(app).not.toHaveURL(/token/);
  expect(await context.cookies()).toEqual([]);
  await app.reload();
  await expect(app.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(app.getByRole('alert').filter({ hasText: 'Not signed in' })).toHaveCount(0);
  expect(await context.cookies()).toEqual([]);
});

test('a page opened without the token, or with a wrong one, says how to sign in', async ({ page, host }) => {
  const bare = host.url.replace(/#.*$/, '');
  await page.goto(bare);
  await expect(page.getByRole('alert').filter({ hasText: 'Not signed in' })).toContainText('ends in #token=');
  await saveScreenshot(page, 'host-not-signed-in');
  const other = await page.context().newPage();
  await other.goto(`${bare}#token=wrong-token-0123456789abcdef`);
  await expect(other.getByRole('alert').filter({ hasText: 'Not signed in' })).toContainText('no valid access token');
});

test('a request larger than the host reads is refused in the page with the reason, and the connection stays', async ({ app }) => {
  await addDatabase(app, `/tmp/${'x'.repeat(1100 * 1024)}.db`);
  const form = app.getByRole('form', { name: 'Add a database' });
  await expect(form.getByRole('alert')).toContainText('Pagevault reads at most 1 MiB');
  await expect(app.getByRole('alert').filter({ hasText: 'Connection lost' })).toHaveCount(0);
});
