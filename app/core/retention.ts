/**
 * The `retention.*` methods, and applying a database's policy after each successful
 * backup: the backups it does not keep are deleted with their manifests, each deletion
 * recorded in the event log.
 */
import type { RetentionPolicy, RetentionPreview } from '../api/types.ts';
import { applyRetention, keepsOnlySome } from '../retention/retention-policy.ts';
import type { CoreContext } from './context.ts';
import type { Databases } from './databases.ts';
import { removeBackupFiles } from './history.ts';

/** Reads and saves retention policies and applies one after each successful backup. */
export class Retention {
  readonly #ctx: CoreContext;
  readonly #databases: Databases;

  constructor(ctx: CoreContext, databases: Databases) {
    this.#ctx = ctx;
    this.#databases = databases;
  }

  get(databaseId: number): RetentionPolicy | null {
    this.#databases.get(databaseId);
    return this.#ctx.catalog.retention.get(databaseId);
  }

  /** Exactly what `policy` would delete of the database's backups now. */
  preview(databaseId: number, policy: RetentionPolicy | null): RetentionPreview {
    this.#databases.get(databaseId);
    const decision = applyRetention(this.#ctx.catalog.backups.withFiles(databaseId), policy, new Date());
    return { deletions: decision.remove, bytes: decision.remove.reduce((sum, backup) => sum + (backup.bytes ?? 0), 0), kept: decision.keep.length };
  }

  /** Saves the policy (null: keep everything); it applies after the next successful backup. */
  set(databaseId: number, policy: RetentionPolicy | null): RetentionPolicy | null {
    const row = this.#databases.get(databaseId);
    const stored = keepsOnlySome(policy) ? policy : null;
    this.#ctx.catalog.retention.set(databaseId, stored, new Date());
    this.#ctx.catalog.events.record('retention.changed', stored ? `Retention of '${row.label}' set to ${JSON.stringify(stored)}` : `Retention of '${row.label}' turned off`, databaseId);
    this.#ctx.changed('retention');
    return stored;
  }

  /** Deletes what the policy does not keep; resolves to the deleted backup files. */
  async apply(databaseId: number): Promise<string[]> {
    const policy = this.#ctx.catalog.retention.get(databaseId);
    if (!keepsOnlySome(policy)) return [];
    const row = this.#databases.get(databaseId);
    const { remove } = applyRetention(this.#ctx.catalog.backups.withFiles(databaseId), policy, new Date());
    const deleted: string[] = [];
    for (const backup of remove) {
      try {
        await removeBackupFiles(backup.path!);
      } catch (error) {
        this.#ctx.catalog.events.record('retention.failed', `Retention could not delete ${backup.path}: ${(error as Error).message}`, databaseId);
        continue;
      }
      this.#ctx.catalog.backups.remove(backup.id);
      this.#ctx.catalog.events.record('retention.deleted', `Retention deleted the backup of '${row.label}' from ${backup.startedAt}: ${backup.path}`, databaseId);
      deleted.push(backup.path!);
    }
    if (remove.length > 0) this.#ctx.changed('history');
    return deleted;
  }
}
