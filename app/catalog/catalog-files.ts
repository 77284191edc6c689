/**
 * The catalog's files on disk: where they are, who may read them, the automatic
 * backups beside them, and whether a catalog file is sound before anything opens it
 * for writing. Nothing here writes to a catalog file.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { SECRET_FILE_PATTERN } from '../secrets/secret-store.ts';

/** The catalog's file name in the data folder; the companions and backups are named after it. */
export const CATALOG_FILE_NAME = 'catalog.sqlite';
/** SQLite's companion files of the catalog, which hold part of its content. */
export const CATALOG_COMPANIONS = ['-wal', '-shm', '-journal'] as const;
/** Where the automatic catalog backups go, inside the data folder. */
export const CATALOG_BACKUPS_FOLDER = 'catalog-backups';
/** The catalog's files are the user's whole Pagevault setup: only the owner may read them. */
export const CATALOG_FILE_MODE = 0o600;
/** The data folder and the catalog backups folder hold the same setup: only the owner may list or enter them. */
export const CATALOG_FOLDER_MODE = 0o700;

/** `catalog-YYYYMMDD-HHMMSS.sqlite`, or `…-N.sqlite` for the Nth taken in the same second (N ≥ 2). */
const BACKUP_NAME = /^catalog-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-([2-9]|[1-9]\d+))?\.sqlite$/;
const SQLITE_HEADER = 'SQLite format 3\0';
/** Entries of a data folder that Pagevault itself puts there. */
const OWN_ENTRIES = /^(catalog\.sqlite(-wal|-shm|-journal|\.partial|\.damaged-.*)?|catalog-backups|backups|staging)$/;

/** Where the browser shell keeps files dropped onto its window; cleaned up after a day. */
export const STAGING_FOLDER = 'staging';

/**
 * Why `real` (a real path: symlinks resolved) must not be written by a restore or hold
 * backups: it is the catalog or one of its companions, or it is in the data folder
 * itself, its catalog backups or its staging folder (whose files are removed after a
 * day). Null when it is none of those; the default backup folder `<data dir>/backups` is fine.
 */
export function ownPathProblem(dataDir: string, real: string, kind: 'file' | 'folder'): string | null {
  const catalog = catalogPathOf(dataDir);
  const inside = (folder: string) => real === folder || real.startsWith(folder + sep);
  if (real === catalog) return "it is Pagevault's own catalog";
  if (CATALOG_COMPANIONS.some((suffix) => real === catalog + suffix)) return "it belongs to Pagevault's own catalog";
  if (inside(catalogBackupsDir(dataDir))) return "it is in the folder of Pagevault's own catalog backups";
  if (inside(join(dataDir, STAGING_FOLDER))) return "it is in Pagevault's staging folder, whose files are removed after a day";
  if (kind === 'folder' && real === dataDir) return "it is Pagevault's data folder, beside the catalog";
  if (kind === 'file' && dirname(real) === dataDir) return "it is in Pagevault's data folder, beside the catalog";
  return null;
}

/**
 * The real path of `path` or, when it does not exist yet, of its nearest existing
 * parent joined with the rest: what a file about to be created will really be.
 */
export function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPathOf(parent), basename(path));
  }
}

/** The catalog file of a data folder. */
export function catalogPathOf(dataDir: string): string {
  return join(dataDir, CATALOG_FILE_NAME);
}

/** The folder of automatic catalog backups of a data folder. */
export function catalogBackupsDir(dataDir: string): string {
  return join(dataDir, CATALOG_BACKUPS_FOLDER);
}

/** An automatic catalog backup. */
export interface CatalogBackupFile {
  path: string;
  /** When it was taken (its name, in UTC), ISO. */
  takenAt: string;
}

/** The automatic catalog backups of a data folder, with their number within their second. */
function catalogBackupFiles(dataDir: string): Array<CatalogBackupFile & { nth: number }> {
  const folder = catalogBackupsDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const m = BACKUP_NAME.exec(name);
    return m ? [{ path: join(folder, name), takenAt: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`, nth: m[7] ? Number(m[7]) : 1 }] : [];
  });
}

/** The automatic catalog backups of a data folder, newest first. */
export function listCatalogBackups(dataDir: string): CatalogBackupFile[] {
  return catalogBackupFiles(dataDir)
    .sort((a, b) => (a.takenAt === b.takenAt ? b.nth - a.nth : a.takenAt < b.takenAt ? 1 : -1))
    .map(({ path, takenAt }) => ({ path, takenAt }));
}

/** The highest number among the catalog backups of the second `at` falls in; 0 when there is none. */
export function lastCatalogBackupNumber(dataDir: string, at: Date): number {
  const second = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return catalogBackupFiles(dataDir).reduce((last, file) => (file.takenAt === second ? Math.max(last, file.nth) : last), 0);
}

/**
 * `catalog-YYYYMMDD-HHMMSS.sqlite` for `at`, in UTC so that names sort by time across
 * zones and DST; `…-2.sqlite` and on for a second, third… backup taken in the same second.
 */
export function catalogBackupName(at: Date, nth = 1): string {
  return `catalog-${timeStamp(at)}${nth > 1 ? `-${nth}` : ''}.sqlite`;
}

/** YYYYMMDD-HHMMSS in UTC. */
export function timeStamp(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** True for a name Pagevault puts into its data folder. */
export function isPagevaultEntry(name: string): boolean {
  return OWN_ENTRIES.test(name) || SECRET_FILE_PATTERN.test(name);
}

/**
 * Creates a folder Pagevault owns, for the owner only. A folder that already exists is
 * made 0700 only when it holds nothing but Pagevault's own files: a folder the user
 * pointed Pagevault at that has other content keeps the permissions the user gave it.
 */
export function ensureOwnFolder(folder: string): void {
  if (!existsSync(folder)) {
    // The umask only takes permissions away: 0700 stays 0700. Parents Pagevault creates are 0700 too.
    mkdirSync(folder, { recursive: true, mode: CATALOG_FOLDER_MODE });
    return;
  }
  const stats = statSync(folder);
  if (!stats.isDirectory()) throw new PagevaultError('NOT_A_FOLDER', `Cannot use ${folder} as a Pagevault folder: it is a file, not a folder; move it away or choose another data folder`);
  if ((stats.mode & 0o777) !== CATALOG_FOLDER_MODE && readdirSync(folder).every(isPagevaultEntry)) {
    try {
      chmodSync(folder, CATALOG_FOLDER_MODE);
    } catch {
      // Another user's folder: it keeps its permissions.
    }
  }
}

/** Makes the catalog file and whichever companions exist readable by the owner only. */
export function restrictCatalogFiles(path: string): void {
  for (const file of [path, ...CATALOG_COMPANIONS.map((suffix) => path + suffix)]) {
    try {
      if ((statSync(file).mode & 0o777) !== CATALOG_FILE_MODE) chmodSync(file, CATALOG_FILE_MODE);
    } catch {
      // Not there (companions come and go).
    }
  }
}

/**
 * What is wrong with an existing catalog file, or null when it is sound: empty, not a
 * SQLite database, shorter than its header says, or failing `quick_check`. Reads only
 * (a read-only connection never checkpoints or rewrites the file).
 */
export function catalogFileProblem(path: string): string | null {
  const stats = statSync(path);
  if (stats.isDirectory()) return 'it is a folder, not a file';
  if (stats.size === 0) return 'the file is empty (0 bytes)';
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const magic = header.subarray(0, Math.min(read, 16)).toString('latin1');
  if (!SQLITE_HEADER.startsWith(magic) || read < 16) return `the file is not a SQLite database (it starts with ${describeBytes(header.subarray(0, Math.min(read, 16)))})`;
  if (read < 100) return `the file is truncated (${stats.size} bytes, shorter than a SQLite header)`;
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) return `the file's header is damaged (page size ${rawPageSize})`;
  const pageCount = header.readUInt32BE(28);
  // The header's page count is only kept up to date when these two numbers agree.
  const countValid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (countValid && pageCount > 0 && stats.size < pageCount * pageSize) {
    return `the file is truncated: its header says ${pageCount} pages of ${pageSize} bytes (${pageCount * pageSize} bytes), the file has ${stats.size}`;
  }
  if (stats.size % pageSize !== 0) return `the file is truncated: ${stats.size} bytes is not a whole number of ${pageSize}-byte pages`;
  // A read-only connection to a WAL file creates an empty -wal and a -shm and leaves them:
  // the ones this check created are removed after it, so a refused catalog stays as it was.
  const created = ['-wal', '-shm'].filter((suffix) => !existsSync(path + suffix));
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const problems = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((row) => row.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok') return `the file is damaged: SQLite's quick_check found ${problems.slice(0, 3).join('; ')}`;
    return null;
  } catch (error) {
    if (isDamageError(error)) return `the file is damaged: SQLite reports '${(error as Error).message}'`;
    if (isBusyError(error)) throw catalogBusy(path, error);
    throw error;
  } finally {
    db?.close();
    if (created.includes('-wal') && sizeOf(path + '-wal') === 0) {
      for (const suffix of created) rmSync(path + suffix, { force: true });
    }
  }
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** True for SQLite's "this file is not a sound database" errors. */
export function isDamageError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

/** True for SQLite's "another connection holds the lock" errors. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** CATALOG_BUSY: another program holds a lock on the catalog. */
export function catalogBusy(path: string, cause: unknown): PagevaultError {
  return new PagevaultError('CATALOG_BUSY', `Cannot use the Pagevault catalog ${path}: another program holds a lock on it (${(cause as Error).message}); close that program, or wait for it to finish`, { cause });
}

function describeBytes(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  if (/^[\x20-\x7e\t\r\n]+$/.test(text)) return `'${text.replace(/\s+/g, ' ').trim()}', text`;
  return `bytes ${bytes.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim()}`;
}

/** Quotes a path for a shell command line when it needs it. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
