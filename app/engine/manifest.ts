/** The JSON manifest beside each backup file. */
import { open } from 'node:fs/promises';
import { READ_NONBLOCKING } from './database-files.ts';
import type { BackupManifest } from '../api/types.ts';
import { writeFileAtomic } from './partial-file.ts';

/** The manifest path of a backup file: `<file>.manifest.json`. */
export function manifestPathOf(backupPath: string): string {
  return `${backupPath}.manifest.json`;
}

/** Writes the manifest atomically beside the backup, as readable as the backup (`mode`) and no more. */
export async function writeManifest(backupPath: string, manifest: BackupManifest, mode: number): Promise<string> {
  const path = manifestPathOf(backupPath);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`, mode);
  return path;
}

/** How large a manifest may be; anything larger is not one of Pagevault's. */
const MANIFEST_MAX_BYTES = 1 << 20;

/**
 * Reads the manifest beside `backupPath`; undefined when there is none or it is not a
 * Pagevault manifest. Opened without waiting and read only when it is a regular file of
 * a sensible size: a named pipe there would otherwise hold a file-system thread forever.
 */
export async function readManifest(backupPath: string): Promise<BackupManifest | undefined> {
  let text: string;
  try {
    const handle = await open(manifestPathOf(backupPath), READ_NONBLOCKING);
    try {
      const stats = await handle.stat();
      if (!stats.isFile() || stats.size > MANIFEST_MAX_BYTES) return undefined;
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<BackupManifest>;
    return value.format === 'pagevault-backup' ? (value as BackupManifest) : undefined;
  } catch {
    return undefined;
  }
}
