/**
 * `changeMark(file)`: a short string that changes whenever the database may have changed:
 * SQLite's file change counter (bumped by every commit in rollback-journal mode), the
 * file's size and time, and the `-wal` file's size and time (WAL commits go there first).
 * Equal marks mean unchanged; a checkpoint can change the mark without changing the data,
 * which costs one extra backup, never a missed one.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { closeDatabaseFile, openDatabaseFile } from './database-files.ts';
import { checkSqliteFile } from './sqlite-file.ts';

/**
 * The change mark of `path`; throws like a backup would for a file that is not a
 * database. An encrypted database's change counter is encrypted with the rest of page 1;
 * every commit rewrites page 1 (the counter is on it) with a fresh IV, so a hash of the
 * page's bytes changes with every commit just as the counter does.
 */
export async function changeMark(path: string): Promise<string> {
  const wal = await stat(`${path}-wal`).catch(() => undefined);
  const walPart = wal && wal.size > 0 ? `${wal.size}@${wal.mtimeMs}` : 'no-wal';
  try {
    const { stats, header } = await checkSqliteFile(path, 'Cannot back up');
    return `${header.changeCounter}:${stats.size}@${stats.mtimeMs}:${walPart}`;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENCRYPTED') throw error;
  }
  const stats = await stat(path);
  const file = openDatabaseFile(path, 'Cannot back up');
  const page = Buffer.alloc(4096);
  try {
    readSync(file.fd, page, 0, page.length, 0);
  } finally {
    closeDatabaseFile(file);
  }
  return `encrypted-${createHash('sha256').update(page).digest('hex').slice(0, 16)}:${stats.size}@${stats.mtimeMs}:${walPart}`;
}
