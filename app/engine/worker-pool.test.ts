// How many engine workers run at once. Each worker thread takes tens of MB, so requests
// that no job queue bounds (inspect, verify, usage) wait for a free slot instead of each
// starting a thread. Workers are counted as Node creates them, through the diagnostics
// channel it publishes every new worker on, independently of the engine's own count.
import { afterAll, describe, expect, it } from 'vitest';
import { subscribe } from 'node:diagnostics_channel';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as engine from './index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-worker-pool-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bound = Math.max(2, availableParallelism());

const workers = { created: 0, live: 0, mostLive: 0 };
subscribe('worker_threads', (message) => {
  const { worker } = message as { worker: Worker };
  workers.created += 1;
  workers.live += 1;
  workers.mostLive = Math.max(workers.mostLive, workers.live);
  worker.once('exit', () => (workers.live -= 1));
});

function chinook(name: string): string {
  const path = join(root, name);
  copyFileSync(chinookFixture, path);
  return path;
}

describe('light operations share a bounded number of workers', () => {
  // Many worker starts in a row on a loaded machine can take minutes: the timeout only bounds a hang.
  it(`200 inspects at once never run more than max(2, cores) = ${bound} workers, and all answer`, { timeout: 600_000 }, async () => {
    const path = chinook('many.db');
    await expect.poll(() => workers.live).toBe(0);
    workers.mostLive = 0;
    const answers = Array.from({ length: 200 }, () => engine.inspect(path));
    const results = await Promise.all(answers);
    for (const result of results) {
      expect(result.tables).toContainEqual({ name: 'Track', rows: 3503 });
      expect(result.journalMode).toBe('delete');
    }
    expect(workers.mostLive).toBeLessThanOrEqual(bound);
    expect(workers.mostLive).toBeGreaterThan(0);
    await expect.poll(() => engine.lightWorkers()).toEqual({ limit: bound, running: 0, waiting: 0 });
  });

  it('requests past the bound wait in order; one cancelled while waiting never starts, and a backup is not held up', async () => {
    const path = chinook('locked.db');
    await engine.endIdleWorkers();
    await expect.poll(() => workers.live).toBe(0);
    // Every inspect waits on this lock (same process: SQLite sees its own connections' locks).
    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    const created = workers.created;
    const holding = Array.from({ length: bound }, () => engine.inspect(path, { busyTimeoutMs: 60_000 }));
    const controller = new AbortController();
    const queued = engine.inspect(path, { busyTimeoutMs: 60_000, signal: controller.signal });
    const queuedOutcome = queued.then(
      () => 'answered',
      (error: unknown) => error,
    );
    expect(engine.lightWorkers()).toEqual({ limit: bound, running: bound, waiting: 1 });
    await expect.poll(() => workers.created - created).toBe(bound);

    // A backup is bounded by the job queue, not by these slots: it runs while they are full.
    const other = chinook('other.db');
    const backedUp = await engine.backup(other, join(root, 'other-copy.db'));
    expect(backedUp.manifest.verification.verdict).toBe('passed');
    expect(engine.lightWorkers()).toEqual({ limit: bound, running: bound, waiting: 1 });

    controller.abort();
    expect(await queuedOutcome).toMatchObject({ code: 'CANCELLED', message: 'Pagevault inspect: cancelled before it started' });
    expect(engine.lightWorkers()).toEqual({ limit: bound, running: bound, waiting: 0 });

    locker.exec('ROLLBACK');
    locker.close();
    for (const result of await Promise.all(holding)) expect(result.tables).toContainEqual({ name: 'Track', rows: 3503 });
    // The bound's inspects and the backup's one worker; the cancelled inspect never had one.
    expect(workers.created - created).toBe(bound + 1);
    await expect.poll(() => engine.lightWorkers()).toEqual({ limit: bound, running: 0, waiting: 0 });
  });
});

describe('a worker is reused for the next operation once it has finished one', () => {
  it('a second backup runs in the first one\'s worker: one worker started for two backups and an inspect', async () => {
    await engine.endIdleWorkers();
    await expect.poll(() => workers.live).toBe(0);
    const created = workers.created;
    const source = chinook('reused.db');
    const first = await engine.backup(source, join(root, 'reused-1.db'));
    const second = await engine.backup(source, join(root, 'reused-2.db'));
    const inspected = await engine.inspect(join(root, 'reused-2.db'));
    expect(first.manifest.verification.verdict).toBe('passed');
    expect(second.manifest.verification.verdict).toBe('passed');
    expect(second.manifest.sha256).toBe(first.manifest.sha256);
    expect(inspected.tables).toContainEqual({ name: 'Track', rows: 3503 });
    expect(workers.created - created).toBe(1);
    // Waiting between operations, it keeps nothing busy.
    expect(engine.lightWorkers()).toEqual({ limit: bound, running: 0, waiting: 0 });
  });

  it('a worker whose operation failed ends, and the next operation starts a fresh one', async () => {
    await engine.endIdleWorkers();
    await expect.poll(() => workers.live).toBe(0);
    const created = workers.created;
    const notADatabase = join(root, 'not-a-database.db');
    writeFileSync(notADatabase, 'plain text, not SQLite');
    await expect(engine.backup(notADatabase, join(root, 'never.db'))).rejects.toMatchObject({ code: 'NOT_A_DATABASE' });
    await expect.poll(() => workers.live).toBe(0);
    const backedUp = await engine.backup(chinook('after-failure.db'), join(root, 'after-failure-copy.db'));
    expect(backedUp.manifest.verification.verdict).toBe('passed');
    expect(workers.created - created).toBe(2);
  });

  it('a cancelled operation\'s worker is terminated, and the next operation starts a fresh one', async () => {
    await engine.endIdleWorkers();
    await expect.poll(() => workers.live).toBe(0);
    const path = chinook('cancelled.db');
    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const created = workers.created;
      const controller = new AbortController();
      const waiting = engine.inspect(path, { busyTimeoutMs: 60_000, signal: controller.signal });
      await expect.poll(() => workers.created - created).toBe(1);
      controller.abort();
      await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect.poll(() => workers.live).toBe(0);
      locker.exec('ROLLBACK');
      const inspected = await engine.inspect(path);
      expect(inspected.tables).toContainEqual({ name: 'Track', rows: 3503 });
      expect(workers.created - created).toBe(2);
    } finally {
      if (locker.inTransaction) locker.exec('ROLLBACK');
      locker.close();
    }
  });
});
