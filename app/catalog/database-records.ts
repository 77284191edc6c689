/** The `databases` table: the files Pagevault backs up and how. */
import type { DatabaseSummary } from '../api/types.ts';
import type { CatalogConnection } from './catalog.ts';

/** A registered database as stored: the summary without what is read at listing time. */
export type DatabaseRow = Omit<DatabaseSummary, 'sizeBytes' | 'lastBackup' | 'storageDefault' | 'storageReason'>;

/** A database row before the catalog has given it an id; without `storage`, Copies. */
export type NewDatabase = Omit<DatabaseRow, 'id' | 'storage'> & { storage?: DatabaseRow['storage'] };
/** The settings of a registered database the user may change; its path and id stay. */
export type DatabaseChanges = Partial<Pick<DatabaseRow, 'label' | 'destination' | 'mode' | 'pagesPerStep' | 'pauseMs' | 'journalMode' | 'pageSize' | 'storage'>>;

const columns = `id, path, label, destination, mode, pages_per_step AS pagesPerStep, pause_ms AS pauseMs,
  journal_mode AS journalMode, page_size AS pageSize, added_at AS addedAt, storage`;

const columnOf: Record<keyof DatabaseChanges, string> = {
  label: 'label',
  destination: 'destination',
  mode: 'mode',
  pagesPerStep: 'pages_per_step',
  pauseMs: 'pause_ms',
  journalMode: 'journal_mode',
  pageSize: 'page_size',
  storage: 'storage',
};

/** The `databases` table: the databases registered with Pagevault and their backup settings. */
export class DatabaseRecords {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  /** Every registered database, by label. */
  list(): DatabaseRow[] {
    return this.#db.prepare(`SELECT ${columns} FROM databases ORDER BY label COLLATE NOCASE, id`).all() as DatabaseRow[];
  }

  get(id: number): DatabaseRow | undefined {
    return this.#db.prepare(`SELECT ${columns} FROM databases WHERE id = ?`).get(id) as DatabaseRow | undefined;
  }

  findByPath(path: string): DatabaseRow | undefined {
    return this.#db.prepare(`SELECT ${columns} FROM databases WHERE path = ?`).get(path) as DatabaseRow | undefined;
  }

  insert(row: NewDatabase): DatabaseRow {
    const info = this.#db
      .prepare(
        `INSERT INTO databases (path, label, destination, mode, pages_per_step, pause_ms, journal_mode, page_size, added_at, storage)
         VALUES (@path, @label, @destination, @mode, @pagesPerStep, @pauseMs, @journalMode, @pageSize, @addedAt, @storage)`,
      )
      .run({ ...row, storage: row.storage ?? 'copies' });
    return this.get(Number(info.lastInsertRowid))!;
  }

  /** Applies the given fields; returns the updated row. */
  update(id: number, changes: DatabaseChanges): DatabaseRow | undefined {
    const keys = (Object.keys(changes) as Array<keyof DatabaseChanges>).filter((key) => changes[key] !== undefined);
    if (keys.length > 0) {
      const assignments = keys.map((key) => `${columnOf[key]} = @${key}`).join(', ');
      this.#db.prepare(`UPDATE databases SET ${assignments} WHERE id = @id`).run({ ...Object.fromEntries(keys.map((key) => [key, changes[key]])), id });
    }
    return this.get(id);
  }

  /** Forgets the database; its history entries stay, detached from it. */
  remove(id: number): boolean {
    return this.#db.prepare('DELETE FROM databases WHERE id = ?').run(id).changes > 0;
  }
}
