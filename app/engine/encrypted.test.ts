/**
 * Encrypted source databases: real SQLCipher 4 files written by real processes with
 * SQLite3MultipleCiphers, backed up online into copies encrypted with the same key.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SourceKey } from '../api/types.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { commitEncrypted, makeEncryptedDatabase, openWithKey, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';
import { backupDatabase } from './backup.ts';
import { detectCipher, parseKey } from './connection.ts';
import { createCancelFlag, OperationContext } from './context.ts';
import { backup, inspect, restore, verify } from './index.ts';
import { readManifest } from './manifest.ts';
import { generateAgeIdentity } from '../age/keys.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const root = mkdtempSync(join(tmpdir(), 'pv-encrypted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  n += 1;
  const dir = join(root, `case-${n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const passphrase = "correct horse 'battery' staple";
const key: SourceKey = { key: passphrase, kind: 'passphrase', cipher: 'sqlcipher-4' };
const failureOf = (promise: Promise<unknown>) => promise.then(() => ({ code: 'none', message: 'no error' }), (error: { code: string; message: string }) => ({ code: error.code, message: error.message }));
const firstBytes = (path: string) => readFileSync(path).subarray(0, 16).toString('latin1');

/** The backup can be read by no SQLite without the key: its first bytes are no SQLite header. */
function expectEncrypted(path: string): void {
  expect(firstBytes(path)).not.toBe('SQLite format 3\0');
  const plain = new Database(path, { readonly: true });
  try {
    expect(() => plain.prepare('SELECT count(*) FROM sqlite_schema').get()).toThrow(/not a database/);
  } finally {
    plain.close();
  }
}

describe('inspect', () => {
  it('tells "encrypted (SQLCipher 4, key accepted)" from "encrypted, key needed" from "not SQLite", and counts rows with the key', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const accepted = await inspect(source, { keys: { source: key } });
    expect(accepted.encryption).toEqual({ state: 'key-accepted', cipher: 'sqlcipher-4', cipherLabel: 'SQLCipher 4' });
    expect(accepted.tables).toEqual([
      { name: 'blobs', rows: 66 },
      { name: 'pairs_a', rows: 100 },
      { name: 'pairs_b', rows: 100 },
    ]);
    expect(accepted.journalMode).toBe('wal');

    const needed = await failureOf(inspect(source));
    expect(needed).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining(`Cannot inspect ${source}: `) });
    expect(needed.message).toContain('encrypted database');

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are notes, not a database\n'.repeat(200));
    expect(await failureOf(inspect(text, { keys: { source: key } }))).toMatchObject({ code: 'NOT_A_DATABASE' });

    const plain = join(dir, 'plain.db');
    makeDatabase(plain);
    expect((await inspect(plain, { keys: { source: key } })).encryption).toEqual({ state: 'plain' });
  });

  it('a wrong key and a wrong cipher are each WRONG_KEY, naming the file and never the key, and leave nothing beside it', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const before = readdirSync(dir);
    const wrongKey = await failureOf(inspect(source, { keys: { source: { ...key, key: 'hunter2' } } }));
    expect(wrongKey).toMatchObject({ code: 'WRONG_KEY', message: `Cannot inspect ${source}: the key does not open it as SQLCipher 4; check the key and the cipher (or use Detect)` });
    const wrongCipher = await failureOf(inspect(source, { keys: { source: { ...key, cipher: 'aes256cbc' } } }));
    expect(wrongCipher).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining('as wxSQLite3 AES-256') });
    expect(wrongCipher.message).not.toContain(passphrase);
    expect(readdirSync(dir)).toEqual(before);
  });

  it('a key SQLite cannot take (a NUL character in it) is refused naming the file, and no part of it is in the message', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const before = readdirSync(dir);
    const failure = await failureOf(inspect(source, { keys: { source: { ...key, key: 'never-printed\0rest' } } }));
    expect(failure).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining(`Cannot inspect ${source}: `) });
    expect(failure.message).toContain('NUL');
    expect(failure.message).not.toContain('never-printed');
    expect(() => parseKey('never-printed\0rest\n')).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.not.stringContaining('never-printed') }));
    expect(readdirSync(dir)).toEqual(before);
  });

  it('Detect finds the cipher of a wxSQLite3 AES-256 database, and none for a wrong key', () => {
    const dir = fresh();
    const source = join(dir, 'aes.db');
    makeEncryptedDatabase(source, passphrase, { cipher: 'aes256cbc', journalMode: 'delete' });
    expect(detectCipher(source, { key: passphrase, kind: 'passphrase' })).toBe('aes256cbc');
    expect(detectCipher(source, { key: 'hunter2', kind: 'passphrase' })).toBeUndefined();
  });

  it('reads a raw key x\'…\' as one, and drops the newline a key file ends with', () => {
    expect(parseKey(`x'${'ab'.repeat(32)}'\n`)).toEqual({ key: `x'${'ab'.repeat(32)}'`, kind: 'raw', cipher: 'sqlcipher-4' });
    expect(parseKey('pass word\n', 'chacha20')).toEqual({ key: 'pass word', kind: 'passphrase', cipher: 'chacha20' });
  });
});

describe('backup of an encrypted database', () => {
  it('snapshot mode: another process commits while the copy runs; the copy holds exactly the snapshot, encrypted with the same key, standalone', async () => {
    const dir = fresh();
    const source = join(dir, 'signal.db');
    makeEncryptedDatabase(source, passphrase, { bytes: 8_000_000 });
    const before = pairsOf(source, passphrase);
    let during: { commits: number; busy: number } | undefined;
    // The copy runs on this thread: while the progress callback runs, the copy is midway.
    const ctx = new OperationContext(createCancelFlag(), (progress) => {
      if (progress.phase !== 'copy' || during) return;
      during = commitEncrypted(source, passphrase, 20);
    });
    const result = await backupDatabase(source, join(dir, 'out.db'), ctx, { mode: 'snapshot', key });
    expect(during).toEqual({ commits: 20, busy: 0 });
    expect(pairsOf(result.path, passphrase)).toEqual({ a: before.a, b: before.b, torn: 0, integrity: 'ok', journalMode: 'delete' });
    expect(pairsOf(source, passphrase)).toMatchObject({ a: before.a + 20, b: before.b + 20 });
    expectEncrypted(result.path);
    expect(existsSync(`${result.path}-wal`)).toBe(false);
    expect(result.manifest).toMatchObject({ sourceEncryption: { cipher: 'sqlcipher-4', cipherLabel: 'SQLCipher 4' }, verification: { verdict: 'passed' }, sourceJournalMode: 'wal' });
    // Page 1 is rewritten with the key after the copy: the hash published is of the final bytes.
    expect(result.manifest.sha256).toBe(createHash('sha256').update(readFileSync(result.path)).digest('hex'));
  });

  it.each(['snapshot', 'stepped', 'compact'] as const)('%s mode while a writer process commits flat out: one consistent copy, encrypted, verified with the key', async (mode) => {
    const dir = fresh();
    const source = join(dir, `live-${mode}.db`);
    makeEncryptedDatabase(source, passphrase, { bytes: 4_000_000, journalMode: mode === 'stepped' ? 'delete' : 'wal' });
    const writer = await startEncryptedWriter(source, passphrase, mode === 'stepped' ? 2 : 0);
    let result: Awaited<ReturnType<typeof backup>>;
    let committed: number;
    try {
      committed = pairsOf(source, passphrase).a;
      result = await backup(source, join(dir, 'backups') + '/', { mode, key, pagesPerStep: 64 });
    } finally {
      await writer.stop();
    }
    const copy = pairsOf(result.path, passphrase);
    expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
    expect(copy.a).toBe(copy.b);
    expect(copy.a).toBeGreaterThanOrEqual(committed);
    expectEncrypted(result.path);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual([expect.stringMatching(/\.db$/), expect.stringMatching(/\.db\.manifest\.json$/)]);
    expect((await verify(result.path, { keys: { source: key }, full: true })).ok).toBe(true);
    expect(result.manifest.sha256).toBe(createHash('sha256').update(readFileSync(result.path)).digest('hex'));
  });

  it('a wrong key or a wrong cipher: WRONG_KEY naming the file, and nothing is written', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const folder = join(dir, 'backups');
    mkdirSync(folder);
    const wrong = await failureOf(backup(source, folder, { key: { ...key, key: 'hunter2' } }));
    expect(wrong).toMatchObject({ code: 'WRONG_KEY', message: `Cannot back up ${source}: the key does not open it as SQLCipher 4; check the key and the cipher (or use Detect)` });
    expect(await failureOf(backup(source, folder, { key: { ...key, cipher: 'chacha20' } }))).toMatchObject({ code: 'WRONG_KEY' });
    expect(await failureOf(backup(source, folder))).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining(`Cannot back up ${source}`) });
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('verify of an encrypted backup', () => {
  it('with the key runs integrity_check; without it compares the SHA-256 only and says what it could not check; a changed byte fails either way', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const { path } = await backup(source, join(dir, 'out.db'), { key });
    const withKey = await verify(path, { keys: { source: key }, full: true });
    expect(withKey).toMatchObject({ ok: true, check: 'integrity_check', manifestChecked: true, problems: [] });
    expect(withKey.notChecked).toBeUndefined();
    const withoutKey = await verify(path);
    expect(withoutKey).toMatchObject({ ok: true, manifestChecked: true, problems: [], notChecked: expect.stringContaining('the backup is encrypted and no key was given; only its SHA-256 was compared with the manifest') });
    expect(await failureOf(verify(path, { keys: { source: { ...key, key: 'hunter2' } } }))).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining(`Cannot verify ${path}`) });

    const bytes = readFileSync(path);
    bytes[5000] = bytes[5000]! ^ 0xff;
    writeFileSync(path, bytes);
    expect((await verify(path)).problems).toEqual(['SHA-256 differs from the manifest: the file changed after the backup was taken']);
    const keyed = await verify(path, { keys: { source: key } });
    expect(keyed.ok).toBe(false);
  });
});

it('the test helper really writes SQLCipher 4: a fresh connection opens it with the same key', () => {
  const dir = fresh();
  const source = join(dir, 'check.db');
  makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
  const db = openWithKey(source, passphrase, 'sqlcipher-4', true);
  expect(db.prepare('SELECT count(*) FROM pairs_a').pluck().get()).toBe(100);
  db.close();
});

describe('an encrypted source backed up with age at rest', () => {
  it('keeps both in the manifest read back; verify and restore take both keys; without the source key only the hashes are checked, and the restored copy opens with the key', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const identity = generateAgeIdentity();
    const age = [{ kind: 'identity' as const, identity: identity.identity }];
    const result = await backup(source, `${join(dir, 'out')}/`, { key, encryption: { kind: 'x25519', recipient: identity.recipient }, fullVerify: true });
    expect(result.path).toMatch(/\.db\.age$/);
    // The manifest as Pagevault reads it back (History, import, restore), not only as written.
    const manifest = await readManifest(result.path);
    expect(manifest).toMatchObject({ sourceEncryption: { cipher: 'sqlcipher-4', cipherLabel: 'SQLCipher 4' }, encryption: { format: 'age', recipient: identity.recipient }, copyMethod: expect.stringMatching(/^(cloned|copied)$/) });

    expect(await verify(result.path, { keys: { source: key, age }, full: true })).toMatchObject({ ok: true, check: 'integrity_check', manifestChecked: true, problems: [] });
    const hashesOnly = await verify(result.path, { keys: { age } });
    expect(hashesOnly).toMatchObject({ ok: true, manifestChecked: true, problems: [], notChecked: expect.stringContaining('no key was given') });
    expect(await failureOf(verify(result.path, { keys: { source: key } }))).toMatchObject({ code: 'KEY_NEEDED' });

    const target = join(dir, 'restored.db');
    await restore(result.path, target, { keys: { source: key, age } });
    expectEncrypted(target);
    // A backup is a standalone rollback-journal file, whatever the source's journal mode.
    expect(pairsOf(target, passphrase)).toEqual({ ...pairsOf(source, passphrase), journalMode: 'delete' });
  });
});
