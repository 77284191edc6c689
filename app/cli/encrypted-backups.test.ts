// `pagevault backup --encrypt-to / --encrypt-passphrase-file`, `restore` and `verify`
// with `--identity / --passphrase-file`, against the real age CLI: keys only in files.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { ageMissing, caseFolders } from '../../test-support/unit.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const { fresh } = caseFolders('pv-cli-age-');
const pagevault = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
if (ageMissing) console.log(`skipping the CLI's encrypted-backup tests: ${ageMissing}`);

function withKey() {
  const dir = fresh();
  makeDatabase(join(dir, 'app.db'), { bytes: 300 << 10 });
  execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
  const recipient = execFileSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
  return { dir, recipient };
}

describe.skipIf(!!ageMissing)('pagevault with encrypted backups', () => {
  it('backup --encrypt-to writes a .db.age that age -d -i opens into a database passing integrity_check; verify and restore take --identity', () => {
    const { dir, recipient } = withKey();
    const run = pagevault('backup', join(dir, 'app.db'), join(dir, 'out') + '/', '--encrypt-to', recipient, '--json');
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!).value as { path: string };
    expect(result.path).toMatch(/app-\d{8}-\d{6}\.db\.age$/);
    execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), '-o', join(dir, 'plain.db'), result.path]);
    expect(readState(join(dir, 'plain.db')).integrity).toBe('ok');

    const verified = pagevault('verify', result.path, '--identity', join(dir, 'key.txt'), '--full');
    expect(verified.status, verified.stderr).toBe(0);
    const noKey = pagevault('verify', result.path);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toContain(result.path);
    expect(noKey.stderr).toMatch(/--identity FILE or --passphrase-file FILE\) \[KEY_NEEDED\]/);

    const restored = pagevault('restore', result.path, join(dir, 'new.db'), '--identity', join(dir, 'key.txt'));
    expect(restored.status, restored.stderr).toBe(0);
    expect(readState(join(dir, 'new.db'))).toMatchObject({ integrity: 'ok', a: 100 });
  });

  it('inspect takes --identity or --passphrase-file for a .db.age and lists the tables inside; without one it says which to give', () => {
    const { dir, recipient } = withKey();
    const run = pagevault('backup', join(dir, 'app.db'), join(dir, 'out') + '/', '--encrypt-to', recipient, '--json');
    expect(run.status, run.stderr).toBe(0);
    const { path } = JSON.parse(run.stdout.trim().split('\n').pop()!).value as { path: string };
    const inspected = pagevault('inspect', path, '--identity', join(dir, 'key.txt'));
    expect(inspected.stderr).toBe('');
    expect(inspected.status).toBe(0);
    expect(inspected.stdout).toMatch(/pairs_a +100/);
    const noKey = pagevault('inspect', path);
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toMatch(/--identity FILE or --passphrase-file FILE\) \[KEY_NEEDED\]/);

    writeFileSync(join(dir, 'pass.txt'), 'a passphrase for the backup\n', { mode: 0o600 });
    const byPassphrase = pagevault('backup', join(dir, 'app.db'), join(dir, 'out2') + '/', '--encrypt-passphrase-file', join(dir, 'pass.txt'), '--json');
    const passPath = (JSON.parse(byPassphrase.stdout.trim().split('\n').pop()!).value as { path: string }).path;
    const withPassphrase = pagevault('inspect', passPath, '--passphrase-file', join(dir, 'pass.txt'));
    expect(withPassphrase.status, withPassphrase.stderr).toBe(0);
    expect(withPassphrase.stdout).toMatch(/pairs_a +100/);
  });

  it('backup --encrypt-passphrase-file, then verify --passphrase-file; a wrong passphrase and a passphrase file given as --identity are refused naming the file', () => {
    const dir = fresh();
    makeDatabase(join(dir, 'app.db'), { bytes: 100 << 10, journalMode: 'delete' });
    writeFileSync(join(dir, 'pass.txt'), 'a passphrase for the backup\n', { mode: 0o600 });
    const run = pagevault('backup', join(dir, 'app.db'), join(dir, 'out') + '/', '--encrypt-passphrase-file', join(dir, 'pass.txt'), '--json');
    expect(run.status, run.stderr).toBe(0);
    const { path } = JSON.parse(run.stdout.trim().split('\n').pop()!).value as { path: string };
    expect(readFileSync(path, 'latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt /);
    expect(pagevault('verify', path, '--passphrase-file', join(dir, 'pass.txt')).status).toBe(0);

    writeFileSync(join(dir, 'wrong.txt'), 'another passphrase\n', { mode: 0o600 });
    const wrong = pagevault('verify', path, '--passphrase-file', join(dir, 'wrong.txt'));
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`Cannot verify ${path}: the passphrase does not open it .*\\[WRONG_KEY\\]`));
    const asIdentity = pagevault('restore', path, join(dir, 'new.db'), '--identity', join(dir, 'pass.txt'));
    expect(asIdentity.status).toBe(1);
    expect(asIdentity.stderr).toContain(`The identity file ${join(dir, 'pass.txt')} is not an age identity file`);
    expect(readdirSync(dir)).not.toContain('new.db');
  });

  it('a key file others can read, a secret key given to --encrypt-to and a missing identity file are refused before anything is written', () => {
    const { dir } = withKey();
    writeFileSync(join(dir, 'open.txt'), 'pass\n');
    chmodSync(join(dir, 'open.txt'), 0o644);
    const open = pagevault('backup', join(dir, 'app.db'), join(dir, 'out') + '/', '--encrypt-passphrase-file', join(dir, 'open.txt'));
    expect(open.status).not.toBe(0);
    expect(open.stderr).toContain(`other users can read it (mode 0644); run chmod 600 ${join(dir, 'open.txt')}`);
    const secret = readFileSync(join(dir, 'key.txt'), 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    const leaked = pagevault('backup', join(dir, 'app.db'), join(dir, 'out') + '/', '--encrypt-to', secret);
    expect(leaked.status).not.toBe(0);
    expect(leaked.stderr).toMatch(/is an age identity \(a secret key\), not a recipient/);
    expect(leaked.stderr).not.toContain(secret);
    const missing = pagevault('verify', join(dir, 'app.db'), '--identity', join(dir, 'nope.txt'));
    expect(missing.stderr).toContain(`Cannot read the identity file ${join(dir, 'nope.txt')}: the file does not exist`);
    expect(readdirSync(dir).sort()).toEqual(['app.db', 'key.txt', 'open.txt']);
  });
});
