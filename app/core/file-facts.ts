/**
 * Whether backup files are still on disk, for the records the core answers with. The core
 * serves the UI from Electron's main process: a synchronous look per row there freezes
 * the window on a long history or a slow disk, so the files are looked at asynchronously
 * and all at once, off that thread.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupRecord } from '../api/types.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import { parseVersionPath } from '../vault/version-path.ts';

/** True when `path` can be found now; a folder that cannot be read counts as missing. */
export function isOnDisk(path: string | null): Promise<boolean> {
  if (path === null) return Promise.resolve(false);
  // A version is on disk while its vault is (whether the vault still holds it, the vault says).
  const version = parseVersionPath(path);
  return access(version ? join(version.vault, VAULT_FILE) : path).then(() => true, () => false);
}

/** The records with `fileExists` as the disk says now, every file looked at concurrently. */
export async function withFileFacts(records: BackupRecord[]): Promise<BackupRecord[]> {
  const found = await Promise.all(records.map((record) => isOnDisk(record.path)));
  return records.map((record, i) => (record.fileExists === found[i] ? record : { ...record, fileExists: found[i]! }));
}

/** One record with `fileExists` as the disk says now. */
export async function withFileFact(record: BackupRecord): Promise<BackupRecord>;
export async function withFileFact(record: BackupRecord | null): Promise<BackupRecord | null>;
export async function withFileFact(record: BackupRecord | null): Promise<BackupRecord | null> {
  return record && (await withFileFacts([record]))[0]!;
}
