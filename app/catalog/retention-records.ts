/** The `retention` table: at most one retention policy per database. */
import type { RetentionPolicy } from '../api/types.ts';
import type { CatalogConnection } from './catalog.ts';

/** The retention policy of each database, kept as JSON; none means keep everything. */
export class RetentionRecords {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  get(databaseId: number): RetentionPolicy | null {
    const row = this.#db.prepare('SELECT policy FROM retention WHERE database_id = ?').get(databaseId) as { policy: string } | undefined;
    return row ? (JSON.parse(row.policy) as RetentionPolicy) : null;
  }

  /** Saves the policy; null removes it (keep everything). */
  set(databaseId: number, policy: RetentionPolicy | null, now: Date): void {
    if (!policy) {
      this.#db.prepare('DELETE FROM retention WHERE database_id = ?').run(databaseId);
      return;
    }
    this.#db
      .prepare('INSERT INTO retention (database_id, policy, updated_at) VALUES (?, ?, ?) ON CONFLICT (database_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at')
      .run(databaseId, JSON.stringify(policy), now.toISOString());
  }
}
