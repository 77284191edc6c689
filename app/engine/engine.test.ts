// The engine against real files and real processes: consistency under a writer,
// every bad input, disk full, a killed process, cancel, restore under a reader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, openSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { backup, changeMark, inspect, restore, verify, type EngineProgress } from './index.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startLocker, startReader, startWalBacklog, startWriter, until } from '../../test-support/processes.ts';
import { SourceFiles, WRITE_BEHIND_LEAD, WriteBehind } from './source-files.ts';
import { copySteppedFile } from './stepped-copy.ts';
import { OperationContext, createCancelFlag, raiseCancelFlag } from './context.ts';
import { backupDatabase } from './backup.ts';
import { beginWalSnapshot, checkpointProgressReadable, readWalIndex } from './wal-snapshot.ts';
import { sqliteVersion } from './sqlite-file.ts';
import { CheckpointHandoff } from './checkpoint-handoff.ts';
import { enterDatabases, leaveDatabases } from './database-files.ts';
import { chinookFixture, chinookRowCounts } from '../../scripts/fixtures.ts';
import { caseFolders, failureOf } from '../../test-support/unit.ts';
import { walIndexOf } from '../../test-support/wal-index.ts';

const { fresh } = caseFolders('pv-engine-');
const isRoot = process.getuid?.() === 0;
const cli = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const commitScript = fileURLToPath(new URL('../../test-support/commit.ts', import.meta.url));

describe('writing a copy back to disk behind it', () => {
  it('a flush that fails is thrown by the next flush or settle, never left unhandled', async () => {
    // No such descriptor: the flush, running in the background, fails with EBADF.
    const writeBehind = new WriteBehind(2 ** 30);
    await writeBehind.flush();
    await expect(writeBehind.settle()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(writeBehind.flush()).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('the copy goes on while a flush is under way, waiting only once more than WRITE_BEHIND_LEAD flushes are due, and the due ones run one after another', async () => {
    // A flush that ends only when the test says: what the copy does meanwhile is what is checked.
    const started: Array<() => void> = [];
    const writeBehind = new WriteBehind(0, true, () => new Promise<void>((resolve) => started.push(resolve)));
    // Whether `promise` has settled once everything already runnable has run (no clock).
    const settledNow = (promise: Promise<void>) => Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
    expect(await settledNow(writeBehind.flush())).toBe(true);
    for (let i = 0; i < WRITE_BEHIND_LEAD; i += 1) expect(await settledNow(writeBehind.flush())).toBe(true);
    expect(started).toHaveLength(1); // one flush at a time
    const waiting = writeBehind.flush();
    expect(await settledNow(waiting)).toBe(false);
    started[0]!();
    // The first flush ended: the due ones start at once, as one flush, and the copy goes on.
    expect(await settledNow(waiting)).toBe(true);
    expect(started).toHaveLength(2);
    const settling = writeBehind.settle();
    expect(await settledNow(settling)).toBe(false);
    started[1]!();
    expect(await settledNow(settling)).toBe(true);
    expect(started).toHaveLength(2);
  });
});

describe('backup output', () => {
  const pageSizes = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];
  for (const journalMode of ['wal', 'delete'] as const) {
    it.each(pageSizes)(`copies a ${journalMode} database with %i-byte pages exactly, as a standalone DELETE-mode file`, async (pageSize) => {
      const dir = fresh();
      const source = join(dir, 'src.db');
      makeDatabase(source, { pageSize, journalMode, bytes: 200_000 });
      const before = readState(source);
      const result = await backup(source, join(dir, 'out.db'));
      expect(result.manifest.mode).toBe(journalMode === 'wal' ? 'snapshot' : 'stepped');
      expect(result.manifest.pageSize).toBe(pageSize);
      expect(result.manifest.verification.verdict).toBe('passed');
      const after = readState(result.path);
      expect(after).toEqual({ ...before, journalMode: 'delete' });
      expect(readFileSync(result.path).readUInt8(18)).toBe(1);
      expect(existsSync(`${result.path}-wal`)).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['out.db', 'out.db.manifest.json', 'src.db', ...(journalMode === 'wal' ? ['src.db-shm', 'src.db-wal'].filter((f) => existsSync(join(dir, f))) : [])].sort());
    });
  }

  it('backs up an empty database (no tables)', async () => {
    const dir = fresh();
    const source = join(dir, 'empty.db');
    new Database(source).exec('PRAGMA user_version = 7').close();
    const result = await backup(source, dir);
    const copy = new Database(result.path, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(7);
    copy.close();
  });

  it('keeps free pages in snapshot mode and drops them in compact mode', async () => {
    const dir = fresh();
    const source = join(dir, 'holes.db');
    makeDatabase(source, { bytes: 400_000, freeSomePages: true });
    const info = await inspect(source);
    expect(info.freePages).toBeGreaterThan(20);
    const snapshot = await backup(source, join(dir, 'snapshot.db'));
    const compact = await backup(source, join(dir, 'compact.db'), { mode: 'compact' });
    expect(snapshot.manifest.pageCount).toBe(info.pageCount);
    expect(compact.manifest.pageCount).toBeLessThan(info.pageCount - 20);
    expect(readState(compact.path)).toEqual(readState(snapshot.path));
  });

  it('names backups in a folder <name>-YYYYMMDD-HHMMSS.db and keeps Chinook whole', async () => {
    const dir = fresh();
    const source = join(dir, 'chinook.sqlite');
    copyFileSync(chinookFixture, source);
    const result = await backup(source, join(dir, 'backups') + '/', { now: new Date(2026, 0, 2, 3, 4, 5) });
    expect(result.path).toBe(join(dir, 'backups', 'chinook-20260102-030405.db'));
    const second = await backup(source, join(dir, 'backups'), { now: new Date(2026, 0, 2, 3, 4, 5) });
    expect(second.path).toBe(join(dir, 'backups', 'chinook-20260102-030405-2.db'));
    const manifest = JSON.parse(readFileSync(`${result.path}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ source, mode: 'stepped', pageSize: 4096, pageCount: 246, bytes: 1_007_616, restarts: 0, verification: { verdict: 'passed' } });
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const tables = (await inspect(result.path)).tables;
    expect(Object.fromEntries(tables.map((t) => [t.name, t.rows]))).toEqual(chinookRowCounts);
    expect(await verify(result.path, { full: true })).toMatchObject({ ok: true, manifestChecked: true, check: 'integrity_check' });
  });

  it('reports progress through intermediate values and finishes at 100 %', async () => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 2_000_000, journalMode: 'delete' });
    const events: EngineProgress[] = [];
    // Pauses longer than the report interval make every step report, whatever the machine's speed.
    await backup(source, join(dir, 'out.db'), { mode: 'stepped', pagesPerStep: 100, pauseMs: 60, onProgress: (p) => events.push(p), verify: false });
    const copy = events.filter((e) => e.phase === 'copy');
    const fractions = new Set(copy.map((e) => Math.floor((100 * (e.totalPages - e.remainingPages)) / e.totalPages)));
    expect([...fractions].filter((f) => f > 0 && f < 100).length).toBeGreaterThanOrEqual(3);
    expect(copy.at(-1)).toMatchObject({ remainingPages: 0 });
    expect(events.at(-1)!.phase).toBe('finalize');
  });
});

describe('online backup with another process writing', () => {
  it('snapshot mode: finishes with zero restarts while a writer commits flat out, and holds one consistent snapshot', async () => {
    const dir = fresh();
    const source = join(dir, 'live.db');
    makeDatabase(source, { bytes: 80_000_000 });
    const writer = await startWriter(source);
    let commitsBefore: number, result: Awaited<ReturnType<typeof backup>>;
    try {
      commitsBefore = readState(source).a;
      result = await backup(source, join(dir, 'out.db'), { mode: 'snapshot' });
    } finally {
      await writer.stop();
    }
    expect(result.manifest.restarts).toBe(0);
    const copy = readState(result.path);
    expect(copy.integrity).toBe('ok');
    expect(copy.a).toBe(copy.b); // pairs are written in one transaction: a torn copy would differ
    expect(copy.maxA).toBe(copy.maxB);
    expect(copy.a).toBeGreaterThanOrEqual(commitsBefore);
  });

  it('snapshot mode: another process commits without waiting while the copy runs, and the copy holds exactly the snapshot', async () => {
    const dir = fresh();
    const source = join(dir, 'pinned.db');
    makeDatabase(source, { bytes: 40_000_000 });
    const before = readState(source);
    let during: { commits: number; busy: number } | undefined;
    // The copy runs on this thread, so while the progress callback runs, the copy is
    // midway and its snapshot pinned, however fast or slow the machine.
    const ctx = new OperationContext(createCancelFlag(), (progress) => {
      if (progress.phase !== 'copy' || during) return;
      during = JSON.parse(execFileSync(process.execPath, [commitScript, source, '20'], { encoding: 'utf8' })) as typeof during;
    });
    const result = await backupDatabase(source, join(dir, 'out.db'), ctx, { mode: 'snapshot' });
    // The writer was never held up: every commit went through with a busy timeout of 0.
    expect(during).toEqual({ commits: 20, busy: 0 });
    expect(result.manifest.restarts).toBe(0);
    expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: before.a, b: before.b, blobs: before.blobs });
    expect(readState(source)).toMatchObject({ a: before.a + 20, b: before.b + 20 });
  });

  it('snapshot mode copies what is only in the -wal: frames another reader keeps from being checkpointed, a VACUUM that shrank the file', async () => {
    const dir = fresh();
    const source = join(dir, 'wal-only.db');
    makeDatabase(source, { bytes: 4_000_000 });
    const holder = new Database(source, { readonly: true });
    holder.exec('BEGIN');
    holder.prepare('SELECT count(*) FROM blobs').get(); // an old snapshot: checkpoints stop behind it
    const db = new Database(source);
    db.pragma('wal_autocheckpoint = 0');
    db.exec("INSERT INTO pairs_a (v) VALUES ('after'); INSERT INTO pairs_b (k, v) VALUES (last_insert_rowid(), 'after')");
    db.exec('DELETE FROM blobs WHERE id % 3 <> 0');
    db.exec('VACUUM');
    const expected = { rows: db.prepare('SELECT count(*) FROM blobs').pluck().get(), pages: Number(db.pragma('page_count', { simple: true })) };
    expect(statSync(`${source}-wal`).size).toBeGreaterThan(0);
    try {
      const result = await backup(source, join(dir, 'out.db'), { mode: 'snapshot' });
      const copy = readState(result.path);
      expect(copy).toMatchObject({ integrity: 'ok', blobs: expected.rows, a: 101, b: 101, journalMode: 'delete' });
      expect(result.manifest.pageCount).toBe(expected.pages);
      expect(statSync(result.path).size).toBe(expected.pages * 4096);
      expect(existsSync(`${result.path}-wal`)).toBe(false);
    } finally {
      holder.exec('COMMIT');
      holder.close();
      db.close();
    }
  });

  it('snapshot mode hands the WAL backlog it kept writers from checkpointing to a helper process, which backfills it', async () => {
    const dir = fresh();
    const source = join(dir, 'backlog.db');
    makeDatabase(source, { bytes: 40_000_000 });
    // 3000 commits that only a checkpoint would move into the database file. Their process
    // keeps its connection open, so nobody else's close checkpoints them.
    const backlog = await startWalBacklog(source, 3000);
    const walIndex = () => walIndexOf(source);
    try {
      const before = walIndex();
      expect(before.mxFrame - before.nBackfill).toBeGreaterThan(3000);
      const result = await backup(source, join(dir, 'out.db'), { mode: 'snapshot' });
      expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: 3100, b: 3100, maxA: 3100, maxB: 3100 });
      expect(result.warnings).toEqual([]);
      // The helper goes on after the backup has returned: it backfills every frame.
      await until(() => { const index = walIndex(); return index.nBackfill === index.mxFrame; });
      expect(walIndex().mxFrame).toBe(before.mxFrame);
      expect(readState(source)).toMatchObject({ integrity: 'ok', a: 3100, b: 3100 });
    } finally {
      await backlog.stop();
    }
  });

  it.each([
    // The helper is pointed at a file that does not exist: it exits at once.
    ['a checkpoint helper that cannot start leaves the snapshot to end with a plain COMMIT', (dir: string) => new CheckpointHandoff(join(dir, 'missing.db'))],
    // A helper would be ready and take the backlog (the test above): not under this version.
    ['under a SQLite whose wal-index layout was not verified, no helper is started and the snapshot ends with a plain COMMIT', (dir: string, source: string) => new CheckpointHandoff(source, { sqliteVersion: '3.55.0' })],
  ])('%s', async (_case, handoffFor) => {
    const dir = fresh();
    const source = join(dir, 'no-helper.db');
    makeDatabase(source, { bytes: 1_000_000 });
    const backlog = await startWalBacklog(source, 3000);
    const files = new SourceFiles(source);
    const reader = new Database(source, { readonly: true, fileMustExist: true });
    try {
      const snapshot = beginWalSnapshot(files, reader, 1000)!;
      expect(reader.inTransaction).toBe(true);
      expect(await handoffFor(dir, source).end(reader, files, snapshot.index.mxFrame, 1000)).toBe('committed');
      expect(reader.inTransaction).toBe(false);
      // Nothing was checkpointed on the helper's behalf: the backlog is still there.
      const index = readWalIndex(files)!;
      expect(index.mxFrame - index.nBackfill).toBeGreaterThan(3000);
    } finally {
      reader.close();
      files.close();
      await backlog.stop();
    }
  });

  it.each([
    ['3.54.1', true],
    ['3.50.0', true],
    ['3.49.2', false],
    ['3.10.2', false],
    ['3.55.0', false],
    ['4.0.0', false],
    ['not a version', false],
  ])('the checkpoint progress in the -shm is read under SQLite %s: %s', (version, readable) => {
    expect(checkpointProgressReadable(version)).toBe(readable);
  });

  it("the SQLite better-sqlite3 ships is one whose wal-index layout was verified (after an upgrade, read its src/wal.c and widen the range)", () => {
    expect(checkpointProgressReadable(sqliteVersion())).toBe(true);
  });

  it('the checkpoint helper writes the WAL back as it grows, then checkpoints all of it', async () => {
    const dir = fresh();
    const source = join(dir, 'write-back.db');
    makeDatabase(source, { bytes: 1_000_000 });
    const helper = spawn(process.execPath, [fileURLToPath(new URL('./checkpointer.ts', import.meta.url)), source], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    helper.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise((resolve) => helper.once('exit', resolve));
    await until(() => output.includes('ready\n'));
    // Another connection commits a WAL of three write-backs' worth and more, a round at a
    // time, and keeps it (auto-checkpoint off). Each round adds more than one write-back's
    // worth, so each must be written back before the next begins, however slow the machine.
    const writer = new Database(source);
    writer.pragma('wal_autocheckpoint = 0');
    const commit = writer.transaction(() => {
      const { lastInsertRowid } = writer.prepare("INSERT INTO pairs_a (v) VALUES ('grow')").run();
      writer.prepare("INSERT INTO pairs_b (k, v) VALUES (?, 'grow')").run(lastInsertRowid);
    });
    const wroteBack = () => Math.max(0, ...[...output.matchAll(/^wrote-back (\d+)$/gm)].map((m) => Number(m[1])));
    try {
      const walBefore = statSync(`${source}-wal`).size;
      for (let round = 1; round <= 3; round += 1) {
        const roundStart = statSync(`${source}-wal`).size;
        while (statSync(`${source}-wal`).size - roundStart <= 4 * 1024 * 1024) for (let i = 0; i < 50; i += 1) commit();
        const grown = statSync(`${source}-wal`).size - walBefore;
        // Written back while it grew, without being asked: all but less than one write-back's worth.
        await until(() => wroteBack() > grown - 4 * 1024 * 1024);
      }
      expect(output.match(/^wrote-back /gm)!.length).toBeGreaterThanOrEqual(3);
      helper.stdin!.write('s');
      await until(() => output.includes('synced\n'));
      helper.stdin!.end('g');
      await exited;
      const report = JSON.parse(output.trim().split('\n').at(-1)!) as { log: number; checkpointed: number };
      expect(report.log).toBeGreaterThan(3 * 1024);
      expect(report.checkpointed).toBe(report.log);
      const rows = writer.prepare('SELECT count(*) FROM pairs_a').pluck().get() as number;
      expect(readState(source)).toMatchObject({ integrity: 'ok', a: rows, b: rows });
    } finally {
      helper.kill();
      writer.close();
    }
  });

  it('stepped mode on a rollback-journal database: restarts when the writer commits, finishes anyway, consistent', async () => {
    const dir = fresh();
    const source = join(dir, 'live.db');
    makeDatabase(source, { bytes: 20_000_000, journalMode: 'delete' });
    const writer = await startWriter(source, 2);
    const events: EngineProgress[] = [];
    const result = await backup(source, join(dir, 'out.db'), { pagesPerStep: 64, pauseMs: 5, maxRestarts: 3, onProgress: (p) => events.push(p) }).finally(() => writer.stop());
    expect(result.manifest.mode).toBe('stepped');
    expect(result.manifest.restarts).toBeGreaterThanOrEqual(1);
    expect(result.manifest.restarts).toBeLessThanOrEqual(4);
    // Every restart is reported as it happens, so the UI can show the bar moving back.
    const reported = events.filter((e) => e.phase === 'copy').map((e) => e.restarts);
    for (let r = 1; r <= result.manifest.restarts; r += 1) expect(reported).toContain(r);
    const state = readState(result.path);
    expect(state.integrity).toBe('ok');
    expect(state.a).toBe(state.b);
  });
});

describe('a rollback-journal source under a writer committing back to back', () => {
  it('every stepped backup in a row takes its read lock in a gap of the writer and completes, consistent', async () => {
    const dir = fresh();
    const source = join(dir, 'busy.db');
    makeDatabase(source, { bytes: 30_000_000, journalMode: 'delete' });
    const writer = await startWriter(source, 0);
    try {
      for (let i = 0; i < 3; i += 1) {
        const result = await backup(source, join(dir, `out-${i}.db`), { verify: false });
        expect(result.manifest.mode).toBe('stepped');
        expect(result.manifest.heldCopy).toBeUndefined(); // busy, not held: copied under SQLite's locks
        const state = readState(result.path);
        expect(state.integrity).toBe('ok');
        expect(state.a).toBe(state.b);
      }
    } finally {
      await writer.stop();
    }
  });
});

describe('stepped mode when its lock is lost', () => {
  it('notices a commit that got in during a step and starts over, so the copy is still one point in time', async () => {
    const dir = fresh();
    const source = join(dir, 'lost-lock.db');
    makeDatabase(source, { bytes: 8_000_000, journalMode: 'delete' });
    const files = new SourceFiles(source);
    const reader = new Database(source, { readonly: true, fileMustExist: true });
    let interfered = false;
    const ctx = new OperationContext(createCancelFlag(), (progress) => {
      if (interfered || progress.phase !== 'copy' || progress.bytesCopied < 2_000_000) return;
      interfered = true;
      // Closing any descriptor of the file drops this process's locks on it, the reader's
      // too (as a worker of this process ending would)...
      closeSync(openSync(source, 'r'));
      // ...so another process commits in the middle of the step (with no busy timeout: it
      // would fail if the lock were still held).
      execFileSync(process.execPath, ['-e', `
        const db = new (require('better-sqlite3'))(${JSON.stringify(source)}, { timeout: 0 });
        db.transaction(() => db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)').run(db.prepare("INSERT INTO pairs_a (v) VALUES ('late')").run().lastInsertRowid, 'late'))();
        db.close();`], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    });
    const partial = join(dir, 'out.db');
    let restarts: number;
    try {
      // One step for the whole file: without the check after it, the torn copy would stand.
      ({ restarts } = await copySteppedFile(files, reader, partial, ctx, 'Cannot back up', { pagesPerStep: 1 << 20, pauseMs: 0, maxRestarts: 10 }));
    } finally {
      reader.close();
      files.close();
    }
    expect(interfered).toBe(true);
    expect(restarts).toBe(1);
    expect(readState(partial)).toMatchObject({ integrity: 'ok', a: 101, b: 101 });
  });
});

describe('bad sources and destinations', () => {
  it('a source locked exclusively by another process mid-transaction is copied without a lock, as of its last commit', async () => {
    const dir = fresh();
    const source = join(dir, 'locked.db');
    makeDatabase(source, { journalMode: 'delete' });
    const locker = await startLocker(source);
    let result;
    try {
      result = await backup(source, join(dir, 'out.db'), { busyTimeoutMs: 300 });
    } finally {
      await locker.stop();
    }
    expect(result.manifest.heldCopy).toMatchObject({ journal: 'rollback' });
    // The locker's CREATE TABLE never committed: not in the copy.
    const copy = new Database(result.path, { readonly: true });
    expect(copy.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'lock_probe'").pluck().get()).toBe(0);
    copy.close();
    expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: 100, b: 100 });
    expect(readdirSync(dir).sort()).toEqual(['locked.db', 'out.db', 'out.db.manifest.json']);
  });

  it('the destination is the source itself, through a symlink, or its -wal: DEST_IS_SOURCE', async () => {
    const dir = fresh();
    const source = join(dir, 'self.db');
    makeDatabase(source);
    symlinkSync(dir, join(dir, 'alias'));
    for (const destination of [source, join(dir, 'alias', 'self.db'), `${source}-wal`]) {
      const failure = await failureOf(backup(source, destination, { overwrite: true }));
      expect(failure.code).toBe('DEST_IS_SOURCE');
    }
    expect(readState(source).integrity).toBe('ok');
  });

  it('an existing destination is refused unless overwrite is asked for', async () => {
    const dir = fresh();
    const source = join(dir, 'a.db');
    makeDatabase(source);
    writeFileSync(join(dir, 'out.db'), 'keep me');
    expect((await failureOf(backup(source, join(dir, 'out.db')))).code).toBe('DEST_EXISTS');
    expect(readFileSync(join(dir, 'out.db'), 'utf8')).toBe('keep me');
    await backup(source, join(dir, 'out.db'), { overwrite: true });
    expect(readState(join(dir, 'out.db')).integrity).toBe('ok');
  });

  it('a missing destination folder is NOT_FOUND', async () => {
    const dir = fresh();
    const source = join(dir, 'a.db');
    makeDatabase(source);
    const failure = await failureOf(backup(source, join(dir, 'nope', 'out.db')));
    expect(failure).toMatchObject({ code: 'NOT_FOUND' });
    expect(failure.message).toContain(join(dir, 'nope'));
  });

  it.skipIf(!isRoot)('a read-only destination (read-only mount) fails with READ_ONLY and writes nothing', async () => {
    const dir = fresh();
    const source = join(dir, 'a.db');
    makeDatabase(source);
    const mount = join(dir, 'ro');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M,ro', 'tmpfs', mount]);
    try {
      const failure = await failureOf(backup(source, join(mount, 'out.db')));
      expect(failure.code).toBe('READ_ONLY');
      expect(failure.message).toContain(mount);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('a read-only destination folder (mode 555) fails with PERMISSION_DENIED', async (ctx) => {
    if (isRoot) ctx.skip('root writes into a mode 555 folder all the same (the read-only mount case covers root)');
    const dir = fresh();
    const source = join(dir, 'a.db');
    makeDatabase(source);
    const folder = join(dir, 'ro');
    mkdirSync(folder);
    chmodSync(folder, 0o555);
    expect((await failureOf(backup(source, join(folder, 'out.db')))).code).toBe('PERMISSION_DENIED');
  });

  it.skipIf(!isRoot)('a full disk fails with DISK_FULL and leaves neither a partial nor a final file', async () => {
    const dir = fresh();
    const source = join(dir, 'a.db');
    makeDatabase(source, { bytes: 20_000_000 });
    const mount = join(dir, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', mount]);
    try {
      const failure = await failureOf(backup(source, join(mount, 'out.db')));
      expect(failure.code).toBe('DISK_FULL');
      expect(failure.message).toContain(source);
      expect(readdirSync(mount)).toEqual([]);
    } finally {
      execFileSync('umount', [mount]);
    }
    expect(readState(source).integrity).toBe('ok');
  });

  it('cancel stops the copy, removes the partial and leaves the source untouched', async () => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 60_000_000, journalMode: 'delete' });
    const before = statSync(source).mtimeMs;
    const controller = new AbortController();
    let cancelled = false;
    const promise = backup(source, join(dir, 'out'), {
      pagesPerStep: 32,
      pauseMs: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'copy' && p.remainingPages < p.totalPages && !cancelled) {
          cancelled = true;
          controller.abort();
        }
      },
    });
    const failure = await failureOf(promise);
    expect(failure.code).toBe('CANCELLED');
    await expect.poll(() => readdirSync(dir).filter((f) => f !== 'big.db')).toEqual([]);
    expect(statSync(source).mtimeMs).toBe(before);
  });

  it('a cancel that has to stop the worker (compact mode, one long SQLite call) answers only once nothing is left', async () => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 120_000_000, journalMode: 'delete' });
    const out = join(dir, 'out');
    mkdirSync(out);
    const controller = new AbortController();
    const failure = await failureOf(backup(source, out, { mode: 'compact', signal: controller.signal, onProgress: () => controller.abort() }));
    expect(failure.code).toBe('CANCELLED');
    // At once, not eventually: the caller says "nothing was kept" as soon as this answers.
    expect(readdirSync(out)).toEqual([]);
  });

  it.each(['stepped', 'snapshot'] as const)('%s mode stops at the first step after a cancel', async (mode) => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 20_000_000, journalMode: mode === 'stepped' ? 'delete' : 'wal' });
    const flag = createCancelFlag();
    const after: EngineProgress[] = [];
    let cancelled = false;
    let remainingAtCancel = 0;
    // On this thread, the copy sees the flag the moment the callback raises it.
    const ctx = new OperationContext(flag, (progress) => {
      if (cancelled) after.push(progress);
      else if (progress.phase === 'copy' && progress.remainingPages < progress.totalPages) {
        cancelled = true;
        remainingAtCancel = progress.remainingPages;
        raiseCancelFlag(flag);
      }
    });
    const failure = await failureOf(backupDatabase(source, join(dir, 'out.db'), ctx, { mode, pagesPerStep: 64, pauseMs: 0 }));
    expect(failure.code).toBe('CANCELLED');
    expect(cancelled).toBe(true);
    // Nothing copied past the point of the cancel. A report of that same point may still
    // arrive (the throttle's trailing one, when the step's own report went out first).
    expect(after.filter((p) => p.phase === 'copy' && p.remainingPages < remainingAtCancel)).toEqual([]);
    expect(readdirSync(dir).filter((f) => !f.startsWith('big.db'))).toEqual([]);
  });

  it('a process killed with SIGKILL mid-backup leaves no file under the final name; the next backup removes its partial', async () => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 40_000_000, journalMode: 'delete' });
    const out = join(dir, 'out');
    mkdirSync(out);
    const child = spawn(process.execPath, [cli, 'backup', source, join(out, 'killed.db'), '--mode', 'stepped', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const copying = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('"phase":"copy"')) resolve();
      });
    });
    await copying;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(join(out, 'killed.db'))).toBe(false);
    const leftovers = readdirSync(out);
    const partial = leftovers.find((name) => /^killed\.db\.[0-9a-f]{12}\.pagevault-partial$/.test(name));
    expect(partial).toBeDefined();
    const next = await backup(source, out);
    expect(next.removedPartials).toEqual([join(out, partial!)]);
    expect(readdirSync(out).sort()).toEqual([next.manifestPath!.split('/').at(-1)!, next.path.split('/').at(-1)!].sort());
  });
});

describe('descriptors of a database the engine works on', () => {
  // /proc/locks lists every POSIX lock on Linux, with the process and the file's inode.
  it.skipIf(process.platform !== 'linux')('a worker that read the header keeps, on ending, the locks SQLite holds on the database; they go only once no engine worker is at work on it', async () => {
    const dir = fresh();
    const source = join(dir, 'locks.db');
    makeDatabase(source, { bytes: 100_000 });
    const locksHeld = () => {
      const inode = statSync(source).ino;
      return readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => line.includes(` ${process.pid} `) && line.includes(`:${inode} `)).length;
    };
    // A connection in this process, as a snapshot backup's reader in another worker would
    // be: in WAL mode it holds a shared lock on the database file while it is open.
    const holder = new Database(source, { readonly: true });
    holder.prepare('SELECT count(*) FROM pairs_a').get();
    expect(locksHeld()).toBeGreaterThan(0);
    const working = enterDatabases([source]);
    try {
      // A worker of this process reads the header and ends; Node closes what a worker
      // opened when it ends, so it must not have opened the file itself.
      await inspect(source);
      await changeMark(source);
      expect(locksHeld()).toBeGreaterThan(0);
    } finally {
      leaveDatabases(working.keys);
    }
    // Once the inspect's worker has ended too, nothing is at work on it: the descriptors
    // are closed, and, as POSIX has it, the locks with them.
    await expect.poll(locksHeld, { timeout: 5000, interval: 20 }).toBe(0);
    holder.close();
  });
});

describe('inspect refuses bad input with a clear error', () => {
  const dir = fresh('inspect');
  let walWriter: Database.Database | undefined;
  afterAll(() => walWriter?.close());
  const cases: Array<[string, () => string, string, RegExp]> = [
    ['missing', () => join(dir, 'missing.db'), 'NOT_FOUND', /the file does not exist/],
    ['a directory', () => dir, 'IS_A_DIRECTORY', /it is a folder/],
    ['empty', () => (writeFileSync(join(dir, 'empty.db'), ''), join(dir, 'empty.db')), 'EMPTY_FILE', /the file is empty/],
    ['text', () => (writeFileSync(join(dir, 'notes.txt'), 'hello\n'), join(dir, 'notes.txt')), 'NOT_A_DATABASE', /text file starting with 'hello'/],
    ['a zip', () => (writeFileSync(join(dir, 'a.zip'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200)])), join(dir, 'a.zip')), 'NOT_A_DATABASE', /header is 'PK\\x03\\x04.*a ZIP archive/],
    ['encrypted', () => (writeFileSync(join(dir, 'enc.db'), Buffer.from(Array.from({ length: 8192 }, () => Math.floor(Math.random() * 256)))), join(dir, 'enc.db')), 'ENCRYPTED', /probably an encrypted database/],
    [
      'truncated',
      () => {
        const full = join(dir, 'full.db');
        makeDatabase(full, { journalMode: 'delete', bytes: 100_000 });
        writeFileSync(join(dir, 'cut.db'), readFileSync(full).subarray(0, 20_000));
        return join(dir, 'cut.db');
      },
      'TRUNCATED',
      /it was cut short/,
    ],
    // The connection stays referenced: collected, it would close, checkpoint and delete the -wal.
    ['a WAL file', () => (makeDatabase(join(dir, 'w.db'), { bytes: 1000 }), walWriter = new Database(join(dir, 'w.db')), walWriter.exec('INSERT INTO pairs_a (v) VALUES (1)'), join(dir, 'w.db-wal')), 'NOT_A_DATABASE', /a SQLite WAL file/],
  ];
  it.each(cases)('%s', async (_name, make, code, pattern) => {
    const path = make();
    const failure = await failureOf(inspect(path));
    expect(failure.code).toBe(code);
    expect(failure.message).toContain(`Cannot inspect ${path}`);
    expect(failure.message).toMatch(pattern);
  });

  it('permission denied', async (ctx) => {
    if (isRoot) ctx.skip('root reads a mode 000 file all the same');
    const path = join(dir, 'secret.db');
    makeDatabase(path);
    chmodSync(path, 0);
    expect((await failureOf(inspect(path))).code).toBe('PERMISSION_DENIED');
  });
});

describe('restore', () => {
  let dir: string;
  let target: string;
  let backupPath: string;
  beforeAll(async () => {
    dir = fresh('restore');
    target = join(dir, 'target.db');
    const db = new Database(target);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, pad BLOB)');
    const insert = db.prepare('INSERT INTO t (v, pad) VALUES (2, randomblob(2000))');
    db.transaction(() => {
      for (let i = 0; i < 20_000; i += 1) insert.run();
    })();
    db.close();
    backupPath = (await backup(target, join(dir, 'backups') + '/')).path;
    // Now change the live database to version 1 everywhere.
    const live = new Database(target);
    live.exec('UPDATE t SET v = 1');
    live.close();
  });

  it('a reader in another process never sees a mix of old and new rows; the safety copy holds the old ones', async () => {
    const reader = await startReader(target);
    // The reader has read the old rows before the restore begins, and the new ones after it.
    await reader.printed('saw 1\n');
    const result = await restore(backupPath, target);
    await reader.printed('saw 2\n');
    const seen = JSON.parse(await reader.stop()) as { reads: number; mixed: number; versions: number[] };
    expect(seen.reads).toBeGreaterThanOrEqual(2);
    expect(seen.mixed).toBe(0);
    expect(seen.versions.sort()).toEqual([1, 2]);
    const after = new Database(target, { readonly: true });
    expect(after.prepare('SELECT DISTINCT v FROM t').pluck().all()).toEqual([2]);
    expect(after.pragma('journal_mode', { simple: true })).toBe('wal'); // the target keeps its journal mode
    after.close();
    expect(result.safetyCopy).toMatch(/target-\d{8}-\d{6}-before-restore\.db$/);
    const old = new Database(result.safetyCopy!, { readonly: true });
    expect(old.prepare('SELECT DISTINCT v FROM t').pluck().all()).toEqual([1]);
    old.close();
  });

  it('killing the restoring process midway leaves the old database intact', async () => {
    const live = new Database(target);
    live.exec('UPDATE t SET v = 3');
    live.close();
    const child = spawn(process.execPath, [cli, 'restore', backupPath, target, '--no-safety-copy', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (/"phase":"copy","totalPages":\d+,"remainingPages":[1-9]/.test(chunk.toString())) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const after = new Database(target, { readonly: true });
    expect(after.prepare('SELECT DISTINCT v FROM t').pluck().all()).toEqual([3]);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    after.close();
  });

  it('refuses a damaged backup before touching the target', async () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, readFileSync(backupPath).subarray(0, 50_000));
    const before = readFileSync(target);
    const failure = await failureOf(restore(bad, target));
    expect(failure.code).toBe('TRUNCATED');
    expect(readFileSync(target).equals(before)).toBe(true);
  });

  it('restores into a new file', async () => {
    const result = await restore(backupPath, join(dir, 'new.db'));
    expect(result.safetyCopy).toBeNull();
    expect(result.verification.ok).toBe(true);
    expect(existsSync(join(dir, 'new.db.manifest.json'))).toBe(false);
  });
});
