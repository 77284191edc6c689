/** The job queue with real promises: order, concurrency, refusal, cancel, progress with the job's ids. */
import { describe, expect, it } from 'vitest';
import type { JobInfo, JobProgress } from '../api/types.ts';
import { JobQueue, type JobHandle } from './job-queue.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function recorder() {
  const snapshots: JobInfo[][] = [];
  const progress: JobProgress[] = [];
  return { snapshots, progress, listener: { changed: (jobs: JobInfo[]) => snapshots.push(jobs), progress: (p: JobProgress) => progress.push(p) } };
}

const spec = (key: string, run: (job: JobHandle) => Promise<string>) => ({ kind: 'backup' as const, databaseId: 1, label: key, key, duplicateMessage: `${key} runs`, run });

describe('JobQueue', () => {
  it('runs at most `concurrency` jobs, in order, and starts the next when one ends', async () => {
    const { snapshots, listener } = recorder();
    const queue = new JobQueue(1, listener);
    const first = gate();
    const a = queue.enqueue(spec('a', async () => (await first.opened, 'A')));
    const b = queue.enqueue(spec('b', async () => 'B'));
    expect(queue.list().map((j) => [j.label, j.state])).toEqual([['a', 'running'], ['b', 'queued']]);
    first.open();
    expect(await a.done).toBe('A');
    expect(await b.done).toBe('B');
    expect(queue.list()).toEqual([]);
    expect(snapshots.at(-1)).toEqual([]);
  });

  it('refuses a second job with the same key while the first is there', async () => {
    const queue = new JobQueue(2, recorder().listener);
    const first = gate();
    const a = queue.enqueue(spec('a', async () => (await first.opened, 'A')));
    expect(() => queue.enqueue(spec('a', async () => 'again'))).toThrow('a runs');
    first.open();
    await a.done;
    expect(await queue.enqueue(spec('a', async () => 'again')).done).toBe('again');
  });

  it('cancels a queued job without running it, and signals a running one', async () => {
    const queue = new JobQueue(1, recorder().listener);
    let ranB = false;
    const a = queue.enqueue(
      spec('a', (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('stopped'))))),
    );
    const b = queue.enqueue(spec('b', async () => ((ranB = true), 'B')));
    expect(queue.cancel(b.info.jobId)).toBe(true);
    await expect(b.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(queue.cancel(a.info.jobId)).toBe(true);
    await expect(a.done).rejects.toThrow('stopped');
    expect(ranB).toBe(false);
    expect(queue.cancel('no-such-job')).toBe(false);
  });

  it('raising concurrency starts waiting jobs at once', async () => {
    const queue = new JobQueue(1, recorder().listener);
    const hold = gate();
    queue.enqueue(spec('a', async () => (await hold.opened, 'A')));
    queue.enqueue(spec('b', async () => (await hold.opened, 'B')));
    queue.setConcurrency(2);
    expect(queue.list().every((j) => j.state === 'running')).toBe(true);
    expect(() => queue.setConcurrency(0)).toThrow('Expected concurrency to be a whole number from 1 up, got 0');
    hold.open();
  });

  it('passes every report on as the job\'s, with its database, and keeps the latest in the job\'s info', async () => {
    const { progress, listener } = recorder();
    const queue = new JobQueue(1, listener);
    const hold = gate();
    let job!: JobHandle;
    const { info, done } = queue.enqueue(spec('a', async (handle) => ((job = handle), await hold.opened, 'done')));
    for (const remainingPages of [100, 99, 98]) job.progress({ phase: 'copy', totalPages: 100, remainingPages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0, elapsedMs: 0 });
    expect(progress.map((p) => [p.jobId, p.kind, p.databaseId, p.remainingPages])).toEqual([
      [info.jobId, 'backup', 1, 100],
      [info.jobId, 'backup', 1, 99],
      [info.jobId, 'backup', 1, 98],
    ]);
    expect(queue.list()[0]?.progress?.remainingPages).toBe(98);
    hold.open();
    expect(await done).toBe('done');
  });
});
