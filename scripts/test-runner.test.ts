// npm test's reports: Playwright leaves the unit report alone, and every skipped test is
// named with its reason. Real Vitest and Playwright runs of small suites written here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { e2eSkips, skipLines, type Skip } from './test-report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const dir = mkdtempSync(join(tmpdir(), 'pv-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Without the runner's own variables, so the suites below run as if started by hand.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST'));

describe('npm test reports', () => {
  it("Playwright's run leaves the reports in test-results/ alone", () => {
    const reports = join(root, 'test-results');
    mkdirSync(reports, { recursive: true });
    const sentinel = join(reports, `unit-report-${process.pid}.json`);
    writeFileSync(sentinel, '{}\n');
    try {
      // A run that matches no test still empties Playwright's outputDir.
      const run = spawnSync(npx, ['playwright', 'test', '--project', 'electron', '--grep', '^no test has this name$', '--pass-with-no-tests', '--reporter=line'], { cwd: root, env, encoding: 'utf8' });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(existsSync(sentinel)).toBe(true);
    } finally {
      rmSync(sentinel, { force: true });
    }
  });

  it('names every skipped unit and e2e test with its reason', () => {
    const suite = join(dir, 'suite');
    mkdirSync(suite);
    symlinkSync(join(root, 'node_modules'), join(suite, 'node_modules'));
    writeFileSync(
      join(suite, 'a.test.ts'),
      `import { describe, expect, it } from 'vitest';
describe('group', () => {
  it('passes', () => expect(1).toBe(1));
  it('skips with a note', (ctx) => ctx.skip('needs root for a tmpfs'));
  it.skipIf(true)('skips by its condition', () => undefined);
  it.todo('is still to write');
});
`,
    );
    writeFileSync(
      join(suite, 'b.spec.ts'),
      `import { test } from '@playwright/test';
test('runs', () => undefined);
test.describe('desktop', () => {
  test.skip(true, 'No Electron binary on this machine');
  test('opens the window', () => undefined);
});
`,
    );
    writeFileSync(join(suite, 'playwright.config.ts'), `import { defineConfig } from '@playwright/test';\nexport default defineConfig({ testDir: '.', testMatch: /.*\\.spec\\.ts/, outputDir: 'out' });\n`);

    const unitSkips = join(suite, 'unit-skips.json');
    const unit = spawnSync(npx, ['vitest', 'run', 'a.test.ts', '--root', suite, '--reporter', join(root, 'scripts/skip-reporter.ts')], { cwd: suite, env: { ...env, PAGEVAULT_UNIT_SKIPS: unitSkips }, encoding: 'utf8' });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    const e2eReport = join(suite, 'e2e.json');
    const e2e = spawnSync(npx, ['playwright', 'test', '-c', join(suite, 'playwright.config.ts'), '--reporter=json'], { cwd: suite, env: { ...env, PLAYWRIGHT_JSON_OUTPUT_FILE: e2eReport }, encoding: 'utf8' });
    expect(e2e.status, e2e.stdout + e2e.stderr).toBe(0);

    const skips: Skip[] = [...(JSON.parse(readFileSync(unitSkips, 'utf8')) as Skip[]), ...e2eSkips(JSON.parse(readFileSync(e2eReport, 'utf8')) as Parameters<typeof e2eSkips>[0])];
    expect(skipLines(skips).sort()).toEqual(
      [
        'skipped: a.test.ts > group > skips with a note: needs root for a tmpfs',
        'skipped: a.test.ts > group > skips by its condition: no reason given',
        'skipped: a.test.ts > group > is still to write: todo',
        'skipped: b.spec.ts > desktop > opens the window: No Electron binary on this machine',
      ].sort(),
    );
  });
});
