/**
 * Where a database's vault lives when the app keeps its versions: a folder beside its
 * copies in its backup folder, named after the database file, so a user who opens the
 * backup folder finds it, and `pagevault vault list <folder>` reads it without a catalog.
 */
import { basename, extname, join } from 'node:path';

/** The suffix of a vault folder's name. */
export const VAULT_SUFFIX = '.vault';

/** `<destination>/<stem>.vault` for the database at `source` backed up into `destination`. */
export function vaultFolderFor(source: string, destination: string): string {
  const stem = basename(source, extname(source)) || 'database';
  return join(destination, `${stem}${VAULT_SUFFIX}`);
}
