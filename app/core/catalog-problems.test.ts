/**
 * Nothing the catalog does outside a request ends the process: a catalog locked by
 * another program across a schedule slot, or when a backup ends, and a corrupt events
 * table when a restore ends. Each time the UIs hear of it (catalog.problem), what can be
 * recorded is recorded, and the slot runs once the lock is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ApiErrorBody, JobFinished } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { FakeClock } from '../../test-support/fake-clock.ts';
import { startCatalogLocker } from '../../test-support/processes.ts';
import { Core } from './core.ts';

const MINUTE = 60_000;
const root = realpathSync(mkdtempSync(join(tmpdir(), 'pv-catalog-problems-')));
let caseNumber = 0;
const cores: Core[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  for (const core of cores) await core.close();
});

/** A core (on a fake clock) with Chinook registered; every catalog.problem it sends is collected. */
async function setUp(clock?: FakeClock) {
  caseNumber += 1;
  const work = join(root, `case-${caseNumber}`);
  mkdirSync(work);
  const live = join(work, 'chinook.sqlite');
  copyFileSync(chinookFixture, live);
  const dataDir = join(work, 'data');
  const core = new Core({ dataDir, shell: 'web', clock, timezone: 'UTC' });
  cores.push(core);
  const problems: ApiErrorBody[] = [];
  core.events.on('catalog.problem', (problem) => problems.push(problem));
  const { id, destination } = await callCore(core, 'databases.add', { path: live });
  return { core, live, dataDir, catalog: join(dataDir, 'catalog.sqlite'), databaseId: id, destination, problems };
}

/** The next job.finished of any job. */
const nextFinished = (core: Core) => new Promise<JobFinished>((resolve) => {
  const off = core.events.on('job.finished', (event) => {
    off();
    resolve(event);
  });
});

describe('a catalog locked by another program', () => {
  it('across a schedule slot: the scheduler lives on, the UIs are told, and the slot runs once the lock is gone', async () => {
    const clock = new FakeClock('2026-11-20T08:00:00Z');
    const { core, catalog, databaseId, problems } = await setUp(clock);
    await callCore(core, 'schedules.set', { databaseId, schedule: { spec: { kind: 'interval', everyMinutes: 60 }, enabled: true, skipIfUnchanged: false } });
    core.startScheduler();
    const locker = await startCatalogLocker(catalog);
    try {
      clock.advance(60 * MINUTE); // 09:00, the slot, with the catalog locked
      expect(problems).toEqual([
        {
          code: 'CATALOG_BUSY',
          message: `Running the scheduled backups failed: the Pagevault catalog ${catalog} is locked by another program (database is locked); Pagevault tries again by itself at its next look at the schedules, within 30 seconds`,
        },
      ]);
      expect(await callCore(core, 'jobs.list', {})).toEqual([]);
    } finally {
      expect(await locker.stop()).toBe('released');
    }
    const finished = nextFinished(core);
    clock.advance(30_000); // the next tick
    const done = await finished;
    expect(done).toMatchObject({ ok: true, kind: 'backup', databaseId });
    const { entries } = await callCore(core, 'history.list', {});
    expect(entries).toMatchObject([{ status: 'succeeded', trigger: 'schedule' }]);
    const [schedule] = await callCore(core, 'schedules.list', {});
    expect(schedule!.nextRuns[0]).toBe('2026-11-20T10:00:00.000Z');
    expect(problems).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });

  it('when a backup ends: the backup stands, the UIs are told where its file is, and it can be imported', async () => {
    const { core, catalog, databaseId, destination, problems } = await setUp();
    const locker = await startCatalogLocker(catalog);
    let done: JobFinished;
    try {
      const job = await callCore(core, 'backups.start', { databaseId });
      done = await jobFinished(core, job.jobId);
    } finally {
      await locker.stop();
    }
    expect(done).toMatchObject({ ok: true, backup: null, error: null });
    const [file] = readdirSync(destination).filter((name) => name.endsWith('.db'));
    const recording = problems.find((problem) => problem.message.startsWith("Recording the succeeded backup of 'chinook' in the history"));
    expect(recording).toMatchObject({ code: 'CATALOG_BUSY' });
    expect(recording!.message).toBe(
      `Recording the succeeded backup of 'chinook' in the history failed: the Pagevault catalog ${catalog} is locked by another program (database is locked); the backup ${join(destination, file!)} and its manifest are on disk, and History > Import backups from folder adds it`,
    );
    expect(await callCore(core, 'history.import', { folder: destination })).toMatchObject({ imported: 1 });
    expect(unhandled).toEqual([]);
  });
});

describe('a corrupt events table', () => {
  /** Garbage over the events table's root page, seen by the core's connection from its next read on. */
  function corruptEvents(catalog: string): void {
    const db = new Database(catalog);
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toMatchObject([{ busy: 0 }]);
    const rootPage = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'events'").pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const fd = openSync(catalog, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootPage - 1) * pageSize);
    closeSync(fd);
    // A schema change makes every other connection drop its cached pages.
    db.exec('CREATE TABLE probe (x); DROP TABLE probe;');
    db.close();
  }

  it('when a restore fails, and when one succeeds: the outcome is reported as it was and the UIs hear of the log', async () => {
    const { core, live, catalog, databaseId, problems } = await setUp();
    const backups: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const job = await callCore(core, 'backups.start', { databaseId });
      backups.push((await jobFinished(core, job.jobId)).backup!.path!);
    }
    const [tampered, sound] = backups as [string, string];
    const manifest = JSON.parse(readFileSync(`${tampered}.manifest.json`, 'utf8')) as { sha256: string };
    writeFileSync(`${tampered}.manifest.json`, JSON.stringify({ ...manifest, sha256: '0'.repeat(64) }));
    corruptEvents(catalog);

    const failing = await callCore(core, 'restore.start', { backupPath: tampered, targetPath: live, safetyCopy: true });
    const failed = await jobFinished(core, failing.jobId);
    expect(failed).toMatchObject({ ok: false, kind: 'restore', error: { code: 'VERIFY_FAILED' } });
    await expect.poll(() => problems.find((problem) => problem.message.startsWith('Logging the failed restore of chinook failed'))).toMatchObject({ code: 'CATALOG_DAMAGED' });
    expect(problems.find((problem) => problem.message.startsWith('Logging the failed restore'))!.message).toContain(`the Pagevault catalog ${catalog} is damaged (database disk image is malformed)`);

    const restoring = await callCore(core, 'restore.start', { backupPath: sound, targetPath: live, safetyCopy: true });
    const restored = await jobFinished(core, restoring.jobId);
    expect(restored).toMatchObject({ ok: true, kind: 'restore', restore: { verified: true } });
    expect(problems.some((problem) => problem.message.startsWith(`Logging the restore of ${live} failed`))).toBe(true);
    // Still answering requests.
    expect(await callCore(core, 'databases.list', {})).toHaveLength(1);
    expect(unhandled).toEqual([]);
  });
});
