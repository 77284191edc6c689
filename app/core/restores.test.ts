/**
 * The restore wizard's core with a real catalog and the real engine: check a backup,
 * describe targets, restore with a safety copy that lands in the history, undo, and
 * every refusal leaving the target as it was.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JobFinished } from '../api/index.ts';
import { chinookFixture, chinookRowCounts } from '../../scripts/fixtures.ts';
import { coreCases, integrityOf, rowCounts } from '../../test-support/core-calls.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { startLocker, startWriter } from '../../test-support/processes.ts';
import { compareTables } from './restores.ts';

const t = coreCases('pv-core-restores-');
const { call, failure, finished } = t;

/** A registered Chinook copy with one backup taken; returns both paths. */
async function chinookWithBackup(): Promise<{ live: string; backup: string; databaseId: number }> {
  const live = join(t.work, 'chinook.sqlite');
  copyFileSync(chinookFixture, live);
  const { id } = await call('databases.add', { path: live });
  const job = await call('backups.start', { databaseId: id });
  const done = await finished(job.jobId);
  expect(done.ok).toBe(true);
  return { live, backup: done.backup!.path!, databaseId: id };
}

function deleteInvoiceLines(path: string): void {
  const db = new Database(path);
  db.exec('DELETE FROM InvoiceLine');
  db.close();
}

async function check(backupPath: string): Promise<JobFinished> {
  const job = await call('restore.check', { backupPath });
  expect(job.kind).toBe('verify');
  return finished(job.jobId);
}

describe('compareTables', () => {
  it.each([
    { name: 'identical', backup: [{ name: 'a', rows: 1 }], target: [{ name: 'a', rows: 1 }], expected: { added: [], removed: [], changed: [], unchanged: 1 } },
    {
      name: 'rows differ',
      backup: [{ name: 'a', rows: 5 }],
      target: [{ name: 'a', rows: 2 }],
      expected: { added: [], removed: [], changed: [{ name: 'a', backupRows: 5, targetRows: 2 }], unchanged: 0 },
    },
    {
      name: 'tables added and removed',
      backup: [{ name: 'old', rows: 1 }],
      target: [{ name: 'new', rows: 3 }],
      expected: { added: ['old'], removed: ['new'], changed: [], unchanged: 0 },
    },
    { name: 'uncounted rows compare as unknown', backup: [{ name: 'a', rows: null }], target: [{ name: 'a', rows: 4 }], expected: { added: [], removed: [], changed: [{ name: 'a', backupRows: null, targetRows: 4 }], unchanged: 0 } },
  ])('$name', ({ backup, target, expected }) => {
    expect(compareTables(backup, target)).toEqual(expected);
  });
});

describe('checking a backup (step 2)', () => {
  it('verifies the backup, reads its manifest and compares it with the database it came from', async () => {
    const { live, backup, databaseId } = await chinookWithBackup();
    deleteInvoiceLines(live);
    const done = await check(backup);
    expect(done.ok).toBe(true);
    const result = done.check!;
    expect(result.verification.ok).toBe(true);
    expect(result.manifest?.source).toBe(live);
    expect(result.takenAtSource).toBe('manifest');
    expect(result.entry?.databaseId).toBe(databaseId);
    expect(result.entryMatchedBy).toBe('path');
    expect(result.inspect.tables.find((t) => t.name === 'InvoiceLine')?.rows).toBe(chinookRowCounts.InvoiceLine);
    expect(result.origin).toMatchObject({ path: live, exists: true, databaseId, label: 'chinook', problem: null, usage: { inUse: false, reasons: [] } });
    expect(result.origin!.comparison).toEqual({ added: [], removed: [], changed: [{ name: 'InvoiceLine', backupRows: chinookRowCounts.InvoiceLine, targetRows: 0 }], unchanged: 10 });
  });

  it('recognises a copy of a known backup by its checksum and finds where it came from', async () => {
    const { live, backup, databaseId } = await chinookWithBackup();
    const copy = join(t.work, 'dropped-copy.db');
    copyFileSync(backup, copy);
    const result = (await check(copy)).check!;
    expect(result).toMatchObject({ entryMatchedBy: 'checksum', takenAtSource: 'manifest', entry: { databaseId, path: backup } });
    expect(result.verification.manifestChecked).toBe(false);
    expect(result.origin?.path).toBe(live);
  });

  it.each([
    { name: 'a text file', content: 'just some notes\n'.repeat(200), code: 'NOT_A_DATABASE' },
    { name: 'a truncated database', content: readFileSync(chinookFixture).subarray(0, 100_000), code: 'TRUNCATED' },
    { name: 'an empty file', content: '', code: 'EMPTY_FILE' },
  ])('refuses $name with the engine’s message naming the file', async ({ content, code }) => {
    const path = join(t.work, 'candidate.db');
    writeFileSync(path, content);
    const done = await check(path);
    expect(done.ok).toBe(false);
    expect(done.error?.code).toBe(code);
    expect(done.error?.message).toContain(path);
  });

  it('refuses a missing file and a folder', async () => {
    expect((await check(join(t.work, 'nowhere.db'))).error?.code).toBe('NOT_FOUND');
    expect((await check(t.work)).error?.code).toBe('IS_A_DIRECTORY');
  });
});

describe('describing a target (step 3)', () => {
  it('explains why a folder, the backup itself, a missing folder or a non-database cannot be replaced', async () => {
    const { backup } = await chinookWithBackup();
    const notes = join(t.work, 'notes.txt');
    writeFileSync(notes, 'hello\n'.repeat(100));
    expect(await call('restore.target', { backupPath: backup, targetPath: t.work })).toMatchObject({ problemCode: 'IS_A_DIRECTORY', problem: expect.stringContaining('is a folder') });
    expect(await call('restore.target', { backupPath: backup, targetPath: backup })).toMatchObject({ problemCode: 'DEST_IS_SOURCE', problem: 'the backup and the target are the same file' });
    expect(await call('restore.target', { backupPath: backup, targetPath: join(t.work, 'no', 'such', 'dir', 'x.db') })).toMatchObject({ problemCode: 'NOT_FOUND', problem: expect.stringContaining('does not exist') });
    // The engine's cause as it words it, without the engine's own subject.
    const notADatabase = await call('restore.target', { backupPath: backup, targetPath: notes });
    expect(notADatabase).toMatchObject({ problemCode: 'NOT_A_DATABASE', problem: expect.stringMatching(/^the file is not a SQLite database \(/) });
    expect(await call('restore.target', { backupPath: backup, targetPath: join(t.work, 'data', 'catalog.sqlite') })).toMatchObject({ problemCode: 'OWN_FILE', problem: expect.stringContaining("Pagevault's own catalog") });
    const fresh = await call('restore.target', { backupPath: backup, targetPath: join(t.work, 'fresh.db') });
    expect(fresh).toMatchObject({ exists: false, problem: null, problemCode: null, usage: null, comparison: null, label: 'fresh' });
  });

  it('sees another program holding a lock, and refuses to restore unless told to go ahead', async () => {
    const { backup } = await chinookWithBackup();
    const other = join(t.work, 'other.sqlite');
    copyFileSync(chinookFixture, other);
    const locker = await startLocker(other);
    try {
      const target = await call('restore.target', { backupPath: backup, targetPath: other });
      expect(target.usage?.inUse).toBe(true);
      expect(target.usage?.reasons[0]).toContain('holds a lock');
      const refused = await failure('restore.start', { backupPath: backup, targetPath: other, safetyCopy: true });
      expect(refused.code).toBe('TARGET_BUSY');
      expect(refused.message).toContain(other);
      expect(refused.message).toContain('holds a lock');
      expect(refused.message).toContain('the target is unchanged');
    } finally {
      await locker.stop();
    }
    expect(readFileSync(other).equals(readFileSync(chinookFixture))).toBe(true);
    expect((await call('restore.target', { backupPath: backup, targetPath: other })).usage).toEqual({ inUse: false, reasons: [] });
  });

  it('sees a WAL database being written by another program', async () => {
    const wal = join(t.work, 'busy.sqlite');
    makeDatabase(wal, { journalMode: 'wal' });
    const backupJob = await call('backups.start', { databaseId: (await call('databases.add', { path: wal })).id });
    const backup = (await finished(backupJob.jobId)).backup!.path!;
    // The backup's read-only connection tidied up after itself (wal-companions.ts); another
    // read-only connection leaves -wal and -shm behind, which is not "in use" either.
    expect(existsSync(`${wal}-shm`)).toBe(false);
    const reader = new Database(wal, { readonly: true });
    reader.prepare('SELECT count(*) FROM sqlite_schema').get();
    reader.close();
    expect(existsSync(`${wal}-shm`)).toBe(true);
    expect((await call('restore.target', { backupPath: backup, targetPath: wal })).usage).toEqual({ inUse: false, reasons: [] });
    const writer = await startWriter(wal, 5);
    try {
      const target = await call('restore.target', { backupPath: backup, targetPath: wal });
      expect(target.usage?.inUse).toBe(true);
      expect(target.usage?.reasons.join(' ')).toContain('-wal');
    } finally {
      await writer.stop();
    }
  });
});

describe('restoring (steps 4 to 6)', () => {
  it('brings the rows back, records the safety copy as "before restore", and Undo brings the change back', async () => {
    const { live, backup, databaseId } = await chinookWithBackup();
    deleteInvoiceLines(live);
    const job = await call('restore.start', { backupPath: backup, targetPath: live, safetyCopy: true });
    expect(job).toMatchObject({ kind: 'restore', databaseId, label: 'chinook' });
    const phases = new Set<string>();
    const off = t.core.events.on('job.progress', (p) => p.jobId === job.jobId && phases.add(p.phase));
    const done = await finished(job.jobId);
    off();
    expect(done.error).toBeNull();
    expect(done.restore).toMatchObject({ target: live, databaseId, verified: true });
    expect([...phases]).toEqual(expect.arrayContaining(['check', 'safety-copy', 'copy']));
    expect(rowCounts(live)).toEqual(chinookRowCounts);
    expect(integrityOf(live)).toBe('ok');

    const safety = done.restore!.safetyCopyEntry!;
    expect(safety).toMatchObject({ trigger: 'before-restore', databaseId, status: 'succeeded', path: done.restore!.safetyCopy });
    expect(rowCounts(safety.path!).InvoiceLine).toBe(0);
    const history = await call('history.list', { databaseId });
    expect(history.entries.map((e) => e.trigger)).toEqual(['before-restore', 'manual']);

    const undo = await call('restore.start', { backupPath: safety.path!, targetPath: live, safetyCopy: true });
    const undone = await finished(undo.jobId);
    expect(undone.ok).toBe(true);
    expect(rowCounts(live).InvoiceLine).toBe(0);
    expect(integrityOf(live)).toBe('ok');
  });

  it('restores into a new file without a safety copy', async () => {
    const { backup } = await chinookWithBackup();
    const target = join(t.work, 'restored', 'copy.db');
    mkdirSync(join(t.work, 'restored'));
    const done = await finished((await call('restore.start', { backupPath: backup, targetPath: target, safetyCopy: true })).jobId);
    expect(done.restore).toMatchObject({ target, safetyCopy: null, safetyCopyEntry: null, databaseId: null, verified: true });
    expect(rowCounts(target)).toEqual(chinookRowCounts);
  });

  it('takes no safety copy when it is turned off', async () => {
    const { live, backup, databaseId } = await chinookWithBackup();
    deleteInvoiceLines(live);
    const done = await finished((await call('restore.start', { backupPath: backup, targetPath: live, safetyCopy: false })).jobId);
    expect(done.restore?.safetyCopy).toBeNull();
    expect(rowCounts(live)).toEqual(chinookRowCounts);
    expect((await call('history.list', { databaseId })).total).toBe(1);
  });

  it('refuses a target it cannot replace before queueing anything, and leaves it unchanged', async () => {
    const { backup } = await chinookWithBackup();
    const notes = join(t.work, 'notes.txt');
    writeFileSync(notes, 'hello\n'.repeat(100));
    const before = statSync(notes).mtimeMs;
    const refused = await failure('restore.start', { backupPath: backup, targetPath: notes, safetyCopy: true });
    // Refused with the engine's own code and words for the cause, not a generic bad request.
    expect(refused.code).toBe('NOT_A_DATABASE');
    expect(refused.message).toBe(`Cannot restore ${backup} into ${notes}: ${(await call('restore.target', { backupPath: backup, targetPath: notes })).problem}`);
    expect(refused.message).toContain('the file is not a SQLite database (');
    expect(statSync(notes).mtimeMs).toBe(before);
    expect(await call('jobs.list', {})).toEqual([]);
  });

  it('a cancelled restore leaves the target as it was', async () => {
    const { live, backup } = await chinookWithBackup();
    deleteInvoiceLines(live);
    const changed = readFileSync(live);
    const job = await call('restore.start', { backupPath: backup, targetPath: live, safetyCopy: true });
    await call('jobs.cancel', { jobId: job.jobId });
    const done = await finished(job.jobId);
    expect(done).toMatchObject({ ok: false, cancelled: true });
    expect(readFileSync(live).equals(changed)).toBe(true);
  });
});
