// `npm start` where the Electron binary cannot be had: one paragraph naming what failed and
// `npm run web`, exit code 1, no stack trace, nothing built or launched.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pv-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const electronDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));

function npmStart(env: Record<string, string>) {
  const result = spawnSync('npm', ['start', '--silent'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const expectOneParagraph = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Pagevault cannot open the desktop app: .*`npm run web`/);
  expect(stderr).not.toMatch(/^\s+at /m);
};

describe('npm start without an Electron binary', () => {
  it('says so when ELECTRON_OVERRIDE_DIST_PATH holds none', () => {
    const empty = join(dir, 'empty');
    const { status, stderr } = npmStart({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    expect(status).toBe(1);
    expectOneParagraph(stderr);
    expect(stderr).toContain(`ELECTRON_OVERRIDE_DIST_PATH is ${empty}, and there is no Electron binary at ${join(empty, 'electron')}`);
  });

  // Electron's download is pointed at a closed local port and an empty cache, so it fails
  // the same way here as on a machine without access to the release host.
  it.skipIf(existsSync(join(electronDir, 'path.txt')))('says so when the download fails', () => {
    const { status, stdout, stderr } = npmStart({ ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: join(dir, 'cache'), ELECTRON_OVERRIDE_DIST_PATH: '' });
    expect(status).toBe(1);
    expect(stdout).toContain('Downloading the Electron binary');
    expectOneParagraph(stderr);
    expect(stderr).toContain('the Electron binary is not installed, and downloading it from Electron');
  });
});
