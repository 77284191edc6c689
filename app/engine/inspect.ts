/** `inspect(file)`: what a SQLite file is, without changing it. */
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { InspectResult, JournalMode, TableInfo } from '../api/types.ts';
import { checkSqliteFile } from './sqlite-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';

export interface InspectOptions {
  /** How long row counting may take in all before the remaining tables are left uncounted. */
  rowCountBudgetMs?: number;
  busyTimeoutMs?: number;
}

/** Reads header facts, pragmas and per-table row counts of `path`, read-only. */
export async function inspectFile(path: string, options: InspectOptions = {}): Promise<InspectResult> {
  const subject = `Cannot inspect ${path}`;
  const { stats, header } = await checkSqliteFile(path, 'Cannot inspect');
  const walBytes = await stat(`${path}-wal`).then((s) => s.size, () => -1);

  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
    const pragma = (name: string): unknown => db!.pragma(name, { simple: true });
    const tableNames = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
      .pluck()
      .all() as string[];
    const budget = options.rowCountBudgetMs ?? 2000;
    const started = performance.now();
    const tables: TableInfo[] = [];
    let rowCountsIncomplete = false;
    for (const name of tableNames) {
      if (performance.now() - started > budget) {
        rowCountsIncomplete = true;
        tables.push({ name, rows: null });
        continue;
      }
      const rows = db.prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`).pluck().get() as number;
      tables.push({ name, rows });
    }
    return {
      path,
      sizeBytes: stats.size,
      modifiedAt: stats.mtime.toISOString(),
      pageSize: Number(pragma('page_size')),
      pageCount: Number(pragma('page_count')),
      freePages: Number(pragma('freelist_count')),
      journalMode: String(pragma('journal_mode')).toLowerCase() as JournalMode,
      encoding: String(pragma('encoding')),
      userVersion: Number(pragma('user_version')),
      applicationId: Number(pragma('application_id')),
      sqliteVersionWritten: header.sqliteVersionNumber,
      hasWal: walBytes >= 0,
      walBytes: Math.max(0, walBytes),
      tables,
      rowCountsIncomplete,
    };
  } catch (error) {
    throw toPagevaultError(error, subject);
  } finally {
    db?.close();
  }
}
