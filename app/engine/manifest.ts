/** The JSON manifest beside each backup file. */
import { readFile } from 'node:fs/promises';
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

/** Reads the manifest beside `backupPath`; undefined when there is none or it is not a Pagevault manifest. */
export async function readManifest(backupPath: string): Promise<BackupManifest | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPathOf(backupPath), 'utf8');
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
