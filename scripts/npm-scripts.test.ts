// Every npm script runs in CI: `npm test` runs the checks, the build and the suites; this
// file runs each bench at a tiny size through `npm run`, as a user would, and checks it
// prints its figure. A script that is in package.json but not in `howCiRuns` fails here,
// so a new one has to say how it is run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const scripts = Object.keys((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts);

const howCiRuns: Record<string, string> = {
  build: 'npm test builds before the suites',
  'build:renderer': 'part of build',
  'build:preload': 'part of build',
  'build:node': 'part of build',
  preweb: 'the build, with --if-changed',
  web: 'the e2e fixtures start dist/app/host/main.js, which is what it runs',
  lint: 'npm test',
  typecheck: 'npm test runs both of its tsc passes',
  test: 'the CI command itself',
  'test:unit': 'npm test',
  'test:e2e': 'npm test',
  bench: 'this file',
  'bench:history': 'this file',
  'bench:requests': 'this file',
  // Exempt: both need the Electron binary (and dist an electron-builder run), which CI
  // does not download; scripts/start.test.ts checks how start fails without it.
  start: 'exempt: needs Electron',
  predist: 'exempt: the build, before dist',
  dist: 'exempt: needs Electron and electron-builder',
};

function npmRun(script: string, args: string[]) {
  const result = spawnSync('npm', ['run', '--silent', script, '--', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('npm scripts', () => {
  it('each one is run in CI, or says why not', () => {
    expect(Object.keys(howCiRuns).sort()).toEqual([...scripts].sort());
  });

  it('bench:history prints each query time on a small catalog', () => {
    const { status, output } = npmRun('bench:history', ['--entries', '50']);
    expect(output).toContain('50 history entries; reading the whole table:');
    expect(output).toMatch(/first page\s+[\d.]+ ms\s+[\d.]+ × full read/);
    expect(status).toBe(0);
  });

  it('bench:requests answers every inspect of a small burst', () => {
    const { status, output } = npmRun('bench:requests', ['--requests', '3']);
    expect(output).toMatch(/3 inspects at once: 3 answered in [\d.]+ s/);
    expect(status).toBe(0);
  });

  it('bench prints its ratios against cp for a small database, one round', { timeout: 300_000 }, () => {
    const { status, output } = npmRun('bench', ['--size-mb', '2', '--runs', '1']);
    expect(output).toMatch(/Pagevault snapshot backup\s+[\d.]+ s\s+[\d.]+ × cp/);
    // The plain copy's row says how long a writer's commits waited during it, in the same run.
    expect(output).toMatch(/writer's longest commit during Pagevault snapshot [\d.]+ ms median, [\d.]+ ms worst; during cp \+ fsync [\d.]+ ms/);
    expect(output).toMatch(/Pagevault lock-free copy\s+[\d.]+ s/);
    // Peak memory: the plain verified backup, and encrypting and decrypting at two sizes.
    expect(output).toMatch(/plain verified\s+[\d.]+ MB database: \d+ MB before, peak \d+ MB \(\+\d+ MB\)/);
    expect(output.match(/^ {2}age(?: verified|, verify the \.age file)?\s+[\d.]+ MB database: \d+ MB before, peak \d+ MB/gm)).toHaveLength(6);
    expect(status).toBe(0);
  });
});
