/**
 * The real desktop app, launched with Playwright's Electron support. Runs where an
 * Electron binary exists (a normal `npm ci` with network access, or
 * ELECTRON_OVERRIDE_DIST_PATH); skips with the reason where it does not.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function electronBinary(): string | undefined {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const candidate = join(override, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(candidate) ? candidate : undefined;
  }
  const pathFile = join(root, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return undefined;
  const candidate = join(root, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(candidate) ? candidate : undefined;
}

const binary = electronBinary();

test.describe('desktop app', () => {
  test.skip(!binary, 'No Electron binary on this machine (node_modules/electron/path.txt is missing and ELECTRON_OVERRIDE_DIST_PATH is not set); the browser project covers the same UI through the host.');

  test('opens the window with the app shell and a hardened bridge', async () => {
    const app = await electron.launch({
      executablePath: binary!,
      args: [root, '--no-sandbox'],
      env: { ...process.env, PAGEVAULT_DATA_DIR: mkdtempSync(join(tmpdir(), 'pv-electron-')) },
    });
    const window = await app.firstWindow();
    await expect(window.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await window.getByRole('link', { name: 'Settings' }).click();
    await expect(window.getByText('Desktop app')).toBeVisible();
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await window.evaluate(() => Object.keys((globalThis as unknown as { pagevault: object }).pagevault).sort())).toContain('app.info');
    await app.close();
  });

  test('closing the window keeps Pagevault running in the tray', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-electron-'));
    const app = await electron.launch({ executablePath: binary!, args: [root, '--no-sandbox'], env: { ...process.env, PAGEVAULT_DATA_DIR: dataDir } });
    const window = await app.firstWindow();
    await expect(window.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    // Hidden, not closed: the one window is still there.
    await expect
      .poll(() => app.evaluate(({ BrowserWindow }) => ({ windows: BrowserWindow.getAllWindows().length, visible: BrowserWindow.getAllWindows()[0]?.isVisible() })))
      .toEqual({ windows: 1, visible: false });
    // Opening it again (as the tray menu does) brings the same window back.
    await expect
      .poll(async () => app.evaluate(async ({ BrowserWindow }) => {
        const main = BrowserWindow.getAllWindows()[0]!;
        main.show();
        return main.isVisible();
      }))
      .toBe(true);
    await window.getByRole('link', { name: 'Settings' }).click();
    await expect(window.getByRole('switch', { name: /Keep running in the tray/ })).toBeChecked();
    await app.close();
  });
});
