// The Node minimum in package.json's engines, and the entry points that refuse an older
// Node with one clear line instead of better-sqlite3's segfault (exit 139, no output).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const MINIMUM = '22.18.0';
const dir = mkdtempSync(join(tmpdir(), 'pv-node-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loaded with --import: this Node then reports the version in FAKE_NODE_VERSION.
const fakeVersion = join(dir, 'fake-version.mjs');
writeFileSync(
  fakeVersion,
  `const v = process.env.FAKE_NODE_VERSION;
if (v) {
  Object.defineProperty(process, 'version', { value: 'v' + v });
  Object.defineProperty(process, 'versions', { value: { ...process.versions, node: v } });
}
`,
);

function runAs(version: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', fakeVersion, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FAKE_NODE_VERSION: version } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the Node minimum', () => {
  it('is the one package.json states', () => {
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines;
    expect(engines.node).toBe(`>=${MINIMUM}`);
  });

  it.each(['22.13.1', '22.17.1', '20.19.0'])('the CLI refuses Node %s with one line and exit code 1', (version) => {
    const { status, stdout, stderr } = runAs(version, ['bin/pagevault.js', 'inspect', join(dir, 'none.db')]);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([`Pagevault needs Node.js ${MINIMUM} or newer, and this is Node.js v${version}: install Node 24 (the current LTS) and run it again.`]);
  });

  it.each([MINIMUM, '22.20.0', '24.0.0'])('the CLI runs on Node %s', (version) => {
    const { stderr } = runAs(version, ['bin/pagevault.js', '--help']);
    expect(stderr).not.toContain('needs Node.js');
  });

  // The host's sources import each other as .js in places: it runs from the build, as
  // `npm run web` does (npm test builds before the unit tests).
  it('the host refuses an older Node with one line, and starts on the minimum', () => {
    const host = join(root, 'dist/app/host/main.js');
    expect(existsSync(host), `${host} is missing: run npm run build first`).toBe(true);
    const old = runAs('22.12.0', [host, '--help']);
    expect(old.status).toBe(1);
    expect(old.stderr.trim()).toBe(`Pagevault needs Node.js ${MINIMUM} or newer, and this is Node.js v22.12.0: install Node 24 (the current LTS) and run it again.`);
    const recent = runAs(MINIMUM, [host, '--help']);
    expect(recent.stderr).not.toContain('needs Node.js');
    expect(recent.stdout).toContain('Usage: npm run web');
  });

  describe('.ci/run', () => {
    // Stand-ins on PATH: a `node` that reports FAKE_NODE_VERSION, an `npm` that logs its
    // calls (and "installs" Node 24 as a plain node), a `chromium`.
    const bin = join(dir, 'bin');
    const calls = join(dir, 'npm-calls.log');
    mkdirSync(bin, { recursive: true });
    const script = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    script('node', `exec "${process.execPath}" --import "${fakeVersion}" "$@"`);
    script('chromium', 'echo Chromium 1.0');
    script(
      'npm',
      `echo "$*" >> "${calls}"
if [ "$1" = install ]; then
  while [ "$1" != --prefix ]; do shift; done
  mkdir -p "$2/node_modules/node/bin"
  printf '#!/bin/sh\\nexec "%s" "$@"\\n' "${process.execPath}" > "$2/node_modules/node/bin/node"
  chmod +x "$2/node_modules/node/bin/node"
fi
exit 0`,
    );

    const ci = (version: string, nodeDir: string) => {
      rmSync(calls, { force: true });
      const result = spawnSync('bash', [join(root, '.ci/run')], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, FAKE_NODE_VERSION: version, PAGEVAULT_NODE_DIR: nodeDir },
      });
      return { status: result.status, out: result.stdout + result.stderr, npm: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [] };
    };

    it('installs Node 24 when the system Node is 22 but below the minimum', () => {
      const nodeDir = join(dir, 'node24-a');
      const { status, out, npm } = ci('22.17.1', nodeDir);
      expect(status).toBe(0);
      expect(out).toContain(`System Node 22.17.1 is older than ${MINIMUM}: installing Node 24`);
      expect(npm[0]).toMatch(/^install .*--prefix .*node24-a node@24$/);
      expect(npm.slice(1)).toEqual(['--version', 'ci --no-audit --no-fund', 'test']);
    });

    it('keeps a system Node at the minimum', () => {
      const { status, out, npm } = ci(MINIMUM, join(dir, 'node24-b'));
      expect(status).toBe(0);
      expect(out).not.toContain('installing Node 24');
      expect(npm).toEqual(['--version', 'ci --no-audit --no-fund', 'test']);
    });
  });
});
