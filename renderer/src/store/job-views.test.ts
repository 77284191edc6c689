import { describe, expect, it } from 'vitest';
import type { JobInfo, JobProgress } from '../../../app/api/index.ts';
import { indexBackups, selectBackupBusy, selectJobOfDatabase, withStartedJob, type JobView } from './job-views.ts';

const info = (jobId: string, databaseId: number | null, kind: JobInfo['kind'] = 'backup'): JobInfo => ({ jobId, kind, databaseId, label: jobId, state: 'running', queuedAt: '2026-12-01T10:00:00Z', progress: null });
const progress = (jobId: string, databaseId: number, remainingPages: number): JobProgress => ({
  jobId,
  kind: 'backup',
  databaseId,
  phase: 'copy',
  totalPages: 100,
  remainingPages,
  bytesCopied: 0,
  bytesPerSecond: 0,
  restarts: 0,
  elapsedMs: 0,
});
const finished = (view: JobView): JobView => ({ ...view, finished: { jobId: view.info.jobId, kind: 'backup', databaseId: view.info.databaseId, label: view.info.label, ok: true, cancelled: false, backup: null, error: null } });

describe('each database\'s backup job, by database', () => {
  it('finds a database\'s backup through the index, the running one before one that just finished', () => {
    const jobs: Record<string, JobView> = {
      old: finished({ info: info('old', 1), progress: null, finished: null }),
      now: { info: info('now', 1), progress: progress('now', 1, 50), finished: null },
      other: { info: info('other', 2), progress: null, finished: null },
      check: { info: info('check', 3, 'verify'), progress: null, finished: null },
    };
    const state = { jobs, backupOf: indexBackups(jobs) };
    expect(state.backupOf).toEqual({ 1: 'now', 2: 'other' });
    expect(selectJobOfDatabase(state, 1)?.progress?.remainingPages).toBe(50);
    expect(selectJobOfDatabase(state, 3)).toBeUndefined();
  });

  it('a progress tick of one job leaves every other database\'s view as it was', () => {
    const jobs: Record<string, JobView> = { a: { info: info('a', 1), progress: null, finished: null }, b: { info: info('b', 2), progress: null, finished: null } };
    const before = { jobs, backupOf: indexBackups(jobs) };
    const tick = progress('a', 1, 10);
    const after = { jobs: { ...jobs, a: { ...jobs.a!, progress: tick } }, backupOf: before.backupOf };
    expect(selectJobOfDatabase(after, 2)).toBe(selectJobOfDatabase(before, 2));
    expect(selectJobOfDatabase(after, 1)?.progress).toBe(tick);
  });
});

describe('Backup now is busy from the press until the backup ends', () => {
  const idle = { jobs: {}, backupOf: {}, starting: {} };

  it('is busy while the start is on its way, though the bar of the backup before still shows it ended', () => {
    const jobs: Record<string, JobView> = { before: finished({ info: info('before', 1), progress: null, finished: null }) };
    const lingering = { jobs, backupOf: indexBackups(jobs), starting: {} };
    expect(selectBackupBusy(lingering, 1)).toBe(false);
    expect(selectBackupBusy({ ...lingering, starting: { 1: true } }, 1)).toBe(true);
    expect(selectBackupBusy({ ...lingering, starting: { 1: true } }, 2)).toBe(false);
  });

  it('the answered start shows the new job at once, before the queue says so, and the database stays busy', () => {
    const jobs: Record<string, JobView> = { before: finished({ info: info('before', 1), progress: null, finished: null }) };
    const answered = { ...withStartedJob({ jobs, backupOf: indexBackups(jobs), starting: {} }, info('next', 1)), starting: {} };
    expect(selectJobOfDatabase(answered, 1)?.info.jobId).toBe('next');
    expect(selectBackupBusy(answered, 1)).toBe(true);
  });

  it('an answer that comes after the job\'s own events leaves what they said', () => {
    const ended = finished({ info: info('quick', 1), progress: progress('quick', 1, 0), finished: null });
    const state = { jobs: { quick: ended }, backupOf: { 1: 'quick' }, starting: {} };
    expect(withStartedJob(state, info('quick', 1))).toBe(state);
    expect(selectBackupBusy({ ...withStartedJob(idle, info('late', 2)), starting: {} }, 2)).toBe(true);
  });
});
