/**
 * The fast path of snapshot mode for WAL databases: a file copy instead of a page-by-page
 * copy through SQLite, with the same result.
 *
 * 1. For a moment, a second connection holds the WAL write lock (`BEGIN IMMEDIATE`, no
 *    write), so no commit can land while the reader's snapshot starts and the wal-index
 *    header is read: the snapshot is exactly the first `mxFrame` frames of the WAL.
 * 2. The reader keeps that snapshot open for the whole copy. Checkpoints may still copy
 *    WAL frames into the database file meanwhile, but never a frame past any open
 *    snapshot, and the WAL cannot restart under it; so every page of the database file
 *    holds a version at or before the snapshot.
 * 3. The database file is cloned where the destination's file system clones and shares
 *    it (clone.ts; milliseconds whatever its size, so the snapshot is held that long), or
 *    else copied in large chunks; then, for each page in WAL frames
 *    1..mxFrame, its latest such frame is written over the copy; the copy is cut to the
 *    snapshot's page count and its header switched to rollback-journal mode.
 *
 * POSIX locks belong to the process, and closing any descriptor of a file drops all of
 * them, including those SQLite's own connections hold on it in this process. So the
 * files are opened once, through SourceFiles (source-files.ts), and closed only after the
 * reader is closed.
 *
 * When anything does not look exactly as expected (no write access for the lock, a
 * wal-index this code does not know, frames with foreign salts), it answers undefined and
 * the caller copies through SQLite's backup API instead.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { OperationContext } from './context.ts';
import type { PlainRing } from './plain-ring.ts';
import { COPY_CHUNK_BYTES, WRITE_BACK_BYTES, writeAll, WriteBehind, type SourceFiles } from './source-files.ts';
import { cloneIntoPartial, type CopyMethod } from './clone.ts';
import { DirectWriter } from './direct-writer.ts';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

/** The fields of the wal-index header (the start of the -shm) a snapshot copy needs to know which WAL frames it may read. */
export interface WalIndexHeader {
  mxFrame: number;
  pageSize: number;
  nBackfill: number;
  /**
   * The frame the latest checkpoint set out to backfill up to (set once it holds the
   * checkpoint lock). Not part of SQLite's documented interface: meaningful only where
   * `checkpointProgressReadable` says its place in the -shm is known.
   */
  nBackfillAttempted: number;
  /** The WAL header's salts as stored (raw bytes 16..23 of the WAL file). */
  salt: Buffer;
}

/**
 * SQLite versions whose src/wal.c was read to lay out the wal-index header as
 * `readWalIndex` reads it, nBackfillAttempted included (a u32 at byte 128 of the -shm,
 * after WalCkptInfo's nBackfill, five read marks and eight lock bytes): 3.50 (SQLite's
 * own tree) and 3.54.1 (the amalgamation better-sqlite3 13.2 ships). 3.7.14 had no such
 * field (bytes 128..135 were lock space, never written), so an older version is not
 * trusted, and neither is a newer one until its source has been read.
 */
const CHECKPOINT_INFO_VERIFIED = { major: 3, minors: [50, 54] } as const;

/**
 * Whether a checkpoint run by SQLite `sqliteVersion` records the frame it sets out to
 * backfill where `readWalIndex` reads `nBackfillAttempted`.
 */
export function checkpointProgressReadable(sqliteVersion: string): boolean {
  const match = /^(\d+)\.(\d+)\.\d+/.exec(sqliteVersion);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === CHECKPOINT_INFO_VERIFIED.major && minor >= CHECKPOINT_INFO_VERIFIED.minors[0] && minor <= CHECKPOINT_INFO_VERIFIED.minors[1];
}

/** Reads the wal-index header (both copies must agree) and the checkpoint info from `-shm`. */
export function readWalIndex(files: SourceFiles): WalIndexHeader | undefined {
  const fd = files.shm;
  if (fd === undefined) return undefined;
  try {
    const bytes = Buffer.alloc(136);
    if (readSync(fd, bytes, 0, bytes.length, 0) < bytes.length) return undefined;
    // Two copies of the 48-byte header; a writer updates them in turn. Equal means settled.
    if (!bytes.subarray(0, 48).equals(bytes.subarray(48, 96))) return undefined;
    const version = bytes.readUInt32LE(0);
    const isInit = bytes[12];
    if (version !== 3007000 || isInit !== 1) return undefined;
    const rawPageSize = bytes.readUInt16LE(14);
    return {
      mxFrame: bytes.readUInt32LE(16),
      pageSize: rawPageSize === 1 ? 65536 : rawPageSize,
      salt: Buffer.from(bytes.subarray(32, 40)),
      nBackfill: bytes.readUInt32LE(96),
      nBackfillAttempted: bytes.readUInt32LE(128),
    };
  } catch {
    return undefined;
  }
}

/**
 * `BEGIN IMMEDIATE` on `db` (opened with no busy timeout), retried without sleeping:
 * SQLite's busy handler sleeps between tries and can miss every gap of a writer that
 * commits back to back, while retrying at once takes the next gap. False after `timeoutMs`.
 */
export function takeWriteLock(db: Database.Database, timeoutMs: number): boolean {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      db.exec('BEGIN IMMEDIATE');
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || performance.now() > deadline) return false;
    }
  }
}

/**
 * Starts the reader's snapshot while holding the write lock and reads the wal-index.
 * Returns the snapshot's frame count and page count, or undefined (the reader then has
 * no transaction open) when the fast path cannot be used.
 */
export function beginWalSnapshot(
  files: SourceFiles,
  reader: Database.Database,
  busyTimeoutMs: number,
  /** Opens the lock connection; an encrypted source's needs its key (connection.ts). */
  openLock: (path: string) => Database.Database = (path) => new Database(path, { fileMustExist: true, timeout: 0 }),
): { index: WalIndexHeader; pageCount: number } | undefined {
  let lock: Database.Database | undefined;
  try {
    lock = openLock(files.source);
    if (String(lock.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return undefined;
    if (!takeWriteLock(lock, busyTimeoutMs)) return undefined;
    // Only the snapshot's start and the wal-index read happen while writers wait.
    reader.exec('BEGIN');
    reader.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    const index = readWalIndex(files);
    lock.exec('ROLLBACK');
    const pageCount = Number(reader.pragma('page_count', { simple: true }));
    const pageSize = Number(reader.pragma('page_size', { simple: true }));
    // An empty WAL has no page size in its index yet; one that disagrees is not trusted.
    if (!index || (index.pageSize !== 0 && index.pageSize !== pageSize)) {
      reader.exec('ROLLBACK');
      return undefined;
    }
    return { index: { ...index, pageSize }, pageCount };
  } catch {
    if (reader.inTransaction) reader.exec('ROLLBACK');
    return undefined;
  } finally {
    try {
      if (lock?.inTransaction) lock.exec('ROLLBACK');
      lock?.close();
    } catch {
      // closing the lock connection is best effort; the reader decides what happens next
    }
  }
}

/** How a snapshot copy made the partial, and the SHA-256 of its bytes when this process wrote every one of them. */
export interface WalSnapshotCopy {
  method: CopyMethod;
  /** Set for a copy (not a clone): hashed chunk by chunk as written, so nothing has to read the file again for it. */
  sha256?: string;
  /** Every byte went to the plain ring, in order (see copyWalSnapshot's `plainRing`). */
  handedOff?: boolean;
}

/**
 * Copies the snapshot begun by `beginWalSnapshot` into `partial` (created empty by the
 * caller), cloning the database file when `tryClone` (the destination clones). Returns
 * how the file was made, or false when the WAL does not match the wal-index (the caller
 * falls back); throws CANCELLED through `ctx`.
 */
export async function copyWalSnapshot(
  files: SourceFiles,
  partial: string,
  snapshot: { index: WalIndexHeader; pageCount: number },
  ctx: OperationContext,
  subject: string,
  tryClone = false,
  /** Page 1 is encrypted: its header is left as it is, and switched through a keyed connection afterwards. */
  encrypted = false,
  /** False for a scratch copy (see WriteBehind): it is not flushed to the disk. */
  durable = true,
  /** Where the plaintext goes to be encrypted as it is copied (a copy, not a clone); see StrategyInput. */
  plainRing?: { ring: PlainRing; writePlain: boolean },
  /** Nothing reads the copy right after (no verify): it is written past the page cache. */
  pastCache = false,
): Promise<WalSnapshotCopy | false> {
  const { index, pageCount } = snapshot;
  const pageSize = index.pageSize;
  const totalBytes = pageCount * pageSize;
  const started = performance.now();
  const frames = index.mxFrame > index.nBackfill ? readFrameIndex(files, index) : new Map<number, number>();
  if (!frames) return false;

  const input = files.database;
  // Every page of the file is at or before the snapshot (see the header), in a clone as in a
  // copy. A clone may replace the partial by a new file (clone.ts): it is opened after.
  const method: CopyMethod = tryClone && (await cloneIntoPartial(input, partial)) ? 'cloned' : 'copied';
  // 'w' empties whatever a clone that failed half-way left.
  const output = openSync(partial, method === 'cloned' ? 'r+' : 'w');
  const writeBehind = new WriteBehind(output, durable);
  // A backup's copy that nothing checks is written past the page cache where the system
  // allows it (direct-writer.ts): through the cache every page written is a page of the
  // user's cached files pushed out, and on this kind of virtual machine a new cached page
  // costs a trip to the host (1 GB took 2.2-4.9 s through the cache with `dd conv=fsync`,
  // 0.7 s with `oflag=direct`). A copy the check reads next stays in the cache: read back
  // from the disk, the check of 1 GB took 1.8-3.7 s here instead of 0.1 s. So does a copy
  // that feeds an encryption, and a scratch copy.
  let direct: DirectWriter | undefined;
  try {
    if (method === 'copied' && durable && pastCache && !plainRing) direct = DirectWriter.open(partial, COPY_CHUNK_BYTES);
    const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    const sourceBytes = Math.min(fstatSync(input).size, totalBytes);
    const report = (copied: number) => {
      ctx.throwIfCancelled(subject);
      const done = Math.floor(copied / pageSize);
      ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - done, bytesCopied: copied, bytesPerSecond: copied / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
    };
    let sha256: string | undefined;
    let handedOff = false;
    if (method === 'copied') {
      // An encrypted source's page 1 is rewritten afterwards: its bytes are not final, and go to no ring.
      const ring = encrypted ? undefined : plainRing;
      const hashed = await copyInOrder({ input, wal: files.wal, output, frames, pageSize, totalBytes, sourceBytes, buffer, writeBehind, direct, report, encrypted, ring });
      if (hashed === false) return false;
      // A ring closed on the way (its encryption stopped) did not get every byte.
      handedOff = ring !== undefined && !ring.ring.closed;
      // An encrypted copy's page 1 is rewritten after this: its hash would not be the file's.
      if (!encrypted) sha256 = hashed;
    } else {
      report(sourceBytes);
      if (!layFrames(files, output, frames, pageSize, pageCount, () => report(sourceBytes))) return false;
      ctx.throwIfCancelled(subject);
      ftruncateSync(output, totalBytes);
      // Bytes 18/19: 1 = rollback journal. The copy is a standalone file that never grows a -wal.
      if (!encrypted) writeAll(output, Buffer.from([1, 1]), 2, 18);
    }
    if (direct) await direct.finish();
    else await writeBehind.finish();
    ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: 0, bytesCopied: totalBytes, bytesPerSecond: totalBytes / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 }, true);
    return { method, ...(sha256 !== undefined && { sha256 }), ...(handedOff && { handedOff }) };
  } finally {
    // No flush or write may still be at work on a descriptor when it is closed.
    await direct?.close();
    await writeBehind.settle().catch(() => undefined);
    closeSync(output);
  }
}

/** Where page `frame`'s content starts in the WAL. */
const frameOffset = (frame: number, pageSize: number) => WAL_HEADER_BYTES + (frame - 1) * (pageSize + FRAME_HEADER_BYTES) + FRAME_HEADER_BYTES;

/** Writes each page's latest snapshot frame over a clone. False when the WAL is shorter than its index says. */
function layFrames(files: SourceFiles, output: number, frames: Map<number, number>, pageSize: number, pageCount: number, onProgress: () => void): boolean {
  if (frames.size === 0) return true;
  const wal = files.wal!;
  const page = Buffer.allocUnsafe(pageSize);
  let laid = 0;
  for (const [pgno, frame] of frames) {
    if (pgno > pageCount) continue;
    // Keep the reports (and cancel checks) coming while a large WAL is laid over the clone.
    if (++laid % 1024 === 0) onProgress();
    if (readSync(wal, page, 0, pageSize, frameOffset(frame, pageSize)) !== pageSize) return false;
    writeAll(output, page, pageSize, (pgno - 1) * pageSize);
  }
  return true;
}

/**
 * Writes the snapshot into `output` once, front to back, each chunk finished in memory
 * (the database file's bytes, the snapshot's WAL frames for its pages, the header's
 * journal bytes) before it is written and hashed: the hash is that of every byte of the
 * published file, with no second read of it. Returns the SHA-256, or false when the WAL is
 * shorter than its index says.
 */
async function copyInOrder(copy: {
  input: number;
  wal: number | undefined;
  output: number;
  frames: Map<number, number>;
  pageSize: number;
  totalBytes: number;
  sourceBytes: number;
  buffer: Buffer;
  writeBehind: WriteBehind;
  /** Where the copy goes instead of `output` when set: each chunk read into its buffer, written while the next is read. */
  direct: DirectWriter | undefined;
  report: (copied: number) => void;
  /** Page 1 is encrypted, header and all: its journal bytes are left for a keyed connection. */
  encrypted: boolean;
  ring: { ring: PlainRing; writePlain: boolean } | undefined;
}): Promise<string | false> {
  const { input, wal, output, pageSize, totalBytes, sourceBytes, writeBehind, direct, report, encrypted, ring } = copy;
  ring?.ring.setTotal(totalBytes);
  const hash = createHash('sha256');
  // Chunks hold whole pages: every page size (512 B to 64 KiB) divides the chunk.
  const pages = [...copy.frames].filter(([pgno]) => pgno <= totalBytes / pageSize).sort((a, b) => a[0] - b[0]);
  let next = 0;
  let position = 0;
  while (position < totalBytes) {
    // Read into the ring's next slot, for the encryption to seal from; once it is closed (the encryption stopped), into our own.
    const buffer = (await ring?.ring.slot()) ?? direct?.buffer ?? copy.buffer;
    const length = Math.min(buffer.length, totalBytes - position);
    const fromFile = Math.max(0, Math.min(length, sourceBytes - position));
    let read = 0;
    while (read < fromFile) {
      const got = readSync(input, buffer, read, fromFile - read, position + read);
      if (got === 0) break;
      read += got;
    }
    // Past the file's end, a page the WAL does not hold reads as zeros, as a truncate extends it.
    buffer.fill(0, read, length);
    const end = position + length;
    for (; next < pages.length && (pages[next]![0] - 1) * pageSize < end; next += 1) {
      const [pgno, frame] = pages[next]!;
      if (readSync(wal!, buffer, (pgno - 1) * pageSize - position, pageSize, frameOffset(frame, pageSize)) !== pageSize) return false;
    }
    // Bytes 18/19: 1 = rollback journal. The copy is a standalone file that never grows a -wal.
    if (position === 0 && !encrypted) buffer.fill(1, 18, 20);
    hash.update(buffer.subarray(0, length));
    if (direct) await direct.write(length);
    else if (ring?.writePlain !== false) writeAll(output, buffer, length, position);
    if (buffer !== copy.buffer && !direct) ring?.ring.hand(length, position);
    position = end;
    if (!direct && Math.floor(position / WRITE_BACK_BYTES) !== Math.floor((position - length) / WRITE_BACK_BYTES)) await writeBehind.flush();
    report(position);
  }
  return hash.digest('hex');
}

/**
 * Maps each page in WAL frames 1..mxFrame to its latest frame. Undefined when the WAL's
 * header or a frame's salt does not match the wal-index (then this is not the WAL the
 * snapshot was taken on, and nothing here is trusted).
 */
export function readFrameIndex(files: SourceFiles, index: WalIndexHeader): Map<number, number> | undefined {
  const fd = files.wal;
  if (fd === undefined) return undefined;
  try {
    const header = Buffer.alloc(WAL_HEADER_BYTES);
    if (readSync(fd, header, 0, WAL_HEADER_BYTES, 0) !== WAL_HEADER_BYTES) return undefined;
    const magic = header.readUInt32BE(0);
    if ((magic !== 0x377f0682 && magic !== 0x377f0683) || header.readUInt32BE(8) !== index.pageSize) return undefined;
    if (!header.subarray(16, 24).equals(index.salt)) return undefined;
    const frameBytes = index.pageSize + FRAME_HEADER_BYTES;
    const frames = new Map<number, number>();
    const frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
    for (let frame = 1; frame <= index.mxFrame; frame += 1) {
      if (readSync(fd, frameHeader, 0, FRAME_HEADER_BYTES, WAL_HEADER_BYTES + (frame - 1) * frameBytes) !== FRAME_HEADER_BYTES) return undefined;
      if (!frameHeader.subarray(8, 16).equals(index.salt)) return undefined;
      // Later frames of a page replace earlier ones: Map keeps the last assignment.
      frames.set(frameHeader.readUInt32BE(0), frame);
    }
    return frames;
  } catch {
    return undefined;
  }
}
