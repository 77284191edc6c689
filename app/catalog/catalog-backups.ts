/**
 * Automatic backups of the catalog, so a damaged catalog can be got back: taken with
 * SQLite's backup API a few seconds after the last write of a burst (and at a clean
 * shutdown), never on every write; each written as a partial, fsynced and renamed into
 * `<data dir>/catalog-backups/catalog-YYYYMMDD-HHMMSS.sqlite` (UTC), owner-only, the
 * newest few kept. `restoreCatalogBackup` puts one back in place of the catalog.
 */
import { closeSync, copyFileSync, constants, existsSync, fsyncSync, openSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import {
  CATALOG_COMPANIONS,
  CATALOG_FILE_MODE,
  catalogBackupName,
  catalogBackupsDir,
  catalogBusy,
  catalogFileProblem,
  catalogPathOf,
  ensureOwnFolder,
  isBusyError,
  lastCatalogBackupNumber,
  listCatalogBackups,
  timeStamp,
  type CatalogBackupFile,
} from './catalog-files.ts';
import type { CatalogConnection } from './catalog.ts';

/** How many automatic catalog backups are kept. */
export const CATALOG_BACKUPS_KEPT = 5;

/** When the catalog is backed up after writes: late enough that a burst of changes is one backup, early enough that a busy catalog still gets one. */
export interface CatalogBackupOptions {
  /** A backup is taken once the catalog has had no write for this long (default 3 s). */
  quietMs?: number;
  /** ...or once the oldest write not yet backed up is this old, however busy the catalog (default 60 s). */
  maxDelayMs?: number;
  /** How often writes are looked for; 0 never (tests call `check()`). Default 1 s. */
  checkMs?: number;
  keep?: number;
  now?: () => Date;
  /** A backup failed; it is tried again `maxDelayMs` later. */
  failed?: (error: PagevaultError) => void;
}

/** Watches the catalog connection for writes and backs it up after each burst. */
export class CatalogBackups {
  readonly #db: CatalogConnection;
  readonly #dataDir: string;
  readonly #quietMs: number;
  readonly #maxDelayMs: number;
  readonly #keep: number;
  readonly #now: () => Date;
  readonly #failed: (error: PagevaultError) => void;
  readonly #interval: NodeJS.Timeout | undefined;
  /** `total_changes()` when last looked at, when it was last seen to change, and when backed up. */
  #seen = 0;
  #changedAt: number;
  #firstUnsavedAt: number | null = null;
  #saved: number;
  #running: Promise<void> | null = null;
  /** After a failed backup, the next try waits until then (a full disk is not retried every second). */
  #retryAt = 0;

  constructor(db: CatalogConnection, dataDir: string, options: CatalogBackupOptions = {}) {
    this.#db = db;
    this.#dataDir = dataDir;
    this.#quietMs = options.quietMs ?? 3000;
    this.#maxDelayMs = options.maxDelayMs ?? 60_000;
    this.#keep = options.keep ?? CATALOG_BACKUPS_KEPT;
    this.#now = options.now ?? (() => new Date());
    this.#failed = options.failed ?? (() => undefined);
    this.#seen = this.#saved = this.#changes();
    this.#changedAt = this.#now().getTime();
    // A catalog without any backup yet (a new one, or one from before automatic backups) gets one soon.
    if (listCatalogBackups(dataDir).length === 0) {
      this.#saved = -1;
      this.#firstUnsavedAt = this.#changedAt;
    }
    const checkMs = options.checkMs ?? 1000;
    if (checkMs > 0) {
      this.#interval = setInterval(() => void this.check(), checkMs);
      this.#interval.unref();
    }
  }

  /** True when the catalog has writes that no backup holds yet. */
  get pending(): boolean {
    return this.#changes() !== this.#saved;
  }

  /** Looks for writes; backs up when a burst of them has ended (or has gone on too long). Never throws. */
  async check(): Promise<void> {
    if (this.#running || !this.#db.open) return;
    const now = this.#now().getTime();
    const changes = this.#changes();
    if (changes !== this.#seen) {
      this.#seen = changes;
      this.#changedAt = now;
      this.#firstUnsavedAt ??= now;
    }
    if (changes === this.#saved || now < this.#retryAt) return;
    const quiet = now - this.#changedAt >= this.#quietMs;
    const overdue = this.#firstUnsavedAt !== null && now - this.#firstUnsavedAt >= this.#maxDelayMs;
    if (quiet || overdue) await this.backUpNow().catch(() => undefined);
  }

  /** Backs up now (waiting for one under way); resolves with the new file. Rejects with the reason, also reported to `failed`. */
  async backUpNow(): Promise<CatalogBackupFile> {
    while (this.#running) await this.#running;
    const changes = this.#changes();
    let file!: CatalogBackupFile;
    const run = (async () => {
      try {
        file = await writeCatalogBackup(this.#db, this.#dataDir, this.#now());
        this.#saved = changes;
        this.#firstUnsavedAt = changes === this.#changes() ? null : this.#now().getTime();
        pruneCatalogBackups(this.#dataDir, this.#keep);
      } catch (error) {
        this.#retryAt = this.#now().getTime() + this.#maxDelayMs;
        const failure = error instanceof PagevaultError ? error : new PagevaultError('INTERNAL', `Cannot write ${catalogBackupsDir(this.#dataDir)}: ${(error as Error).message}`, { cause: error });
        this.#failed(failure);
        throw failure;
      }
    })();
    this.#running = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      await run;
      return file;
    } finally {
      this.#running = null;
    }
  }

  /** Stops watching; backs up what is not backed up yet (a clean shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#interval);
    while (this.#running) await this.#running;
    if (this.#db.open && this.pending) await this.backUpNow().catch(() => undefined);
  }

  /** How many rows this connection has changed since it opened; what it was last seen at when that cannot be read. */
  #changes(): number {
    try {
      return this.#db.open ? (this.#db.prepare('SELECT total_changes() AS n').get() as { n: number }).n : this.#saved;
    } catch {
      return this.#seen;
    }
  }
}

/** Writes one catalog backup: a partial (owner-only), standalone (no -wal), checked, fsynced, renamed. */
export async function writeCatalogBackup(db: CatalogConnection, dataDir: string, at: Date): Promise<CatalogBackupFile> {
  const folder = catalogBackupsDir(dataDir);
  ensureOwnFolder(folder);
  // A second backup in the same second gets a name of its own, numbered past every one of
  // that second still there (even when pruning took the first): none is replaced, and the
  // newest sorts first.
  const path = join(folder, catalogBackupName(at, lastCatalogBackupNumber(dataDir, at) + 1));
  const partial = `${path}.partial`;
  removeWithCompanions(partial);
  closeSync(openSync(partial, 'wx', CATALOG_FILE_MODE));
  try {
    await db.backup(partial);
    const copy = new Database(partial, { fileMustExist: true });
    try {
      // The copy of a WAL database is itself in WAL mode; a standalone file needs no -wal.
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      // The catalog itself is damaged: its copy is dropped, and the good backups before it stay.
      if (check !== 'ok') throw new PagevaultError('CATALOG_DAMAGED', `its copy failed SQLite's quick_check: ${String(check)}`);
    } finally {
      copy.close();
    }
    fsyncPath(partial);
    renameSync(partial, path);
    fsyncPath(folder);
  } catch (error) {
    removeWithCompanions(partial);
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC' || (error as { code?: string }).code === 'SQLITE_FULL') {
      throw new PagevaultError('DISK_FULL', `Cannot back up the Pagevault catalog into ${folder}: the disk is full`, { cause: error });
    }
    throw error;
  }
  return { path, takenAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** Deletes all but the newest `keep` automatic catalog backups (only files named as Pagevault names them). */
export function pruneCatalogBackups(dataDir: string, keep: number): string[] {
  const removed = listCatalogBackups(dataDir).slice(keep).map((file) => file.path);
  for (const path of removed) rmSync(path, { force: true });
  return removed;
}

/** What a catalog restore did. */
export interface CatalogRestoreResult {
  catalog: string;
  from: string;
  takenAt: string | null;
  /** Where the catalog that was replaced is kept; null when there was none. */
  keptAs: string | null;
}

/**
 * Puts an automatic catalog backup (the newest, or `from`) in place of the catalog of
 * `dataDir`. Refused while a program (a running Pagevault) has the catalog open, or when
 * the backup is not a sound Pagevault catalog. The catalog it replaces is renamed to
 * `catalog.sqlite.damaged-<time>`, with its -wal and -shm, never deleted.
 */
export function restoreCatalogBackup(rawDataDir: string, options: { from?: string; now?: Date } = {}): CatalogRestoreResult {
  const dataDir = resolve(rawDataDir);
  const catalog = catalogPathOf(dataDir);
  const known = listCatalogBackups(dataDir);
  const from = options.from === undefined ? known[0]?.path : resolve(options.from);
  if (!from) {
    throw new PagevaultError('NOT_FOUND', `Cannot restore the Pagevault catalog ${catalog}: there are no automatic catalog backups in ${catalogBackupsDir(dataDir)}; name a file with --from FILE`);
  }
  const subject = `Cannot restore the Pagevault catalog ${catalog} from ${from}`;
  if (!existsSync(from)) throw new PagevaultError('NOT_FOUND', `${subject}: the file does not exist`);
  if (existsSync(catalog) && realpathSync(from) === realpathSync(catalog)) throw new PagevaultError('DEST_IS_SOURCE', `${subject}: that is the catalog itself`);
  checkCatalogBackup(from, subject);
  if (existsSync(catalog)) refuseWhileOpen(catalog, subject);

  const now = options.now ?? new Date();
  let keptAs: string | null = null;
  if (existsSync(catalog)) {
    keptAs = `${catalog}.damaged-${timeStamp(now)}`;
    for (let n = 2; existsSync(keptAs); n += 1) keptAs = `${catalog}.damaged-${timeStamp(now)}-${n}`;
    renameSync(catalog, keptAs);
    for (const suffix of CATALOG_COMPANIONS) if (existsSync(catalog + suffix)) renameSync(catalog + suffix, keptAs + suffix);
  }
  const partial = `${catalog}.partial`;
  rmSync(partial, { force: true });
  copyFileSync(from, partial, constants.COPYFILE_EXCL);
  fsyncPath(partial);
  renameSync(partial, catalog);
  fsyncPath(dirname(catalog));
  return { catalog, from, takenAt: known.find((file) => file.path === from)?.takenAt ?? null, keptAs };
}

/** A catalog backup must be a sound SQLite file that is a Pagevault catalog. */
function checkCatalogBackup(path: string, subject: string): void {
  const problem = catalogFileProblem(path);
  if (problem) throw new PagevaultError('CORRUPT', `${subject}: ${problem}; choose another backup with --from FILE`);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    if (db.pragma('application_id', { simple: true }) !== 0x50564c54) {
      throw new PagevaultError('NOT_A_DATABASE', `${subject}: it is a SQLite database but not a Pagevault catalog`);
    }
  } finally {
    db.close();
  }
}

/**
 * A running Pagevault keeps its catalog open in WAL mode, which holds a shared lock on
 * the file: an exclusive lock cannot be had then. A file too damaged for SQLite to lock
 * is not open in any Pagevault (it would have refused to start).
 */
function refuseWhileOpen(catalog: string, subject: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(catalog, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
  } catch (error) {
    if (isBusyError(error)) {
      const busy = catalogBusy(catalog, error);
      throw new PagevaultError('CATALOG_BUSY', `${subject}: the catalog is open in another program, most likely a running Pagevault; quit it (desktop app, or npm run web) and try again`, { cause: busy });
    }
  } finally {
    db?.close();
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeWithCompanions(path: string): void {
  for (const file of [path, ...CATALOG_COMPANIONS.map((suffix) => path + suffix)]) rmSync(file, { force: true });
}
