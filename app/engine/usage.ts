/**
 * `usage(file)`: is another program using this database right now? Answers without
 * changing the file: a WAL database is judged by its `-wal`/`-shm` files (SQLite removes
 * them when the last connection closes) and whether the `-wal` grows; a rollback-journal
 * database by whether an exclusive lock can be taken (and at once released).
 */
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { DatabaseUsage } from '../api/types.ts';
import { checkSqliteFile } from './sqlite-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';

export interface UsageOptions {
  /** How long to watch the `-wal` for writes (default 300 ms). */
  sampleMs?: number;
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
  const { header } = await checkSqliteFile(path, 'Cannot check whether another program uses');
  const reasons: string[] = [];
  const wal = header.writeVersion === 2;

  if (wal) {
    const before = await markOf(`${path}-wal`);
    const shm = await markOf(`${path}-shm`);
    if (before || shm) reasons.push('another program has it open (its -wal and -shm files exist; SQLite removes them when the last connection closes)');
    if (before) {
      await new Promise((resolve) => setTimeout(resolve, options.sampleMs ?? 300));
      const after = await markOf(`${path}-wal`);
      if (after && (after.size !== before.size || after.mtimeMs !== before.mtimeMs)) reasons.unshift('another program is writing to it right now (its -wal file is growing)');
    }
  } else {
    if (await markOf(`${path}-journal`)) reasons.push('a write is in progress or was interrupted (its -journal file exists)');
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true, timeout: 0 });
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
