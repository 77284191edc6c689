/**
 * What the vault does: add a version of a live database, list, restore, verify and
 * prune (the format and its crash-safety argument are in vault-store.ts). Runs in the
 * engine's worker, so reading the source page by page never blocks the thread that
 * serves the UI.
 *
 * A version is exactly one commit of the source. A WAL database is read as snapshot
 * mode reads it (wal-snapshot.ts): its snapshot starts while the WAL write lock is held
 * for a moment, so the snapshot is the first `mxFrame` frames; each page is then read
 * from the database file or from its latest WAL frame within the snapshot, while the read
 * transaction keeps checkpoints from passing it. Anything else (a rollback-journal
 * database, one another program holds, a WAL the fast path declines) is first backed up
 * by the engine as today into a file in the vault's folder, which is then read and removed.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupEncryption, RestoreResult, RetentionPolicy } from '../api/types.ts';
import { backupDatabase, DEFAULT_BUSY_TIMEOUT_MS, type ClaimListener } from '../engine/backup.ts';
import type { OperationContext } from '../engine/context.ts';
import { abandonPartial, claimPartial, publishPartial, type PartialClaim } from '../engine/partial-file.ts';
import { restoreDatabase, type RestoreOptions } from '../engine/restore.ts';
import { SourceReader } from '../engine/strategies/strategy.ts';
import { checkSqliteFile } from '../engine/sqlite-file.ts';
import { releaseNow } from '../engine/release-buffer.ts';
import { makePrivateFolder, removeAbandonedPrivateFolders, type PrivateFolder } from '../engine/private-folder.ts';
import { toPagevaultError } from '../engine/sqlite-errors.ts';
import { beginWalSnapshot, type WalIndexHeader } from '../engine/wal-snapshot.ts';
import type { SourceFiles } from '../engine/source-files.ts';
import { applyRetention, type KeepReason } from '../retention/retention-policy.ts';
import { groupPages, hashedChunks, knownGroupsBuffer, standaloneHeader, type PageChunk } from './page-reader.ts';
import { newDataKey } from './vault-crypto.ts';
import { BLOCK_PAGES, compressBlock, decodeMap, encodeMap, TIP_CHUNK_PAGES, TIP_GROUP_TABLE, VAULT_FILE, VaultStore, type VaultProblem, type VaultVersion } from './vault-store.ts';

export type { VaultProblem, VaultVersion };

/**
 * Named moments of a backup and of a prune, reported to `onStep`: the crash tests kill
 * the process at each of them.
 */
export type VaultStep = 'snapshot' | 'pages-half' | 'pages-done' | 'version-written' | 'committed' | 'versions-deleted' | 'marked' | 'swept' | 'vacuumed';

/** What adding a version answers: the version and how its pages were read. */
export interface VaultBackupResult {
  vault: string;
  version: VaultVersion;
  /** True when the source was read through a temporary engine backup rather than its WAL snapshot. */
  viaCopy: boolean;
  /** Pages read from the source: all of them, or only those that can have changed since the newest version (vault.ts, changedSince). */
  pagesRead: number;
  /** Of those, how many were hashed one by one; the others were in a group whose hash was the newest version's (page-reader.ts). */
  pagesHashed: number;
  durationMs: number;
}

/** What checking a vault found: how much was checked and each damaged page by version and page number. */
export interface VaultVerifyResult {
  vault: string;
  ok: boolean;
  versions: number;
  pages: number;
  /** The first 100 problems. */
  problems: VaultProblem[];
  problemCount: number;
  /** What could not be checked: an encrypted vault verified without its key. */
  notChecked?: string[];
  /** True for an encrypted vault (its pages are checked against keyed hashes). */
  encrypted?: boolean;
}

/** What a prune did: the versions removed, and each kept one with the rule that kept it. */
export interface VaultPruneResult {
  vault: string;
  removed: VaultVersion[];
  kept: Array<{ version: VaultVersion; reasons: KeepReason[] }>;
  freedPages: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** What restoring a version wrote, and where. */
export interface VaultRestoreResult {
  vault: string;
  version: VaultVersion;
  target: string;
  safetyCopy: string | null;
  durationMs: number;
  /** True when the vault is encrypted (each page was checked against its keyed hash). */
  encrypted?: boolean;
}

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
/** Temporary copies of sources the vault cannot read directly: `<vault>/source-copy-<pid>-<time>.db`. */
const SOURCE_COPY = /^source-copy-\d+-\d+\.db$/;

/**
 * Decompresses a block. Sized to the block, zstd writes it into one buffer that is
 * returned as is, instead of 16 KiB pieces joined into a second copy.
 */
function decompressBlock(data: Buffer, bytes: number): Buffer {
  return zstdDecompressSync(data, { chunkSize: Math.max(bytes, 64) });
}

/**
 * What a version read from a WAL snapshot records of the source (kept in `meta.tipSource`
 * beside the tip it describes), so that the next version can prove which pages cannot
 * have changed since (`changedSince`).
 */
interface WalState {
  source: string;
  pageSize: number;
  pageCount: number;
  /** The database file's and the WAL's device and inode, decimal. */
  database: string;
  wal: string;
  /** The WAL header's checkpoint sequence and salts (bytes 12..23), hex: its generation. */
  generation: string;
  /** The snapshot's last frame, and that frame's 24-byte header (its cumulative checksum), hex. */
  mxFrame: number;
  lastFrame: string;
  /** The change counter (bytes 24..27) of the database file itself, not of the snapshot's page 1. */
  counter: number;
}

/** The WAL frames of a snapshot: each page's latest frame, and each commit frame's page count. */
interface FrameScan {
  frames: Map<number, number>;
  /** [frame, database size in pages after that commit], in frame order. */
  commits: Array<[number, number]>;
  state: WalState;
  /** The 24-byte header of every frame named by `headerOf`, read on the way. */
  headerAt: string;
}

const fileId = (fd: number) => {
  const stat = fstatSync(fd, { bigint: true });
  return `${stat.dev}:${stat.ino}`;
};

/**
 * Reads the headers of WAL frames 1..mxFrame of the snapshot `index` describes (the
 * reader's transaction keeps them from changing). Undefined when the WAL's header or a
 * frame's salts do not match the wal-index, or a frame is cut short: then nothing about
 * this WAL is trusted. `headerOf` names a frame whose header is returned as is.
 */
function scanFrames(files: SourceFiles, index: WalIndexHeader, pageCount: number, headerOf: number): FrameScan | undefined {
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
    const commits: Array<[number, number]> = [];
    const frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
    let headerAt = '';
    let lastFrame = '';
    for (let frame = 1; frame <= index.mxFrame; frame += 1) {
      if (readSync(fd, frameHeader, 0, FRAME_HEADER_BYTES, WAL_HEADER_BYTES + (frame - 1) * frameBytes) !== FRAME_HEADER_BYTES) return undefined;
      if (!frameHeader.subarray(8, 16).equals(index.salt)) return undefined;
      // Later frames of a page replace earlier ones: Map keeps the last assignment.
      frames.set(frameHeader.readUInt32BE(0), frame);
      const commitSize = frameHeader.readUInt32BE(4);
      if (commitSize !== 0) commits.push([frame, commitSize]);
      if (frame === headerOf) headerAt = frameHeader.toString('hex');
      if (frame === index.mxFrame) lastFrame = frameHeader.toString('hex');
    }
    const counter = Buffer.alloc(4);
    const counterRead = readSync(files.database, counter, 0, 4, 24);
    return {
      frames,
      commits,
      headerAt,
      state: {
        source: files.source,
        pageSize: index.pageSize,
        pageCount,
        database: fileId(files.database),
        wal: fileId(fd),
        generation: header.subarray(12, 24).toString('hex'),
        mxFrame: index.mxFrame,
        lastFrame,
        counter: counterRead === 4 ? counter.readUInt32BE(0) : -1,
      },
    };
  } catch {
    return undefined;
  }
}

/**
 * The page numbers (1-based, ascending) that may differ between the snapshot `then`
 * describes and the one `now` scanned, or undefined when that cannot be proven (then
 * every page is read). The argument, from SQLite's src/wal.c (3.54, the version
 * better-sqlite3 ships; 3.50's reads the same):
 * - A WAL restart (walRestartHdr) adds 1 to salt-1 and to the checkpoint sequence, and a
 *   WAL written anew (no earlier checkpoint in this process: nCkpt 0) takes 64 random
 *   bits of salt; so an equal header means the same generation: no restart since `then`,
 *   whose snapshot was frames 1..then.mxFrame of it.
 * - In one generation frames are only appended: a transaction writes at mxFrame+1 and
 *   rewrites in place only frames it wrote itself (iFirst = mxFrame+1 at its start), so
 *   committed frames 1..then.mxFrame are never rewritten. What could rewrite them is a
 *   crash or power cut that loses frames not yet synced, after which recovery keeps the
 *   generation with fewer frames; then the frame at then.mxFrame no longer carries the
 *   same cumulative checksum (its header is compared; SQLite's own recovery relies on
 *   that checksum), or is gone.
 * - A page's content in a snapshot is its latest frame at or before mxFrame, or else the
 *   database file's page. A checkpoint writes into the file only frames of the
 *   generation (never past an open snapshot), and the last page count truncates it. So a
 *   page with no frame in (then.mxFrame, now.mxFrame] has, now, the frame it had then, or
 *   no frame then and now and the file's page as it was. Pages past the smallest page
 *   count a commit since then set (or past then's count) are read again: a page cut off
 *   and grown back reads as zeros, not as it was.
 * - The same files (device and inode), and the file's change counter as it was unless
 *   the generation has frames of page 1 (a checkpoint copies those, counter and all): a
 *   write in rollback-journal mode, between two WAL snapshots, raises it.
 */
function changedSince(then: WalState, now: FrameScan, pageCount: number): number[] | undefined {
  const state = now.state;
  if (then.source !== state.source || then.pageSize !== state.pageSize || then.database !== state.database || then.wal !== state.wal) return undefined;
  if (then.generation !== state.generation || then.mxFrame < 1 || state.mxFrame < then.mxFrame || now.headerAt !== then.lastFrame) return undefined;
  if (then.counter !== state.counter && !now.frames.has(1)) return undefined;
  let keep = Math.min(then.pageCount, pageCount);
  for (const [frame, size] of now.commits) if (frame > then.mxFrame) keep = Math.min(keep, size);
  const changed: number[] = [];
  for (const [pgno, frame] of now.frames) if (frame > then.mxFrame && pgno <= keep) changed.push(pgno);
  changed.sort((a, b) => a - b);
  for (let pgno = keep + 1; pgno <= pageCount; pgno += 1) changed.push(pgno);
  return changed;
}

/** Reads page `pgno` of a WAL snapshot into `into`: its frame, else the file's page, else zeros. */
function readSnapshotPage(files: SourceFiles, frames: Map<number, number>, pgno: number, pageSize: number, into: Buffer): void {
  const frame = frames.get(pgno);
  const [fd, at] = frame === undefined ? [files.database, (pgno - 1) * pageSize] : [files.wal!, WAL_HEADER_BYTES + (frame - 1) * (pageSize + FRAME_HEADER_BYTES) + FRAME_HEADER_BYTES];
  let got = 0;
  while (got < pageSize) {
    const read = readSync(fd, into, got, pageSize - got, at + got);
    if (read === 0) break;
    got += read;
  }
  if (frame !== undefined && got !== pageSize) throw new Error(`WAL frame ${frame} of page ${pgno} is cut short`);
  into.fill(0, got);
  if (pgno === 1) standaloneHeader(into);
}

/** The recorded WAL state, or undefined when there is none or it does not parse. */
function parseWalState(text: string | undefined): WalState | undefined {
  if (!text) return undefined;
  try {
    const state = JSON.parse(text) as WalState;
    return typeof state.mxFrame === 'number' && typeof state.generation === 'string' && typeof state.lastFrame === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** `ids` cut to `count` page numbers, or grown to them with zeros (a copy only then). */
function withLength(ids: Uint32Array, count: number): Uint32Array {
  if (ids.length >= count) return ids.subarray(0, count);
  const grown = new Uint32Array(count);
  grown.set(ids);
  return grown;
}

/** Whether the tip has, for each of the first `needed` pages, the hash of the newest version (of `count` pages). */
function tipComplete(store: VaultStore, count: number, needed: number): boolean {
  const lengths = new Map((store.db.prepare('SELECT chunk, length(hashes) AS bytes FROM tip').all() as Array<{ chunk: number; bytes: number }>).map((row) => [row.chunk, row.bytes]));
  for (let chunk = 0; chunk * TIP_CHUNK_PAGES < needed; chunk += 1) {
    if (lengths.get(chunk) !== Math.min(TIP_CHUNK_PAGES, count - chunk * TIP_CHUNK_PAGES) * 32) return false;
  }
  return true;
}

/**
 * Gathers the new pages of a version into blocks of up to BLOCK_PAGES, each compressed
 * in one zstd frame. A page's index row is written as it is added, with the id it will
 * have in its block, so a repeat of it later in the same version is found by its hash;
 * the block follows within the same transaction.
 */
class BlockWriter {
  readonly #store: VaultStore;
  readonly #pageSize: number;
  readonly #pages: Buffer;
  readonly #hashes = Buffer.alloc(BLOCK_PAGES * 32);
  readonly #insertPage;
  readonly #insertBlock;
  #count = 0;
  #next: number;
  newPages = 0;
  newBytes = 0;

  constructor(store: VaultStore, pageSize: number) {
    this.#store = store;
    this.#pageSize = pageSize;
    this.#pages = Buffer.allocUnsafe(BLOCK_PAGES * pageSize);
    this.#insertPage = store.db.prepare('INSERT INTO page (id, hash) VALUES (?, ?)');
    this.#insertBlock = store.db.prepare('INSERT INTO block (id, pages, page_size, digest, hashes, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.#next = Math.max(1, store.metaNumber('nextBlock'));
  }

  /** Stores `page` (its SHA-256 `key`) in the block being filled; returns its page id. */
  add(key: Buffer, page: Buffer): number {
    const id = this.#next * BLOCK_PAGES + this.#count;
    // Page ids are u32 in a version's map: 4 billion pages stored over a vault's life.
    if (id > 0xffffffff) throw new PagevaultError('NOT_SUPPORTED', `the vault ${this.#store.dir} has used every page id; restore its latest version and start a new vault`);
    page.copy(this.#pages, this.#count * this.#pageSize);
    key.copy(this.#hashes, this.#count * 32);
    this.#insertPage.run(id, key);
    this.#count += 1;
    this.newPages += 1;
    if (this.#count === BLOCK_PAGES) this.#flush();
    return id;
  }

  #flush(): void {
    if (this.#count === 0) return;
    const pages = this.#pages.subarray(0, this.#count * this.#pageSize);
    const data = this.#store.sealBlock(this.#next, this.#count, this.#pageSize, compressBlock(pages));
    this.#insertBlock.run(this.#next, this.#count, this.#pageSize, this.#store.hash(pages), Buffer.from(this.#hashes.subarray(0, this.#count * 32)), data);
    this.newBytes += data.length;
    this.#next += 1;
    this.#count = 0;
  }

  /** Writes the last, partly filled block and the next block id. */
  finish(): void {
    this.#flush();
    this.#store.setMetaNumber('nextBlock', this.#next);
  }
}

/** How a backup into a vault treats encryption (vault-store.ts). */
export interface VaultEncryptionOptions {
  /**
   * A vault made now is encrypted to it; an existing plain vault is refused with it, and an
   * encrypted one must be encrypted to the same recipient (or a passphrase, for one).
   * `null`: the vault must be plain (an encrypted one is refused).
   */
  encryption?: BackupEncryption | null;
  /** What opens an existing encrypted vault's data key (a passphrase `encryption` is one too). */
  keys?: AgeKeyInput[];
}

/** Refuses a vault whose encryption is not the one asked for, before anything is written. */
function checkEncryption(store: VaultStore, options: VaultEncryptionOptions, subject: string): void {
  const wanted = options.encryption;
  if (!store.encrypted) {
    if (wanted) throw new PagevaultError('NOT_SUPPORTED', `${subject}: this vault was made without encryption; choose a new backup folder or turn encryption off`);
    return;
  }
  if (wanted === null) throw new PagevaultError('NOT_SUPPORTED', `${subject}: this vault is encrypted (to ${store.recipient === 'scrypt' ? 'a passphrase' : store.recipient}); choose a new backup folder or turn encryption on`);
  if (wanted && (wanted.kind === 'passphrase' ? store.recipient !== 'scrypt' : store.recipient !== wanted.recipient)) {
    throw new PagevaultError('NOT_SUPPORTED', `${subject}: this vault is encrypted to ${store.recipient === 'scrypt' ? 'a passphrase' : store.recipient}, not ${wanted.kind === 'passphrase' ? 'a passphrase' : wanted.recipient}; choose a new backup folder, or the vault's own key`);
  }
  const keys = [...(options.keys ?? []), ...(wanted?.kind === 'passphrase' ? [{ kind: 'passphrase' as const, passphrase: wanted.passphrase }] : [])];
  store.unlock(keys, subject);
}

/**
 * Adds a version of `sourceArg` to the vault in `vaultArg` (created on first use, encrypted
 * when `options.encryption` says so; an encrypted one needs `options.keys`).
 */
export async function addVersion(
  sourceArg: string,
  vaultArg: string,
  ctx: OperationContext,
  options: {
    busyTimeoutMs?: number;
    now?: Date;
    onStep?: (step: VaultStep) => void;
    /** Threads that read and hash pages (page-reader.ts): 1 keeps it on this one; by default two where there are two cores. */
    threads?: number;
  } & VaultEncryptionOptions = {},
  onClaim?: ClaimListener,
): Promise<VaultBackupResult> {
  const started = performance.now();
  const source = resolve(sourceArg);
  const vaultDir = resolve(vaultArg);
  const subject = `Cannot back up ${source} into the vault ${vaultDir}`;
  const { header } = await checkSqliteFile(source, 'Cannot back up');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  // A new vault's data key is sealed before the vault exists (scrypt takes a second); one
  // that exists by then keeps its own, and is checked against the encryption asked for.
  const key = options.encryption && !existsSync(join(vaultDir, VAULT_FILE)) ? await newDataKey(options.encryption, subject) : undefined;
  const store = VaultStore.open(vaultDir, subject, { create: true, ...(key && { key }) });
  let reader: SourceReader | undefined;
  let copy: string | undefined;
  let copyFolder: PrivateFolder | undefined;
  let inputFd: number | undefined;
  try {
    checkEncryption(store, options, subject);
    removeSourceCopies(vaultDir);
    // What a killed backup of an encrypted vault left in the clear goes now, whatever this one reads.
    if (store.encrypted) removeAbandonedPrivateFolders('pagevault-vault-source-');
    // Made once the tip is read: the newest version's group hashes go to the reader.
    let pages: ((known: Buffer) => AsyncGenerator<PageChunk>) | undefined;
    // The source as the newest version saw it, when it was read from a WAL snapshot.
    const tipSource = store.metaText('tipSource');
    const then = parseWalState(tipSource);
    let scan: FrameScan | undefined;
    let walFiles: SourceFiles | undefined;
    let pageSize = 0;
    let pageCount = 0;
    const held = header.writeVersion === 2 && exists(`${source}-wal`) && !exists(`${source}-shm`);
    if (header.writeVersion === 2 && !held) {
      // Opened as every backup strategy opens its source (strategy.ts), with its descriptors.
      reader = new SourceReader({ source, header, options: {}, busyTimeoutMs, ctx, subject }, true);
      const files = reader.files!;
      const snapshot = beginWalSnapshot(files, reader.db, Math.min(busyTimeoutMs, 1000));
      const index = snapshot?.index;
      scan = snapshot && scanFrames(files, snapshot.index, snapshot.pageCount, then?.mxFrame ?? 0);
      // With every frame in the file already (or none), the file alone is the snapshot.
      if (snapshot && (scan || index!.mxFrame === index!.nBackfill)) {
        pageSize = snapshot.index.pageSize;
        pageCount = snapshot.pageCount;
        walFiles = files;
        const frames = index!.mxFrame > index!.nBackfill ? scan!.frames : undefined;
        const wal = frames && frames.size > 0 ? { fd: files.wal!, frames } : undefined;
        pages = (known) => hashedChunks(files.database, pageSize, pageCount, wal, { threads: options.threads, hashKey: store.pageHashKey(), known });
      } else {
        reader.abort();
        reader = undefined;
      }
    }
    if (!pages) {
      // An encrypted vault's folder never holds a plain copy: a private temporary folder does
      // (one a killed backup left is removed by the next: private-folder.ts).
      if (store.encrypted) copyFolder = makePrivateFolder('pagevault-vault-source-');
      copy = join(copyFolder?.path ?? vaultDir, `source-copy-${process.pid}-${Date.now()}.db`);
      await backupDatabase(source, copy, ctx.withPhase('prepare'), { verify: false, manifest: false, busyTimeoutMs }, onClaim);
      inputFd = openSync(copy, 'r');
      const standalone = new Database(copy, { readonly: true, fileMustExist: true });
      pageSize = Number(standalone.pragma('page_size', { simple: true }));
      pageCount = Number(standalone.pragma('page_count', { simple: true }));
      standalone.close();
      const fd = inputFd;
      pages = (known) => hashedChunks(fd, pageSize, pageCount, undefined, { threads: options.threads, hashKey: store.pageHashKey(), known });
    }
    options.onStep?.('snapshot');
    ctx.throwIfCancelled(subject);

    // The write lock from before the first look-up to the commit: no prune can collect a
    // page this version is about to name (vault-store.ts).
    store.db.exec('BEGIN IMMEDIATE');
    const find = store.db.prepare('SELECT id FROM page WHERE hash = ?').pluck();
    const blocks = new BlockWriter(store, pageSize);
    // The tip: the newest version's hashes, so an unchanged page costs its hash and a
    // compare, no look-up (why that is enough is in vault-store.ts).
    const previous = store.db.prepare('SELECT id, page_size, page_count FROM version ORDER BY id DESC LIMIT 1').get() as { id: number; page_size: number; page_count: number } | undefined;
    const tipUsable = previous !== undefined && previous.id === store.metaNumber('tipVersion') && previous.page_size === pageSize;
    // The new version's ids start as the newest version's, and each page's is overwritten
    // in place once it is known (read only at its own page number before that): one array,
    // not two (10 MB each at 10 GB).
    const previousCount = tipUsable ? previous.page_count : 0;
    const ids = tipUsable ? withLength(store.pageMap(previous.id), pageCount) : new Uint32Array(pageCount);
    const readTip = store.db.prepare('SELECT hashes FROM tip WHERE chunk = ?').pluck();
    const writeTip = store.db.prepare('INSERT OR REPLACE INTO tip (chunk, hashes) VALUES (?, ?)');
    const tip = Buffer.alloc(TIP_CHUNK_PAGES * 32);
    let oldTip: Buffer | undefined;
    // The tip's group hashes (vault-store.ts), used only when they describe the tip's version.
    store.db.exec(TIP_GROUP_TABLE);
    const perGroup = groupPages(pageSize);
    const rowGroups = TIP_CHUNK_PAGES / perGroup;
    const groupsUsable = tipUsable && store.metaNumber('tipGroupVersion') === previous.id;
    const known = knownGroupsBuffer(pageSize, pageCount);
    if (groupsUsable) {
      for (const row of store.db.prepare('SELECT chunk, hashes FROM tip_group WHERE chunk < ?').iterate(Math.ceil(pageCount / TIP_CHUNK_PAGES)) as Iterable<{ chunk: number; hashes: Buffer }>) {
        row.hashes.copy(known, row.chunk * rowGroups * 32);
      }
    }
    const readGroupRow = store.db.prepare('SELECT hashes FROM tip_group WHERE chunk = ?').pluck();
    const writeGroupRow = store.db.prepare('INSERT OR REPLACE INTO tip_group (chunk, hashes) VALUES (?, ?)');
    const groupRow = Buffer.alloc(rowGroups * 32);
    let pgno = 0;
    let pagesHashed = 0;
    const totalBytes = pageCount * pageSize;
    const half = Math.ceil(pageCount / 2);
    const take = (chunk: PageChunk, hashes: Buffer) => {
      // Group by group: a group never spans two rows of the tip (a row is a whole number of groups).
      for (let group = 0, i = 0; i < chunk.count; group += 1) {
        const index = chunk.first - 1 + i;
        const slot = index % TIP_CHUNK_PAGES;
        const tipChunk = (index - slot) / TIP_CHUNK_PAGES;
        if (slot === 0) {
          // A row of the tip is 128 KiB read into a buffer of its own: freed once passed, not 32 B a page left to the collector.
          if (oldTip) releaseNow(oldTip);
          oldTip = index < previousCount ? ((readTip.get(tipChunk) as Buffer | undefined) ?? undefined) : undefined;
        }
        const count = Math.min(perGroup, chunk.count - i);
        const same = chunk.same[group] === 1;
        if (same && oldTip !== undefined && oldTip.length >= (slot + count) * 32 && index + count <= previousCount) {
          // The group's bytes are the tip version's, so are its pages' hashes and ids (page-reader.ts); the ids are in place.
          oldTip.copy(tip, slot * 32, slot * 32, (slot + count) * 32);
        } else {
          pagesHashed += count;
          for (let k = i; k < i + count; k += 1) {
            const at = index + k - i;
            const atSlot = slot + k - i;
            const page = chunk.pages.subarray(k * pageSize, (k + 1) * pageSize);
            // The group's bytes are known but the tip lacks a page's hash: hashed here.
            if (same) hashes.set(store.hash(page), k * 32);
            hashes.copy(tip, atSlot * 32, k * 32, k * 32 + 32);
            const unchanged = oldTip !== undefined && at < previousCount && oldTip.length >= (atSlot + 1) * 32 && hashes.compare(oldTip, atSlot * 32, atSlot * 32 + 32, k * 32, k * 32 + 32) === 0;
            if (!unchanged) {
              const key = Buffer.from(hashes.subarray(k * 32, k * 32 + 32));
              ids[at] = (find.get(key) as number | undefined) ?? blocks.add(key, page);
            }
          }
        }
        i += count;
        const before = pgno;
        pgno = chunk.first - 1 + i;
        if (slot + count === TIP_CHUNK_PAGES || pgno === pageCount) {
          const hashesOfChunk = tip.subarray(0, (slot + count) * 32);
          // better-sqlite3 binds a blob as SQLITE_TRANSIENT (SQLite copies it), so the reused buffer is bound as is.
          if (!oldTip?.equals(hashesOfChunk)) writeTip.run(tipChunk, hashesOfChunk);
        }
        if (before < half && pgno >= half) options.onStep?.('pages-half');
      }
      // A chunk lies within one row of the tip: its groups go to that row's, written when the row ends.
      const row = Math.floor((chunk.first - 1) / TIP_CHUNK_PAGES);
      chunk.groups.copy(groupRow, ((chunk.first - 1) / perGroup - row * rowGroups) * 32);
      const last = chunk.first + chunk.count - 1;
      if (last % TIP_CHUNK_PAGES === 0 || last === pageCount) {
        const hashesOfRow = groupRow.subarray(0, Math.ceil((last - row * TIP_CHUNK_PAGES) / perGroup) * 32);
        if (last === pageCount || hashesOfRow.compare(known, row * rowGroups * 32, (row + 1) * rowGroups * 32) !== 0) writeGroupRow.run(row, hashesOfRow);
      }
      ctx.throwIfCancelled(subject);
      const copied = pgno * pageSize;
      ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - pgno, bytesCopied: copied, bytesPerSecond: copied / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
    };
    // Only the pages that can have changed since the newest version, where that is proven
    // (changedSince); the tip then names every other page's id and hash as they are.
    let changed = then && scan && walFiles && tipUsable && store.metaText('tipSource') === tipSource && then.pageCount === previous.page_count ? changedSince(then, scan, pageCount) : undefined;
    if (changed && !tipComplete(store, previous!.page_count, Math.min(previous!.page_count, pageCount))) changed = undefined;
    let pagesRead = changed ? changed.length : pageCount;
    if (changed) {
      pagesHashed = changed.length;
      const page = Buffer.allocUnsafe(pageSize);
      const chunks = Math.ceil(pageCount / TIP_CHUNK_PAGES);
      let next = 0;
      for (let chunk = 0; chunk < chunks; chunk += 1) {
        const first = chunk * TIP_CHUNK_PAGES;
        const end = Math.min(pageCount, first + TIP_CHUNK_PAGES);
        const rowBefore = Math.max(0, Math.min(TIP_CHUNK_PAGES, previous!.page_count - first));
        if ((next < changed.length && changed[next]! <= end) || rowBefore !== end - first) {
          const before = rowBefore > 0 ? (readTip.get(chunk) as Buffer) : undefined;
          const row = Buffer.alloc((end - first) * 32);
          before?.copy(row, 0, 0, Math.min(before.length, row.length));
          // A group with a page that changed no longer describes this version: unknown (zeros) from now on.
          const groups = groupsUsable ? (readGroupRow.get(chunk) as Buffer | undefined) : undefined;
          let groupsChanged = false;
          for (; next < changed.length && changed[next]! <= end; next += 1) {
            const index = changed[next]! - 1;
            const slot = index - first;
            readSnapshotPage(walFiles!, scan!.frames, index + 1, pageSize, page);
            const key = store.hash(page);
            if (!(before && slot < rowBefore && key.compare(before, slot * 32, slot * 32 + 32) === 0)) {
              ids[index] = (find.get(key) as number | undefined) ?? blocks.add(key, page);
              const group = Math.floor(slot / perGroup);
              if (groups && groups.length > group * 32) {
                groups.fill(0, group * 32, group * 32 + 32);
                groupsChanged = true;
              }
            }
            key.copy(row, slot * 32);
          }
          if (!before?.equals(row)) writeTip.run(chunk, row);
          if (groupsChanged) writeGroupRow.run(chunk, groups);
          if (before) releaseNow(before);
        }
        pgno = end;
        if (chunk === Math.floor((chunks - 1) / 2)) options.onStep?.('pages-half');
        ctx.throwIfCancelled(subject);
        ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - pgno, bytesCopied: pgno * pageSize, bytesPerSecond: (pgno * pageSize) / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
      }
    } else {
      pagesRead = pageCount;
      for await (const chunk of pages(known)) take(chunk, chunk.hashes);
    }
    blocks.finish();
    const { newPages, newBytes } = blocks;
    store.db.prepare('DELETE FROM tip WHERE chunk >= ?').run(Math.ceil(pageCount / TIP_CHUNK_PAGES));
    store.db.prepare('DELETE FROM tip_group WHERE chunk >= ?').run(Math.ceil(pageCount / TIP_CHUNK_PAGES));
    if (pgno !== pageCount) throw new Error(`read ${pgno} pages of ${pageCount}`);
    options.onStep?.('pages-done');
    const createdAt = (options.now ?? new Date()).toISOString();
    const map = encodeMap(ids);
    // The ids (10 MB at 10 GB) are not needed once encoded, nor the map once SQLite holds
    // its copy: both go now, so the insert, the peak of a version, holds neither twice.
    releaseNow(ids);
    const versionId = Number(
      store.db
        .prepare('INSERT INTO version (created_at, source, page_size, page_count, new_pages, new_bytes, map) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(createdAt, source, pageSize, pageCount, newPages, newBytes, map).lastInsertRowid,
    );
    if (store.cipher) store.db.prepare('UPDATE version SET mac = ? WHERE id = ?').run(store.cipher.mapMac(versionId, pageSize, pageCount, map), versionId);
    releaseNow(map);
    store.setMetaNumber('tipVersion', versionId);
    // Read in full, every group was hashed; through the WAL, the groups kept their hashes or lost them.
    store.setMetaNumber('tipGroupVersion', !changed || groupsUsable ? versionId : 0);
    store.setMetaText('tipSource', scan && scan.state.mxFrame > 0 ? JSON.stringify(scan.state) : '');
    options.onStep?.('version-written');
    store.db.exec('COMMIT');
    options.onStep?.('committed');
    ctx.report({ phase: 'finalize', totalPages: pageCount, remainingPages: 0, bytesCopied: totalBytes, bytesPerSecond: 0, restarts: 0 }, true);
    const version = store.versions().find((v) => v.id === versionId)!;
    return { vault: vaultDir, version, viaCopy: copy !== undefined, pagesRead, pagesHashed, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (store.db.inTransaction) store.db.exec('ROLLBACK');
    throw toPagevaultError(error, subject);
  } finally {
    // The connection first, then the descriptors: closing those drops the process's locks on the source.
    reader?.abort();
    if (inputFd !== undefined) closeSync(inputFd);
    if (copyFolder) copyFolder.remove();
    else if (copy) rmSync(copy, { force: true });
    store.close();
  }
}

/** Removes the temporary source copies a killed backup left in the vault's folder (names only Pagevault makes there). */
function removeSourceCopies(vaultDir: string): void {
  for (const name of readdirSync(vaultDir)) if (SOURCE_COPY.test(name)) rmSync(join(vaultDir, name), { force: true });
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every version in the vault, oldest first, and who its encryption is to (null: plain).
 * Needs no key; `options.keys`, when given, must open an encrypted vault (a check of the key).
 */
export function listVersions(vaultArg: string, options: { keys?: AgeKeyInput[] } = {}): { vault: string; versions: VaultVersion[]; bytes: number; encryptedTo?: string | null } {
  const vault = resolve(vaultArg);
  const subject = `Cannot list the vault ${vault}`;
  const store = VaultStore.open(vault, subject);
  try {
    if (options.keys && options.keys.length > 0) store.unlock(options.keys, subject);
    return { vault, versions: store.versions(), bytes: statSync(join(vault, VAULT_FILE)).size, encryptedTo: store.recipient };
  } finally {
    store.close();
  }
}

/**
 * Writes version `id` into `partial`, checking each page against its hash, so the file is
 * proven to hold exactly that version's pages. Pages are taken block by block (a
 * counting sort of page numbers by block), so each block is read and decompressed once;
 * pages that follow each other in the file and in their block are written in one call.
 */
function writeVersion(store: VaultStore, version: VaultVersion, partial: string, ctx: OperationContext, subject: string): void {
  let ids: Uint32Array;
  try {
    ids = store.pageMap(version.id);
  } catch (error) {
    throw new PagevaultError('CORRUPT', `${subject}: the page map of version ${version.id} is damaged (${(error as Error).message}); run pagevault vault verify ${store.dir}`);
  }
  const { pageSize, pageCount } = version;
  let lastBlock = 0;
  for (const id of ids) lastBlock = Math.max(lastBlock, Math.floor(id / BLOCK_PAGES));
  const starts = new Uint32Array(lastBlock + 2);
  for (const id of ids) starts[Math.floor(id / BLOCK_PAGES) + 1]! += 1;
  for (let b = 1; b < starts.length; b += 1) starts[b]! += starts[b - 1]!;
  const order = new Uint32Array(pageCount);
  const cursor = starts.slice();
  for (let index = 0; index < pageCount; index += 1) order[cursor[Math.floor(ids[index]! / BLOCK_PAGES)]!++] = index;
  const get = store.db.prepare('SELECT pages, page_size, digest, hashes, data FROM block WHERE id = ?');
  // The partial is new and empty: opened without O_TRUNC, ext4 does not write it back on
  // close (its guard for files replaced by truncation); the publish's fsync does, once.
  const out = openSync(partial, 'r+');
  const started = performance.now();
  const checked = new Uint8Array(BLOCK_PAGES);
  let written = 0;
  try {
    for (let block = 0; block <= lastBlock; block += 1) {
      const from = starts[block]!;
      const to = starts[block + 1]!;
      if (from === to) continue;
      const first = order[from]!;
      const row = get.get(block) as { pages: number; page_size: number; digest: Buffer; hashes: Buffer; data: Buffer } | undefined;
      if (!row) throw new PagevaultError('CORRUPT', `${subject}: page ${first + 1} of version ${version.id} names stored page ${ids[first]}, which is missing; run pagevault vault verify ${store.dir}`);
      let bytes: Buffer;
      const data = store.openBlock(block, row.pages, row.page_size, row.data);
      if (!data) throw new PagevaultError('CORRUPT', `${subject}: page ${first + 1} of version ${version.id} (stored page ${ids[first]}) is in block ${block}, which fails authentication (it was changed); run pagevault vault verify ${store.dir}`);
      try {
        bytes = decompressBlock(data, row.pages * row.page_size);
      } catch {
        throw new PagevaultError('CORRUPT', `${subject}: page ${first + 1} of version ${version.id} (stored page ${ids[first]}) does not decompress; run pagevault vault verify ${store.dir}`);
      }
      if (row.page_size !== pageSize || bytes.length !== row.pages * pageSize) {
        throw new PagevaultError('CORRUPT', `${subject}: page ${first + 1} of version ${version.id} (stored page ${ids[first]}) is in block ${block}, which holds ${bytes.length} bytes of ${row.page_size}-byte pages where ${pageSize}-byte pages were stored; run pagevault vault verify ${store.dir}`);
      }
      // Where this version takes half the block or more, one hash of the whole block proves
      // every page in it is as written (the page hashes were taken of the same bytes, in the
      // same process, as the block's); otherwise, or when it does not match, page by page.
      checked.fill((to - from) * 2 >= row.pages && store.hash(bytes).equals(row.digest) ? 1 : 0);
      for (let k = from; k < to; ) {
        // A run: consecutive page numbers stored in consecutive slots.
        const index = order[k]!;
        let end = k + 1;
        while (end < to && order[end] === order[end - 1]! + 1 && ids[order[end]!] === ids[order[end - 1]!]! + 1) end += 1;
        for (let j = k; j < end; j += 1) {
          const slot = ids[order[j]!]! - block * BLOCK_PAGES;
          if (slot >= row.pages) throw new PagevaultError('CORRUPT', `${subject}: page ${order[j]! + 1} of version ${version.id} names stored page ${ids[order[j]!]}, which is missing; run pagevault vault verify ${store.dir}`);
          if (checked[slot]) continue;
          if (store.hash(bytes.subarray(slot * pageSize, (slot + 1) * pageSize)).compare(row.hashes, slot * 32, slot * 32 + 32) !== 0) {
            throw new PagevaultError('CORRUPT', `${subject}: page ${order[j]! + 1} of version ${version.id} (stored page ${ids[order[j]!]}) does not match its ${store.encrypted ? 'keyed hash' : 'SHA-256'}; run pagevault vault verify ${store.dir}`);
          }
          checked[slot] = 1;
        }
        const slot = ids[index]! - block * BLOCK_PAGES;
        const length = (end - k) * pageSize;
        let done = 0;
        while (done < length) done += writeSync(out, bytes, slot * pageSize + done, length - done, index * pageSize + done);
        written += length;
        k = end;
      }
      releaseNow(bytes);
      releaseNow(row.data);
      if (block % 16 === 0) {
        ctx.throwIfCancelled(subject);
        ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - written / pageSize, bytesCopied: written, bytesPerSecond: written / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
      }
    }
  } finally {
    closeSync(out);
  }
}

/**
 * Restores version `spec` (a number as listed, or `latest`) of the vault into `targetArg`:
 * a new file is written beside its name and published atomically; an existing database is
 * replaced the way `restore` replaces one (safety copy first, loaded through SQLite).
 */
export async function restoreVersion(vaultArg: string, spec: string, targetArg: string, ctx: OperationContext, options: RestoreOptions = {}, onClaim?: ClaimListener): Promise<VaultRestoreResult> {
  const started = performance.now();
  const vault = resolve(vaultArg);
  const target = resolve(targetArg);
  const subject = `Cannot restore version ${spec} of the vault ${vault} into ${target}`;
  const store = VaultStore.open(vault, subject);
  let claim: PartialClaim | undefined;
  try {
    store.unlock(options.keys?.age, subject);
    const version = store.resolveVersion(spec, subject);
    const targetExists = exists(target);
    claim = await claimPartial(target, 0o600, onClaim);
    writeVersion(store, version, claim.path, ctx, subject);
    let restored: RestoreResult | undefined;
    if (!targetExists) await publishPartial(claim, false);
    // The age keys opened the vault; the version written out is a plain database, and the
    // safety copy of the target is encrypted as the vault is, never left beside it in the clear.
    const safetyCopyEncryption = store.recipient === null ? undefined : store.recipient === 'scrypt' ? (store.openedWithPassphrase === undefined ? undefined : { kind: 'passphrase' as const, passphrase: store.openedWithPassphrase }) : { kind: 'x25519' as const, recipient: store.recipient };
    if (targetExists) {
      restored = await restoreDatabase(
        claim.path,
        target,
        ctx,
        { ...options, keys: { ...options.keys, age: undefined }, safetyCopyDir: options.safetyCopyDir ?? resolve(target, '..'), ...(safetyCopyEncryption && { safetyCopyEncryption }) },
        onClaim,
      );
    }
    if (restored) await abandonPartial(claim);
    claim = undefined;
    return { vault, version, target, safetyCopy: restored?.safetyCopy ?? null, durationMs: Math.round(performance.now() - started), ...(store.encrypted && { encrypted: true }) };
  } catch (error) {
    if (claim) await abandonPartial(claim);
    throw toPagevaultError(error, subject);
  } finally {
    store.close();
  }
}

/**
 * Checks every stored page against its hash and every version's map against the stored
 * pages; names what is damaged. An encrypted vault needs `options.keys` for its pages'
 * contents and its maps' MACs; without them only what needs no key is checked, and
 * `notChecked` says what was not.
 */
export function verifyVault(vaultArg: string, ctx: OperationContext, options: { keys?: AgeKeyInput[] } = {}): VaultVerifyResult {
  const vault = resolve(vaultArg);
  const subject = `Cannot verify the vault ${vault}`;
  const store = VaultStore.open(vault, subject);
  try {
    if (store.encrypted && options.keys && options.keys.length > 0) store.unlock(options.keys, subject);
    const keyless = store.encrypted && !store.cipher;
    const damaged = new Map<number, string>();
    const nextBlock = store.metaNumber('nextBlock');
    const maxId = Math.max(0, nextBlock * BLOCK_PAGES - 1);
    const present = new Uint8Array(maxId + 1);
    let pages = 0;
    let indexed = 0;
    const total = Number(store.db.prepare('SELECT coalesce(sum(pages), 0) FROM block').pluck().get());
    // One block at a time by id, so the index rows of each are read beside it.
    const nextRow = store.db.prepare('SELECT id, pages, page_size, hashes, data FROM block WHERE id > ? ORDER BY id LIMIT 1');
    const indexRows = store.db.prepare('SELECT id, hash FROM page WHERE id BETWEEN ? AND ?');
    let after = -1;
    for (;;) {
      const row = nextRow.get(after) as { id: number; pages: number; page_size: number; hashes: Buffer; data: Buffer } | undefined;
      if (!row) break;
      after = row.id;
      const base = row.id * BLOCK_PAGES;
      let bytes: Buffer | undefined;
      let whole: string | undefined;
      const data = keyless ? undefined : store.openBlock(row.id, row.pages, row.page_size, row.data);
      if (!keyless && !data) whole = `is in block ${row.id}, which fails authentication: its stored bytes were changed`;
      else if (data) {
        try {
          bytes = decompressBlock(data, row.pages * row.page_size);
          if (bytes.length !== row.pages * row.page_size) whole = `holds ${bytes.length} bytes in its block ${row.id}, not ${row.pages * row.page_size}`;
        } catch (error) {
          whole = `does not decompress (block ${row.id}: ${(error as Error).message})`;
        }
      }
      for (let slot = 0; slot < row.pages; slot += 1) {
        const id = base + slot;
        if (id <= maxId) present[id] = 1;
        pages += 1;
        if (whole) damaged.set(id, `stored page ${id} ${whole}`);
        else if (!bytes) continue;
        else if (row.hashes.length < (slot + 1) * 32 || store.hash(bytes!.subarray(slot * row.page_size, (slot + 1) * row.page_size)).compare(row.hashes, slot * 32, slot * 32 + 32) !== 0) {
          damaged.set(id, `stored page ${id} does not match its ${store.encrypted ? 'keyed hash' : 'SHA-256'} ${row.hashes.subarray(slot * 32, slot * 32 + 8).toString('hex')}…`);
        }
      }
      // The index must name each page by the hash its block holds, or a later version
      // would share a page whose bytes are not the ones it hashed.
      for (const entry of indexRows.all(base, base + BLOCK_PAGES - 1) as Array<{ id: number; hash: Buffer }>) {
        indexed += 1;
        const slot = entry.id - base;
        if (slot >= row.pages || !entry.hash.equals(row.hashes.subarray(slot * 32, slot * 32 + 32))) {
          if (!damaged.has(entry.id)) damaged.set(entry.id, `stored page ${entry.id} is named in the index by a ${store.encrypted ? 'keyed hash' : 'SHA-256'} its block does not hold`);
        }
      }
      if (bytes) releaseNow(bytes);
      releaseNow(row.data);
      if (row.id % 64 === 0) {
        ctx.throwIfCancelled(subject);
        ctx.report({ phase: 'verify', totalPages: total, remainingPages: total - pages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 });
      }
    }
    if (indexed !== Number(store.db.prepare('SELECT count(*) FROM page').pluck().get())) {
      for (const id of store.db.prepare('SELECT id FROM page').pluck().all() as number[]) {
        if (id > maxId || !present[id]) damaged.set(id, `stored page ${id} is in the index, but no block holds it`);
      }
    }
    const problems: VaultProblem[] = [];
    let problemCount = 0;
    const add = (problem: VaultProblem) => {
      problemCount += 1;
      if (problems.length < 100) problems.push(problem);
    };
    const versions = store.versions();
    for (const version of versions) {
      let ids: Uint32Array;
      try {
        ids = store.pageMap(version.id);
      } catch (error) {
        add({ version: version.id, pageNumber: null, pageId: null, message: `version ${version.id}: its page map is damaged (${(error as Error).message})` });
        continue;
      }
      ids.forEach((id, index) => {
        if (id > maxId || !present[id]) add({ version: version.id, pageNumber: index + 1, pageId: id, message: `version ${version.id}, page ${index + 1}: stored page ${id} is missing` });
        else if (damaged.has(id)) add({ version: version.id, pageNumber: index + 1, pageId: id, message: `version ${version.id}, page ${index + 1}: ${damaged.get(id)}` });
      });
    }
    for (const [id, message] of damaged) if (!problems.some((p) => p.pageId === id)) add({ version: null, pageNumber: null, pageId: id, message: `${message} (no version names it)` });
    const notChecked = keyless
      ? [`the vault is encrypted ${store.recipient === 'scrypt' ? 'with a passphrase' : `to ${store.recipient}`}: without its key, the pages' contents, their hashes and the versions' maps were not checked (only that every page a version names is stored); give its key to check them`]
      : undefined;
    return { vault, ok: problemCount === 0, versions: versions.length, pages, problems, problemCount, ...(notChecked && { notChecked }), ...(store.encrypted && { encrypted: true }) };
  } finally {
    store.close();
  }
}

/** What deleting versions by hand did: the versions removed and the pages only they had. */
export interface VaultDeleteResult {
  vault: string;
  removed: VaultVersion[];
  freedPages: number;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Deletes the versions `policy` does not keep (retention-policy.ts, as for copies; a
 * version in `keep`, pinned in the app, is kept whatever the rules) and the pages no kept
 * version names, in one transaction (the argument is in vault-store.ts), then gives the
 * freed space back to the file system.
 */
export function pruneVault(
  vaultArg: string,
  policy: RetentionPolicy,
  ctx: OperationContext,
  options: { now?: Date; timezone?: string; keep?: readonly number[]; onStep?: (step: VaultStep) => void } = {},
): VaultPruneResult {
  const keep = new Set(options.keep ?? []);
  let kept: VaultPruneResult['kept'] = [];
  const collected = collectVersions(vaultArg, 'prune', ctx, options.onStep, (versions) => {
    const decision = applyRetention(
      versions.map((version) => ({ ...version, startedAt: version.createdAt, pinned: keep.has(version.id), verification: 'passed' as const })),
      policy,
      options.now ?? new Date(),
      options.timezone,
    );
    const byId = new Map(versions.map((version) => [version.id, version]));
    kept = decision.keep.map(({ backup, reasons }) => ({ version: byId.get(backup.id)!, reasons }));
    return decision.remove.map((candidate) => byId.get(candidate.id)!);
  });
  return { ...collected, kept };
}

/**
 * Deletes the versions `ids` names (as listed) and the pages no other version names, the
 * way a prune does, in one transaction; needs no key, even for an encrypted vault. An id
 * the vault does not hold is refused (NOT_FOUND) before anything is deleted.
 */
export function deleteVersions(vaultArg: string, ids: readonly number[], ctx: OperationContext, options: { onStep?: (step: VaultStep) => void } = {}): VaultDeleteResult {
  return collectVersions(vaultArg, 'delete versions of', ctx, options.onStep, (versions, subject, dir) => {
    const byId = new Map(versions.map((version) => [version.id, version]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      const listed = versions.length === 0 ? 'the vault has no versions' : `it holds versions ${versions.map((version) => version.id).join(', ')} (see pagevault vault list ${dir})`;
      throw new PagevaultError('NOT_FOUND', `${subject}: no version ${missing.join(', ')} in it; ${listed}`);
    }
    return [...new Set(ids)].map((id) => byId.get(id)!);
  });
}

/**
 * The collection a prune and a delete share: inside one write transaction, deletes the
 * versions `choose` picks (from the versions as committed), drops the tip with its
 * version, marks every page a remaining map names and sweeps the rest; then
 * `incremental_vacuum`. A crash before the commit leaves the vault as it was.
 */
function collectVersions(
  vaultArg: string,
  verb: string,
  ctx: OperationContext,
  onStep: ((step: VaultStep) => void) | undefined,
  choose: (versions: VaultVersion[], subject: string, vault: string) => VaultVersion[],
): VaultDeleteResult {
  const vault = resolve(vaultArg);
  const subject = `Cannot ${verb} the vault ${vault}`;
  const store = VaultStore.open(vault, subject);
  const file = join(vault, VAULT_FILE);
  const bytesBefore = statSync(file).size;
  try {
    store.db.exec('BEGIN IMMEDIATE');
    const removed = choose(store.versions(), subject, vault);
    const remove = store.db.prepare('DELETE FROM version WHERE id = ?');
    for (const version of removed) remove.run(version.id);
    onStep?.('versions-deleted');
    // The tip describes one version; with that version gone, so is the tip (vault-store.ts).
    const tipVersion = store.metaNumber('tipVersion');
    if (removed.some((version) => version.id === tipVersion)) {
      store.db.exec('DELETE FROM tip');
      store.db.exec(`${TIP_GROUP_TABLE}; DELETE FROM tip_group`);
      store.setMetaNumber('tipVersion', 0);
      store.setMetaNumber('tipGroupVersion', 0);
      store.setMetaText('tipSource', '');
    }
    // Mark: every page a remaining version names, read from the maps as committed plus
    // this transaction's deletions. A block goes when none of its pages is marked; an
    // unmarked page of a block that stays leaves the index, so nothing new shares it.
    const nextBlock = store.metaNumber('nextBlock');
    const maxId = nextBlock * BLOCK_PAGES;
    const marked = new Uint8Array(maxId);
    const markedBlocks = new Uint8Array(nextBlock);
    for (const row of store.db.prepare('SELECT map, page_count FROM version').iterate() as Iterable<{ map: Buffer; page_count: number }>) {
      for (const id of decodeMap(row.map, row.page_count)) {
        if (id >= maxId) continue;
        marked[id] = 1;
        markedBlocks[Math.floor(id / BLOCK_PAGES)] = 1;
      }
    }
    onStep?.('marked');
    ctx.throwIfCancelled(subject);
    const unmarkedBlocks: number[] = [];
    for (const id of store.db.prepare('SELECT id FROM block').pluck().iterate() as Iterable<number>) if (id >= nextBlock || !markedBlocks[id]) unmarkedBlocks.push(id);
    const unmarkedPages: number[] = [];
    for (const id of store.db.prepare('SELECT id FROM page').pluck().iterate() as Iterable<number>) if (id >= maxId || !marked[id]) unmarkedPages.push(id);
    const sweepBlock = store.db.prepare('DELETE FROM block WHERE id = ?');
    const sweepPage = store.db.prepare('DELETE FROM page WHERE id = ?');
    for (const id of unmarkedBlocks) sweepBlock.run(id);
    for (const id of unmarkedPages) sweepPage.run(id);
    const freedPages = unmarkedPages.length;
    onStep?.('swept');
    store.db.exec('COMMIT');
    onStep?.('committed');
    store.db.pragma('incremental_vacuum');
    onStep?.('vacuumed');
    return { vault, removed, freedPages, bytesBefore, bytesAfter: statSync(file).size };
  } catch (error) {
    if (store.db.inTransaction) store.db.exec('ROLLBACK');
    throw toPagevaultError(error, subject);
  } finally {
    store.close();
  }
}
