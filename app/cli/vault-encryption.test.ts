// `pagevault backup --vault` with --encrypt-to / --encrypt-passphrase-file, and the vault
// commands with --identity / --passphrase-file, against the real age and sqlite3 CLIs.
import { describe, expect, it, vi } from 'vitest';
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase } from '../../test-support/databases.ts';
import { ageMissing, caseFolders } from '../../test-support/unit.ts';

vi.setConfig({ testTimeout: 300_000 });
const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const { fresh } = caseFolders('pv-cli-vault-age-');
const pagevault = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const sqlite3Missing = spawnSync('sqlite3', ['--version']).status !== 0 ? 'the sqlite3 CLI is not installed (Debian package sqlite3)' : '';
const missing = ageMissing || sqlite3Missing;
if (missing) console.log(`skipping the CLI's encrypted-vault tests: ${missing}`);

describe.skipIf(!!missing)('pagevault with an encrypted vault', () => {
  it('backup --vault --encrypt-to makes an encrypted vault whose data key sqlite3 and age -d give back; the vault commands take --identity, and refuse a missing or wrong one, writing nothing', () => {
    const dir = fresh();
    const source = join(dir, 'app.db');
    makeDatabase(source, { bytes: 300 << 10 });
    execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'key.txt')], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'pass.txt'), 'a passphrase\n');
    chmodSync(join(dir, 'pass.txt'), 0o600);
    const vault = join(dir, 'vault');

    const first = pagevault('backup', source, '--vault', vault, '--encrypt-to', recipient, '--json');
    expect(first.status, first.stderr).toBe(0);
    const dataKey = execSync(`sqlite3 ${join(vault, 'vault.sqlite')} "SELECT value FROM meta WHERE key = 'dataKey'" | age -d -i ${join(dir, 'key.txt')}`);
    expect(dataKey.length).toBe(32);

    const before = readFileSync(join(vault, 'vault.sqlite'));
    const keyless = pagevault('backup', source, '--vault', vault);
    expect(keyless.status).toBe(1);
    expect(keyless.stderr).toContain(`the vault is encrypted to ${recipient}`);
    expect(keyless.stderr).toContain('(pass --identity FILE or --passphrase-file FILE) [KEY_NEEDED]');
    const passphraseAsIdentity = pagevault('vault', 'restore', vault, 'latest', join(dir, 'back.db'), '--identity', join(dir, 'pass.txt'));
    expect(passphraseAsIdentity.status).toBe(1);
    expect(passphraseAsIdentity.stderr).toMatch(/is not an age identity file .*\[WRONG_KEY\]/);
    const wrongKind = pagevault('backup', source, '--vault', vault, '--passphrase-file', join(dir, 'pass.txt'));
    expect(wrongKind.stderr).toContain('[WRONG_KEY]');
    const plainVault = pagevault('backup', source, '--vault', join(dir, 'plain'));
    expect(plainVault.status).toBe(0);
    const intoPlain = pagevault('backup', source, '--vault', join(dir, 'plain'), '--encrypt-to', recipient);
    expect(intoPlain.stderr).toContain('this vault was made without encryption; choose a new backup folder or turn encryption off [NOT_SUPPORTED]');
    expect(readFileSync(join(vault, 'vault.sqlite')).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((name) => name.startsWith('back.db'))).toEqual([]);

    const second = pagevault('backup', source, '--vault', vault, '--identity', join(dir, 'key.txt'));
    expect(second.status, second.stderr).toBe(0);
    const listed = pagevault('vault', 'list', vault);
    expect(listed.stdout).toContain(`2 versions in ${vault}`);
    expect(listed.stdout).toContain(`encrypted to ${recipient}`);
    const unchecked = pagevault('vault', 'verify', vault);
    expect(unchecked.status).toBe(0);
    expect(unchecked.stdout).toContain("not checked:\n  the vault is encrypted to");
    const checked = pagevault('vault', 'verify', vault, '--identity', join(dir, 'key.txt'));
    expect(checked.stdout).toContain('match their keyed hashes (the vault is encrypted)');
    const restored = pagevault('vault', 'restore', vault, '1', join(dir, 'back.db'), '--identity', join(dir, 'key.txt'));
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('each checked against its keyed hash');
    expect(spawnSync('sqlite3', [join(dir, 'back.db'), 'PRAGMA integrity_check'], { encoding: 'utf8' }).stdout.trim()).toBe('ok');

    const pruneWithKey = pagevault('vault', 'prune', vault, '--keep-last', '1', '--identity', join(dir, 'key.txt'));
    expect(pruneWithKey.status).toBe(2);
    expect(pruneWithKey.stderr).toContain('vault prune needs no key');
    expect(pagevault('vault', 'prune', vault, '--keep-last', '1').status).toBe(0);
    expect(pagevault('vault', 'verify', vault, '--identity', join(dir, 'key.txt')).status).toBe(0);
  });

  it('backup --vault --encrypt-passphrase-file makes a passphrase vault; the same file adds versions and restores them', () => {
    const dir = fresh();
    const source = join(dir, 'app.db');
    makeDatabase(source, { bytes: 200 << 10 });
    writeFileSync(join(dir, 'pass.txt'), 'a passphrase\n');
    chmodSync(join(dir, 'pass.txt'), 0o600);
    const vault = join(dir, 'vault');
    expect(pagevault('backup', source, '--vault', vault, '--encrypt-passphrase-file', join(dir, 'pass.txt')).status).toBe(0);
    const again = pagevault('backup', source, '--vault', vault, '--passphrase-file', join(dir, 'pass.txt'));
    expect(again.status, again.stderr).toBe(0);
    const dataKey = execSync(`sqlite3 ${join(vault, 'vault.sqlite')} "SELECT value FROM meta WHERE key = 'dataKey'" > ${join(dir, 'key.age')}`);
    expect(dataKey.length).toBe(0);
    expect(readFileSync(join(dir, 'key.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    const restored = pagevault('vault', 'restore', vault, 'latest', join(dir, 'back.db'), '--passphrase-file', join(dir, 'pass.txt'));
    expect(restored.status, restored.stderr).toBe(0);
  });
});
