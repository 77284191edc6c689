/**
 * Playwright fixtures: a throwaway data dir, the real host on a free port, a copy of the
 * Chinook database, and a page signed in with the host's token. Each test gets its own,
 * and its folder is removed once its host has exited.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const screenshotDir = join(root, 'e2e', 'screenshots');

interface HostFixture {
  url: string;
  dataDir: string;
  workDir: string;
  /** The host's process id. */
  pid: number;
}

export const test = base.extend<{ chinookPath: string; app: Page; host: HostFixture; hostEnv: Record<string, string> }>({
  /** Environment variables for the host beside this process's own (HOME for a fake home folder). */
  hostEnv: [{}, { option: true }],
  host: [
    async ({ hostEnv }, use) => {
      const workDir = mkdtempSync(join(tmpdir(), 'pv-e2e-'));
      const dataDir = join(workDir, 'data');
      const child: ChildProcess = spawn(process.execPath, [join(root, 'dist/app/host/main.js'), '--port', '0', '--data-dir', dataDir, '--token', 'e2e-token-0123456789abcdef'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, ...hostEnv },
      });
      const url = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /running at (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`The host exited with code ${code} before it was ready. Did \`npm run build\` run?\n${output}`)));
      });
      await use({ url, dataDir, workDir, pid: child.pid! });
      // The host closes its catalog and jobs on SIGTERM, and backs up the catalog: its
      // folder goes once it has exited, not while it may still write there.
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(workDir, { recursive: true, force: true });
    },
    // A fresh host and catalog for every test, so no test sees another's databases.
    { scope: 'test' },
  ],
  chinookPath: async ({ host }, use, testInfo) => {
    const dir = join(host.workDir, `case-${testInfo.testId}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'chinook.sqlite');
    copyFileSync(join(root, 'e2e/fixtures/chinook.sqlite'), path);
    await use(path);
  },
  app: async ({ page, host }, use) => {
    await page.goto(host.url);
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await use(page);
  },
});

/**
 * Saves a screenshot of a key screen into e2e/screenshots/<name>.png. Toasts left over
 * from the test's earlier steps are hidden unless `withNotifications` is set.
 */
export async function saveScreenshot(page: Page, name: string, options: { withNotifications?: boolean } = {}): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({
    path: join(screenshotDir, `${name}.png`),
    fullPage: true,
    style: options.withNotifications ? undefined : '.mantine-Notifications-root { display: none !important; }',
  });
}

export { expect };
