/** The `history.*` methods: list, chart, verify again, delete, and import from a folder. */
import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { Params } from '../api/index.ts';
import type { BackupRecord, HistoryPage, HistoryPoint, ImportResult, VaultVersionRef } from '../api/types.ts';
import { entryFromManifest } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { fileSystemError } from '../engine/sqlite-errors.ts';
import type { CoreContext } from './context.ts';
import type { BackupEncryptionSettings } from './backup-encryption.ts';
import { isOnDisk, withFileFact, withFileFacts } from './file-facts.ts';
import { VAULT_SUFFIX, vaultFolderFor } from '../vault/location.ts';
import type { VaultVersion } from '../vault/vault.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import { VaultEncryptionFacts, versionEntry, versionPath } from './versions.ts';
import { sourceKeyOf } from './source-keys.ts';

const MANIFEST_SUFFIX = '.manifest.json';

/** The `history.*` methods, over the backup records and the files on disk. */
export class History {
  readonly #ctx: CoreContext;

  readonly #encryption: BackupEncryptionSettings | undefined;
  readonly #vaultFacts = new VaultEncryptionFacts();

  constructor(ctx: CoreContext, encryption?: BackupEncryptionSettings) {
    this.#ctx = ctx;
    this.#encryption = encryption;
  }

  /** One page of the history, each entry's file looked for on disk. */
  async list(query: Params<'history.list'>): Promise<HistoryPage> {
    const page = this.#ctx.catalog.backups.list(query);
    return { ...page, entries: await this.#vaultFacts.withEncryption(await withFileFacts(page.entries)) };
  }

  series(databaseId: number, limit = 200): HistoryPoint[] {
    return this.#ctx.catalog.backups.series(databaseId, limit);
  }

  #get(backupId: number): BackupRecord {
    const record = this.#ctx.catalog.backups.get(backupId);
    if (!record) throw new PagevaultError('UNKNOWN_ID', `There is no backup with id ${backupId} in the history; it may have been deleted`);
    return record;
  }

  /** Verifies a backup file again and records the verdict. */
  async verify(backupId: number, full = false): Promise<BackupRecord> {
    const record = this.#get(backupId);
    if (!record.path) throw new PagevaultError('NOT_FOUND', `The ${record.status} backup of '${record.databaseLabel}' from ${record.startedAt} has no file to verify`);
    if (record.version) return this.#verifyVersion(record, record.version);
    // An encrypted source's backup is checked with its database's key; without one, by its SHA-256.
    const source = record.databaseId === null ? undefined : await sourceKeyOf(this.#ctx.secrets, record.databaseId);
    const result = await engine.verify(record.path, { full, keys: { source, age: await this.#encryption?.keys() } });
    const updated = this.#ctx.catalog.backups.setVerification(backupId, result.ok ? 'passed' : 'failed', result.problems, new Date().toISOString())!;
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return withFileFact(updated);
  }

  /**
   * Checks every page of every version in the entry's vault against its SHA-256 (a page is
   * shared by many versions, so one check answers for all) and records each version's
   * verdict, with its damaged pages named by version and page number.
   */
  async #verifyVersion(record: BackupRecord, version: VaultVersionRef): Promise<BackupRecord> {
    const result = await engine.vaultVerify(version.vault, { keys: (await this.#encryption?.keys()) ?? [] });
    const at = new Date().toISOString();
    // An encrypted vault checked without its key (none in the key store opens it) says what it could not check.
    const unowned = [...result.problems.filter((problem) => problem.version === null).map((problem) => problem.message), ...(result.notChecked ?? [])];
    const all = record.databaseId === null ? [record] : this.#ctx.catalog.backups.withFiles(record.databaseId).filter((entry) => entry.version?.vault === version.vault);
    for (const entry of all) {
      const problems = [...result.problems.filter((problem) => problem.version === entry.version!.id).map((problem) => problem.message), ...unowned];
      if (result.problemCount > result.problems.length && problems.length > 0) problems.push(`and ${result.problemCount - result.problems.length} more problems in the vault; run pagevault vault verify ${version.vault}`);
      this.#ctx.catalog.backups.setVerification(entry.id, problems.length === 0 ? 'passed' : 'failed', problems, at);
    }
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return withFileFact(this.#get(record.id));
  }

  /**
   * Lists the versions of every vault in `folder` (`*.vault` with its vault file) into the
   * history, each under the database it was taken of when that one is registered. A vault
   * reads itself: no manifest is needed. Resolves to how many vaults were found.
   */
  async #importVaults(folder: string, names: string[], result: ImportResult): Promise<number> {
    let found = 0;
    for (const name of names.filter((candidate) => candidate.endsWith(VAULT_SUFFIX)).sort()) {
      const vault = join(folder, name);
      if (!(await isOnDisk(join(vault, VAULT_FILE)))) continue;
      found += 1;
      await this.#importVault(vault, result);
    }
    return found;
  }

  /** Lists the versions of the vault `vault` that the history does not hold into it; a vault that cannot be read is a problem in `result`. */
  async #importVault(vault: string, result: ImportResult): Promise<void> {
    let versions: VaultVersion[];
    try {
      ({ versions } = await engine.vaultList(vault));
    } catch (error) {
      result.problems.push(`${basename(vault)}: ${(error as Error).message}; not imported`);
      return;
    }
    for (const version of versions) {
      if (this.#ctx.catalog.backups.hasPath(versionPath(vault, version.id))) {
        result.alreadyKnown += 1;
        continue;
      }
      const database = this.#ctx.catalog.databases.findByPath(version.source);
      this.#ctx.catalog.backups.insert(
        versionEntry(version, vault, {
          databaseId: database?.id ?? null,
          databaseLabel: database?.label ?? basename(version.source),
          trigger: 'import',
          startedAt: version.createdAt,
          durationMs: null,
          mode: database?.mode ?? 'snapshot',
        }),
      );
      result.imported += 1;
    }
  }

  /**
   * Lists into the history each version in a registered database's vault that it does not
   * hold: those taken after the catalog backup that a catalog restore put back, or added to
   * the same vault by the CLI. Run as the core starts. Resolves to how many were added.
   */
  async listVaultVersions(): Promise<number> {
    const result: ImportResult = { folder: '', imported: 0, alreadyKnown: 0, problems: [] };
    for (const database of this.#ctx.catalog.databases.list()) {
      const vault = vaultFolderFor(database.path, database.destination);
      if (await isOnDisk(join(vault, VAULT_FILE))) await this.#importVault(vault, result);
    }
    if (result.imported > 0 || result.problems.length > 0) {
      const listed = result.imported > 0 ? `Listed ${result.imported} vault versions the history did not hold` : 'Listed no vault versions';
      this.#ctx.catalog.events.record('backups.imported', [listed, ...result.problems].join('; '));
    }
    if (result.imported > 0) {
      this.#ctx.changed('history');
      this.#ctx.changed('databases');
    }
    return result.imported;
  }

  /**
   * Deletes a backup's file and manifest from disk and its entry from the history; a
   * version, from its vault (the pages no other version names are collected as a prune
   * collects them; no key needed). A file or version already gone is not an error.
   */
  async delete(backupId: number): Promise<{ deleted: string[] }> {
    const record = this.#get(backupId);
    if (record.version) return this.#deleteVersion(record, record.version);
    const deleted = record.path ? await removeBackupFiles(record.path) : [];
    this.#ctx.catalog.backups.remove(backupId);
    const what = record.path ? `Deleted the backup ${record.path}` : `Deleted the ${record.status} backup entry of '${record.databaseLabel}' from ${record.startedAt}`;
    this.#ctx.catalog.events.record('backup.deleted', what, record.databaseId);
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return { deleted };
  }

  async #deleteVersion(record: BackupRecord, version: VaultVersionRef): Promise<{ deleted: string[] }> {
    let deleted: string[];
    try {
      await engine.vaultDelete(version.vault, [version.id]);
      deleted = [record.path!];
    } catch (error) {
      // The vault or the version is gone already (deleted outside Pagevault): only the entry is left to remove.
      if (!(error instanceof PagevaultError && error.code === 'NOT_FOUND')) throw error;
      deleted = [];
    }
    this.#ctx.catalog.backups.remove(record.id);
    this.#ctx.catalog.events.record('backup.deleted', deleted.length > 0 ? `Deleted version ${version.id} of '${record.databaseLabel}' from ${record.startedAt} in ${version.vault}` : `Deleted the entry of version ${version.id} of '${record.databaseLabel}', no longer in ${version.vault}`, record.databaseId);
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return { deleted };
  }

  /** Pins a backup or a version so retention never deletes it, or unpins it. */
  pin(backupId: number, pinned: boolean): Promise<BackupRecord> {
    this.#get(backupId);
    const updated = this.#ctx.catalog.backups.setPinned(backupId, pinned)!;
    this.#ctx.changed('history');
    return withFileFact(updated);
  }

  /** Rebuilds history entries from the manifests in a folder of backups. */
  async import(rawFolder: string): Promise<ImportResult> {
    const folder = resolve(rawFolder);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      throw fileSystemError(error, `Cannot import backups from ${folder}`);
    }
    const result: ImportResult = { folder, imported: 0, alreadyKnown: 0, problems: [] };
    const manifests = names.filter((name) => name.endsWith(MANIFEST_SUFFIX)).sort();
    const vaults = await this.#importVaults(folder, names, result);
    if (manifests.length === 0 && vaults === 0) {
      throw new PagevaultError('NOT_FOUND', `Cannot import backups from ${folder}: it holds no Pagevault manifests (*${MANIFEST_SUFFIX}) and no vaults (*${VAULT_SUFFIX})`);
    }
    for (const name of manifests) {
      const backupPath = join(folder, name.slice(0, -MANIFEST_SUFFIX.length));
      const reading = await engine.loadManifest(backupPath);
      if (!reading || 'problem' in reading) {
        result.problems.push(`${name}: ${reading ? reading.problem : 'it disappeared while the folder was read'}; not imported`);
        continue;
      }
      const { manifest } = reading;
      if (this.#ctx.catalog.backups.hasPath(backupPath)) {
        result.alreadyKnown += 1;
        continue;
      }
      const database = this.#ctx.catalog.databases.findByPath(manifest.source);
      this.#ctx.catalog.backups.insert(
        entryFromManifest(manifest, {
          databaseId: database?.id ?? null,
          databaseLabel: database?.label ?? basename(manifest.source),
          path: backupPath,
          trigger: 'import',
          startedAt: manifest.startedAt,
          durationMs: Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt),
        }),
      );
      result.imported += 1;
    }
    this.#ctx.catalog.events.record('backups.imported', `Imported ${result.imported} backups from ${folder}`);
    if (result.imported > 0) {
      this.#ctx.changed('history');
      this.#ctx.changed('databases');
    }
    return result;
  }
}

/** Deletes a backup file and its manifest; a file already gone is not an error. Resolves to what was deleted. */
export async function removeBackupFiles(path: string): Promise<string[]> {
  const deleted: string[] = [];
  for (const file of [path, engine.manifestPathOf(path)]) {
    try {
      await rm(file);
      deleted.push(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, `Cannot delete the backup ${file}`);
    }
  }
  return deleted;
}
