// Databases that another program holds exclusively, as Firefox, Chromium, Zotero and Anki
// hold theirs: a real independent writer (Python's sqlite3, locking_mode=EXCLUSIVE)
// commits pairs back to back while they are backed up without any lock.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, changeMark, type EngineProgress } from './index.ts';
import { backupDatabase } from './backup.ts';
import { OperationContext, createCancelFlag } from './context.ts';
import { lastCommitFrame } from './held-copy.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startExclusiveWriter, until } from '../../test-support/processes.ts';
import { PagevaultError } from '../api/errors.ts';
import { startBrowsingChromium } from '../../test-support/browsing-chromium.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-held-'));
let n = 0;
const fresh = (name = 'case') => {
  const dir = join(root, `${name}-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What is beside the source, with each file's mode: the copy may change none of it but the files' contents. */
const besideSource = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name !== 'out')
    .sort()
    .map((name) => `${name} ${(statSync(join(dir, name)).mode & 0o777).toString(8)}`);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
// Enough tries that a writer committing back to back on a loaded machine never defers a
// small database; the bound itself is tested below with a writer that changes every try.
const tries = 200;

describe('a database another program holds exclusively', () => {
  // The WAL writer commits back to back. A rollback-journal database can only be proven
  // between two commits or within one, so its writers leave 2 ms between commits (still
  // hundreds a second): back to back, on a machine loaded by two test runs at once, a try
  // can miss every gap and the backup is deferred, which the deferral tests below cover.
  const writers = [
    { journalMode: 'wal', options: { autocheckpoint: 20, journalSizeLimit: 32_768 } },
    { journalMode: 'delete', options: { gapMs: 2 } },
    { journalMode: 'truncate', options: { gapMs: 2 } },
    { journalMode: 'persist', options: { gapMs: 2 } },
  ] as const;
  for (const { journalMode, options } of writers) {
    it(`${journalMode}: every backup in a row holds whole pairs, passes integrity_check and says how it was copied; the writer never waits`, async () => {
      const dir = fresh(journalMode);
      const source = join(dir, 'held.db');
      makeDatabase(source, { journalMode: journalMode === 'wal' ? 'wal' : 'delete', bytes: 3_000_000 });
      const writer = await startExclusiveWriter(source, journalMode, { ...options, payload: 500 });
      const filesBefore = besideSource(dir);
      let lastPairs = 0;
      try {
        for (let i = 0; i < 4; i += 1) {
          const events: EngineProgress[] = [];
          const result = await backup(source, join(dir, 'out') + '/', { heldCopyTries: tries, now: new Date(2026, 0, 1, 0, 0, i), onProgress: (p) => events.push(p) });
          expect(result.manifest.heldCopy).toMatchObject({ journal: journalMode === 'wal' ? 'wal' : 'rollback' });
          expect(result.manifest.heldCopy!.tries).toBeGreaterThanOrEqual(1);
          expect(result.manifest.heldCopy!.consistentUpTo).toMatch(journalMode === 'wal' ? /WAL commit frame|last checkpoint/ : /^commit [\d,]+ \(the file change counter\)/);
          expect(result.manifest.verification.verdict).toBe('passed');
          const state = readState(result.path);
          expect(state.integrity).toBe('ok');
          expect(state.journalMode).toBe('delete');
          expect(state.a).toBe(state.b);
          expect(state.maxA).toBe(state.maxB);
          // At least the seed rows and the writer's first commit, and never fewer than before.
          expect(state.a).toBeGreaterThanOrEqual(Math.max(101, lastPairs));
          lastPairs = state.a;
          expect(existsSync(`${result.path}-wal`) || existsSync(`${result.path}-journal`)).toBe(false);
          // The bar moved through the copy, not only from 0 to the end.
          expect(events.some((e) => e.phase === 'copy' && e.remainingPages > 0 && e.remainingPages < e.totalPages)).toBe(true);
        }
        expect(besideSource(dir)).toEqual(filesBefore);
      } finally {
        const summary = JSON.parse(await writer.stop()) as { commits: number; busy: number };
        // Its busy timeout is 0: any lock taken on its database would have failed a commit.
        expect(summary.busy).toBe(0);
        expect(summary.commits).toBeGreaterThan(0);
      }
      expect(readdirSync(join(dir, 'out')).filter((name) => name.includes('pagevault-'))).toEqual([]);
    });
  }

  it('a writer killed mid-transaction: the copy rolls back its hot journal, and the source and journal stay as they were', async () => {
    const dir = fresh();
    const source = join(dir, 'crashed.db');
    makeDatabase(source, { journalMode: 'delete', bytes: 500_000 });
    const writer = await startExclusiveWriter(source, 'delete', { hangMidTransaction: true });
    await writer.printed('mid');
    writer.child.kill('SIGKILL');
    await new Promise((done) => writer.child.once('exit', done));
    expect(readFileSync(`${source}-journal`)[0]).not.toBe(0); // hot: the transaction spilled into the file
    const sums = [sha(source), sha(`${source}-journal`)];
    const filesBefore = besideSource(dir);

    const result = await backup(source, join(dir, 'out') + '/');
    expect(result.manifest.heldCopy?.consistentUpTo).toContain('rolled back');
    // The seed rows and the writer's one commit; nothing of the transaction it died in.
    expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: 101, b: 101, maxA: 101, maxB: 101 });
    expect([sha(source), sha(`${source}-journal`)]).toEqual(sums);
    expect(besideSource(dir)).toEqual(filesBefore);
  });

  it('a WAL writer killed mid-transaction: the copy holds every commit and none of the torn tail, and no -shm appears', async () => {
    const dir = fresh();
    const source = join(dir, 'crashed-wal.db');
    makeDatabase(source, { journalMode: 'wal', bytes: 500_000 });
    const writer = await startExclusiveWriter(source, 'wal', { hangMidTransaction: true, autocheckpoint: 100_000 });
    await writer.printed('mid');
    writer.child.kill('SIGKILL');
    await new Promise((done) => writer.child.once('exit', done));
    const sums = [sha(source), sha(`${source}-wal`)];
    const filesBefore = besideSource(dir);
    expect(filesBefore.some((line) => line.startsWith('crashed-wal.db-shm'))).toBe(false);

    const result = await backup(source, join(dir, 'out') + '/');
    expect(result.manifest.heldCopy).toMatchObject({ journal: 'wal' });
    expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: 101, b: 101 });
    expect([sha(source), sha(`${source}-wal`)]).toEqual(sums);
    expect(besideSource(dir)).toEqual(filesBefore);
  });

  it('the "skip if unchanged" mark of a held database changes with its commits, without opening it', async () => {
    const dir = fresh();
    const source = join(dir, 'marked.db');
    makeDatabase(source, { journalMode: 'delete' });
    const writer = await startExclusiveWriter(source, 'delete');
    try {
      writer.child.kill('SIGSTOP'); // still holding its lock, committing nothing
      const first = await changeMark(source);
      expect(await changeMark(source)).toBe(first);
      writer.child.kill('SIGCONT');
      await until(async () => (await changeMark(source)) !== first);
    } finally {
      writer.child.kill('SIGCONT');
      await writer.stop();
    }
  });
});

describe('a held database that changes under every copy', () => {
  // The holder is a connection of this process, so that it can commit exactly while each
  // copy is under way: in the progress callback, which the copy calls between chunks.
  for (const journalMode of ['wal', 'delete'] as const) {
    it(`${journalMode}: is deferred after the tries allowed, naming the file, leaving nothing behind`, async () => {
      const dir = fresh();
      const source = join(dir, 'busy.db');
      makeDatabase(source, { journalMode, bytes: 6_000_000 });
      const holder = new Database(source);
      holder.pragma('locking_mode = EXCLUSIVE');
      const insert = holder.prepare("INSERT INTO pairs_a (v) VALUES ('held')");
      insert.run();
      let commits = 0;
      const ctx = new (class extends OperationContext {
        override report(progress: Omit<EngineProgress, 'elapsedMs'>, force?: boolean): void {
          if (progress.phase === 'copy' && progress.remainingPages > 0) {
            insert.run();
            if (journalMode === 'wal') holder.pragma('wal_checkpoint(TRUNCATE)'); // a new WAL generation
            commits += 1;
          }
          super.report(progress, force);
        }
      })(createCancelFlag(), () => undefined);
      try {
        const failure = await backupDatabase(source, join(dir, 'out.db'), ctx, { heldCopyTries: 3, busyTimeoutMs: 100 }).then(
          () => undefined,
          (error: unknown) => error as PagevaultError,
        );
        expect(failure).toBeInstanceOf(PagevaultError);
        expect(failure!.code).toBe('DEFERRED');
        expect(failure!.message).toContain(source);
        expect(failure!.message).toContain('tried 3 times');
        expect(commits).toBeGreaterThanOrEqual(3);
      } finally {
        holder.close();
      }
      expect(readdirSync(dir).filter((name) => name.startsWith('out.db'))).toEqual([]);
    });
  }
});

describe('the WAL commit a copy is consistent up to', () => {
  it('is the last commit frame whose checksums and salts hold, as SQLite recovers it', () => {
    const dir = fresh();
    const source = join(dir, 'frames.db');
    const db = new Database(source);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v)');
    for (let i = 0; i < 5; i += 1) db.prepare('INSERT INTO t VALUES (?)').run(i);
    const wal = readFileSync(`${source}-wal`);
    const frameBytes = 24 + 4096;
    const frames = (wal.length - 32) / frameBytes;
    expect(lastCommitFrame(`${source}-wal`, wal.length)).toBe(frames);
    // A torn tail: the last frame cut short, then a frame with its checksum broken.
    expect(lastCommitFrame(`${source}-wal`, wal.length - 10)).toBeLessThan(frames);
    db.close();
  });
});

describe('Chromium, running, holding its profile databases', () => {
  it('History, Cookies and Favicons back up while it browses; the copies pass integrity_check and hold the visits it committed', async () => {
    const dir = fresh('chromium');
    const profile = join(dir, 'profile');
    const chromium = await startBrowsingChromium(profile);
    const { page } = chromium;
    try {
      const visits = Array.from({ length: 5 }, (_, i) => chromium.url(`/visit-${i}`));
      for (const url of visits) await page.goto(url);
      const history = join(profile, 'Default', 'History');
      await chromium.holds('History');
      const out = join(dir, 'out');
      let taken = 0;
      // Chromium commits its history in batches, every few seconds: back up, while it keeps
      // browsing, until a copy holds every visit made before; every copy on the way is whole
      // and copied while held. The poll's value says what the last copy held.
      await expect
        .poll(
          async () => {
            await page.goto(chromium.url(`/while-${taken}`));
            const result = await backup(history, `${out}/`, { heldCopyTries: tries, now: new Date(2026, 0, 1, 0, 0, (taken += 1)) });
            const copy = new Database(result.path, { readonly: true });
            try {
              const integrity = copy.pragma('integrity_check', { simple: true });
              const urls = copy.prepare('SELECT url FROM urls').pluck().all() as string[];
              const missing = visits.filter((url) => !urls.includes(url)).length;
              return `held: ${result.manifest.heldCopy?.journal ?? 'no'}, integrity: ${integrity}, visits missing: ${missing}`;
            } finally {
              copy.close();
            }
          },
          { timeout: 90_000, interval: 500 },
        )
        .toBe('held: rollback, integrity: ok, visits missing: 0');
      for (const name of ['Cookies', 'Favicons']) {
        const file = join(profile, 'Default', name);
        // Held or not at this moment (Chromium opens some of them only now and then): either way whole.
        const result = await backup(file, `${out}/`, { heldCopyTries: tries });
        expect(result.manifest.verification.verdict).toBe('passed');
        const copy = new Database(result.path, { readonly: true });
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        copy.close();
      }
      // Chromium went on browsing through all of it.
      await page.goto(chromium.url('/after'));
      expect(await page.title()).toBe('Visit /after');
    } finally {
      await chromium.close();
    }
  }, 240_000);
});

describe('inspecting a database another program holds', () => {
  it('answers from its header, creating nothing beside it, and from SQLite again once released', async () => {
    const { inspect } = await import('./index.ts');
    for (const journalMode of ['wal', 'delete'] as const) {
      const dir = fresh(`inspect-${journalMode}`);
      const source = join(dir, 'held.db');
      makeDatabase(source, { journalMode, bytes: 200_000 });
      const writer = await startExclusiveWriter(source, journalMode);
      try {
        const filesBefore = besideSource(dir);
        const result = await inspect(source);
        expect(result).toMatchObject({ heldByAnotherProgram: true, journalMode: journalMode === 'wal' ? 'wal' : 'delete', pageSize: 4096, tables: [] });
        expect(result.pageCount).toBeGreaterThan(0);
        expect(besideSource(dir)).toEqual(filesBefore);
      } finally {
        await writer.stop();
      }
      // Released: the tables are there again.
      expect((await inspect(source)).heldByAnotherProgram).toBe(false);
    }
  });
});
