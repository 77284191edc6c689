/**
 * The core with a real catalog and the real engine: add databases, Backup now, cancel,
 * history, settings. Every backup is checked on disk.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupRecord, JobProgress } from '../api/index.ts';
import { chinookFixture, chinookRowCounts } from '../../scripts/fixtures.ts';
import { coreCases, rowCounts } from '../../test-support/core-calls.ts';
import { makeDatabase } from '../../test-support/databases.ts';

const t = coreCases('pv-core-backups-');
const { call, failure, finished } = t;

function chinookCopy(name = 'chinook.sqlite'): string {
  const path = join(t.work, name);
  copyFileSync(chinookFixture, path);
  return path;
}

describe('adding databases', () => {
  it('inspects and registers a database with a default folder and mode', async () => {
    const path = chinookCopy();
    const added = await call('databases.add', { path });
    expect(added).toMatchObject({ path, label: 'chinook', mode: 'stepped', journalMode: 'delete', pageSize: 4096, lastBackup: null, sizeBytes: 1_007_616 });
    expect(added.destination).toBe(join(t.work, 'data', 'backups', 'chinook'));
    expect(await call('databases.list', {})).toHaveLength(1);
  });

  it('gives a WAL database snapshot mode, and a second database of the same name its own folder', async () => {
    const first = join(t.work, 'a', 'places.sqlite');
    const second = join(t.work, 'b', 'places.sqlite');
    mkdirSync(join(t.work, 'a'));
    mkdirSync(join(t.work, 'b'));
    makeDatabase(first, { journalMode: 'wal' });
    makeDatabase(second, { journalMode: 'wal' });
    const a = await call('databases.add', { path: first });
    const b = await call('databases.add', { path: second });
    expect(a.mode).toBe('snapshot');
    expect(b.destination).toBe(`${a.destination}-2`);
  });

  it.each([
    ['a missing file', (dir: string) => join(dir, 'nope.db'), 'NOT_FOUND'],
    ['a directory', (dir: string) => dir, 'IS_A_DIRECTORY'],
    ['a text file', (dir: string) => (writeFileSync(join(dir, 'notes.txt'), 'shopping list\n'), join(dir, 'notes.txt')), 'NOT_A_DATABASE'],
    ['an empty file', (dir: string) => (writeFileSync(join(dir, 'empty.db'), ''), join(dir, 'empty.db')), 'EMPTY_FILE'],
  ])('refuses %s with the engine message and adds nothing', async (_, make, code) => {
    const path = make(t.work);
    const error = await failure('databases.add', { path });
    expect(error.code).toBe(code);
    expect(error.message).toContain(path);
    expect(await call('databases.list', {})).toEqual([]);
  });

  it('refuses the same file twice, also through a symlink', async () => {
    const path = chinookCopy();
    await call('databases.add', { path });
    const error = await failure('databases.add', { path });
    expect(error).toEqual({ code: 'ALREADY_ADDED', message: `${path} is already in Pagevault as 'chinook'` });
    const { symlinkSync } = await import('node:fs');
    symlinkSync(path, join(t.work, 'link.sqlite'));
    expect((await failure('databases.add', { path: join(t.work, 'link.sqlite') })).code).toBe('ALREADY_ADDED');
  });

  it('refuses its own catalog', async () => {
    const error = await failure('databases.add', { path: join(t.work, 'data', 'catalog.sqlite') });
    expect(error.message).toContain("Pagevault's own catalog");
  });
});

describe('database settings', () => {
  it('validates the backup folder: a file, the database itself, a path under a file', async () => {
    const path = chinookCopy();
    const { id } = await call('databases.add', { path });
    writeFileSync(join(t.work, 'a-file'), 'x');
    expect(await failure('databases.update', { id, destination: join(t.work, 'a-file') })).toMatchObject({ code: 'NOT_A_FOLDER', message: expect.stringContaining('it is a file, not a folder') });
    expect((await failure('databases.update', { id, destination: path })).code).toBe('DEST_IS_SOURCE');
    expect((await failure('databases.update', { id, destination: join(t.work, 'a-file', 'sub') })).message).toContain('part of the path is a file');
    expect((await failure('databases.update', { id, label: '  ' })).message).toContain('A name is required');
    // Each refusal names its field as data, so the form shows it there without reading the message.
    expect((await failure('databases.update', { id, destination: join(t.work, 'a-file') })).issues).toEqual([{ path: 'destination', message: expect.stringContaining('it is a file, not a folder') }]);
    expect((await failure('databases.update', { id, destination: path })).issues).toEqual([{ path: 'destination', message: expect.stringContaining('it is the database file itself') }]);
    expect((await failure('databases.update', { id, label: '  ' })).issues).toEqual([{ path: 'label', message: 'A name is required' }]);
    const folder = join(t.work, 'new', 'folder');
    const updated = await call('databases.update', { id, destination: folder, label: 'Music store', mode: 'snapshot' });
    expect(updated).toMatchObject({ destination: folder, label: 'Music store', mode: 'snapshot' });
    expect(existsSync(folder)).toBe(true);
  });

  it('removes a database from Pagevault and leaves its backups on disk', async () => {
    const { id } = await call('databases.add', { path: chinookCopy() });
    const job = await call('backups.start', { databaseId: id });
    const done = await finished(job.jobId);
    const removed = await call('databases.remove', { id });
    expect(removed.backupsKept).toBe(1);
    expect(existsSync(done.backup!.path!)).toBe(true);
    expect(await call('databases.list', {})).toEqual([]);
    const history = await call('history.list', {});
    expect(history.entries[0]).toMatchObject({ databaseId: null, databaseLabel: 'chinook', status: 'succeeded' });
  });
});

describe('Backup now', () => {
  it('backs up into the database folder, verified, with progress, and records it', async () => {
    const path = chinookCopy();
    const { id } = await call('databases.add', { path });
    const progress: JobProgress[] = [];
    t.core.events.on('job.progress', (event) => progress.push(event));
    const job = await call('backups.start', { databaseId: id });
    expect(job).toMatchObject({ kind: 'backup', databaseId: id, label: 'chinook' });
    expect((await call('jobs.list', {})).map((j) => j.jobId)).toContain(job.jobId);
    const done = await finished(job.jobId);
    expect(done).toMatchObject({ ok: true, cancelled: false, error: null });
    const record = done.backup!;
    expect(record).toMatchObject({ status: 'succeeded', verification: 'passed', mode: 'stepped', pageCount: 246, pageSize: 4096, fileExists: true });
    expect(record.path!.startsWith(join(t.work, 'data', 'backups', 'chinook', 'chinook-'))).toBe(true);
    expect(existsSync(`${record.path}.manifest.json`)).toBe(true);
    expect(rowCounts(record.path!)).toEqual(chinookRowCounts);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.jobId === job.jobId)).toBe(true);
    expect(await call('jobs.list', {})).toEqual([]);
    const [summary] = await call('databases.list', {});
    expect(summary!.lastBackup?.id).toBe(record.id);
  });

  it('refuses a second Backup now of the same database while one runs', async () => {
    const { id } = await call('databases.add', { path: chinookCopy() });
    const job = await call('backups.start', { databaseId: id });
    const error = await failure('backups.start', { databaseId: id });
    expect(error).toEqual({ code: 'ALREADY_RUNNING', message: "A backup of 'chinook' is already running; wait for it to finish or cancel it" });
    await finished(job.jobId);
  });

  it('cancel stops the backup, removes the partial file and records it as cancelled', async () => {
    const path = join(t.work, 'big.db');
    makeDatabase(path, { journalMode: 'delete', bytes: 24 << 20 });
    const { id, destination } = await call('databases.add', { path });
    // Slow it right down so the cancel lands mid-copy.
    await call('databases.update', { id, pagesPerStep: 16, pauseMs: 20 });
    const job = await call('backups.start', { databaseId: id });
    await new Promise<void>((resolve) => {
      const off = t.core.events.on('job.progress', (event) => {
        if (event.phase === 'copy' && event.remainingPages < event.totalPages) {
          off();
          resolve();
        }
      });
    });
    expect(await call('jobs.cancel', { jobId: job.jobId })).toEqual({ cancelled: true });
    const done = await finished(job.jobId);
    expect(done).toMatchObject({ ok: false, cancelled: true, error: { code: 'CANCELLED' } });
    expect(done.backup).toMatchObject({ status: 'cancelled', path: null });
    expect(readdirSync(destination)).toEqual([]);
  });

  it('records a failure with the cause when the source is gone', async () => {
    const path = chinookCopy();
    const { id } = await call('databases.add', { path });
    const { rmSync } = await import('node:fs');
    rmSync(path);
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok).toBe(false);
    expect(done.error?.code).toBe('NOT_FOUND');
    expect(done.error?.message).toContain(path);
    const { entries } = await call('history.list', { status: 'failed' });
    expect(entries[0]!.error?.message).toBe(done.error?.message);
    expect((await call('databases.list', {}))[0]!.sizeBytes).toBeNull();
  });

  it('Backup all now queues every database, one at a time with concurrency 1', async () => {
    await call('settings.update', { concurrency: 1 });
    const ids = [];
    for (const name of ['one.sqlite', 'two.sqlite', 'three.sqlite']) ids.push((await call('databases.add', { path: chinookCopy(name) })).id);
    let maxRunning = 0;
    t.core.events.on('jobs.changed', (jobs) => (maxRunning = Math.max(maxRunning, jobs.filter((j) => j.state === 'running').length)));
    const { started, refused } = await call('backups.startAll', {});
    expect(refused).toEqual([]);
    expect(started.map((j) => j.databaseId).sort()).toEqual(ids.sort());
    const results = await Promise.all(started.map((j) => finished(j.jobId)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(maxRunning).toBe(1);
    expect((await call('history.list', {})).total).toBe(3);
  });
});

describe('history', () => {
  async function backedUp(): Promise<BackupRecord> {
    const { id } = await call('databases.add', { path: chinookCopy() });
    return (await finished((await call('backups.start', { databaseId: id })).jobId)).backup!;
  }

  it('verifies again, and finds a damaged file', async () => {
    const record = await backedUp();
    expect((await call('history.verify', { backupId: record.id })).verification).toBe('passed');
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(record.path!, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096 * 3);
    closeSync(fd);
    const again = await call('history.verify', { backupId: record.id });
    expect(again.verification).toBe('failed');
    expect(again.verificationProblems.join(' ')).toMatch(/sha-?256|manifest|check/i);
  });

  it('deletes the file and its manifest, and the entry', async () => {
    const record = await backedUp();
    const { deleted } = await call('history.delete', { backupId: record.id });
    expect(deleted).toEqual([record.path, `${record.path}.manifest.json`]);
    expect(existsSync(record.path!)).toBe(false);
    expect((await call('history.list', {})).total).toBe(0);
    expect((await failure('history.delete', { backupId: record.id })).code).toBe('UNKNOWN_ID');
  });

  it('rebuilds the history of a folder from its manifests in a new catalog', async () => {
    const record = await backedUp();
    const folder = join(record.path!, '..');
    const fresh = t.another(join(t.work, 'other-data'));
    const imported = await fresh.handle('history.import', { folder });
    expect(imported).toEqual({ ok: true, value: { folder, imported: 1, alreadyKnown: 0, problems: [] } });
    const again = await fresh.handle('history.import', { folder });
    expect(again).toMatchObject({ ok: true, value: { imported: 0, alreadyKnown: 1 } });
    const list = await fresh.handle('history.list', {});
    expect(list).toMatchObject({ ok: true, value: { total: 1, entries: [{ path: record.path, sha256: record.sha256, trigger: 'import', verification: 'passed' }] } });
    const empty = await fresh.handle('history.import', { folder: t.work });
    expect(empty).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('holds no Pagevault manifests') } });
  });

  it('reports each bad manifest of a folder by name and why, skips it, and imports the rest', async () => {
    const record = await backedUp();
    const folder = join(record.path!, '..');
    const good = JSON.parse(readFileSync(`${record.path}.manifest.json`, 'utf8')) as Record<string, unknown>;
    // Named to sort before the good one, so the import has to go on past them.
    const bad: Array<[string, string]> = [
      ['a-no-verification.db', JSON.stringify({ ...good, file: 'a-no-verification.db', verification: undefined })],
      ['b-not-json.db', '{"format": "pagevault-backup", '],
      ['c-odd-mode.db', JSON.stringify({ ...good, file: 'c-odd-mode.db', mode: 'fast' })],
      ['d-other-tool.db', JSON.stringify({ format: 'someone-else', file: 'd-other-tool.db' })],
    ];
    for (const [file, text] of bad) {
      copyFileSync(record.path!, join(folder, file));
      writeFileSync(join(folder, `${file}.manifest.json`), text);
    }
    const fresh = t.another(join(t.work, 'other-data'));
    const imported = await fresh.handle('history.import', { folder });
    expect(imported).toMatchObject({ ok: true, value: { imported: 1, alreadyKnown: 0 } });
    const { problems } = (imported as { value: { problems: string[] } }).value;
    expect(problems).toEqual([
      'a-no-verification.db.manifest.json: its verification is missing, not an object with verdict, check and problems; not imported',
      expect.stringMatching(/^b-not-json\.db\.manifest\.json: it is not JSON \(.+\); not imported$/),
      'c-odd-mode.db.manifest.json: its mode is "fast", not snapshot, stepped or compact; not imported',
      'd-other-tool.db.manifest.json: not a Pagevault manifest (no "format": "pagevault-backup"); not imported',
    ]);
    expect(await fresh.handle('history.list', {})).toMatchObject({ ok: true, value: { total: 1, entries: [{ path: record.path, trigger: 'import' }] } });
  });
});

describe('settings', () => {
  it('starts with defaults, validates, and keeps changes across a restart', async () => {
    const settings = await call('settings.get', {});
    expect(settings).toEqual({
      defaultBackupFolder: join(t.work, 'data', 'backups'),
      concurrency: 2,
      verifyAfterBackup: true,
      notifyOnSuccess: false,
      theme: 'system',
      schedulesPausedUntil: null,
      closeToTray: true,
      closeToTrayExplained: false,
      startAtLogin: false,
      backupEncryption: {},
    });
    expect((await failure('settings.update', { concurrency: 0 })).message).toContain('Concurrency is a number from 1 to 8');
    writeFileSync(join(t.work, 'file'), '');
    expect((await failure('settings.update', { defaultBackupFolder: join(t.work, 'file', 'x') })).message).toContain('part of the path is a file');
    await call('settings.update', { concurrency: 3, theme: 'dark', verifyAfterBackup: false });
    await t.restart();
    expect(await call('settings.get', {})).toMatchObject({ concurrency: 3, theme: 'dark', verifyAfterBackup: false });
  });

  it('with verify after backup off, the backup is recorded as unverified', async () => {
    await call('settings.update', { verifyAfterBackup: false });
    const { id } = await call('databases.add', { path: chinookCopy() });
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.backup?.verification).toBe('skipped');
    expect((await call('history.list', { status: 'unverified' })).total).toBe(1);
    expect((await call('history.list', { status: 'verified' })).total).toBe(0);
  });

  it('file dialogs and the file manager answer NOT_SUPPORTED in the browser shell', async () => {
    expect((await failure('files.pick', { purpose: 'databases' })).code).toBe('NOT_SUPPORTED');
    expect((await failure('files.reveal', { path: '/tmp' })).code).toBe('NOT_SUPPORTED');
  });
});
