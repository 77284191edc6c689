/**
 * A WAL database its app has closed has no -wal or -shm beside it: the last connection to
 * close deleted both. Any SQLite connection that reads it makes both again, and a
 * read-only one (every backup reads through one, strategies/strategy.ts) never removes
 * them, so a backup left two files beside a database it was only asked to read.
 *
 * They are removed the way SQLite removes them, not by unlinking: a connection that can
 * write is opened and closed, and SQLite's close (`sqlite3WalClose` in `src/wal.c`)
 * deletes the -wal and the -shm only when it gets the database's EXCLUSIVE lock, that is
 * when no other connection of any process has the database open. An app that opened the
 * database meanwhile keeps both. The close checkpoints first, which writes into the
 * database only frames the WAL holds: this is done only while the -wal is empty (frames
 * in it are another program's, which then owns the files), so nothing is written.
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/** True when neither a -wal nor a -shm is beside `path`: a reader of it would make them. */
export function walCompanionsAbsent(path: string): boolean {
  return sizeOf(`${path}-wal`) === undefined && sizeOf(`${path}-shm`) === undefined;
}

/**
 * Removes the -wal and -shm that reading the closed WAL database `path` made, if no other
 * connection has it open and the -wal is still empty or gone (a -shm alone: see the
 * header), through `open`: a connection to it that can write, with no busy timeout (and
 * its key, if it has one).
 * Never throws: a database that is busy, read-only to this user or gone keeps what SQLite left.
 */
export function removeWalCompanionsMade(path: string, open: () => Database.Database): void {
  const walSize = sizeOf(`${path}-wal`);
  if (walSize !== 0 && (walSize !== undefined || sizeOf(`${path}-shm`) === undefined)) return;
  try {
    const db = open();
    try {
      // Opening is lazy: the first read opens the WAL, which the close then deletes.
      db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    } finally {
      db.close();
    }
  } catch {
    // The files stay, as SQLite would leave them.
  }
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
