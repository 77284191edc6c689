/**
 * How a version in a vault is named where the app names backups by path (the History, the
 * restore wizard): `<vault folder>#<version>`. A vault folder's name ends in `.vault`
 * (location.ts), so the name is never that of a backup file, and each version's is unique.
 */

/** `<vault>#<id>`: the path a version has in the History and the restore wizard. */
export function versionPath(vault: string, id: number): string {
  return `${vault}#${id}`;
}

/** The vault and version a version path names, or null when `path` is not one. */
export function parseVersionPath(path: string): { vault: string; id: number } | null {
  const match = /^(.+\.vault)#(\d+)$/.exec(path);
  return match ? { vault: match[1]!, id: Number(match[2]) } : null;
}

/** The vault folder of a version path (the whole path when it is not one). */
export function vaultOfVersionPath(path: string): string {
  return parseVersionPath(path)?.vault ?? path;
}
