// Clones on real copy-on-write file systems: btrfs and XFS loop mounts made here (as
// root), each backed up under a writer in another process; the copy is checked with
// SQLite itself and its extents with filefrag. Skipped with the reason elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { backup } from './index.ts';
import { cloneIntoPartial, folderClones, forgetCloneProbes } from './clone.ts';
import { OperationContext, createCancelFlag } from './context.ts';
import { backupDatabase } from './backup.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startExclusiveWriter, startWriter } from '../../test-support/processes.ts';
import { makeCowMount, sharedBytes, unavailable, type CowKind, type CowMount } from '../../test-support/cow-mounts.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-clone-'));
const commitScript = fileURLToPath(new URL('../../test-support/commit.ts', import.meta.url));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a destination that does not clone', () => {
  it('is found by its probe, which leaves nothing behind, and a snapshot backup there says it was copied', async () => {
    // The temp folder here is ext4 (or tmpfs): neither clones.
    const dir = join(root, 'plain');
    mkdirSync(dir);
    forgetCloneProbes();
    expect(await folderClones(dir)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    const source = join(dir, 'a.db');
    makeDatabase(source, { bytes: 2_000_000 });
    const result = await backup(source, join(dir, 'out'));
    expect(result.manifest.copyMethod).toBe('copied');
    expect(readState(result.path).integrity).toBe('ok');
  });
});

for (const kind of ['btrfs', 'xfs'] as CowKind[]) {
  describe(`on a ${kind} loop mount`, () => {
    const reason = unavailable(kind);
    let mount: CowMount | undefined;
    const fresh = () => {
      const dir = join(mount!.dir, `case-${(n += 1)}`);
      mkdirSync(dir);
      return dir;
    };
    beforeAll(() => {
      if (reason) return;
      const parent = join(root, kind);
      mkdirSync(parent);
      mount = makeCowMount(kind, parent);
      forgetCloneProbes();
    });
    afterAll(() => mount?.remove());

    it('the probe finds that it clones and removes its files', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      expect(await folderClones(dir)).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('a clone into a partial goes through the clone helper, with no cp to start: the partial holds the file, keeps its own mode, and nothing is left beside it', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      const source = join(dir, 'source.bin');
      writeFileSync(source, randomBytes(3 << 20), { mode: 0o644 });
      chmodSync(source, 0o644);
      const partial = join(dir, 'out.db.0123456789ab.partial');
      writeFileSync(partial, '', { flag: 'wx', mode: 0o600 });
      chmodSync(partial, 0o600);
      const fd = openSync(source, 'r');
      const path = process.env.PATH;
      try {
        // Without a PATH no `cp` starts: only the helper (this Node, by its full path) can clone.
        process.env.PATH = '';
        expect(await cloneIntoPartial(fd, partial)).toBe(true);
      } finally {
        process.env.PATH = path;
        closeSync(fd);
      }
      expect(readFileSync(partial).equals(readFileSync(source))).toBe(true);
      expect(statSync(partial).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).sort()).toEqual(['out.db.0123456789ab.partial', 'source.bin']);
      // A clone, not a copy: its blocks are the source's (filefrag, from e2fsprogs, says so).
      expect(sharedBytes(partial) ?? 1).toBeGreaterThan(0);
    });

    it('a file already where the helper would make its clone is left as it is, and the clone is made by cp instead', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      const source = join(dir, 'source.bin');
      writeFileSync(source, randomBytes(1 << 20));
      const partial = join(dir, 'out.db.ba9876543210.partial');
      writeFileSync(partial, '', { flag: 'wx', mode: 0o600 });
      writeFileSync(`${partial}-clone`, 'not the clone helper\'s');
      const fd = openSync(source, 'r');
      try {
        expect(await cloneIntoPartial(fd, partial)).toBe(true);
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(partial).equals(readFileSync(source))).toBe(true);
      expect(readFileSync(`${partial}-clone`, 'utf8')).toBe("not the clone helper's");
    });

    it('a snapshot backup is cloned while another process commits without waiting: exactly the snapshot, the writer never busy, blocks shared', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      const source = join(dir, 'live.db');
      makeDatabase(source, { bytes: 40_000_000 });
      // Commits left in the -wal: the clone gets the file, the frames are laid over it.
      const db = new Database(source);
      db.pragma('wal_autocheckpoint = 0');
      for (let i = 0; i < 50; i += 1) db.exec("INSERT INTO pairs_a (v) VALUES ('wal'); INSERT INTO pairs_b (k, v) VALUES (last_insert_rowid(), 'wal')");
      db.close();
      const before = readState(source);
      let during: { commits: number; busy: number } | undefined;
      // /proc/locks lists this process's POSIX locks by the file's inode: the snapshot's
      // shared lock on the database must survive the clone (a close here would drop it).
      const inode = statSync(source).ino;
      const locksHeld = () => readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => line.includes(` ${process.pid} `) && line.includes(`:${inode} `)).length;
      let locksDuring = 0;
      // While the progress callback runs the snapshot is held, however fast the clone.
      const opCtx = new OperationContext(createCancelFlag(), (progress) => {
        if (progress.phase !== 'copy' || during) return;
        locksDuring = locksHeld();
        during = JSON.parse(execFileSync(process.execPath, [commitScript, source, '20'], { encoding: 'utf8' })) as typeof during;
      });
      const result = await backupDatabase(source, join(dir, 'out.db'), opCtx, { mode: 'snapshot' });
      expect(result.manifest.copyMethod).toBe('cloned');
      expect(during).toEqual({ commits: 20, busy: 0 });
      expect(locksDuring).toBeGreaterThan(0);
      expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: before.a, b: before.b, blobs: before.blobs, journalMode: 'delete' });
      expect(readState(source)).toMatchObject({ a: before.a + 20, b: before.b + 20 });
      execFileSync('sync');
      // Most of the file shares its blocks with the source (the WAL's pages and header were rewritten).
      expect(sharedBytes(result.path)).toBeGreaterThan(statSync(result.path).size * 0.9);
    });

    it('a cloned backup under a writer committing flat out is consistent and standalone', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      const source = join(dir, 'busy.db');
      makeDatabase(source, { bytes: 30_000_000 });
      const writer = await startWriter(source);
      let result: Awaited<ReturnType<typeof backup>>;
      let summary: { commits: number; maxMs: number };
      try {
        const atStart = readState(source).a;
        result = await backup(source, join(dir, 'out'), { mode: 'snapshot' });
        expect(result.manifest.copyMethod).toBe('cloned');
        expect(readState(result.path).a).toBeGreaterThanOrEqual(atStart);
      } finally {
        summary = JSON.parse(await writer.stop()) as typeof summary;
      }
      // The writer ran throughout (its busy timeout would have thrown and ended it otherwise).
      expect(summary.commits).toBeGreaterThan(0);
      const copy = readState(result.path);
      expect(copy.integrity).toBe('ok');
      expect(copy.a).toBe(copy.b);
      expect(copy.maxA).toBe(copy.maxB);
      // Standalone: with the source and its companions gone, the copy is whole.
      const moved = join(dir, 'gone');
      mkdirSync(moved);
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(source + suffix)) renameSync(source + suffix, join(moved, `busy.db${suffix}`));
      rmSync(moved, { recursive: true });
      expect(readState(result.path)).toEqual(copy);
      expect(existsSync(`${result.path}-wal`)).toBe(false);
    });

    it('a database another program holds exclusively, too large to read into memory, is cloned without a lock under its writer and proven consistent', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh();
      const source = join(dir, 'held.db');
      // Past the 64 MiB a try reads into memory: a plain copy would be chunk by chunk.
      makeDatabase(source, { bytes: 72_000_000 });
      const writer = await startExclusiveWriter(source, 'wal', { autocheckpoint: 20, journalSizeLimit: 32_768, payload: 500 });
      let summary: { commits: number; busy: number };
      let result: Awaited<ReturnType<typeof backup>>;
      try {
        result = await backup(source, join(dir, 'out') + '/', { heldCopyTries: 200 });
      } finally {
        summary = JSON.parse(await writer.stop()) as typeof summary;
      }
      expect(summary.busy).toBe(0);
      expect(result.manifest.heldCopy).toMatchObject({ journal: 'wal' });
      expect(result.manifest.copyMethod).toBe('cloned');
      const copy = readState(result.path);
      expect(copy).toMatchObject({ integrity: 'ok', journalMode: 'delete' });
      expect(copy.a).toBe(copy.b);
      expect(copy.maxA).toBe(copy.maxB);
      execFileSync('sync');
      expect(sharedBytes(result.path)).toBeGreaterThan(0);
    });
  });
}
