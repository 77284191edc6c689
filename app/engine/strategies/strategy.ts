/** The shape every backup strategy has; see index.ts for how one is added. */
import Database from 'better-sqlite3';
import type { CopyMethod, HeldCopy, JournalMode, SourceKey } from '../../api/types.ts';
import { openEncrypted, openEncryptedUnlessHeld } from '../connection.ts';
import type { BackupOptions } from '../backup-options.ts';
import type { OperationContext } from '../context.ts';
import { whenReadable } from '../read-lock.ts';
import { SourceFiles } from '../source-files.ts';
import { removeWalCompanionsMade, walCompanionsAbsent } from '../wal-companions.ts';
import type { SqliteHeader } from '../sqlite-file.ts';
import type { PlainRing } from '../plain-ring.ts';

/** What a strategy is given to begin: the checked source and how the backup was asked for. */
export interface StrategyInput {
  /** The source's absolute path, already checked to be a SQLite database. */
  source: string;
  /** Its header, read without a lock: bytes 18/19 say WAL (2) or rollback journal (1). */
  header: SqliteHeader;
  options: BackupOptions;
  busyTimeoutMs: number;
  ctx: OperationContext;
  /** "Cannot back up <source> to <destination>", the start of every message. */
  subject: string;
  /** Set only for an encrypted source, checked to open it: every connection to it is opened with it. */
  key?: SourceKey;
  /** An encrypted source without its key: copied as raw bytes (raw-copy.ts), never through SQLite. */
  raw?: boolean;
  /** The check already found another program holding the source (an encrypted one, whose key check needs a read lock; connection.ts): it is copied without a lock. */
  held?: boolean;
  /** The destination's file system clones (clone.ts): a file-level copy may clone the database file instead of reading it. */
  destinationClones?: boolean;
  /**
   * An encrypted backup's plaintext goes to its encryption through this ring (plain-ring.ts)
   * when the copy writes the snapshot once, front to back, with its final bytes: such a
   * copy's result then says `handedOff`. `writePlain` false: nothing will read the plain
   * partial (no verification), so it is not written at all.
   */
  plainRing?: { ring: PlainRing; writePlain: boolean };
}

/**
 * True when the partial a strategy writes is a scratch copy: a backup encrypted at rest
 * verifies it, encrypts it into the encrypted partial (which is fsynced and published;
 * as the copy goes, when the copy writes final bytes in order) and removes it. Only the encrypted file must reach the disk; flushing the
 * plain one too wrote every byte twice (measured: 1 GB WAL database, 2.08 × a plain
 * backup).
 */
export function isScratchCopy(input: StrategyInput): boolean {
  return input.options.encryption !== undefined;
}

/** The source as the copy sees it: the prepare phase's numbers and the manifest's journal mode. */
export interface SourceShape {
  journalMode: JournalMode;
  pageCount: number;
  pageSize: number;
}

/** What the copy phase leaves for the pipeline's finalize step and the manifest. */
export interface CopyResult {
  restarts: number;
  /**
   * Set when the partial is already a finished rollback-journal database (a file-level
   * copy of one): the pipeline does not open it to finalize. Otherwise it is opened with
   * SQLite, switched to DELETE mode and counted.
   */
  finished?: { pageCount: number; pageSize: number };
  /** Set when the partial is a copy taken without a lock, which SQLite recovers (replays its WAL, rolls back a hot journal) as it is finalized. */
  heldCopy?: HeldCopy;
  /** How the database file was made, for the manifest (default "copied"). */
  copyMethod?: CopyMethod;
  /**
   * The SHA-256 of the partial, hashed as this process wrote every byte of it; only with
   * `finished`, since nothing else writes the file after the copy. Verification then
   * checks the file with SQLite and does not read it again to hash it.
   */
  sha256?: string;
  /** The copy handed every byte of the plaintext to `plainRing`, in order. */
  handedOff?: boolean;
}

/**
 * One begun backup: its source is open (and, in snapshot mode, pinned) until `end` or
 * `abort`. The pipeline calls `copy` once, then exactly one of `end` and `abort`.
 */
export interface BegunCopy {
  readonly shape: SourceShape;
  /** Writes the copy into `partial`, which the pipeline has claimed (an empty file of its own). */
  copy(partial: string): Promise<CopyResult>;
  /** After a copy: ends the read transaction and lets go of the source (connections, then descriptors). */
  end(): Promise<void>;
  /** After a failure at any point: lets go of the source; never throws. */
  abort(): void;
}

/**
 * A way of copying a live database. `begin` takes the read lock (so a locked source is
 * found before anything is written) and answers `'held'` when another program holds the
 * database so that no lock can be had: the held strategy then copies it without one.
 */
export interface BackupStrategy {
  begin(input: StrategyInput): Promise<BegunCopy | 'held'>;
}

/**
 * The source's read-only connection and, for the file-level copies, its descriptors.
 * Every strategy that reads through SQLite opens the source here, so how a connection is
 * opened (a busy timeout, and later a key for an encrypted source) is written once.
 */
export class SourceReader {
  readonly db: Database.Database;
  #files: SourceFiles | undefined;
  /** A closed WAL database's -wal and -shm, which this connection makes, are removed once it is closed (wal-companions.ts). */
  readonly #tidy: (() => void) | undefined;

  /**
   * A reader of `input.source`; undefined for an encrypted source that gives no read lock
   * to prove its key with (its app began to hold it after its check, connection.ts): it is
   * then copied without a lock, as readShape finds a plain one held.
   */
  static open(input: StrategyInput, withFiles: boolean): SourceReader | undefined {
    if (!input.key) return new SourceReader(input, withFiles);
    const closedWal = walCompanionsAbsent(input.source);
    const db = openEncryptedUnlessHeld(input.source, input.key, input.subject, { readonly: true, timeout: input.busyTimeoutMs, heldAfterMs: Math.min(input.busyTimeoutMs, HELD_DETECT_MS) });
    return db && new SourceReader(input, withFiles, db, closedWal);
  }

  /** `closedWal`: no -wal and no -shm were beside the source before `keyed` (or this reader's connection) was opened. */
  constructor(input: StrategyInput, withFiles: boolean, keyed?: Database.Database, closedWal = walCompanionsAbsent(input.source)) {
    const { source, key } = input;
    // An encrypted source's header is encrypted too: whether it is in WAL mode shows only in the -wal its reader makes.
    this.#tidy = closedWal
      ? () => removeWalCompanionsMade(source, () => (key ? openEncrypted(source, key, input.subject, { timeout: 0 }) : new Database(source, { fileMustExist: true, timeout: 0 })))
      : undefined;
    this.db =
      keyed ??
      (input.key
        ? openEncrypted(input.source, input.key, input.subject, { readonly: true, timeout: input.busyTimeoutMs })
        : new Database(input.source, { readonly: true, fileMustExist: true, timeout: input.busyTimeoutMs }));
    try {
      this.#files = withFiles ? new SourceFiles(input.source) : undefined;
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** The source's descriptors (database-files.ts), when this reader was opened with them. */
  get files(): SourceFiles | undefined {
    return this.#files;
  }

  /** Ends the read transaction, closes the connection, and only then the descriptors: closing those drops the process's locks on the database (wal-snapshot.ts). */
  close(): void {
    try {
      if (this.db.inTransaction) this.db.exec('COMMIT');
      this.db.close();
    } finally {
      this.#closeFiles();
    }
  }

  /** Like `close` after a failure: rolls back, and never throws. */
  abort(): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.db.close();
    } catch {
      // The connection is already unusable; closing is best effort.
    }
    this.#closeFiles();
  }

  #closeFiles(): void {
    this.#files?.close();
    this.#files = undefined;
    this.#tidy?.();
  }
}

/**
 * A read lock still unavailable after this long of trying at once is held by another
 * program in exclusive locking mode (a writer committing back to back leaves a gap every
 * few milliseconds); the database is then copied without a lock (held-copy.ts).
 */
const HELD_DETECT_MS = 1000;

/**
 * Takes a read lock on the reader's source (and keeps it, in a transaction, when `pin`)
 * and reads the source's shape, retrying at once while another connection writes
 * (read-lock.ts). Undefined when the lock stayed taken (another program holds the
 * database exclusively) or the database needs a recovery only its owner may run (a hot
 * journal nobody holds: a writer died mid-transaction; a read-only connection cannot roll
 * it back): it is then copied without a lock, and the copy rolls back its own.
 */
export function readShape(reader: SourceReader, input: StrategyInput, pin: boolean): SourceShape | undefined {
  const db = reader.db;
  try {
    return whenReadable(db, Math.min(input.busyTimeoutMs, HELD_DETECT_MS), () => {
      if (pin) db.exec('BEGIN');
      db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
      return {
        journalMode: String(db.pragma('journal_mode', { simple: true })).toLowerCase() as JournalMode,
        pageCount: Number(db.pragma('page_count', { simple: true })),
        pageSize: Number(db.pragma('page_size', { simple: true })),
      };
    })?.value;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY') return undefined;
    throw error;
  }
}

/**
 * Opens a reader, lets `shape` take the lock, and hands both to `make`; on `'held'` or a
 * failure, nothing of the source stays open in this process (a held database must not
 * keep a descriptor or connection of Pagevault's).
 */
export function beginWithReader(
  input: StrategyInput,
  withFiles: boolean,
  make: (reader: SourceReader) => BegunCopy | undefined,
): BegunCopy | 'held' {
  const reader = SourceReader.open(input, withFiles);
  if (!reader) return 'held';
  try {
    const begun = make(reader);
    if (begun) return begun;
  } catch (error) {
    reader.abort();
    throw error;
  }
  reader.abort();
  return 'held';
}
