/**
 * The catalog: Pagevault's own SQLite database of registered databases, backup history,
 * settings and an event log. Versioned by `PRAGMA user_version`; each migration runs
 * once, in a transaction. A catalog written by a newer Pagevault is refused untouched.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { migrations } from './migrations.ts';

/** Marks the file as a Pagevault catalog (`PRAGMA application_id`, "PVLT"). */
export const CATALOG_APPLICATION_ID = 0x50564c54;
export const CATALOG_FILE_NAME = 'catalog.sqlite';

export type CatalogConnection = Database.Database;

/** The schema version this build writes: the number of migrations. */
export const CATALOG_VERSION = migrations.length;

/** Opens (creating or migrating when needed) the catalog in `dataDir`. */
export function openCatalog(dataDir: string): CatalogConnection {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, CATALOG_FILE_NAME);
  let db: CatalogConnection;
  try {
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new PagevaultError('INTERNAL', `Cannot open the Pagevault catalog ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    migrate(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
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
