/**
 * Encrypted databases backed up without their key (raw copies), and encrypted databases
 * that their app holds exclusively: real SQLCipher 4 files, real writer processes.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceKey } from '../api/types.ts';
import { makeEncryptedDatabase, openWithKey, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';
import { backup, inspect, restore, verify } from './index.ts';
import { readManifest } from './manifest.ts';
import { OperationContext, createCancelFlag } from './context.ts';
import { steppedStrategy } from './strategies/stepped.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const root = mkdtempSync(join(tmpdir(), 'pv-encrypted-raw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, `case-${(n += 1)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const passphrase = 'raw copies are still copies';
const key: SourceKey = { key: passphrase, kind: 'passphrase', cipher: 'sqlcipher-4' };
const failureOf = (promise: Promise<unknown>) => promise.then(() => ({ code: 'none', message: 'no error' }), (error: { code: string; message: string }) => ({ code: error.code, message: error.message }));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const besideSource = (dir: string) => readdirSync(dir).filter((name) => name !== 'out').sort();
// A writer committing back to back on a loaded machine must never defer a small database.
const tries = 200;

describe('a backup without the key', () => {
  for (const journalMode of ['wal', 'delete'] as const) {
    it(`${journalMode}: while a writer process commits, the raw copy holds whole pairs when opened with the key, is standalone, and says what it could not check`, async () => {
      const dir = fresh();
      const source = join(dir, 'secret.db');
      makeEncryptedDatabase(source, passphrase, { journalMode, bytes: 1_000_000 });
      // A rollback-journal copy is proven between two commits: the writer leaves 2 ms between them.
      const writer = await startEncryptedWriter(source, passphrase, journalMode === 'wal' ? 0 : 2);
      let result;
      try {
        result = await backup(source, join(dir, 'out') + '/', { raw: true, heldCopyTries: tries });
      } finally {
        await writer.stop();
      }
      expect(readdirSync(join(dir, 'out')).sort()).toEqual([expect.stringMatching(/\.db$/), expect.stringMatching(/\.db\.manifest\.json$/)]);
      expect(readFileSync(result.path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
      const copy = pairsOf(result.path, passphrase);
      expect(copy).toMatchObject({ torn: 0, integrity: 'ok' });
      expect(copy.a).toBe(copy.b);
      expect(copy.a).toBeGreaterThanOrEqual(101);

      const manifest = (await readManifest(result.path))!;
      expect(manifest.sourceEncryption).toEqual({ cipher: 'unknown', cipherLabel: 'an unknown cipher (copied without the key)', keyed: false });
      expect(manifest.verification).toEqual({ verdict: 'skipped', check: null, problems: [] });
      expect(manifest.sha256).toBe(sha(result.path));
      expect(manifest.heldCopy).toMatchObject({ journal: journalMode === 'wal' ? 'wal' : 'rollback' });
      expect(result.warnings).toEqual([`${source} was copied without its key: its encrypted pages were copied as they are, so integrity_check could not run on the copy and only its SHA-256 is recorded`]);

      const verified = await verify(result.path);
      expect(verified).toMatchObject({ ok: true, manifestChecked: true, problems: [] });
      expect(verified.notChecked).toMatch(/did not run: the backup is encrypted and no key was given; only its SHA-256 was compared with the manifest/);
    });
  }

  it('the committed frames still in the WAL are in the copy, which has no -wal beside it', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    // An app's connection keeps its last commits in the WAL (no checkpoint since).
    const app = openWithKey(source, passphrase);
    try {
      app.pragma('wal_autocheckpoint = 0');
      const insert = app.prepare('INSERT INTO pairs_a (v) VALUES (?)');
      for (let i = 0; i < 50; i += 1) insert.run(`late ${i}`);
      app.exec('DELETE FROM blobs WHERE id > 10');
      expect(readFileSync(`${source}-wal`).length).toBeGreaterThan(32);
      const result = await backup(source, join(dir, 'copy.db'), { raw: true });
      expect(existsSync(`${result.path}-wal`)).toBe(false);
      const copy = openWithKey(result.path, passphrase, 'sqlcipher-4', true);
      try {
        expect(copy.prepare('SELECT count(*) FROM pairs_a').pluck().get()).toBe(150);
        expect(copy.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(10);
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        copy.close();
      }
    } finally {
      app.close();
    }
  });

  it('is opted into: without `raw` an encrypted source is still ENCRYPTED, and compact (which needs SQLite to read the pages) refuses it; nothing is written', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const folder = join(dir, 'out');
    mkdirSync(folder);
    expect(await failureOf(backup(source, folder))).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining(`Cannot back up ${source}: `) });
    expect(await failureOf(backup(source, folder, { raw: true, mode: 'compact' }))).toMatchObject({
      code: 'ENCRYPTED',
      message: expect.stringContaining('a compact backup rewrites the database through SQLite, which needs its key'),
    });
    expect(readdirSync(folder)).toEqual([]);
  });

  it('restores without the key as the file it is, into a new file only', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const { path } = await backup(source, join(dir, 'copy.db'), { raw: true });
    const target = join(dir, 'restored.db');
    const restored = await restore(path, target, { raw: true });
    expect(sha(target)).toBe(sha(path));
    expect(restored.verification.notChecked).toMatch(/no key was given/);
    expect(pairsOf(target, passphrase)).toMatchObject({ a: 100, torn: 0, integrity: 'ok' });
    expect(await failureOf(restore(path, join(dir, 'other.db')))).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining('no key was given') });
    expect(existsSync(join(dir, 'other.db'))).toBe(false);
  });

  it('restored without the key, a copy that a program has opened with its key and written to (a -wal beside it) is refused: what would be written is not what its SHA-256 proved', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const { path } = await backup(source, join(dir, 'copy.db'), { raw: true });
    const hash = sha(path);
    // An app opens the copy with the key and commits; its commit stays in the copy's -wal.
    const app = openWithKey(path, passphrase);
    try {
      app.pragma('wal_autocheckpoint = 0');
      app.prepare('INSERT INTO pairs_a (v) VALUES (?)').run('not in the backup');
      expect(sha(path)).toBe(hash);
      const target = join(dir, 'restored.db');
      const failure = await failureOf(restore(path, target, { raw: true }));
      expect(failure).toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringContaining(`${path}-wal`) });
      expect(existsSync(target)).toBe(false);
    } finally {
      app.close();
    }
  });

  it('with verification after backup off, the copy is still hashed; a manifest without a SHA-256 passes nothing without the key', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const { path } = await backup(source, join(dir, 'copy.db'), { raw: true, verify: false });
    expect((await readManifest(path))!.sha256).toBe(sha(path));

    const manifestPath = `${path}.manifest.json`;
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), sha256: null }));
    const verified = await verify(path);
    expect(verified.ok).toBe(false);
    expect(verified.problems).toEqual([expect.stringContaining('its manifest records no SHA-256: nothing could be checked')]);
    expect(await failureOf(restore(path, join(dir, 'restored.db'), { raw: true }))).toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringContaining('no SHA-256') });
    expect(existsSync(join(dir, 'restored.db'))).toBe(false);
  });

  it('a WAL copy verified, and restored into an existing database, with its key leaves nothing beside it (its header still says WAL)', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    makeEncryptedDatabase(source, passphrase);
    const folder = join(dir, 'out');
    const { path } = await backup(source, `${folder}/`, { raw: true });
    const before = readdirSync(folder).sort();
    const hash = sha(path);

    const verified = await verify(path, { keys: { source: key } });
    expect(verified).toMatchObject({ ok: true, check: 'quick_check', manifestChecked: true, problems: [] });
    expect(verified.notChecked).toBeUndefined();
    expect(readdirSync(folder).sort()).toEqual(before);

    const target = join(dir, 'target.db');
    makeEncryptedDatabase(target, passphrase, { journalMode: 'delete' });
    const restored = await restore(path, target, { keys: { source: key }, safetyCopyDir: join(dir, 'safety') });
    expect(restored.verification.ok).toBe(true);
    expect(pairsOf(target, passphrase)).toMatchObject({ a: 100, torn: 0, integrity: 'ok' });
    expect(readdirSync(folder).sort()).toEqual(before);
    expect(sha(path)).toBe(hash);
  });
});

describe('an encrypted database its app holds exclusively', () => {
  it('with the key: copied without a lock while the writer commits, encrypted with the same key, passes integrity_check; nothing is made beside the source', async () => {
    const dir = fresh();
    const source = join(dir, 'held.db');
    makeEncryptedDatabase(source, passphrase, { bytes: 1_000_000 });
    const writer = await startEncryptedWriter(source, passphrase, 0, 'exclusive');
    const filesBefore = besideSource(dir);
    expect(filesBefore).toEqual(['held.db', 'held.db-wal']);
    try {
      for (let i = 0; i < 2; i += 1) {
        const result = await backup(source, join(dir, 'out') + '/', { key, heldCopyTries: tries, now: new Date(2026, 0, 1, 0, 0, i) });
        expect(result.manifest.heldCopy).toMatchObject({ journal: 'wal' });
        expect(result.manifest.sourceEncryption).toMatchObject({ cipher: 'sqlcipher-4', keyed: true });
        expect(result.manifest.verification.verdict).toBe('passed');
        const copy = pairsOf(result.path, passphrase);
        expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
        expect(copy.a).toBe(copy.b);
        expect(readFileSync(result.path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
        expect(existsSync(`${result.path}-wal`) || existsSync(`${result.path}-shm`)).toBe(false);
      }
      // Its key cannot be checked while it is held: inspect (and so the add flow) says so rather than accept it unchecked.
      expect(await failureOf(inspect(source, { keys: { source: { ...key, key: 'any key at all' } } }))).toMatchObject({
        code: 'SOURCE_BUSY',
        message: expect.stringContaining(`Cannot inspect ${source}: another program holds this encrypted database exclusively (it has a -wal and no -shm), so its key cannot be checked now`),
      });
      // Without the key too, as a raw copy.
      const raw = await backup(source, join(dir, 'out', 'raw.db'), { raw: true, heldCopyTries: tries });
      expect(pairsOf(raw.path, passphrase)).toMatchObject({ torn: 0, integrity: 'ok' });
      expect(besideSource(dir)).toEqual(filesBefore);
    } finally {
      await writer.stop();
    }
    expect(readdirSync(join(dir, 'out')).filter((name) => name.includes('pagevault-'))).toEqual([]);
  });

  it('in rollback-journal mode, with the key: copied without a lock while the writer commits pairs, encrypted with the same key, whole pairs, none the writer had not committed', async () => {
    const dir = fresh();
    const source = join(dir, 'held.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete', bytes: 1_000_000 });
    // A rollback-journal copy is proven between two commits: the writer leaves 2 ms between them.
    const writer = await startEncryptedWriter(source, passphrase, 2, 'exclusive');
    // Its -journal comes and goes with each commit; nothing else may appear beside it.
    const onlyItsOwn = () => expect(besideSource(dir).filter((name) => name !== 'held.db-journal')).toEqual(['held.db']);
    onlyItsOwn();
    let result;
    let commits: number;
    try {
      result = await backup(source, join(dir, 'out') + '/', { key, heldCopyTries: tries });
      // Its key cannot be checked while it is held: inspect (and so the add flow and the drawer) says so, and that its backups go on without a lock.
      expect(await failureOf(inspect(source, { keys: { source: key } }))).toMatchObject({
        code: 'SOURCE_BUSY',
        message: expect.stringContaining(`Cannot inspect ${source}: another program holds this encrypted database exclusively`),
      });
      expect((await failureOf(inspect(source, { keys: { source: key } }))).message).toContain('Its backups are taken all the same, without a lock');
      onlyItsOwn();
    } finally {
      commits = (JSON.parse(await writer.stop()) as { commits: number }).commits;
    }
    expect(result.manifest.heldCopy).toMatchObject({ journal: 'rollback' });
    expect(result.manifest.sourceEncryption).toMatchObject({ cipher: 'sqlcipher-4', keyed: true });
    expect(result.manifest.verification.verdict).toBe('passed');
    expect(readFileSync(result.path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    const copy = pairsOf(result.path, passphrase);
    expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
    expect(copy.a).toBe(copy.b);
    expect((copy.a + copy.b) % 2).toBe(0);
    // The 100 seed pairs and the writer's first commit, and no more than it committed in all.
    expect(copy.a).toBeGreaterThanOrEqual(101);
    expect(copy.a).toBeLessThanOrEqual(100 + commits);
    expect(existsSync(`${result.path}-journal`) || existsSync(`${result.path}-wal`)).toBe(false);
    expect(readdirSync(join(dir, 'out')).filter((name) => name.includes('pagevault-'))).toEqual([]);
  });

  for (const how of ['still holding it', 'killed'] as const) {
    it(`in rollback-journal mode, with a transaction in progress (its app ${how}): the hot journal is rolled back with the key in the copy, and the source and its journal stay as they were`, async () => {
      const dir = fresh();
      const source = join(dir, 'held.db');
      makeEncryptedDatabase(source, passphrase, { journalMode: 'delete', bytes: 500_000 });
      const writer = await startEncryptedWriter(source, passphrase, 0, 'exclusive', true);
      try {
        await writer.printed('mid');
        if (how === 'killed') {
          writer.child.kill('SIGKILL');
          await new Promise((done) => writer.child.once('exit', done));
        }
        expect(readFileSync(`${source}-journal`)[0]).not.toBe(0); // hot: the transaction spilled into the file
        const sums = [sha(source), sha(`${source}-journal`)];
        const filesBefore = besideSource(dir);

        const result = await backup(source, join(dir, 'out') + '/', { key, heldCopyTries: tries });
        expect(result.manifest.heldCopy).toMatchObject({ journal: 'rollback', consistentUpTo: expect.stringContaining('rolled back') });
        expect(result.manifest.verification.verdict).toBe('passed');
        // The seed pairs and the writer's one commit; nothing of the transaction in progress.
        expect(pairsOf(result.path, passphrase)).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete', a: 101, b: 101 });
        expect(readFileSync(result.path).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
        expect(existsSync(`${result.path}-journal`)).toBe(false);
        expect([sha(source), sha(`${source}-journal`)]).toEqual(sums);
        expect(besideSource(dir)).toEqual(filesBefore);
      } finally {
        writer.child.kill('SIGKILL');
      }
    });
  }

  it('held only after its check (its app took it since): the stepped strategy answers "held" (copied without a lock) instead of waiting out its busy timeout and failing', async () => {
    const dir = fresh();
    const source = join(dir, 'held.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete' });
    const header = { pageSize: 4096, pageCount: 1, changeCounter: 0, writeVersion: 1, sqliteVersionNumber: 0, bytes: Buffer.alloc(100) };
    const writer = await startEncryptedWriter(source, passphrase, 2, 'exclusive');
    try {
      const ctx = new OperationContext(createCancelFlag(), () => undefined);
      // A busy timeout of a minute: waited out, it would fail SOURCE_BUSY instead.
      const input = { source, header, options: {}, busyTimeoutMs: 60_000, ctx, subject: `Cannot back up ${source}`, key };
      expect(await steppedStrategy.begin(input)).toBe('held');
    } finally {
      await writer.stop();
    }
  });

  it('a wrong key with a transaction in progress (a hot journal in the copy) is WRONG_KEY, not a damaged database, and nothing is published', async () => {
    const dir = fresh();
    const source = join(dir, 'held.db');
    makeEncryptedDatabase(source, passphrase, { journalMode: 'delete', bytes: 500_000 });
    const writer = await startEncryptedWriter(source, passphrase, 0, 'exclusive', true);
    const folder = join(dir, 'out');
    mkdirSync(folder);
    try {
      await writer.printed('mid');
      expect(readFileSync(`${source}-journal`)[0]).not.toBe(0); // hot: the transaction spilled into the file
      const wrong = await failureOf(backup(source, folder, { key: { ...key, key: 'not it' }, heldCopyTries: tries }));
      expect(wrong).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining(`Cannot back up ${source} to `) });
      expect(wrong.message).not.toContain('not it');
    } finally {
      writer.child.kill('SIGKILL');
    }
    expect(readdirSync(folder)).toEqual([]);
  });

  it.each(['wal', 'delete'] as const)('%s: a wrong key is found on the copy: WRONG_KEY, and nothing is published', async (journalMode) => {
    const dir = fresh();
    const source = join(dir, 'held.db');
    makeEncryptedDatabase(source, passphrase, { journalMode });
    const writer = await startEncryptedWriter(source, passphrase, 2, 'exclusive');
    const folder = join(dir, 'out');
    mkdirSync(folder);
    try {
      const wrong = await failureOf(backup(source, folder, { key: { ...key, key: 'not it' }, heldCopyTries: tries }));
      expect(wrong).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining(`Cannot back up ${source} to `) });
      expect(wrong.message).not.toContain('not it');
    } finally {
      await writer.stop();
    }
    expect(readdirSync(folder)).toEqual([]);
  });
});
