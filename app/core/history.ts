/** The `history.*` methods: list, chart, verify again, delete, and import from a folder. */
import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { Params } from '../api/index.ts';
import type { BackupRecord, HistoryPage, HistoryPoint, ImportResult } from '../api/types.ts';
import { entryFromManifest } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { fileSystemError } from '../engine/sqlite-errors.ts';
import type { CoreContext } from './context.ts';
import type { BackupEncryptionSettings } from './backup-encryption.ts';
import { withFileFact, withFileFacts } from './file-facts.ts';
import { sourceKeyOf } from './source-keys.ts';

const MANIFEST_SUFFIX = '.manifest.json';

/** The `history.*` methods, over the backup records and the files on disk. */
export class History {
  readonly #ctx: CoreContext;

  readonly #encryption: BackupEncryptionSettings | undefined;

  constructor(ctx: CoreContext, encryption?: BackupEncryptionSettings) {
    this.#ctx = ctx;
    this.#encryption = encryption;
  }

  /** One page of the history, each entry's file looked for on disk. */
  async list(query: Params<'history.list'>): Promise<HistoryPage> {
    const page = this.#ctx.catalog.backups.list(query);
    return { ...page, entries: await withFileFacts(page.entries) };
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
    // An encrypted source's backup is checked with its database's key; without one, by its SHA-256.
    const source = record.databaseId === null ? undefined : await sourceKeyOf(this.#ctx.secrets, record.databaseId);
    const result = await engine.verify(record.path, { full, keys: { source, age: await this.#encryption?.keys() } });
    const updated = this.#ctx.catalog.backups.setVerification(backupId, result.ok ? 'passed' : 'failed', result.problems, new Date().toISOString())!;
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return withFileFact(updated);
  }

  /** Deletes a backup's file and manifest from disk and its entry from the history. */
  async delete(backupId: number): Promise<{ deleted: string[] }> {
    const record = this.#get(backupId);
    const deleted = record.path ? await removeBackupFiles(record.path) : [];
    this.#ctx.catalog.backups.remove(backupId);
    const what = record.path ? `Deleted the backup ${record.path}` : `Deleted the ${record.status} backup entry of '${record.databaseLabel}' from ${record.startedAt}`;
    this.#ctx.catalog.events.record('backup.deleted', what, record.databaseId);
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    return { deleted };
  }

  /** Pins a backup so retention never deletes it, or unpins it. */
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
    if (manifests.length === 0) {
      throw new PagevaultError('NOT_FOUND', `Cannot import backups from ${folder}: it holds no Pagevault manifests (*${MANIFEST_SUFFIX})`);
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
