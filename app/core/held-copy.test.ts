/**
 * Databases another program holds: a run the engine defers is in the history as deferred,
 * not failed, tells a person who asked for it calmly and a schedule not at all, and is no
 * backup of the database's state; a copy taken without a lock keeps how it was taken, in
 * the history and through an import of its folder. The engine's backup is wrapped to give
 * those outcomes on demand; the catalog, the files and the rest of the run are real.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { BackupManifest, HeldCopy, JobFinished } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import * as engine from '../engine/index.ts';
import { writeManifest } from '../engine/manifest.ts';
import type { Clock } from '../scheduler/scheduler.ts';
import type { EngineBackup } from './backup-jobs.ts';
import { Core, type DesktopNotification } from './core.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-core-held-'));
const cores: Core[] = [];
afterAll(async () => {
  for (const core of cores) await core.close();
  rmSync(root, { recursive: true, force: true });
});

let caseNumber = 0;
const heldCopy: HeldCopy = { journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' };

/** What the engine does with a held database, chosen per run: defer it, or copy it without a lock. */
type Held = 'defer' | 'copy' | 'normal';

/** A core on a fresh folder whose engine backup does what `held.next` says. */
function heldCore(options: { clock?: Clock } = {}) {
  caseNumber += 1;
  const work = join(root, `case-${caseNumber}`);
  const dataDir = join(work, 'data');
  const live = join(work, 'chinook.sqlite');
  mkdirSync(work, { recursive: true });
  copyFileSync(chinookFixture, live);
  const notes: DesktopNotification[] = [];
  const held = { next: 'normal' as Held };
  const backup: EngineBackup = async (source, destination, runOptions) => {
    if (held.next === 'defer') {
      throw new PagevaultError('DEFERRED', `Deferred: another program kept writing to ${source} while it was copied; tried 12 times, and the next run tries again`);
    }
    const result = await engine.backup(source, destination, runOptions);
    if (held.next === 'normal') return result;
    // As the engine writes it for a copy taken without a lock: the manifest says so.
    const manifest: BackupManifest = { ...result.manifest, heldCopy };
    await writeManifest(result.path, manifest, 0o600);
    return { ...result, manifest };
  };
  const open = (clock?: Clock) => {
    const core = new Core({ dataDir, shell: 'web', backup, clock, timezone: 'UTC', services: { notify: (note) => notes.push(note) } });
    cores.push(core);
    return core;
  };
  return { work, dataDir, live, notes, held, open, core: open(options.clock) };
}

/** A clock standing still at `now`, whose timers never fire on their own. */
const clockAt = (now: string): Clock => ({ now: () => new Date(now), setTimer: () => () => undefined });

async function backUpNow(core: Core, databaseId: number): Promise<JobFinished> {
  const job = await callCore(core, 'backups.start', { databaseId });
  return jobFinished(core, job.jobId);
}

describe('a deferred backup', () => {
  it('is recorded as deferred with its reason, names no file, and tells whoever asked, calmly', async () => {
    const { core, live, notes, held } = heldCore();
    const { id, destination } = await callCore(core, 'databases.add', { path: live });
    held.next = 'defer';
    const done = await backUpNow(core, id);
    expect(done).toMatchObject({ ok: false, cancelled: false, error: { code: 'DEFERRED' } });
    expect(done.backup).toMatchObject({ status: 'deferred', path: null, trigger: 'manual', heldCopy: null, error: { code: 'DEFERRED' } });
    expect(done.backup!.error!.message).toBe(`Deferred: another program kept writing to ${live} while it was copied; tried 12 times, and the next run tries again`);
    expect(notes).toEqual([{ kind: 'notice', title: 'Backup of chinook deferred', body: done.backup!.error!.message }]);
    expect((await callCore(core, 'history.list', { status: 'deferred' })).entries.map((e) => e.id)).toEqual([done.backup!.id]);
    expect((await callCore(core, 'history.list', { status: 'failed' })).total).toBe(0);
    expect((await callCore(core, 'databases.list', {}))[0]!.lastBackup).toMatchObject({ status: 'deferred' });
    expect(existsSync(destination) ? readdirSync(destination) : []).toEqual([]);
  });

  it('of a schedule uses up its slot without a notification, and does not count as a backup for skip-if-unchanged', async () => {
    const setup = heldCore({ clock: clockAt('2026-11-20T08:00:00Z') });
    const { id } = await callCore(setup.core, 'databases.add', { path: setup.live });
    const first = await backUpNow(setup.core, id);
    expect(first.backup?.status).toBe('succeeded');
    // The database changes after that backup: the state a deferred run could not copy.
    const db = new Database(setup.live);
    db.prepare("INSERT INTO Genre (Name) VALUES ('Field recordings')").run();
    db.close();
    await callCore(setup.core, 'schedules.set', { databaseId: id, schedule: { spec: { kind: 'daily', time: '18:30' }, enabled: true, skipIfUnchanged: true } });
    await setup.core.close();

    // The day's slot, one minute late: due, not missed. The engine defers it.
    setup.held.next = 'defer';
    const slot = new Date('2026-11-20T18:30:00Z');
    const later = setup.open(clockAt(new Date(slot.getTime() + 60_000).toISOString()));
    const ran = new Promise<JobFinished>((resolve) => later.events.on('job.finished', resolve));
    later.startScheduler();
    const deferred = await ran;
    expect(deferred.backup).toMatchObject({ status: 'deferred', trigger: 'schedule', error: { code: 'DEFERRED' } });
    expect(setup.notes).toEqual([]);
    const [schedule] = await callCore(later, 'schedules.list', {});
    expect(schedule!.lastRun).toMatchObject({ status: 'deferred' });
    expect(schedule!.nextRuns[0]).toBe(new Date(slot.getTime() + 86_400_000).toISOString());
    // Looking again at the same moment starts nothing: the deferred slot was tried.
    later.resumed();
    expect(await callCore(later, 'jobs.list', {})).toEqual([]);
    await later.close();

    // The slot after: the database is unchanged since the deferred run, yet changed since the
    // last backup, so it is copied rather than skipped.
    setup.held.next = 'normal';
    const next = setup.open(clockAt(new Date(slot.getTime() + 86_400_000 + 60_000).toISOString()));
    const copied = new Promise<JobFinished>((resolve) => next.events.on('job.finished', resolve));
    next.startScheduler();
    expect((await copied).backup).toMatchObject({ status: 'succeeded', trigger: 'schedule' });
    expect((await callCore(next, 'history.list', {})).entries.map((e) => e.status)).toEqual(['succeeded', 'deferred', 'succeeded']);
  });
});

describe('a copy taken while another program held the database', () => {
  it('keeps how it was copied in the history, and an import of its folder brings that back', async () => {
    const { core, live, held, work } = heldCore();
    const { id } = await callCore(core, 'databases.add', { path: live });
    held.next = 'copy';
    const done = await backUpNow(core, id);
    expect(done).toMatchObject({ ok: true, backup: { status: 'succeeded', heldCopy } });
    expect((await callCore(core, 'history.list', {})).entries[0]!.heldCopy).toEqual(heldCopy);
    const path = done.backup!.path!;
    expect((JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest).heldCopy).toEqual(heldCopy);

    const folder = join(path, '..');
    const fresh = new Core({ dataDir: join(work, 'other-data'), shell: 'web' });
    cores.push(fresh);
    expect(await callCore(fresh, 'history.import', { folder })).toMatchObject({ imported: 1, problems: [] });
    expect((await callCore(fresh, 'history.list', {})).entries[0]).toMatchObject({ path, trigger: 'import', heldCopy });
  });

  it('an import takes manifests without a heldCopy as normal backups, and refuses one whose heldCopy is malformed', async () => {
    const { core, live, work } = heldCore();
    const { id } = await callCore(core, 'databases.add', { path: live });
    const normal = (await backUpNow(core, id)).backup!.path!;
    const folder = join(normal, '..');
    const odd = join(folder, 'chinook-odd.db');
    copyFileSync(normal, odd);
    const manifest = JSON.parse(readFileSync(`${normal}.manifest.json`, 'utf8')) as BackupManifest;
    writeFileSync(`${odd}.manifest.json`, JSON.stringify({ ...manifest, file: 'chinook-odd.db', heldCopy: { journal: 'wal', tries: 'twice', consistentUpTo: 'frame 3' } }));

    const fresh = new Core({ dataDir: join(work, 'other-data'), shell: 'web' });
    cores.push(fresh);
    const imported = await callCore(fresh, 'history.import', { folder });
    expect(imported).toMatchObject({ imported: 1, alreadyKnown: 0 });
    expect(imported.problems).toEqual([
      'chinook-odd.db.manifest.json: its heldCopy.tries is "twice", not a whole number from 1 up; not imported',
    ]);
    const { entries } = await callCore(fresh, 'history.list', {});
    expect(entries.map((e) => [e.path, e.heldCopy])).toEqual([[normal, null]]);
  });
});
