/** The job queue with real promises (and the test's own clock for throttling): order, concurrency, refusal, cancel, throttling. */
import { describe, expect, it, vi } from 'vitest';
import type { JobInfo, JobProgress } from '../api/types.ts';
import { JOB_PROGRESS_INTERVAL_MS, JobQueue, type JobHandle } from './job-queue.ts';

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

  it('passes on the first report, every phase change and the latest report, but not every report', async () => {
    // The clock is the test's: the interval is up when the test says so, however busy the machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { progress, listener } = recorder();
      const queue = new JobQueue(1, listener);
      const hold = gate();
      let job!: JobHandle;
      const { done } = queue.enqueue(spec('a', async (handle) => ((job = handle), await hold.opened, 'done')));
      const report = (phase: 'copy' | 'verify', remainingPages: number) =>
        job.progress({ phase, totalPages: 100, remainingPages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0, elapsedMs: 0 });
      const sent = () => progress.map((p) => `${p.phase}:${p.remainingPages}`);
      // 50 reports in a burst: the first passes at once, the rest wait for the interval.
      for (let remaining = 100; remaining > 50; remaining -= 1) report('copy', remaining);
      expect(sent()).toEqual(['copy:100']);
      vi.advanceTimersByTime(JOB_PROGRESS_INTERVAL_MS - 1);
      expect(sent()).toEqual(['copy:100']);
      // The interval is up: the latest of the burst is sent, the others never are.
      vi.advanceTimersByTime(1);
      expect(sent()).toEqual(['copy:100', 'copy:51']);
      // A phase change passes at once, and nothing of the old phase trails behind it.
      report('copy', 40);
      report('verify', 0);
      vi.advanceTimersByTime(10 * JOB_PROGRESS_INTERVAL_MS);
      expect(sent()).toEqual(['copy:100', 'copy:51', 'verify:0']);
      hold.open();
      expect(await done).toBe('done');
    } finally {
      vi.useRealTimers();
    }
  });
});
