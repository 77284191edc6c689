/**
 * Reads a database's pages in order and hashes them, on two threads: this one and one of
 * its own. Reading 1 GB from the page cache takes a tenth of a second, hashing it page by
 * page most of a second of one core, so a version whose WAL cannot prove which pages
 * changed (vault.ts, `changedSince`) is bound by the hash. The file is cut into chunks of
 * CHUNK_BYTES, each claimed by whichever thread comes to it first (an atomic counter): the
 * thread claims the next one whenever a slot of its ring of shared slots is free; this one
 * claims the chunk the caller needs next when the thread has not, and otherwise, while
 * that chunk is not ready, the next one not yet claimed, held until its turn. The caller
 * takes them in page order. So this thread, which also stores what changed, hashes only
 * while it would otherwise wait, and reads on its own while the other starts (about 0.1 s).
 *
 * Groups. A hash call costs about as much again as hashing 4 KiB (node:crypto measured
 * here: 0.88 GiB/s on 4 KiB pieces, 1.58 GiB/s on 64 KiB), so the pages are also hashed
 * GROUP_BYTES at a time, and the caller may pass the group hashes of the newest version
 * (`known`, kept beside the tip: vault-store.ts). A group whose hash equals the known one
 * holds the same bytes as that version at the same page numbers, so its pages are not
 * hashed one by one: the caller takes their hashes from the tip. With 1 % of pages changed
 * at random, one group of 8 pages in 13 has changed, and the hashing costs two thirds of
 * hashing every page. A known group hash of all zeros is unknown.
 *
 * Still SHA-256 (or its HMAC in an encrypted vault, page-hash.ts): a page or group judged
 * unchanged is one whose hash equals the tip's, so the hash must be collision resistant
 * against a writer who chooses page contents (SHA-1 and MD5 are not), and no cheaper hash
 * here is (SHA-512/256 runs at two thirds of SHA-256's speed on a core with SHA
 * extensions). Equal hashes mean equal bytes, so equal lengths: a group cut short by the
 * end of the file never matches a whole one.
 *
 * The thread reads through the caller's descriptors (a process shares them among its
 * threads) and never opens or closes one of the database: closing any descriptor of it
 * would drop the process's POSIX locks on it (DESIGN.md).
 */
import { fstatSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { threadExecArgv } from '../engine/threads.ts';
import { pageHasher, type PageHasher } from './page-hash.ts';

/** Bytes of pages read, hashed and handed over at a time. */
export const CHUNK_BYTES = 2 << 20;
/**
 * Bytes of pages hashed together as a group (see the header). Smaller groups change less
 * often, larger ones hash faster: with 1 % of pages changed at random, 8 pages of 4 KiB
 * (7.7 % of groups changed, 1.51 GiB/s) cost least per GB of 4, 8 and 16.
 */
export const GROUP_BYTES = 32 << 10;
const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
/** Chunks the thread may be ahead of the caller. */
const SLOTS = 3;
/** Below this many chunks (16 MB), starting a thread costs more than it saves. */
const MIN_THREADED_CHUNKS = 8;
/** Slot states, one Int32 each, then the stop flag, the next chunk not yet claimed, and the chunk each slot holds. */
const FREE = 0;
const FULL = 1;
const FAILED = 2;
const STOP = SLOTS;
const NEXT = SLOTS + 1;
const CHUNK_OF = SLOTS + 2;

/** Node 24 has it; the compiler's lib here (ES2023) does not name it yet. */
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/**
 * A run of pages read in order: `pages` holds `count` pages from page number `first`;
 * `groups` the hash of each group of them (groupPages(pageSize) pages, the chunk starting
 * a group); `same[g]` is 1 where group g's hash equals the known one, and then `hashes`
 * holds nothing for its pages; elsewhere `hashes` holds each page's hash, 32 bytes a page.
 */
export interface PageChunk {
  first: number;
  count: number;
  pages: Buffer;
  hashes: Buffer;
  groups: Buffer;
  same: Uint8Array;
}

/** Pages of `pageSize` bytes a group holds: a power of two, as page sizes are, and a divisor of a chunk's pages. */
export function groupPages(pageSize: number): number {
  return Math.max(1, GROUP_BYTES / pageSize);
}

/** A buffer for the known group hashes of a database of `pageCount` pages, all unknown, that the reading thread shares. */
export function knownGroupsBuffer(pageSize: number, pageCount: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(Math.max(1, Math.ceil(pageCount / groupPages(pageSize))) * 32));
}

/** Where a WAL snapshot's pages that are not in the database file are: each page's latest frame. */
export interface WalFrames {
  fd: number;
  frames: Map<number, number>;
}

/** Page 1 as a standalone file has it: rollback journal, so a restore never grows a -wal. */
export function standaloneHeader(page: Buffer): void {
  page[18] = 1;
  page[19] = 1;
}

/**
 * Reads `count` pages from page number `first` into `into`: the file's bytes, the WAL
 * frame of a page that has one, zeros past the file's end (as SQLite reads them). Page 1
 * is made standalone here, before it is hashed.
 */
function readChunk(db: number, fileBytes: number, pageSize: number, first: number, count: number, into: Buffer, wal: WalFrames | undefined): void {
  const start = (first - 1) * pageSize;
  const want = count * pageSize;
  let got = 0;
  while (got < want && start + got < fileBytes) {
    const read = readSync(db, into, got, want - got, start + got);
    if (read === 0) break;
    got += read;
  }
  into.fill(0, got, want);
  if (wal) {
    for (let pgno = first; pgno < first + count; pgno += 1) {
      const frame = wal.frames.get(pgno);
      if (frame === undefined) continue;
      const at = WAL_HEADER_BYTES + (frame - 1) * (pageSize + FRAME_HEADER_BYTES) + FRAME_HEADER_BYTES;
      if (readSync(wal.fd, into, (pgno - first) * pageSize, pageSize, at) !== pageSize) throw new Error(`WAL frame ${frame} of page ${pgno} is cut short`);
    }
  }
  if (first === 1) standaloneHeader(into);
}

/** Where a chunk's hashes go, and the known group hashes they are compared with. */
interface HashTargets {
  hashes: Buffer;
  groups: Buffer;
  same: Uint8Array;
  known: Buffer | undefined;
  hashPage: PageHasher;
}

/**
 * Hashes the `count` pages of `pages` (the first is page number `first`) group by group
 * into `to.groups`, and each page of a group whose hash is not the known one into
 * `to.hashes` (page-hash.ts).
 */
function hashPages(pages: Buffer, pageSize: number, first: number, count: number, to: HashTargets): void {
  const perGroup = groupPages(pageSize);
  const firstGroup = (first - 1) / perGroup;
  for (let group = 0, from = 0; from < count; group += 1, from += perGroup) {
    const end = Math.min(count, from + perGroup);
    const groupHash = to.hashPage(pages.subarray(from * pageSize, end * pageSize));
    to.groups.set(groupHash, group * 32);
    const at = (firstGroup + group) * 32;
    const same = to.known !== undefined && to.known.length >= at + 32 && groupHash.compare(to.known, at, at + 32) === 0;
    to.same[group] = same ? 1 : 0;
    if (same) continue;
    if (perGroup === 1) to.hashes.set(groupHash, from * 32);
    else for (let i = from; i < end; i += 1) to.hashes.set(to.hashPage(pages.subarray(i * pageSize, (i + 1) * pageSize)), i * 32);
  }
}

interface ReaderInput {
  role: 'vault-page-reader';
  db: number;
  fileBytes: number;
  pageSize: number;
  pageCount: number;
  perChunk: number;
  wal: WalFrames | undefined;
  state: SharedArrayBuffer;
  pages: SharedArrayBuffer;
  hashes: SharedArrayBuffer;
  groups: SharedArrayBuffer;
  same: SharedArrayBuffer;
  known: SharedArrayBuffer | undefined;
  hashKey: Buffer | undefined;
  port: MessagePort;
}

/**
 * Reads and hashes pages 1..pageCount of a database, CHUNK_BYTES at a time, in order. The
 * buffers of a chunk are valid until the next is asked for: reading a 10 GB database
 * leaves no garbage behind. `threads: 1` keeps it all on this thread (so does a machine
 * with one core, or a small file). `hashKey`: the pages are hashed with HMAC-SHA256 under
 * it (an encrypted vault's keyed hash) instead of SHA-256. `known`: the newest version's
 * group hashes, from knownGroupsBuffer (see the header).
 */
export async function* hashedChunks(db: number, pageSize: number, pageCount: number, wal?: WalFrames, options: { threads?: number; hashKey?: Buffer; known?: Buffer } = {}): AsyncGenerator<PageChunk> {
  const { hashKey, known } = options;
  if (known && !(known.buffer instanceof SharedArrayBuffer)) throw new Error('the known group hashes must be a buffer from knownGroupsBuffer');
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / pageSize));
  const perChunkGroups = Math.ceil(perChunk / groupPages(pageSize));
  const chunks = Math.ceil(pageCount / perChunk);
  const fileBytes = fstatSync(db).size;
  const own = Buffer.allocUnsafeSlow(Math.min(perChunk, Math.max(pageCount, 1)) * pageSize);
  const mine: HashTargets = { hashes: Buffer.allocUnsafeSlow(perChunk * 32), groups: Buffer.allocUnsafeSlow(perChunkGroups * 32), same: new Uint8Array(perChunkGroups), known, hashPage: pageHasher(hashKey) };
  const ownChunk = (first: number, count: number): PageChunk => {
    const pages = own.subarray(0, count * pageSize);
    readChunk(db, fileBytes, pageSize, first, count, pages, wal);
    hashPages(pages, pageSize, first, count, mine);
    const groupCount = Math.ceil(count / groupPages(pageSize));
    return { first, count, pages, hashes: mine.hashes.subarray(0, count * 32), groups: mine.groups.subarray(0, groupCount * 32), same: mine.same.subarray(0, groupCount) };
  };
  const threaded = (options.threads ?? Math.min(2, availableParallelism())) > 1 && chunks >= (options.threads ? 2 : MIN_THREADED_CHUNKS);
  if (!threaded) {
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const first = chunk * perChunk + 1;
      yield ownChunk(first, Math.min(perChunk, pageCount - first + 1));
    }
    return;
  }
  const state = new Int32Array(new SharedArrayBuffer((CHUNK_OF + SLOTS) * 4));
  const slotPages = new SharedArrayBuffer(SLOTS * perChunk * pageSize);
  const slotHashes = new SharedArrayBuffer(SLOTS * perChunk * 32);
  const slotGroups = new SharedArrayBuffer(SLOTS * perChunkGroups * 32);
  const slotSame = new SharedArrayBuffer(SLOTS * perChunkGroups);
  const { port1, port2 } = new MessageChannel();
  const input: ReaderInput = {
    role: 'vault-page-reader',
    db,
    fileBytes,
    pageSize,
    pageCount,
    perChunk,
    wal,
    state: state.buffer as SharedArrayBuffer,
    pages: slotPages,
    hashes: slotHashes,
    groups: slotGroups,
    same: slotSame,
    known: known?.buffer as SharedArrayBuffer | undefined,
    hashKey,
    port: port2,
  };
  const worker = new Worker(new URL(import.meta.url), { workerData: input, transferList: [port2], execArgv: threadExecArgv(), resourceLimits: { maxOldGenerationSizeMb: 32 } });
  let ended: Error | undefined;
  const end = (error: Error) => {
    ended ??= error;
    // Wakes the wait below, which then reads why.
    Atomics.notify(state, 0);
    for (let slot = 0; slot < SLOTS; slot += 1) Atomics.notify(state, slot);
  };
  worker.on('error', (error) => end(error));
  worker.on('exit', () => end(new Error('the page-hashing thread ended early')));
  try {
    // The thread's chunks, in the order it claimed them, fill its slots in turn.
    let taken = 0;
    // A chunk this thread claimed ahead, in its own buffers until its turn.
    let held: PageChunk | undefined;
    const claimed = (chunk: number) => {
      const first = chunk * perChunk + 1;
      return ownChunk(first, Math.min(perChunk, pageCount - first + 1));
    };
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      const first = chunk * perChunk + 1;
      const count = Math.min(perChunk, pageCount - first + 1);
      if (held?.first === first) {
        yield held;
        held = undefined;
        continue;
      }
      // Every chunk before this one has been handed over and none is held, so one below the counter is the thread's.
      if (!held && Atomics.compareExchange(state, NEXT, chunk, chunk + 1) === chunk) {
        yield claimed(chunk);
        continue;
      }
      const slot = taken % SLOTS;
      taken += 1;
      if (!held && Atomics.load(state, slot) === FREE) {
        const ahead = Atomics.add(state, NEXT, 1);
        if (ahead < chunks) held = claimed(ahead);
      }
      // Waited for asynchronously, so the thread's error or exit can be heard meanwhile.
      while (Atomics.load(state, slot) === FREE && !ended) {
        const waited = waitAsync(state, slot, FREE);
        if (waited.async) await waited.value;
      }
      if (Atomics.load(state, slot) === FAILED) {
        const message = receiveMessageOnPort(port1)?.message as { message: string } | undefined;
        throw new Error(message?.message ?? 'the page-hashing thread failed');
      }
      if (Atomics.load(state, slot) !== FULL) throw ended ?? new Error('the page-hashing thread stopped');
      if (Atomics.load(state, CHUNK_OF + slot) !== chunk) throw new Error(`the page-hashing thread handed over chunk ${Atomics.load(state, CHUNK_OF + slot)} for chunk ${chunk}`);
      const groupCount = Math.ceil(count / groupPages(pageSize));
      yield {
        first,
        count,
        pages: Buffer.from(slotPages, slot * perChunk * pageSize, count * pageSize),
        hashes: Buffer.from(slotHashes, slot * perChunk * 32, count * 32),
        groups: Buffer.from(slotGroups, slot * perChunkGroups * 32, groupCount * 32),
        same: new Uint8Array(slotSame, slot * perChunkGroups, groupCount),
      };
      Atomics.store(state, slot, FREE);
      Atomics.notify(state, slot);
    }
  } finally {
    // Freed slots wake a thread waiting on a full one; it then sees the stop.
    Atomics.store(state, STOP, 1);
    for (let slot = 0; slot < SLOTS; slot += 1) {
      Atomics.store(state, slot, FREE);
      Atomics.notify(state, slot);
    }
    worker.removeAllListeners('exit');
    // Nothing reads through the caller's descriptors once this returns.
    await worker.terminate();
    port1.close();
  }
}

/** The thread's side: whenever its next slot is free, the next chunk not yet claimed, into that slot. */
function readChunks(input: ReaderInput): void {
  const state = new Int32Array(input.state);
  const chunks = Math.ceil(input.pageCount / input.perChunk);
  const perChunkGroups = Math.ceil(input.perChunk / groupPages(input.pageSize));
  const hashPage = pageHasher(input.hashKey);
  const known = input.known && Buffer.from(input.known);
  for (let slot = 0; ; slot = (slot + 1) % SLOTS) {
    while (Atomics.load(state, slot) !== FREE) {
      if (Atomics.load(state, STOP) === 1) return;
      Atomics.wait(state, slot, FULL);
    }
    if (Atomics.load(state, STOP) === 1) return;
    const chunk = Atomics.add(state, NEXT, 1);
    if (chunk >= chunks) return;
    Atomics.store(state, CHUNK_OF + slot, chunk);
    const first = chunk * input.perChunk + 1;
    const count = Math.min(input.perChunk, input.pageCount - first + 1);
    const pages = Buffer.from(input.pages, slot * input.perChunk * input.pageSize, count * input.pageSize);
    try {
      readChunk(input.db, input.fileBytes, input.pageSize, first, count, pages, input.wal);
      hashPages(pages, input.pageSize, first, count, {
        hashes: Buffer.from(input.hashes, slot * input.perChunk * 32, count * 32),
        groups: Buffer.from(input.groups, slot * perChunkGroups * 32, perChunkGroups * 32),
        same: new Uint8Array(input.same, slot * perChunkGroups, perChunkGroups),
        known,
        hashPage,
      });
    } catch (error) {
      input.port.postMessage({ message: error instanceof Error ? error.message : String(error) });
      Atomics.store(state, slot, FAILED);
      Atomics.notify(state, slot);
      return;
    }
    Atomics.store(state, slot, FULL);
    Atomics.notify(state, slot);
  }
}

if (!isMainThread && (workerData as { role?: unknown } | undefined)?.role === 'vault-page-reader' && parentPort) {
  readChunks(workerData as ReaderInput);
}
