// The pagevault command with an encrypted database: the key comes from a file, never the
// command line, and every refusal names the file and changes nothing.
import { afterAll, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase } from '../../test-support/databases.ts';
import { makeEncryptedDatabase, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';

const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pv-cli-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, `case-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
const pagevault = (...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status, stdout, stderr };
};
const passphrase = 'a passphrase only the user knows';

function keyFile(dir: string, content: string, mode = 0o600): string {
  const path = join(dir, 'db.key');
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

// Each keyed open derives the key (SQLCipher 4: PBKDF2, 256,000 rounds), seconds on a loaded machine.
it('backup, verify, inspect and restore take --key-file; the backup is encrypted with the same key', { timeout: 600_000 }, () => {
  const dir = fresh();
  const source = join(dir, 'signal.db');
  makeEncryptedDatabase(source, passphrase);
  const key = keyFile(dir, `${passphrase}\n`);

  const inspected = pagevault('inspect', source, '--key-file', key);
  expect(inspected.stderr).toBe('');
  expect(inspected.stdout).toContain('  encryption    SQLCipher 4 (key accepted)');
  expect(inspected.stdout).toMatch(/pairs_a +100/);

  const backedUp = pagevault('backup', source, join(dir, 'out.db'), '--key-file', key);
  expect(backedUp.status).toBe(0);
  expect(backedUp.stdout).toContain("encrypted with the source's key (SQLCipher 4)");
  expect(readFileSync(join(dir, 'out.db')).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');

  const verified = pagevault('verify', join(dir, 'out.db'), '--key-file', key, '--full');
  expect(verified.status).toBe(0);
  expect(verified.stdout).toContain('OK (integrity_check passed');
  const keyless = pagevault('verify', join(dir, 'out.db'));
  expect(keyless.status).toBe(0);
  expect(keyless.stdout).toContain('not checked: quick_check did not run: the backup is encrypted and no key was given');

  const restored = pagevault('restore', join(dir, 'out.db'), join(dir, 'restored.db'), '--key-file', key);
  expect(restored.stderr).toBe('');
  expect(restored.status).toBe(0);
  expect(pairsOf(join(dir, 'restored.db'), passphrase)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });
  expect(pagevault('restore', join(dir, 'out.db'), join(dir, 'other.db')).stderr).toContain('the backup is encrypted and no key was given');
  expect(existsSync(join(dir, 'other.db'))).toBe(false);
});

it('a wrong key, a wrong cipher, a missing key, a key file others can read: each a clear message naming the file, and nothing written', () => {
  const dir = fresh();
  const source = join(dir, 'secret.db');
  makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
  const out = join(dir, 'backups');
  mkdirSync(out);

  const wrong = pagevault('backup', source, out, '--key-file', keyFile(dir, 'hunter2\n'));
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toBe(`pagevault: Cannot back up ${source}: the key does not open it as SQLCipher 4; check the key and the cipher (or use Detect) [WRONG_KEY]\n`);

  const cipher = pagevault('inspect', source, '--key-file', keyFile(dir, passphrase), '--cipher', 'aes256cbc');
  expect(cipher.stderr).toContain(`Cannot inspect ${source}: the key does not open it as wxSQLite3 AES-256`);
  expect(cipher.stderr).not.toContain(passphrase);

  const missing = pagevault('backup', source, out);
  expect(missing.stderr).toContain(`Cannot back up ${source}`);
  expect(missing.stderr).toContain('(pass its key with --key-file, or --raw to copy its encrypted pages as they are, which Pagevault cannot check inside) [ENCRYPTED]');

  const readable = pagevault('backup', source, out, '--key-file', keyFile(dir, passphrase, 0o644));
  expect(readable.status).toBe(2);
  expect(readable.stderr).toContain(`Cannot use the key in ${join(dir, 'db.key')}: other users can read it (mode 0644); run chmod 600`);

  expect(pagevault('inspect', source, '--key-file', keyFile(dir, passphrase), '--cipher', 'rot13').stderr).toContain("Expected --cipher to be one of sqlcipher-4, sqlcipher-3");
  expect(pagevault('inspect', source, '--cipher', 'aes256cbc').stderr).toContain('--cipher goes with --key-file');
  expect(readdirSync(out)).toEqual([]);
});

it('backup --raw copies an encrypted database without its key and says what it could not check; verify compares its SHA-256; restore --raw writes it into a new file as it is', () => {
  const dir = fresh();
  const source = join(dir, 'signal.db');
  makeEncryptedDatabase(source, passphrase);
  const copy = join(dir, 'copy.db');
  const backedUp = pagevault('backup', source, copy, '--raw');
  expect(backedUp.stderr).toBe('');
  expect(backedUp.status).toBe(0);
  expect(backedUp.stdout).toContain('encrypted as the source is, copied without its key (raw): Pagevault cannot check inside it');
  expect(backedUp.stdout).toContain('verification: skipped, sha256 ');
  expect(backedUp.stdout).toContain(`warning: ${source} was copied without its key: its encrypted pages were copied as they are, so integrity_check could not run on the copy and only its SHA-256 is recorded`);
  expect(pairsOf(copy, passphrase)).toMatchObject({ a: 100, torn: 0, integrity: 'ok' });

  const verified = pagevault('verify', copy);
  expect(verified.status).toBe(0);
  expect(verified.stdout).toContain('not checked: quick_check did not run: the backup is encrypted and no key was given');

  const restored = pagevault('restore', copy, join(dir, 'restored.db'), '--raw');
  expect(restored.stderr).toBe('');
  expect(restored.stdout).toContain('written as it is; quick_check did not run');
  expect(readFileSync(join(dir, 'restored.db'))).toEqual(readFileSync(copy));

  expect(pagevault('backup', source, join(dir, 'x.db'), '--raw', '--key-file', keyFile(dir, passphrase)).stderr).toContain('Give --key-file or --raw, not both');
  expect(pagevault('verify', copy, '--raw').stderr).toContain('--raw goes with backup and restore');
  expect(existsSync(join(dir, 'x.db'))).toBe(false);
});

it('restore --key-file loads an encrypted backup into the existing encrypted database, with an encrypted safety copy; inspect reads a .age backup with --passphrase-file', { timeout: 600_000 }, () => {
  const dir = fresh();
  const source = join(dir, 'signal.db');
  makeEncryptedDatabase(source, passphrase);
  const key = keyFile(dir, `${passphrase}\n`);
  const secret = join(dir, 'age.pass');
  writeFileSync(secret, 'an age passphrase\n', { mode: 0o600 });
  chmodSync(secret, 0o600);
  expect(pagevault('backup', source, join(dir, 'backups') + '/', '--key-file', key, '--encrypt-passphrase-file', secret).status).toBe(0);
  const [backupFile] = readdirSync(join(dir, 'backups')).filter((name) => name.endsWith('.db.age'));

  const inspected = pagevault('inspect', join(dir, 'backups', backupFile!), '--key-file', key, '--passphrase-file', secret);
  expect(inspected.stderr).toBe('');
  expect(inspected.stdout).toContain('  encryption    SQLCipher 4 (key accepted)');
  expect(inspected.stdout).toMatch(/pairs_a +100/);

  const restored = pagevault('restore', join(dir, 'backups', backupFile!), source, '--key-file', key, '--passphrase-file', secret);
  expect(restored.stderr).toBe('');
  expect(restored.status).toBe(0);
  expect(restored.stdout).toContain(`Restored ${join(dir, 'backups', backupFile!)} into ${source}`);
  expect(pairsOf(source, passphrase)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });
  // Beside an age-encrypted backup, the safety copy is encrypted with age too, around the database's own encryption.
  const safety = readdirSync(join(dir, 'backups')).find((name) => name.includes('before-restore') && !name.endsWith('.json'));
  expect(safety).toMatch(/-before-restore\.db\.age$/);
});

it('backup --vault refuses --key-file: a vault keeps plain databases, so the key would not be honoured, and nothing is written', () => {
  const dir = fresh();
  const source = join(dir, 'plain.sqlite');
  makeDatabase(source, { journalMode: 'wal', bytes: 50_000 });
  const vault = join(dir, 'v.vault');
  const withKey = pagevault('backup', source, '--vault', vault, '--key-file', keyFile(dir, passphrase));
  expect(withKey.status).toBe(2);
  expect(withKey.stderr).toContain('--key-file goes with a backup to a file or folder, not with --vault');
  expect(existsSync(vault)).toBe(false);
});

it('a key file with a NUL character in it is refused naming the file, before any SQLite sees the key', () => {
  const dir = fresh();
  const source = join(dir, 'signal.db');
  makeEncryptedDatabase(source, passphrase);
  const key = keyFile(dir, `${passphrase}\0tail never shown`);
  const inspected = pagevault('inspect', source, '--key-file', key);
  expect(inspected.status).toBe(2);
  expect(inspected.stderr).toContain(`Cannot use the key in ${key}: it holds a NUL character`);
  expect(inspected.stderr).not.toContain('never shown');
  expect(readdirSync(dir).sort()).toEqual(['db.key', 'signal.db']);
});

it('backup --key-file of an encrypted database its app holds exclusively in rollback-journal mode: copied without a lock while the app commits, encrypted with the same key, whole pairs', { timeout: 600_000 }, async () => {
  const dir = fresh();
  const source = join(dir, 'held.db');
  makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
  const key = keyFile(dir, `${passphrase}\n`);
  // A rollback-journal copy is proven between two commits, in the 30 tries the CLI allows:
  // the writer leaves 20 ms between them, so a loaded machine still meets a gap.
  const writer = await startEncryptedWriter(source, passphrase, 20, 'exclusive');
  let run: { status: number; stdout: string; stderr: string };
  let commits: number;
  try {
    // Not spawnSync: this process's event loop must go on, with the writer it started.
    run = await new Promise((done) => {
      execFile(process.execPath, [cli, 'backup', source, join(dir, 'out.db'), '--key-file', key], { encoding: 'utf8' }, (error, stdout, stderr) =>
        done({ status: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  } finally {
    commits = (JSON.parse(await writer.stop()) as { commits: number }).commits;
  }
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('Copied while another program held it (rollback journal');
  expect(run.stdout).toContain("encrypted with the source's key (SQLCipher 4)");
  expect(readFileSync(join(dir, 'out.db')).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
  const copy = pairsOf(join(dir, 'out.db'), passphrase);
  expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
  expect(copy.a).toBe(copy.b);
  expect(copy.a).toBeLessThanOrEqual(100 + commits);
});
