/**
 * The `retention.*` methods, and applying a database's policy after each successful
 * backup: the backups it does not keep are deleted with their manifests, each deletion
 * recorded in the event log.
 */
import type { BackupRecord, RetentionPolicy, RetentionPreview } from '../api/types.ts';
import type { DatabaseRow } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { applyRetention, keepsOnlySome } from '../retention/retention-policy.ts';
import type { CoreContext } from './context.ts';
import type { Databases } from './databases.ts';
import { removeBackupFiles } from './history.ts';
import { isVersion, versionPath } from './versions.ts';

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

  /**
   * Exactly what `policy` would delete of the database's backups now. Copies and versions
   * are kept by the policy each on their own (a database that switched keeps N of each);
   * a version frees at most the new data it added.
   */
  preview(databaseId: number, policy: RetentionPolicy | null): RetentionPreview {
    this.#databases.get(databaseId);
    const { copies, versions } = this.#byKind(databaseId);
    const now = new Date();
    const ofCopies = applyRetention(copies, policy, now);
    const ofVersions = applyRetention(versions, policy, now);
    const deletions = [...ofCopies.remove, ...ofVersions.remove];
    const bytes = ofCopies.remove.reduce((sum, backup) => sum + (backup.bytes ?? 0), 0) + ofVersions.remove.reduce((sum, backup) => sum + (backup.version?.newBytes ?? 0), 0);
    return { deletions, bytes, kept: ofCopies.keep.length + ofVersions.keep.length };
  }

  #byKind(databaseId: number): { copies: BackupRecord[]; versions: BackupRecord[] } {
    const all = this.#ctx.catalog.backups.withFiles(databaseId);
    return { copies: all.filter((backup) => !isVersion(backup)), versions: all.filter(isVersion) };
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
    if (!policy || !keepsOnlySome(policy)) return [];
    const row = this.#databases.get(databaseId);
    const { copies, versions } = this.#byKind(databaseId);
    const pruned = await this.#pruneVaults(row, versions, policy);
    const { remove } = applyRetention(copies, policy, new Date());
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
    if (remove.length > 0 || pruned.length > 0) this.#ctx.changed('history');
    return [...pruned, ...deleted];
  }

  /**
   * Prunes each vault the database's versions are in by the policy (in an engine worker;
   * the vault collects the pages no kept version names) and forgets the entries of the
   * versions it deleted. Resolves to the version paths gone.
   */
  async #pruneVaults(row: DatabaseRow, versions: BackupRecord[], policy: RetentionPolicy): Promise<string[]> {
    const gone: string[] = [];
    for (const vault of new Set(versions.map((backup) => backup.version!.vault))) {
      let result: Awaited<ReturnType<typeof engine.vaultPrune>>;
      try {
        // A pinned version is kept whatever the rules, as a pinned copy is.
        const keep = versions.filter((backup) => backup.version!.vault === vault && backup.pinned).map((backup) => backup.version!.id);
        result = await engine.vaultPrune(vault, policy, { keep });
      } catch (error) {
        this.#ctx.catalog.events.record('retention.failed', `Retention could not prune the vault ${vault}: ${(error as Error).message}`, row.id);
        continue;
      }
      for (const version of result.removed) {
        const path = versionPath(vault, version.id);
        const entry = this.#ctx.catalog.backups.findByPath(path);
        if (entry) this.#ctx.catalog.backups.remove(entry.id);
        this.#ctx.catalog.events.record('retention.deleted', `Retention deleted version ${version.id} of '${row.label}' from ${version.createdAt} in ${vault}`, row.id);
        gone.push(path);
      }
    }
    return gone;
  }
}
