import { defineConfig } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** Debian's Chromium (apt-get install chromium); Playwright's own browser download is not used. */
function chromiumPath(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

export default defineConfig({
  testDir: 'e2e',
  // Playwright empties this folder at every run: not test-results/ itself, where npm test
  // keeps the unit report.
  outputDir: 'test-results/e2e-output',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: 'list',
  projects: [
    {
      name: 'browser',
      testMatch: /.*\.spec\.ts/,
      testIgnore: /electron\.spec\.ts/,
      use: {
        viewport: { width: 1180, height: 780 },
        // The app respects reduced motion: screenshots never catch a drawer mid-slide.
        contextOptions: { reducedMotion: 'reduce' },
        launchOptions: {
          executablePath: chromiumPath(),
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        },
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts/ },
  ],
});
