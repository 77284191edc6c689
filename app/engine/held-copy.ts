/**
 * The copy of a database that another program holds exclusively (Firefox, Chromium,
 * Zotero, Anki keep theirs locked the whole time they run): no SQLite connection from
 * another process can read it, so its files are read without any lock, and the copy is
 * accepted only when the file formats prove it equals the files at one instant, as
 * SQLite would find them after a power cut then. SQLite's own recovery, run on the copy
 * (backup.ts opens it), then replays the committed WAL frames or rolls back a hot journal.
 *
 * Nothing is created beside the source and no lock is taken: the database, its `-wal` and
 * its `-journal` are opened read-only and only read. The copy and its companion (`-wal`
 * or `-journal`) are written beside the partial file, under the partial's ownership claim.
 *
 * The proof, from SQLite's file formats (https://sqlite.org/fileformat2.html) and wal.c /
 * pager.c of the SQLite this build carries:
 *
 * WAL mode. The database file changes only when a checkpoint writes WAL frames back into
 * it; each page it writes is a frame already in the WAL. The WAL only grows within one
 * generation; a new generation (after a checkpoint restarts or truncates the WAL) begins
 * by rewriting the 32-byte WAL header with a new checkpoint sequence and new salts (salt-1
 * is incremented, salt-2 is random). So: read the WAL header, copy the database file, then
 * copy the WAL, then read the header again. Equal headers (and the same WAL file) mean one
 * generation throughout: every page a checkpoint changed while the database was copied is
 * in the copied WAL, written there before the WAL was copied, and replaying the WAL's
 * committed frames over the copy puts every such page at its version as of the last
 * commit frame the copy holds. Frames appended while the WAL was copied end in a frame
 * whose checksum fails or that is not a commit, and recovery stops before them, exactly
 * as after a power cut. With no WAL (or an empty one) at both reads, the database file's
 * size and times must not have changed either.
 *
 * Rollback-journal mode. A writer journals a page's original content (and, unless it runs
 * with synchronous=OFF, syncs the journal and sets its header's magic) before it writes
 * the page into the database file, and makes the journal cold (deletes it, truncates it,
 * or zeroes its header) only once every page is written: that is the commit. So: read the
 * journal's header and the database header, copy the database file, then copy the
 * journal, then read both again.
 * - Hot at both reads with the same nonce (bytes 12..15, random per transaction), the
 *   same journal file, and that nonce in the copied journal: one transaction was in
 *   progress throughout and no other could commit meanwhile. Every page it wrote into the
 *   database before or while it was copied has its original in the copied journal, and
 *   rolling it back gives the database as of the commit before it.
 * - Cold at both reads, and the database file's header (its change counter is bumped by
 *   every commit), size and times unchanged: nothing was written into it while it was
 *   copied, and there is nothing to roll back.
 * Anything else is copied again.
 *
 * An encrypted database (SQLite3MultipleCiphers, SQLCipher): its page 1, header included, is
 * encrypted, so the header's page size and change counter cannot be read. What is plain
 * (measured on SQLCipher 4, wxSQLite3 AES-256, ChaCha20 and sqleet files written here, and
 * as its `mcWriteWal`/`mcReadWal` show: only a frame's page is encrypted) is the WAL header
 * and every frame header, and the frame checksums are computed over the encrypted page as
 * it is stored, so the WAL proof is the same. The page size then comes from the WAL header.
 * In rollback-journal mode, every commit rewrites page 1 (its change counter), and the
 * ciphers either draw a fresh IV for each write (SQLCipher) or encrypt a changed plaintext
 * into changed bytes: the first 64 KiB, which hold page 1 whatever the page size, stand in
 * for the header. The journal's 28-byte header is written in the clear (only its page
 * records are encrypted), so a hot journal is recognised as before; only a copy that can
 * be recovered with the key (`rollBackHot`) accepts one. Held in rollback-journal mode,
 * such a database gives no read lock, so its key cannot be proven on it: its check finds it
 * held (connection.ts) and it is copied here; the keyed connection that finalizes the copy
 * (backup.ts) reads the copied journal's encrypted page records through the cipher as it
 * rolls them back, and proves the key (a wrong one is WRONG_KEY there, nothing published).
 *
 * On a file system that clones (clone.ts), a database larger than what is read into memory
 * is cloned instead of read: the time between the proof's two reads is then that of a
 * clone, milliseconds whatever the size, where a chunked copy would leave a busy writer
 * seconds to start a new WAL generation or commit. The proof is the same either way.
 *
 * A copy that cannot be proven is copied again, after a short pause, up to `maxTries`;
 * a try after the first rewrites only the chunks of the copy that differ from the source.
 * After that the backup is deferred (DEFERRED), never published torn.
 *
 * Windows: another process's byte-range locks there are mandatory, and SQLite locks only
 * bytes at the 1 GiB boundary (the "lock-byte" page, which never holds data): that page is
 * filled with zeros instead of read (`readChunk`), and the rest of the file reads as on
 * Linux; the -wal and -journal carry no locks. macOS: advisory POSIX locks, as on Linux.
 * Only Linux runs the tests.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { PagevaultError } from '../api/errors.ts';
import type { HeldCopy } from '../api/types.ts';
import type { OperationContext } from './context.ts';
import { closeDatabaseFile, openDatabaseFile, openRegularFile } from './database-files.ts';
import { COPY_CHUNK_BYTES, writeAll, WriteBehind, WRITE_BACK_BYTES } from './source-files.ts';
import { cloneDescriptor, type CopyMethod } from './clone.ts';

/** How many copies are tried before the backup is deferred. */
export const DEFAULT_HELD_COPY_TRIES = 30;
/** The longest pause between two tries; they start shorter, so a writer's gaps are met at different phases. */
const MAX_PAUSE_MS = 50;

/** A database up to this size is read into memory at once by each try (see copyDatabase). */
const WHOLE_READ_MAX_BYTES = 64 << 20;
const WAL_HEADER_BYTES = 32;
const WAL_FRAME_HEADER_BYTES = 24;
const JOURNAL_HEADER_BYTES = 28;
const DATABASE_HEADER_BYTES = 100;
/** What stands in for the header of an encrypted database: page 1 whole, whatever the page size. */
const ENCRYPTED_PAGE_ONE_BYTES = 65536;
/** The page size assumed for an encrypted database whose WAL does not give it (SQLCipher's and SQLite3MultipleCiphers' default); only progress and the lock-byte page use it. */
const ENCRYPTED_DEFAULT_PAGE_SIZE = 4096;

/** How hard a lock-free copy of a held database tries, and whether it may clone the database instead of reading it. */
export interface HeldCopyOptions {
  /** Copies tried before the backup is deferred (default DEFAULT_HELD_COPY_TRIES). */
  maxTries?: number;
  /** The partial's folder clones (clone.ts): a large database is cloned rather than read. */
  clone?: boolean;
  /** The database is encrypted: its header cannot be read, and page 1's bytes stand in for it (see the header). */
  encrypted?: boolean;
  /** A hot journal may be copied for the copy's recovery to roll back (default true); not for a copy no SQLite will open (raw-copy.ts). */
  rollBackHot?: boolean;
}

/** What the copy found, for the manifest; `consistentUpTo` is completed once SQLite has recovered the copy. */
export interface HeldCopyResult {
  heldCopy: HeldCopy;
  /** How the proven try made the database file. */
  copyMethod: CopyMethod;
}

/** The state of a file at one read: absent, or its identity, size and times. */
interface FileState {
  ino: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * Copies `source` (in WAL mode when `walMode`) and its -wal or -journal into `partial`
 * and `partial`-wal / -journal without any lock, trying until a copy is proven consistent.
 */
export async function copyHeldDatabase(
  source: string,
  walMode: boolean,
  partial: string,
  ctx: OperationContext,
  subject: string,
  options: HeldCopyOptions = {},
): Promise<HeldCopyResult> {
  const maxTries = Math.max(1, options.maxTries ?? DEFAULT_HELD_COPY_TRIES);
  const database = openDatabaseFile(source, subject);
  const output = openSync(partial, 'r+');
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const existing = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const companionPath = `${partial}${walMode ? '-wal' : '-journal'}`;
  const started = performance.now();
  let bytesCopied = 0;
  try {
    const pageSize = options.encrypted ? encryptedPageSize(source) : headerPageSize(readAt(database.fd, DATABASE_HEADER_BYTES, 0));
    if (pageSize < 512) throw new PagevaultError('CORRUPT', `${subject}: its header gives no valid page size`);
    const rollback = { headerBytes: options.encrypted ? ENCRYPTED_PAGE_ONE_BYTES : DATABASE_HEADER_BYTES, encrypted: options.encrypted === true, rollBackHot: options.rollBackHot !== false };

    let whole: Buffer | undefined;
    let copyMethod: CopyMethod = 'copied';
    for (let attempt = 1; ; attempt += 1) {
      const copyDatabase = async (): Promise<CopiedDatabase> => {
        const size = fstatSync(database.fd).size;
        const totalPages = Math.max(1, Math.ceil(size / pageSize));
        // A clone takes the file as it is at one moment, from a child process (see clone.ts).
        // Not on Windows, where the lock-byte page must be left out (readChunk).
        if (options.clone && size > WHOLE_READ_MAX_BYTES && (await cloneDescriptor(database.fd, partial))) {
          copyMethod = 'cloned';
          bytesCopied += size;
          ctx.throwIfCancelled(subject);
          ctx.report({ phase: 'copy', totalPages, remainingPages: 0, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts: attempt - 1 });
          return { bytes: fstatSync(output).size, write: async () => undefined };
        }
        copyMethod = 'copied';
        if (size <= WHOLE_READ_MAX_BYTES) {
          // Small enough to read at once: the time between the proof's two reads is then a
          // read of the file into memory, not a read and a write chunk by chunk, so a copy
          // fits between the commits of a writer that commits back to back. Written after.
          if (!whole || whole.length < size) whole = Buffer.allocUnsafe(Math.max(size, 1));
          const held = whole;
          let position = 0;
          while (position < held.length) {
            const read = readChunk(database.fd, held.subarray(position, Math.min(held.length, position + COPY_CHUNK_BYTES)), position, size, pageSize);
            if (read === 0) break;
            position += read;
            ctx.throwIfCancelled(subject);
            ctx.report({ phase: 'copy', totalPages, remainingPages: Math.max(0, totalPages - Math.floor(position / pageSize)), bytesCopied: bytesCopied + position, bytesPerSecond: (bytesCopied + position) / seconds(started), restarts: attempt - 1 });
          }
          const bytes = Math.min(position, size);
          return {
            bytes,
            write: async () => {
              writeAll(output, held, bytes, 0);
              truncateTo(output, bytes);
              bytesCopied += bytes;
              ctx.throwIfCancelled(subject);
              ctx.report({ phase: 'copy', totalPages, remainingPages: 0, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts: attempt - 1 });
            },
          };
        }
        const writeBehind = new WriteBehind(output);
        let position = 0;
        try {
          for (;;) {
            const read = readChunk(database.fd, buffer, position, size, pageSize);
            if (read === 0) break;
            // A later try writes only what differs from the copy it already has.
            const same = attempt > 1 && readSync(output, existing, 0, read, position) === read && buffer.subarray(0, read).equals(existing.subarray(0, read));
            if (!same) writeAll(output, buffer, read, position);
            position += read;
            bytesCopied += read;
            if (Math.floor(position / WRITE_BACK_BYTES) !== Math.floor((position - read) / WRITE_BACK_BYTES)) await writeBehind.flush();
            ctx.throwIfCancelled(subject);
            ctx.report({ phase: 'copy', totalPages, remainingPages: Math.max(0, totalPages - Math.floor(position / pageSize)), bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts: attempt - 1 });
          }
          await writeBehind.settle();
        } finally {
          await writeBehind.settle().catch(() => undefined);
        }
        truncateTo(output, position);
        return { bytes: position, write: async () => undefined };
      };

      const proof = walMode
        ? await tryWal(source, database.fd, companionPath, copyDatabase)
        : await tryRollback(source, database.fd, companionPath, copyDatabase, rollback);
      if (proof) {
        await proof.write();
        fdatasyncSync(output);
        const totalPages = Math.max(1, Math.ceil(proof.bytes / pageSize));
        ctx.report({ phase: 'copy', totalPages, remainingPages: 0, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts: attempt - 1 }, true);
        return {
          heldCopy: { journal: walMode ? 'wal' : 'rollback', tries: attempt, consistentUpTo: proof.consistentUpTo },
          copyMethod,
        };
      }
      removeQuietly(companionPath);
      if (attempt >= maxTries) {
        throw new PagevaultError(
          'DEFERRED',
          `${subject}: deferred: another program held the database and kept writing to it while it was copied; tried ${attempt} times to copy it consistently. The next backup tries again.`,
        );
      }
      ctx.report({ phase: 'copy', totalPages: 1, remainingPages: 1, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts: attempt }, true);
      if (ctx.pause(Math.min(MAX_PAUSE_MS, 2 ** (attempt - 1)))) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
    }
  } catch (error) {
    removeQuietly(companionPath);
    throw error;
  } finally {
    closeSync(output);
    closeDatabaseFile(database);
  }
}

/** The database as one try read it; `write` puts what was read into the copy, if it is not there yet. */
interface CopiedDatabase {
  bytes: number;
  write: () => Promise<void>;
}

interface Proof {
  bytes: number;
  /** Puts the database as proven into the copy. */
  write: () => Promise<void>;
  consistentUpTo: string;
}

/** One try in WAL mode (see the header): undefined when the WAL started a new generation meanwhile. */
async function tryWal(source: string, databaseFd: number, walCopy: string, copyDatabase: () => Promise<CopiedDatabase>): Promise<Proof | undefined> {
  const walPath = `${source}-wal`;
  const wal = openQuietly(walPath);
  try {
    const before = { header: walHeader(wal), wal: stateOf(wal), database: stateOf(databaseFd) };
    const { bytes, write } = await copyDatabase();
    const walBytes = wal === undefined ? 0 : copyWhole(wal, walCopy);
    const after = { header: walHeader(wal), wal: stateOf(wal), database: stateOf(databaseFd) };
    const sameWalFile = sameFile(wal, walPath);
    if (before.header && after.header) {
      if (!before.header.equals(after.header) || !sameWalFile) return undefined;
      const commit = lastCommitFrame(walCopy, walBytes);
      const checkpoint = before.header.readUInt32BE(12);
      return {
        bytes,
        write,
        consistentUpTo: commit ? `WAL commit frame ${commit.toLocaleString('en-US')} of checkpoint ${checkpoint.toLocaleString('en-US')}` : `the last checkpoint (the WAL of checkpoint ${checkpoint.toLocaleString('en-US')} held no commit)`,
      };
    }
    // No WAL header at either read: nothing may have been written at all.
    if (before.header || after.header || !sameWalFile || !sameState(before.wal, after.wal) || !sameState(before.database, after.database)) return undefined;
    return { bytes, write, consistentUpTo: 'the last checkpoint (the WAL was empty)' };
  } finally {
    if (wal !== undefined) closeSync(wal);
  }
}

/** One try in rollback-journal mode (see the header): undefined when a commit may have torn the copy. */
async function tryRollback(
  source: string,
  databaseFd: number,
  journalCopy: string,
  copyDatabase: () => Promise<CopiedDatabase>,
  how: { headerBytes: number; encrypted: boolean; rollBackHot: boolean },
): Promise<Proof | undefined> {
  const journalPath = `${source}-journal`;
  const journal = openQuietly(journalPath);
  try {
    const before = { journal: journalHeader(journal), database: readAt(databaseFd, how.headerBytes, 0), databaseState: stateOf(databaseFd) };
    // A copy that cannot roll a transaction back waits for the next try, after its commit.
    if (isHot(before.journal) && !how.rollBackHot) return undefined;
    const { bytes, write } = await copyDatabase();
    const beforeHot = isHot(before.journal);
    const journalBytes = journal !== undefined && beforeHot ? copyWhole(journal, journalCopy) : 0;
    const after = { journal: journalHeader(journal), database: readAt(databaseFd, how.headerBytes, 0), databaseState: stateOf(databaseFd) };
    const sameJournalFile = sameFile(journal, journalPath);
    const counter = (header: Buffer) => (header.length >= 28 ? header.readUInt32BE(24) : 0);

    if (beforeHot && isHot(after.journal) && sameJournalFile) {
      const copied = journalBytes >= JOURNAL_HEADER_BYTES ? readFileHeader(journalCopy) : undefined;
      const nonce = (header: Buffer) => header.subarray(12, 16);
      // A journal that names a super-journal (a transaction across attached databases) is
      // rolled back only while that file exists beside the source: not provable here.
      if (copied && isHot(copied) && nonce(copied).equals(nonce(before.journal!)) && nonce(after.journal!).equals(nonce(before.journal!)) && !namesSuperJournal(journalCopy, journalBytes)) {
        return { bytes, write, consistentUpTo: 'the commit before the transaction that was in progress, which the copy rolled back' };
      }
      return undefined;
    }
    if (beforeHot || isHot(after.journal)) return undefined;
    // Cold at both reads: a transaction that wrote into the database meanwhile went hot
    // first and committed before the second read, which changed the header's counter.
    // (One that spilled pages and then rolled back leaves the header as it was; the
    // file's times show its writes, to the granularity of the file system's clock.) The
    // journal itself may change meanwhile: a transaction journals before it is hot.
    if (!before.database.equals(after.database) || !sameState(before.databaseState, after.databaseState)) return undefined;
    if (how.encrypted) return { bytes, write, consistentUpTo: 'the last commit before the copy (page 1, encrypted, was the same before and after)' };
    return { bytes, write, consistentUpTo: `commit ${counter(before.database).toLocaleString('en-US')} (the file change counter)` };
  } finally {
    if (journal !== undefined) closeSync(journal);
  }
}

/** The page size in a plain database header (bytes 16..17; 1 means 65536), 0 when there is none. */
function headerPageSize(header: Buffer): number {
  const raw = header.length >= 18 ? header.readUInt16BE(16) : 0;
  return raw === 1 ? 65536 : raw;
}

/** An encrypted database's page size, from its WAL header (plain) when it has one, else the ciphers' default. */
export function encryptedPageSize(source: string): number {
  const wal = openQuietly(`${source}-wal`);
  try {
    const header = walHeader(wal);
    const size = header && (header.readUInt32BE(0) & 0xfffffffe) === 0x377f0682 ? header.readUInt32BE(8) : 0;
    return size === 1 ? 65536 : size >= 512 && size <= 65536 && (size & (size - 1)) === 0 ? size : ENCRYPTED_DEFAULT_PAGE_SIZE;
  } finally {
    if (wal !== undefined) closeSync(wal);
  }
}

/**
 * The number of the last frame of the copied WAL that ends a transaction and whose
 * checksum chain and salts are valid: what SQLite's recovery replays up to. 0 for none.
 */
export function lastCommitFrame(walFile: string, walBytes: number): number {
  if (walBytes < WAL_HEADER_BYTES) return 0;
  const fd = openSync(walFile, 'r');
  try {
    const header = readAt(fd, WAL_HEADER_BYTES, 0);
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return 0;
    const bigEndian = (magic & 1) === 1;
    const pageSize = header.readUInt32BE(8) === 1 ? 65536 : header.readUInt32BE(8);
    let sums = walChecksum(header.subarray(0, 24), bigEndian, [0, 0]);
    if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) return 0;
    const frame = Buffer.allocUnsafe(WAL_FRAME_HEADER_BYTES + pageSize);
    let last = 0;
    for (let n = 1; ; n += 1) {
      const offset = WAL_HEADER_BYTES + (n - 1) * frame.length;
      if (offset + frame.length > walBytes || readSync(fd, frame, 0, frame.length, offset) < frame.length) return last;
      if (!frame.subarray(8, 16).equals(header.subarray(16, 24))) return last;
      sums = walChecksum(frame.subarray(0, 8), bigEndian, sums);
      sums = walChecksum(frame.subarray(WAL_FRAME_HEADER_BYTES), bigEndian, sums);
      if (sums[0] !== frame.readUInt32BE(16) || sums[1] !== frame.readUInt32BE(20)) return last;
      if (frame.readUInt32BE(4) !== 0) last = n;
    }
  } finally {
    closeSync(fd);
  }
}

/** What recovery would replay from a WAL: each page's latest frame up to the last commit frame, and the database's size in pages after that commit. */
export interface CommittedWal {
  pageSize: number;
  /** Page number → byte offset of the page (after its frame header) in the WAL. */
  pages: Map<number, number>;
  /** The "database size after commit" of the last commit frame; 0 when no frame commits. */
  pageCount: number;
  lastCommit: number;
}

/**
 * Reads the copied WAL as SQLite's recovery does (header checksum, salts, the checksum
 * chain, commit frames), without decoding a page: what it finds holds for an encrypted
 * WAL too, whose pages are replayed as they are stored (see the header).
 */
export function committedFrames(walFile: string, walBytes: number): CommittedWal | undefined {
  if (walBytes < WAL_HEADER_BYTES) return undefined;
  const fd = openSync(walFile, 'r');
  try {
    const header = readAt(fd, WAL_HEADER_BYTES, 0);
    const magic = header.readUInt32BE(0);
    if (magic !== 0x377f0682 && magic !== 0x377f0683) return undefined;
    const bigEndian = (magic & 1) === 1;
    const pageSize = header.readUInt32BE(8) === 1 ? 65536 : header.readUInt32BE(8);
    let sums = walChecksum(header.subarray(0, 24), bigEndian, [0, 0]);
    if (sums[0] !== header.readUInt32BE(24) || sums[1] !== header.readUInt32BE(28)) return undefined;
    const frame = Buffer.allocUnsafe(WAL_FRAME_HEADER_BYTES + pageSize);
    const pending = new Map<number, number>();
    const committed: CommittedWal = { pageSize, pages: new Map(), pageCount: 0, lastCommit: 0 };
    for (let n = 1; ; n += 1) {
      const offset = WAL_HEADER_BYTES + (n - 1) * frame.length;
      if (offset + frame.length > walBytes || readSync(fd, frame, 0, frame.length, offset) < frame.length) return committed;
      if (!frame.subarray(8, 16).equals(header.subarray(16, 24))) return committed;
      sums = walChecksum(frame.subarray(0, 8), bigEndian, sums);
      sums = walChecksum(frame.subarray(WAL_FRAME_HEADER_BYTES), bigEndian, sums);
      if (sums[0] !== frame.readUInt32BE(16) || sums[1] !== frame.readUInt32BE(20)) return committed;
      pending.set(frame.readUInt32BE(0), offset + WAL_FRAME_HEADER_BYTES);
      const commitSize = frame.readUInt32BE(4);
      if (commitSize !== 0) {
        for (const [page, at] of pending) committed.pages.set(page, at);
        pending.clear();
        committed.pageCount = commitSize;
        committed.lastCommit = n;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The byte at 1 GiB: SQLite's locks live on the bytes from here (the pending byte, the
 * reserved byte, the shared range), and the page holding them never holds data.
 */
const PENDING_BYTE = 0x40000000;

/**
 * Reads the next chunk of the database at `position` into `buffer`; returns its length (0
 * at the end). The page holding SQLite's lock bytes is filled with zeros instead of read:
 * on Windows another process's locks on those bytes are mandatory and a read of them fails,
 * and SQLite neither stores anything in that page nor reads it.
 */
function readChunk(fd: number, buffer: Buffer, position: number, size: number, pageSize: number): number {
  const lockPage = { from: PENDING_BYTE, to: PENDING_BYTE + pageSize };
  if (position >= lockPage.from && position < lockPage.to && lockPage.to <= size) {
    const length = Math.min(buffer.length, lockPage.to - position);
    buffer.fill(0, 0, length);
    return length;
  }
  const length = position < lockPage.from ? Math.min(buffer.length, lockPage.from - position) : buffer.length;
  return readSync(fd, buffer, 0, length, position);
}

/** SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `sums`. */
function walChecksum(data: Buffer, bigEndian: boolean, sums: [number, number]): [number, number] {
  let [s0, s1] = sums;
  for (let i = 0; i < data.length; i += 8) {
    const x0 = bigEndian ? data.readUInt32BE(i) : data.readUInt32LE(i);
    const x1 = bigEndian ? data.readUInt32BE(i + 4) : data.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/**
 * A companion file opened read-only, or undefined when there is none. Opened afresh for
 * each try: SQLite may delete and recreate it between two. Closing it cannot drop a lock
 * this process relies on: another program holds the database, so no connection here does.
 */
function openQuietly(path: string): number | undefined {
  try {
    return openRegularFile(path);
  } catch {
    return undefined;
  }
}

function stateOf(fd: number | undefined): FileState | undefined {
  if (fd === undefined) return undefined;
  const stats = fstatSync(fd, { bigint: true });
  return { ino: Number(stats.ino), size: Number(stats.size), mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs };
}

function sameState(a: FileState | undefined, b: FileState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Whether `path` still names the file open as `fd` (or, with no descriptor, is still absent). */
function sameFile(fd: number | undefined, path: string): boolean {
  let named: Stats | undefined;
  try {
    named = statSync(path);
  } catch {
    named = undefined;
  }
  if (fd === undefined) return named === undefined;
  if (!named) return false;
  const open = fstatSync(fd);
  return open.ino === named.ino && open.dev === named.dev;
}

/** The WAL header, or undefined when the WAL is shorter than one (empty, truncated, absent). */
function walHeader(fd: number | undefined): Buffer | undefined {
  if (fd === undefined) return undefined;
  const header = readAt(fd, WAL_HEADER_BYTES, 0);
  return header.length === WAL_HEADER_BYTES ? header : undefined;
}

function journalHeader(fd: number | undefined): Buffer | undefined {
  if (fd === undefined) return undefined;
  return readAt(fd, JOURNAL_HEADER_BYTES, 0);
}

function readFileHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAt(fd, JOURNAL_HEADER_BYTES, 0);
  } finally {
    closeSync(fd);
  }
}

const JOURNAL_MAGIC = Buffer.from('d9d505f920a163d7', 'hex');

/** Whether the journal ends with a super-journal name, which SQLite closes with the journal magic. */
function namesSuperJournal(path: string, bytes: number): boolean {
  if (bytes < JOURNAL_HEADER_BYTES + 8) return false;
  const fd = openSync(path, 'r');
  try {
    return readAt(fd, 8, bytes - 8).equals(JOURNAL_MAGIC);
  } finally {
    closeSync(fd);
  }
}

/** SQLite treats a journal as hot (to be rolled back) when it is not empty and its first byte is not zero. */
function isHot(header: Buffer | undefined): header is Buffer {
  return header !== undefined && header.length > 0 && header[0] !== 0;
}

function readAt(fd: number, length: number, position: number): Buffer {
  const bytes = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, bytes, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return bytes.subarray(0, read);
}

/** Copies all of `fd` into a new file at `path`, private to its owner (SQLite removes it once it has recovered the copy); returns the bytes. */
function copyWhole(fd: number, path: string): number {
  const output = openSync(path, 'w', 0o600);
  try {
    const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      writeAll(output, buffer, read, position);
      position += read;
    }
    fdatasyncSync(output);
    return position;
  } finally {
    closeSync(output);
  }
}

/** Cuts the copy to the size just copied: the source may have got shorter since an earlier try. */
function truncateTo(fd: number, size: number): void {
  if (fstatSync(fd).size > size) ftruncateSync(fd, size);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}

const seconds = (since: number) => Math.max((performance.now() - since) / 1000, 0.001);
