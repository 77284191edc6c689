/**
 * At the desktop window's narrowest (860 px, electron/main.ts), every screen's header
 * keeps its title and its actions whole: the actions move below the title when both do
 * not fit on one line.
 */
import { expect, saveScreenshot, test } from './fixtures.ts';
import { addDatabase } from './helpers.ts';

test('at the narrowest window, the header actions of Databases and History are whole and inside the window', async ({ app, chinookPath }) => {
  await app.setViewportSize({ width: 860, height: 640 });
  await addDatabase(app, chinookPath);
  for (const [screen, action] of [
    ['Databases', 'Backup all now'],
    ['History', 'Import backups from folder…'],
  ] as const) {
    await app.getByRole('link', { name: screen }).click();
    const title = app.getByRole('heading', { level: 1, name: screen });
    await expect(title).toBeVisible();
    // The title and its description keep their room: not cut, not squeezed into a column.
    expect(await title.evaluate((element) => element.scrollWidth <= element.clientWidth + 1)).toBe(true);
    expect((await title.boundingBox())!.width).toBeGreaterThanOrEqual(300);
    const button = app.getByRole('button', { name: action });
    await expect(button).toBeVisible();
    const box = (await button.boundingBox())!;
    // Whole: its label not cut, and its right edge inside the window.
    expect(box.x + box.width).toBeLessThanOrEqual(860);
    expect(await button.evaluate((element) => element.scrollWidth <= element.clientWidth + 1)).toBe(true);
    await saveScreenshot(app, `${screen.toLowerCase()}-narrow`);
  }
});
