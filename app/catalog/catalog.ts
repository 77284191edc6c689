/**
 * The catalog: Pagevault's own SQLite database of registered databases, backup history,
 * settings and an event log. Versioned by `PRAGMA user_version`; each migration runs
 * once, in a transaction. A catalog written by a newer Pagevault, or a damaged one
 * (empty, not SQLite, truncated, failing quick_check), is refused untouched: replacing
 * it with an empty one would lose every database, schedule and history entry.
 */
import { closeSync, existsSync, openSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import {
  CATALOG_FILE_MODE,
  catalogBackupsDir,
  catalogFileProblem,
  catalogPathOf,
  ensureOwnFolder,
  isDamageError,
  listCatalogBackups,
  restrictCatalogFiles,
  shellQuote,
} from './catalog-files.ts';
import { migrations } from './migrations.ts';

export { CATALOG_FILE_NAME } from './catalog-files.ts';

/** Marks the file as a Pagevault catalog (`PRAGMA application_id`, "PVLT"). */
export const CATALOG_APPLICATION_ID = 0x50564c54;

/** The catalog's one open connection; the record classes take it so they share its transactions. */
export type CatalogConnection = Database.Database;

/** The schema version this build writes: the number of migrations. */
export const CATALOG_VERSION = migrations.length;

/**
 * Creates the data folder when missing (owner-only) and returns its real path: every
 * check that a file is, or is inside, Pagevault's own folder compares real paths, so a
 * symlinked data folder cannot be used to restore or back up over the catalog.
 */
export function openDataDir(rawDataDir: string): string {
  const dataDir = resolve(rawDataDir);
  try {
    ensureOwnFolder(dataDir);
    return realpathSync(dataDir);
  } catch (error) {
    if (error instanceof PagevaultError) throw error;
    throw new PagevaultError('INTERNAL', `Cannot create the Pagevault data folder ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
}

/** Opens (creating or migrating when needed) the catalog in `dataDir`; CATALOG_DAMAGED for a damaged one. */
export function openCatalog(rawDataDir: string): CatalogConnection {
  const dataDir = openDataDir(rawDataDir);
  const path = catalogPathOf(dataDir);
  const exists = existsSync(path);
  if (exists) {
    const problem = catalogFileProblem(path);
    if (problem) throw catalogDamaged(dataDir, problem);
  } else if (listCatalogBackups(dataDir).length > 0) {
    // There was a catalog: an empty one made now would soon push its backups out.
    throw catalogMissing(dataDir);
  }
  let db: CatalogConnection;
  try {
    // Created here, owner-only, so that SQLite gives its -wal and -shm the same mode.
    if (!exists) closeSync(openSync(path, 'wx', CATALOG_FILE_MODE));
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new PagevaultError('INTERNAL', `Cannot open the Pagevault catalog ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    restrictCatalogFiles(path);
    migrate(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    restrictCatalogFiles(path);
    return db;
  } catch (error) {
    db.close();
    if (isDamageError(error)) throw catalogDamaged(dataDir, `the file is damaged: SQLite reports '${(error as Error).message}'`);
    throw error;
  }
}

/**
 * CATALOG_DAMAGED for the catalog of `dataDir`: which file, what is wrong, and how to
 * get it back from the newest automatic catalog backup, with the exact command.
 */
export function catalogDamaged(dataDir: string, problem: string): PagevaultError {
  const path = catalogPathOf(dataDir);
  const [newest, ...older] = listCatalogBackups(dataDir);
  const command = `pagevault catalog restore --data-dir ${shellQuote(dataDir)}`;
  const remedy = newest
    ? `Restore it from Pagevault's newest automatic catalog backup, ${newest.path} (taken ${newest.takenAt}), with: ${command}` +
      ` (the damaged file is kept beside it as ${path}.damaged-<time>)` +
      (older.length > 0 ? `; ${older.length} older one${older.length === 1 ? ' is' : 's are'} in ${catalogBackupsDir(dataDir)}, chosen with --from FILE` : '')
    : `There is no automatic catalog backup in ${catalogBackupsDir(dataDir)}; move the file away to start with an empty catalog (your backups stay in their folders; History > Import backups from folder lists them again)`;
  return new PagevaultError('CATALOG_DAMAGED', `Cannot open the Pagevault catalog ${path}: ${problem}. Pagevault has not changed it. ${remedy}.`);
}

/** CATALOG_DAMAGED for a catalog that is gone while its automatic backups are there. */
function catalogMissing(dataDir: string): PagevaultError {
  const path = catalogPathOf(dataDir);
  const [newest] = listCatalogBackups(dataDir);
  return new PagevaultError(
    'CATALOG_DAMAGED',
    `Cannot open the Pagevault catalog ${path}: the file is missing, yet ${catalogBackupsDir(dataDir)} holds automatic backups of it. ` +
      `Restore the newest, ${newest!.path} (taken ${newest!.takenAt}), with: pagevault catalog restore --data-dir ${shellQuote(dataDir)}; ` +
      `or, to start with an empty catalog, move that folder away first (an empty catalog would replace those backups in time).`,
  );
}

function migrate(db: CatalogConnection, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n > 0;
  if (hasTables && applicationId !== CATALOG_APPLICATION_ID) {
    throw new PagevaultError('NOT_A_DATABASE', `Cannot open the Pagevault catalog ${path}: the file holds another program's database; move it away or choose another data folder`);
  }
  if (version > CATALOG_VERSION) {
    throw new PagevaultError(
      'CATALOG_TOO_NEW',
      `Cannot open the Pagevault catalog ${path}: it was written by a newer Pagevault (catalog version ${version}; this version knows up to ${CATALOG_VERSION}). Update Pagevault, or choose another data folder. The catalog was not changed.`,
    );
  }
  for (let next = version; next < CATALOG_VERSION; next += 1) {
    db.transaction(() => {
      db.exec(migrations[next]!);
      db.pragma(`user_version = ${next + 1}`);
      db.pragma(`application_id = ${CATALOG_APPLICATION_ID}`);
    }).immediate();
  }
}
