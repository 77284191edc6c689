/**
 * `changeMark(file)`: a short string that changes whenever the database may have changed:
 * SQLite's file change counter (bumped by every commit in rollback-journal mode), the
 * file's size and time, and the `-wal` file's size and time (WAL commits go there first).
 * Equal marks mean unchanged; a checkpoint can change the mark without changing the data,
 * which costs one extra backup, never a missed one.
 */
import { stat } from 'node:fs/promises';
import { checkSqliteFile } from './sqlite-file.ts';

/** The change mark of `path`; throws like a backup would for a file that is not a database. */
export async function changeMark(path: string): Promise<string> {
  const { stats, header } = await checkSqliteFile(path, 'Cannot back up');
  const wal = await stat(`${path}-wal`).catch(() => undefined);
  const walPart = wal && wal.size > 0 ? `${wal.size}@${wal.mtimeMs}` : 'no-wal';
  return `${header.changeCounter}:${stats.size}@${stats.mtimeMs}:${walPart}`;
}
