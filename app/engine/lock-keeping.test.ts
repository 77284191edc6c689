// POSIX record locks belong to the process: closing any descriptor of a database drops
// every lock the process holds on it, SQLite's included. The engine's workers must never
// close one while another part of the process may hold a lock through SQLite.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { verify } from './index.ts';
import { enterDatabases, leaveDatabases, openForWorker } from './database-files.ts';
import { createCancelFlag } from './context.ts';
import type { WorkerCommand, WorkerInput, WorkerMessage } from './operations.ts';
import { makeDatabase } from '../../test-support/databases.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-locks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The POSIX locks this process holds on `path`, as /proc/locks lists them (by inode). */
function locksHeld(path: string): number {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8').split('\n').filter((line) => line.includes(` ${process.pid} `) && line.includes(`:${inode} `)).length;
}

describe('the locks SQLite holds in this process', () => {
  it.skipIf(process.platform !== 'linux')('a verify of a rollback-journal database leaves the SHARED lock a reader holds on it in place', async () => {
    const path = join(root, 'journal.db');
    makeDatabase(path, { journalMode: 'delete', bytes: 200_000 });
    // A read transaction in this thread, as a stepped backup's step in another worker
    // would be: SQLite holds a SHARED lock on the database file until it ends.
    const reader = new Database(path, { readonly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM blobs').get();
      expect(locksHeld(path)).toBeGreaterThan(0);
      // Another engine worker at work on the database keeps the descriptors opened for it.
      const working = enterDatabases([path]);
      try {
        const result = await verify(path);
        expect(result.ok).toBe(true);
        expect(locksHeld(path)).toBeGreaterThan(0);
        reader.exec('COMMIT');
        expect(locksHeld(path)).toBe(0);
      } finally {
        leaveDatabases(working.keys);
      }
    } finally {
      reader.close();
    }
  });


  it.skipIf(process.platform !== 'linux')('a file a worker needs and was not given is opened by the starting thread, so the worker ending drops no lock', async () => {
    const path = join(root, 'not-given.db');
    makeDatabase(path, { journalMode: 'delete', bytes: 200_000 });
    const reader = new Database(path, { readonly: true });
    try {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM blobs').get();
      expect(locksHeld(path)).toBeGreaterThan(0);
      // This thread starts the engine's worker as index.ts does, but passes no descriptors,
      // as for a file that appeared after the worker started. Node closes the descriptors
      // a worker opened when it ends, and with them the reader's lock.
      const working = enterDatabases([path]);
      try {
        const input: WorkerInput<'verify'> = { operation: 'verify', params: { path }, cancelFlag: createCancelFlag(), descriptors: {} };
        const worker = new Worker(new URL('./worker.ts', import.meta.url));
        const messages: WorkerMessage[] = [];
        worker.on('message', (message: WorkerMessage) => {
          messages.push(message);
          if (message.type === 'open') openForWorker(message.path, message.answer);
          if (message.type === 'result' || message.type === 'error') worker.postMessage({ type: 'end' } satisfies WorkerCommand);
        });
        worker.postMessage({ type: 'run', input } satisfies WorkerCommand);
        await once(worker, 'exit');
        expect(messages.find((message) => message.type === 'result')).toMatchObject({ value: { ok: true } });
        expect(locksHeld(path)).toBeGreaterThan(0);
        reader.exec('COMMIT');
        expect(locksHeld(path)).toBe(0);
      } finally {
        leaveDatabases(working.keys);
      }
    } finally {
      reader.close();
    }
  });
});
