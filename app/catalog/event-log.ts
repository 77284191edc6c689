/** The `events` table: what Pagevault did on its own (deletions, imports), for later reading. */
import type { CatalogConnection } from './catalog.ts';

export interface LoggedEvent {
  id: number;
  at: string;
  kind: string;
  databaseId: number | null;
  message: string;
}

export class EventLog {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  record(kind: string, message: string, databaseId: number | null = null, at = new Date()): void {
    this.#db.prepare('INSERT INTO events (at, kind, database_id, message) VALUES (?, ?, ?, ?)').run(at.toISOString(), kind, databaseId, message);
  }

  /** The latest events, newest first. */
  latest(limit = 100): LoggedEvent[] {
    return this.#db.prepare('SELECT id, at, kind, database_id AS databaseId, message FROM events ORDER BY at DESC, id DESC LIMIT ?').all(limit) as LoggedEvent[];
  }
}
