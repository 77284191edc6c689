import { describe, expect, it } from 'vitest';
import type { JobInfo, JobProgress } from '../../../app/api/index.ts';
import { indexBackups, selectJobOfDatabase, type JobView } from './job-views.ts';

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
