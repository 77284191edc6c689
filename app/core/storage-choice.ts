/**
 * Copies or Versions for a database, and the sentence that tells the user why. Pure, so
 * the rule is tested table by table; the facts (size, whether the backup folder clones)
 * are gathered by the caller.
 */
import type { StorageKind } from '../api/types.ts';

/**
 * From this size a new database gets Versions where its backup folder does not clone: below
 * it a full copy costs little and opens anywhere; above it every scheduled copy writes the
 * whole file again (48 hourly copies of a 5 GB catalog are 240 GB), where a version costs
 * the pages that changed.
 */
export const VERSIONS_FROM_BYTES = 64 * 1024 * 1024;

/** What the choice rests on: the database's size now, and whether its backup folder clones it. */
export interface StorageFacts {
  sizeBytes: number | null;
  /** True when the backup folder shares a copy-on-write file system with the database; null when not known yet (the folder does not exist). */
  clones: boolean | null;
}

/**
 * The kind Pagevault chooses: Copies where the backup folder clones (a clone shares every
 * unchanged block, so a copy costs what changed and stays a plain file), or where the
 * database is small; Versions for a large database whose copies would each cost its size.
 */
export function defaultStorage(facts: StorageFacts): StorageKind {
  if (facts.clones) return 'copies';
  return (facts.sizeBytes ?? 0) >= VERSIONS_FROM_BYTES ? 'versions' : 'copies';
}

/** The sentence shown under the choice: what the chosen kind costs for this database, here. */
export function storageReason(storage: StorageKind, facts: StorageFacts): string {
  if (storage === 'versions') {
    return facts.clones
      ? 'Versions: each version stores only the pages that changed, compressed, in one vault file; this backup folder also clones, so Copies would share unchanged blocks too.'
      : 'Versions: each version stores only the pages that changed, compressed, in one vault file in the backup folder.';
  }
  if (facts.clones) return 'Copies: this backup folder clones (a copy-on-write file system shared with the database), so each copy shares unchanged blocks.';
  const size = facts.sizeBytes === null ? '' : ` (${megabytes(facts.sizeBytes)})`;
  return `Copies: each copy is a plain SQLite file that opens anywhere, and costs the database's full size${size}, since this backup folder does not clone.`;
}

function megabytes(bytes: number): string {
  return bytes >= 1024 * 1024 * 1024 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1024 ** 2).toFixed(1)} MB`;
}
