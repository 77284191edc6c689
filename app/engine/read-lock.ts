/**
 * Taking a read lock on a database that another program writes to back to back. SQLite's
 * busy handler sleeps between tries (1, 2, 5, 10 … 100 ms) and can miss every gap of such
 * a writer: a 150 MB rollback-journal backup under one failed one run in two with "database
 * is locked" after 5 s of such sleeps. Trying again at once takes the next gap, a few
 * milliseconds away (as `takeWriteLock` in wal-snapshot.ts does for the write lock).
 */
import type Database from 'better-sqlite3';

/**
 * Runs `read` (which takes a read lock, possibly after a BEGIN) until it gets past
 * SQLITE_BUSY, for at most `withinMs`. Undefined when the lock stayed taken all along:
 * another program then holds the database exclusively. A transaction `read` began is
 * rolled back before each new try; the connection's busy timeout is left as it was.
 */
export function whenReadable<T>(db: Database.Database, withinMs: number, read: () => T): { value: T } | undefined {
  const deadline = performance.now() + withinMs;
  const breath = new Int32Array(new SharedArrayBuffer(4));
  const timeout = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma('busy_timeout = 0');
  try {
    for (;;) {
      try {
        return { value: read() };
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        if (!isBusy(error) || performance.now() > deadline) {
          if (isBusy(error)) return undefined;
          throw error;
        }
        Atomics.wait(breath, 0, 0, 0.05); // a breath, not a sleep: the next gap may come any moment
      }
    }
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/** SQLITE_BUSY or SQLITE_LOCKED, with any extended code. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
