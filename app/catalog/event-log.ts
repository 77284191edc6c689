/**
 * The `events` table: what Pagevault did on its own (deletions, imports), kept in the
 * catalog for whoever opens it with sqlite3 to find out why a backup is gone; nothing in
 * the app reads it back.
 */
import type { CatalogConnection } from './catalog.ts';

/** Appends to the `events` table; write-only by design, see above. */
export class EventLog {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  /** Appends one event. */
  record(kind: string, message: string, databaseId: number | null = null, at = new Date()): void {
    this.#db.prepare('INSERT INTO events (at, kind, database_id, message) VALUES (?, ?, ?, ?)').run(at.toISOString(), kind, databaseId, message);
  }
}
