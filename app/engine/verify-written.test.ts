// A snapshot copy of a WAL database is hashed as it is written: the manifest's SHA-256 is
// that of the published file, and verifying it reads the database's bytes no second time.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, restore, verify } from './index.ts';
import { OperationContext, createCancelFlag } from './context.ts';
import { verifyWrittenFile } from './verify.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startIdleConnection } from '../../test-support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-written-'));
let n = 0;
const fresh = () => {
  const dir = join(root, `case-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A WAL database with commits left in its -wal (the writer is returned open: closing it would checkpoint them away), some past the file's end. */
function walWithFrames(dir: string, pageSize: number): { source: string; writer: Database.Database } {
  const source = join(dir, 'src.db');
  makeDatabase(source, { pageSize, journalMode: 'wal', bytes: 400_000 });
  const writer = new Database(source);
  writer.pragma('wal_autocheckpoint = 0');
  const pair = writer.prepare("INSERT INTO pairs_a (v) VALUES ('wal')");
  const pairB = writer.prepare("INSERT INTO pairs_b (k, v) VALUES (?, 'wal')");
  for (let i = 0; i < 50; i += 1) writer.transaction(() => pairB.run(pair.run().lastInsertRowid))();
  // Grows the database in the WAL only: these pages lie past the end of the database file.
  writer.prepare('INSERT INTO blobs (body) VALUES (randomblob(?))').run(pageSize * 20);
  return { source, writer };
}

describe('a snapshot copy hashed as it is written', () => {
  it.each([512, 4096, 65536])('with %i-byte pages: the manifest holds the published file\'s SHA-256, and the copy is the snapshot, frames past the file\'s end included', async (pageSize) => {
    const dir = fresh();
    const { source, writer } = walWithFrames(dir, pageSize);
    try {
      const fileBytes = statSync(source).size;
      const expected = readState(source);
      const result = await backup(source, join(dir, 'out.db'));
      expect(result.manifest.copyMethod).toBe('copied');
      expect(result.manifest.pageCount * pageSize).toBeGreaterThan(fileBytes);
      expect(result.manifest.verification).toMatchObject({ verdict: 'passed', check: 'quick_check' });
      expect(result.manifest.sha256).toBe(sha256(result.path));
      expect(readState(result.path)).toEqual({ ...expected, journalMode: 'delete' });
      // And the standalone check agrees with the manifest the backup wrote.
      expect(await verify(result.path, { full: true })).toMatchObject({ ok: true, manifestChecked: true, sha256: result.manifest.sha256 });
    } finally {
      writer.close();
    }
  });

  it('a full verify after the backup runs integrity_check on the copy', async () => {
    const dir = fresh();
    const { source, writer } = walWithFrames(dir, 4096);
    try {
      const result = await backup(source, join(dir, 'out.db'), { fullVerify: true });
      expect(result.manifest.verification).toMatchObject({ verdict: 'passed', check: 'integrity_check' });
      expect(result.manifest.sha256).toBe(sha256(result.path));
    } finally {
      writer.close();
    }
  });

  // The process's read(2) bytes (/proc/self/io, all threads): a verified backup used to read
  // the database three times (the copy, the hash, quick_check); now the copy alone reads it.
  const io = '/proc/self/io';
  const readBytes = () => Number(/rchar: (\d+)/.exec(readFileSync(io, 'utf8'))![1]);
  it.skipIf(!existsSync(io))('a verified backup of a 24 MB WAL database reads its bytes about once, not again to hash and check them', async () => {
    const dir = fresh();
    const source = join(dir, 'src.db');
    makeDatabase(source, { journalMode: 'wal', bytes: 24e6 });
    const size = statSync(source).size;
    await backup(source, join(dir, 'warm-up.db')); // the worker's modules are read once here
    const before = readBytes();
    const result = await backup(source, join(dir, 'out.db'));
    const read = readBytes() - before;
    expect(result.manifest.verification.verdict).toBe('passed');
    expect(result.manifest.sha256).toBe(sha256(result.path));
    expect(read / size).toBeLessThan(1.5);
  });
});

describe('a partial copied by SQLite', () => {
  const io = '/proc/self/io';
  const readBytes = () => Number(/rchar: (\d+)/.exec(readFileSync(io, 'utf8'))![1]);
  it.skipIf(!existsSync(io))('a verified stepped backup of a 24 MB rollback-journal database is checked through a memory map: read for the copy and the hash only', async () => {
    const dir = fresh();
    const source = join(dir, 'src.db');
    makeDatabase(source, { journalMode: 'delete', bytes: 24e6 });
    const size = statSync(source).size;
    await backup(source, join(dir, 'warm-up.db'), { pauseMs: 0 }); // the worker's modules are read once here
    const before = readBytes();
    const result = await backup(source, join(dir, 'out.db'), { pauseMs: 0 });
    const read = readBytes() - before;
    expect(result.manifest).toMatchObject({ mode: 'stepped', verification: { verdict: 'passed', check: 'quick_check' } });
    expect(result.manifest.sha256).toBe(sha256(result.path));
    // Read here: 2.0 × the size (the copy, the hash); 3.4 × when quick_check read the file too.
    expect(read / size).toBeLessThan(2.7);
  });
});

describe('a restore checks the backup once', () => {
  const io = '/proc/self/io';
  const readBytes = () => Number(/rchar: (\d+)/.exec(readFileSync(io, 'utf8'))![1]);
  it.skipIf(!existsSync(io))('a restore with its safety copy does not run quick_check again on the pages it loaded, and its result hashes the target as it is', async () => {
    const dir = fresh();
    const target = join(dir, 'target.db');
    makeDatabase(target, { journalMode: 'wal', bytes: 24e6 });
    const taken = await backup(target, join(dir, 'backups') + '/');
    const live = new Database(target);
    live.exec("UPDATE pairs_a SET v = 'changed'");
    live.close();
    const size = statSync(taken.path).size;
    await restore(taken.path, join(dir, 'warm-up.db')); // the worker's modules are read once here
    // An app has the target open: the restore loads into it (a swap would read less still).
    const app = await startIdleConnection(target);
    const before = readBytes();
    let result: Awaited<ReturnType<typeof restore>>;
    let read: number;
    let hashed: string;
    try {
      result = await restore(taken.path, target);
      read = readBytes() - before;
      // The file as the restore left it: the app's close checkpoints into it.
      hashed = sha256(target);
    } finally {
      await app.stop();
    }
    expect(readState(target)).toEqual({ ...readState(taken.path), journalMode: 'wal' });
    expect(result.verification).toMatchObject({ ok: true, check: 'quick_check', pageCount: taken.manifest.pageCount, sha256: hashed });
    expect(result.safetyCopy).not.toBeNull();
    // Read here: 6.0 × the backup's size (the backup hashed against the SHA-256 its manifest
    // records a passed check for, the target copied for safety, the backup loaded over the
    // target's old pages and checkpointed, the target hashed); 7.4 × when quick_check ran on
    // the backup again, 8.7 × when it ran on the loaded pages as well.
    expect(read / size).toBeLessThan(6.7);
  });
});

describe('the mapped check', () => {
  it('still finds a damaged page in a partial, and names it', async () => {
    const dir = fresh();
    const source = join(dir, 'src.db');
    makeDatabase(source, { journalMode: 'delete', bytes: 400_000 });
    const bytes = readFileSync(source);
    // Page 3 is a b-tree page of the tables made first; its page-type byte set to garbage.
    bytes[2 * 4096] = 0x77;
    const damaged = join(dir, 'damaged.db');
    writeFileSync(damaged, bytes);
    const result = await verifyWrittenFile(damaged, new OperationContext(createCancelFlag(), () => undefined), { sha256: 'x'.repeat(64) });
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/quick_check|malformed|corrupt/i);
  });
});
