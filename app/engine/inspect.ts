/** `inspect(file)`: what a SQLite file is, without changing it. */
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Stats } from 'node:fs';
import Database from 'better-sqlite3';
import type { EncryptionState, InspectResult, JournalMode, Keys, TableInfo } from '../api/types.ts';
import { decryptToTemporary, isAgeFile } from './age-files.ts';
import { checkDatabaseFile, cipherLabel, openEncrypted, withDetectedCipher } from './connection.ts';
import type { SqliteHeader } from './sqlite-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';
import { whenReadable } from './read-lock.ts';

/** The user's tables, by name. */
const TABLE_NAMES = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";

/** How long inspect tries for a read lock before it takes the database as held by another program. */
const HELD_DETECT_MS = 1000;

/** Bounds on how long inspecting a live database may take, and the keys that open an encrypted backup. */
export interface InspectOptions {
  /** How long row counting may take in all before the remaining tables are left uncounted. */
  rowCountBudgetMs?: number;
  busyTimeoutMs?: number;
  /**
   * How long to try for a read lock before answering from the header, as a database
   * another program holds (default 1 s, within `busyTimeoutMs`): the add form must not
   * hang on Firefox's places.sqlite; a caller that would rather wait may give more.
   */
  heldAfterMs?: number;
  /**
   * `source`: the key of an encrypted database; without it, an encrypted file is ENCRYPTED
   * (key needed). `age`: keys for a backup encrypted with age: it is inspected decrypted,
   * in a private temporary copy (with `source` too when the database inside is encrypted).
   */
  keys?: Keys;
  /** Find the cipher `keys.source` opens the file with, instead of taking its cipher as options. */
  detectCipher?: boolean;
}

/** Reads header facts, pragmas and per-table row counts of `path`, read-only. */
export async function inspectFile(path: string, options: InspectOptions = {}): Promise<InspectResult> {
  const subject = `Cannot inspect ${path}`;
  if (await isAgeFile(path)) {
    const copy = await decryptToTemporary(path, options.keys?.age, undefined, subject);
    try {
      const inside = await inspectFile(copy.path, { ...options, keys: { source: options.keys?.source } });
      return { ...inside, path, sizeBytes: (await stat(path)).size };
    } finally {
      await copy.remove();
    }
  }
  const source = options.keys?.source && options.detectCipher ? await withDetectedCipher(path, options.keys.source, 'Cannot inspect') : options.keys?.source;
  const heldAfterMs = Math.min(options.busyTimeoutMs ?? 5000, options.heldAfterMs ?? HELD_DETECT_MS);
  const { stats, header, encrypted } = await checkDatabaseFile(path, 'Cannot inspect', source, { heldAfterMs });
  const encryption: EncryptionState = encrypted ? { state: 'key-accepted', cipher: source!.cipher, cipherLabel: cipherLabel(source!.cipher) } : { state: 'plain' };
  const walBytes = await stat(`${path}-wal`).then((s) => s.size, () => -1);

  // A WAL database with a -wal and no -shm: a connection would create the -shm beside it.
  const shmExists = await stat(`${path}-shm`).then(() => true, () => false);
  const noShm = header.writeVersion === 2 && walBytes >= 0 && !shmExists;
  if (noShm) return fromHeader(path, stats, header, walBytes);
  // A WAL database with neither -wal nor -shm is closed; any SQLite connection, a read-only
  // one too, would make both beside it and leave them. It is read as immutable instead (no
  // lock, no file made: with no -wal, the database file is the whole of its last commit),
  // and looked at again afterwards, in case its app opened it meanwhile.
  const closedWal = header.writeVersion === 2 && walBytes < 0 && !shmExists && !encrypted;
  if (closedWal) {
    const read = await inspectClosedWal(path, options);
    const after = await stat(path).catch(() => undefined);
    const untouched = async () => (await stat(`${path}-wal`).then(() => false, () => true)) && (await stat(`${path}-shm`).then(() => false, () => true));
    if (read && after && after.size === stats.size && after.mtimeMs === stats.mtimeMs && (await untouched())) {
      return { ...read, path, sizeBytes: stats.size, modifiedAt: stats.mtime.toISOString(), journalMode: 'wal', sqliteVersionWritten: header.sqliteVersionNumber, hasWal: false, walBytes: 0, heldByAnotherProgram: false, encryption };
    }
  }
  let db: Database.Database | undefined;
  try {
    db = encrypted
      ? openEncrypted(path, source!, subject, { readonly: true, timeout: options.busyTimeoutMs ?? 5000 })
      : new Database(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
    const open = db;
    const pragma = (name: string): unknown => open.pragma(name, { simple: true });
    let tableNames: string[];
    try {
      const listed = whenReadable(open, heldAfterMs, () =>
        open.prepare(TABLE_NAMES).pluck().all() as string[],
      );
      if (!listed) return fromHeader(path, stats, header, walBytes);
      tableNames = listed.value;
    } catch (error) {
      // A hot journal nobody holds: only its owner may roll it back.
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY') return fromHeader(path, stats, header, walBytes);
      throw error;
    }
    const { tables, rowCountsIncomplete } = countRows(db, tableNames, options.rowCountBudgetMs ?? 2000);
    return {
      path,
      sizeBytes: stats.size,
      modifiedAt: stats.mtime.toISOString(),
      pageSize: Number(pragma('page_size')),
      pageCount: Number(pragma('page_count')),
      freePages: Number(pragma('freelist_count')),
      journalMode: String(pragma('journal_mode')).toLowerCase() as JournalMode,
      encoding: String(pragma('encoding')),
      userVersion: Number(pragma('user_version')),
      applicationId: Number(pragma('application_id')),
      sqliteVersionWritten: header.sqliteVersionNumber,
      hasWal: walBytes >= 0,
      walBytes: Math.max(0, walBytes),
      tables,
      rowCountsIncomplete,
      heldByAnotherProgram: false,
      encryption,
    };
  } catch (error) {
    throw toPagevaultError(error, subject);
  } finally {
    db?.close();
  }
}

/**
 * The tables and pragmas of a closed WAL database read through an immutable URI filename;
 * undefined when SQLite will not open it so (URI filenames turned off by the user's
 * SQLITE_USE_URI=0, say), and the usual read-only connection is used instead.
 */
async function inspectClosedWal(path: string, options: InspectOptions): Promise<Pick<InspectResult, 'pageSize' | 'pageCount' | 'freePages' | 'encoding' | 'userVersion' | 'applicationId' | 'tables' | 'rowCountsIncomplete'> | undefined> {
  let db: Database.Database;
  try {
    db = new Database(`${pathToFileURL(path).href}?immutable=1`, { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    const pragma = (name: string): unknown => db.pragma(name, { simple: true });
    const names = db.prepare(TABLE_NAMES).pluck().all() as string[];
    const { tables, rowCountsIncomplete } = countRows(db, names, options.rowCountBudgetMs ?? 2000);
    return {
      pageSize: Number(pragma('page_size')),
      pageCount: Number(pragma('page_count')),
      freePages: Number(pragma('freelist_count')),
      encoding: String(pragma('encoding')),
      userVersion: Number(pragma('user_version')),
      applicationId: Number(pragma('application_id')),
      tables,
      rowCountsIncomplete,
    };
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** Row counts of `names`, as many as `budgetMs` allows; the rest are left uncounted (null). */
function countRows(db: Database.Database, names: string[], budgetMs: number): { tables: TableInfo[]; rowCountsIncomplete: boolean } {
  const started = performance.now();
  const tables: TableInfo[] = [];
  let rowCountsIncomplete = false;
  for (const name of names) {
    if (performance.now() - started > budgetMs) {
      rowCountsIncomplete = true;
      tables.push({ name, rows: null });
      continue;
    }
    const rows = db.prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`).pluck().get() as number;
    tables.push({ name, rows });
  }
  return { tables, rowCountsIncomplete };
}

/** What the header says of a database another program holds: no lock taken, nothing opened through SQLite. */
function fromHeader(path: string, stats: Stats, header: SqliteHeader, walBytes: number): InspectResult {
  const raw = header.bytes;
  const encodings: Record<number, string> = { 1: 'UTF-8', 2: 'UTF-16le', 3: 'UTF-16be' };
  return {
    path,
    sizeBytes: stats.size,
    modifiedAt: stats.mtime.toISOString(),
    pageSize: header.pageSize,
    pageCount: header.pageCount ?? Math.ceil(stats.size / header.pageSize),
    freePages: raw.readUInt32BE(36),
    journalMode: header.writeVersion === 2 ? 'wal' : 'delete',
    encoding: encodings[raw.readUInt32BE(56)] ?? 'UTF-8',
    userVersion: raw.readInt32BE(60),
    applicationId: raw.readInt32BE(68),
    sqliteVersionWritten: header.sqliteVersionNumber,
    hasWal: walBytes >= 0,
    walBytes: Math.max(0, walBytes),
    tables: [],
    rowCountsIncomplete: false,
    heldByAnotherProgram: true,
  };
}
