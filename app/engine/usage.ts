/**
 * `usage(file)`: is another program using this database right now? Never changes what
 * the database holds. A rollback-journal database is judged by whether an exclusive lock
 * can be taken (and at once released). A WAL database by whether a write lock can be
 * taken, and by what SQLite does when a connection closes: the last connection to close
 * checkpoints the `-wal` and removes it and the `-shm` (the same checkpoint any program
 * closing the database makes), so files left behind mean another connection is open.
 */
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { DatabaseUsage, SourceKey } from '../api/types.ts';
import { checkDatabaseFile, openEncrypted } from './connection.ts';
import { toPagevaultError } from './sqlite-errors.ts';

/** How long the usage check watches a database for writes by another program. */
export interface UsageOptions {
  /** How long to watch the `-wal` for writes (default 300 ms). */
  sampleMs?: number;
  /** The key of an encrypted database: its header and locks are read through a keyed connection. */
  key?: SourceKey;
}

interface FileMark {
  size: number;
  mtimeMs: number;
}

const markOf = (path: string): Promise<FileMark | undefined> =>
  stat(path).then(
    (s) => ({ size: s.size, mtimeMs: s.mtimeMs }),
    () => undefined,
  );

/** Reports the signs that another program has `path` open or is writing to it. */
export async function probeUsage(path: string, options: UsageOptions = {}): Promise<DatabaseUsage> {
  const { header, encrypted } = await checkDatabaseFile(path, 'Cannot check whether another program uses', options.key);
  const open = () => (encrypted && options.key ? openEncrypted(path, options.key, `Cannot check whether another program uses ${path}`, { timeout: 0 }) : new Database(path, { fileMustExist: true, timeout: 0 }));
  const reasons: string[] = [];
  const wal = header.writeVersion === 2;

  if (wal) {
    let db: Database.Database | undefined;
    try {
      db = open();
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
      } catch (error) {
        if (toPagevaultError(error, path).code !== 'SOURCE_BUSY') throw error;
        reasons.push('another program is writing to it right now (it holds the write lock)');
      }
    } catch (error) {
      const wrapped = toPagevaultError(error, `Cannot check whether another program uses ${path}`);
      // Without write access the close cannot tell; fall back to the files alone.
      if (wrapped.code !== 'READ_ONLY' && wrapped.code !== 'PERMISSION_DENIED' && wrapped.code !== 'SOURCE_BUSY') throw wrapped;
    } finally {
      db?.close();
    }
    const before = await markOf(`${path}-wal`);
    const shm = await markOf(`${path}-shm`);
    if (before || shm) reasons.push('another program has it open (its -wal and -shm files stay while a connection is open)');
    if (before) {
      await new Promise((resolve) => setTimeout(resolve, options.sampleMs ?? 300));
      const after = await markOf(`${path}-wal`);
      if (after && (after.size !== before.size || after.mtimeMs !== before.mtimeMs)) reasons.unshift('another program is writing to it right now (its -wal file is growing)');
    }
  } else {
    if (await markOf(`${path}-journal`)) reasons.push('a write is in progress or was interrupted (its -journal file exists)');
    let db: Database.Database | undefined;
    try {
      db = open();
      // An exclusive lock needs every other connection to be idle. Nothing is written:
      // the transaction is rolled back before it touches a page.
      db.exec('BEGIN EXCLUSIVE');
      db.exec('ROLLBACK');
    } catch (error) {
      const wrapped = toPagevaultError(error, `Cannot check whether another program uses ${path}`);
      if (wrapped.code === 'SOURCE_BUSY') reasons.unshift('another program holds a lock on it right now (it is reading or writing)');
      else if (wrapped.code !== 'PERMISSION_DENIED' && wrapped.code !== 'READ_ONLY') throw wrapped;
    } finally {
      db?.close();
    }
  }
  return { inUse: reasons.length > 0, reasons };
}
