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
import { closeSync, fstatSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { RestoreResult, RetentionPolicy } from '../api/types.ts';
import { backupDatabase, DEFAULT_BUSY_TIMEOUT_MS, type ClaimListener } from '../engine/backup.ts';
import type { OperationContext } from '../engine/context.ts';
import { abandonPartial, claimPartial, publishPartial, type PartialClaim } from '../engine/partial-file.ts';
import { restoreDatabase, type RestoreOptions } from '../engine/restore.ts';
import { SourceReader } from '../engine/strategies/strategy.ts';
import { checkSqliteFile } from '../engine/sqlite-file.ts';
import { toPagevaultError } from '../engine/sqlite-errors.ts';
import { beginWalSnapshot, readFrameIndex } from '../engine/wal-snapshot.ts';
import { applyRetention, type KeepReason } from '../retention/retention-policy.ts';
import { compressPage, decodeMap, pageHash, encodeMap, VAULT_FILE, VaultStore, type VaultProblem, type VaultVersion } from './vault-store.ts';

export type { VaultProblem, VaultVersion };

/**
 * Named moments of a backup and of a prune, reported to `onStep`: the crash tests kill
 * the process at each of them.
 */
export type VaultStep = 'snapshot' | 'pages-half' | 'pages-done' | 'version-written' | 'committed' | 'versions-deleted' | 'marked' | 'swept' | 'vacuumed';

export interface VaultBackupResult {
  vault: string;
  version: VaultVersion;
  /** True when the source was read through a temporary engine backup rather than its WAL snapshot. */
  viaCopy: boolean;
  durationMs: number;
}

export interface VaultVerifyResult {
  vault: string;
  ok: boolean;
  versions: number;
  pages: number;
  /** The first 100 problems. */
  problems: VaultProblem[];
  problemCount: number;
}

export interface VaultPruneResult {
  vault: string;
  removed: VaultVersion[];
  kept: Array<{ version: VaultVersion; reasons: KeepReason[] }>;
  freedPages: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface VaultRestoreResult {
  vault: string;
  version: VaultVersion;
  target: string;
  safetyCopy: string | null;
  durationMs: number;
}

const CHUNK_BYTES = 2 << 20;
const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
/** Temporary copies of sources the vault cannot read directly: `<vault>/source-copy-<pid>-<time>.db`. */
const SOURCE_COPY = /^source-copy-\d+-\d+\.db$/;

/** Page 1 as a standalone file has it: rollback journal, so a restore never grows a -wal. */
function standaloneHeader(page: Buffer): void {
  page[18] = 1;
  page[19] = 1;
}

/** Reads pages in order from a database file with, for WAL snapshots, some pages taken from WAL frames. */
function* readPages(db: number, pageSize: number, pageCount: number, wal?: { fd: number; frames: Map<number, number> }): Generator<Buffer> {
  const chunk = Buffer.allocUnsafe(Math.max(pageSize, CHUNK_BYTES - (CHUNK_BYTES % pageSize)));
  const fileBytes = fstatSync(db).size;
  for (let first = 1; first <= pageCount; first += chunk.length / pageSize) {
    const start = (first - 1) * pageSize;
    const want = Math.min(chunk.length, (pageCount - first + 1) * pageSize);
    let got = 0;
    while (got < want && start + got < fileBytes) {
      const read = readSync(db, chunk, got, want - got, start + got);
      if (read === 0) break;
      got += read;
    }
    // Past the file's end, a page only the WAL has so far (or none: zeros, as SQLite reads it).
    chunk.fill(0, got, want);
    for (let offset = 0; offset < want; offset += pageSize) {
      const pgno = first + offset / pageSize;
      const page = chunk.subarray(offset, offset + pageSize);
      const frame = wal?.frames.get(pgno);
      if (frame !== undefined) {
        const at = WAL_HEADER_BYTES + (frame - 1) * (pageSize + FRAME_HEADER_BYTES) + FRAME_HEADER_BYTES;
        if (readSync(wal!.fd, page, 0, pageSize, at) !== pageSize) throw new Error(`WAL frame ${frame} of page ${pgno} is cut short`);
      }
      yield page;
    }
  }
}

/** Adds a version of `sourceArg` to the vault in `vaultArg` (created on first use). */
export async function addVersion(
  sourceArg: string,
  vaultArg: string,
  ctx: OperationContext,
  options: { busyTimeoutMs?: number; now?: Date; onStep?: (step: VaultStep) => void } = {},
  onClaim?: ClaimListener,
): Promise<VaultBackupResult> {
  const started = performance.now();
  const source = resolve(sourceArg);
  const vaultDir = resolve(vaultArg);
  const subject = `Cannot back up ${source} into the vault ${vaultDir}`;
  const { header } = await checkSqliteFile(source, 'Cannot back up');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const store = VaultStore.open(vaultDir, subject, { create: true });
  removeSourceCopies(vaultDir);
  let reader: SourceReader | undefined;
  let copy: string | undefined;
  let inputFd: number | undefined;
  try {
    let pages: Generator<Buffer> | undefined;
    let pageSize = 0;
    let pageCount = 0;
    const held = header.writeVersion === 2 && exists(`${source}-wal`) && !exists(`${source}-shm`);
    if (header.writeVersion === 2 && !held) {
      // Opened as every backup strategy opens its source (strategy.ts), with its descriptors.
      reader = new SourceReader({ source, header, options: {}, busyTimeoutMs, ctx, subject }, true);
      const files = reader.files!;
      const snapshot = beginWalSnapshot(files, reader.db, Math.min(busyTimeoutMs, 1000));
      const frames = snapshot && (snapshot.index.mxFrame > snapshot.index.nBackfill ? readFrameIndex(files, snapshot.index) : new Map<number, number>());
      if (snapshot && frames) {
        pageSize = snapshot.index.pageSize;
        pageCount = snapshot.pageCount;
        pages = readPages(files.database, pageSize, pageCount, frames.size > 0 ? { fd: files.wal!, frames } : undefined);
      } else {
        reader.abort();
        reader = undefined;
      }
    }
    if (!pages) {
      copy = join(vaultDir, `source-copy-${process.pid}-${Date.now()}.db`);
      await backupDatabase(source, copy, ctx.withPhase('prepare'), { verify: false, manifest: false, busyTimeoutMs }, onClaim);
      inputFd = openSync(copy, 'r');
      const standalone = new Database(copy, { readonly: true, fileMustExist: true });
      pageSize = Number(standalone.pragma('page_size', { simple: true }));
      pageCount = Number(standalone.pragma('page_count', { simple: true }));
      standalone.close();
      pages = readPages(inputFd, pageSize, pageCount);
    }
    options.onStep?.('snapshot');
    ctx.throwIfCancelled(subject);

    // The write lock from before the first look-up to the commit: no prune can collect a
    // page this version is about to name (vault-store.ts).
    store.db.exec('BEGIN IMMEDIATE');
    const find = store.db.prepare('SELECT id FROM page WHERE hash = ?').pluck();
    const insert = store.db.prepare('INSERT INTO page (hash, size, data) VALUES (?, ?, ?)');
    const ids = new Uint32Array(pageCount);
    let newPages = 0;
    let newBytes = 0;
    let pgno = 0;
    const totalBytes = pageCount * pageSize;
    for (const page of pages) {
      pgno += 1;
      if (pgno === 1) standaloneHeader(page);
      const key = pageHash(page);
      let id = find.get(key) as number | undefined;
      if (id === undefined) {
        const data = compressPage(page);
        id = Number(insert.run(key, pageSize, data).lastInsertRowid);
        newPages += 1;
        newBytes += data.length;
      }
      ids[pgno - 1] = id;
      if (pgno % 512 === 0) {
        ctx.throwIfCancelled(subject);
        const copied = pgno * pageSize;
        ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - pgno, bytesCopied: copied, bytesPerSecond: copied / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
      }
      if (pgno === Math.ceil(pageCount / 2)) options.onStep?.('pages-half');
    }
    if (pgno !== pageCount) throw new Error(`read ${pgno} pages of ${pageCount}`);
    options.onStep?.('pages-done');
    const createdAt = (options.now ?? new Date()).toISOString();
    const versionId = Number(
      store.db
        .prepare('INSERT INTO version (created_at, source, page_size, page_count, new_pages, new_bytes, map) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(createdAt, source, pageSize, pageCount, newPages, newBytes, encodeMap(ids)).lastInsertRowid,
    );
    options.onStep?.('version-written');
    store.db.exec('COMMIT');
    options.onStep?.('committed');
    ctx.report({ phase: 'finalize', totalPages: pageCount, remainingPages: 0, bytesCopied: totalBytes, bytesPerSecond: 0, restarts: 0 }, true);
    const version = store.versions().find((v) => v.id === versionId)!;
    return { vault: vaultDir, version, viaCopy: copy !== undefined, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (store.db.inTransaction) store.db.exec('ROLLBACK');
    throw toPagevaultError(error, subject);
  } finally {
    // The connection first, then the descriptors: closing those drops the process's locks on the source.
    reader?.abort();
    if (inputFd !== undefined) closeSync(inputFd);
    if (copy) rmSync(copy, { force: true });
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

/** Every version in the vault, oldest first. */
export function listVersions(vaultArg: string): { vault: string; versions: VaultVersion[]; bytes: number } {
  const vault = resolve(vaultArg);
  const store = VaultStore.open(vault, `Cannot list the vault ${vault}`);
  try {
    return { vault, versions: store.versions(), bytes: statSync(join(vault, VAULT_FILE)).size };
  } finally {
    store.close();
  }
}

/**
 * Writes version `id` into `partial` page by page, checking each page against its hash,
 * so the file is proven to hold exactly that version's pages.
 */
function writeVersion(store: VaultStore, version: VaultVersion, partial: string, ctx: OperationContext, subject: string): void {
  const ids = store.pageMap(version.id);
  const get = store.db.prepare('SELECT hash, data FROM page WHERE id = ?');
  const out = openSync(partial, 'w');
  const started = performance.now();
  try {
    const { pageSize, pageCount } = version;
    const chunk = Buffer.allocUnsafe(Math.max(pageSize, CHUNK_BYTES - (CHUNK_BYTES % pageSize)));
    let filled = 0;
    let written = 0;
    const flush = () => {
      let done = 0;
      while (done < filled) done += writeSync(out, chunk, done, filled - done, written + done);
      written += filled;
      filled = 0;
    };
    for (let index = 0; index < pageCount; index += 1) {
      const row = get.get(ids[index]) as { hash: Buffer; data: Buffer } | undefined;
      if (!row) throw new PagevaultError('CORRUPT', `${subject}: page ${index + 1} of version ${version.id} names stored page ${ids[index]}, which is missing; run pagevault vault verify ${store.dir}`);
      const page = zstdDecompressSync(row.data);
      if (page.length !== pageSize || !pageHash(page).equals(row.hash)) {
        throw new PagevaultError('CORRUPT', `${subject}: page ${index + 1} of version ${version.id} (stored page ${ids[index]}) does not match its SHA-256; run pagevault vault verify ${store.dir}`);
      }
      page.copy(chunk, filled);
      filled += pageSize;
      if (filled === chunk.length) {
        flush();
        ctx.throwIfCancelled(subject);
        ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - index - 1, bytesCopied: written, bytesPerSecond: written / Math.max((performance.now() - started) / 1000, 0.001), restarts: 0 });
      }
    }
    flush();
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
    const version = store.resolveVersion(spec, subject);
    const targetExists = exists(target);
    claim = await claimPartial(target, 0o600, onClaim);
    writeVersion(store, version, claim.path, ctx, subject);
    let restored: RestoreResult | undefined;
    if (!targetExists) await publishPartial(claim, false);
    else restored = await restoreDatabase(claim.path, target, ctx, { ...options, safetyCopyDir: options.safetyCopyDir ?? resolve(target, '..') }, onClaim);
    if (restored) await abandonPartial(claim);
    claim = undefined;
    return { vault, version, target, safetyCopy: restored?.safetyCopy ?? null, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    if (claim) await abandonPartial(claim);
    throw toPagevaultError(error, subject);
  } finally {
    store.close();
  }
}

/** Checks every stored page against its SHA-256 and every version's map against the stored pages; names what is damaged. */
export function verifyVault(vaultArg: string, ctx: OperationContext): VaultVerifyResult {
  const vault = resolve(vaultArg);
  const subject = `Cannot verify the vault ${vault}`;
  const store = VaultStore.open(vault, subject);
  try {
    const damaged = new Map<number, string>();
    const maxId = Number(store.db.prepare('SELECT coalesce(max(id), 0) FROM page').pluck().get());
    const present = new Uint8Array(maxId + 1);
    let pages = 0;
    const total = Number(store.db.prepare('SELECT count(*) FROM page').pluck().get());
    for (const row of store.db.prepare('SELECT id, hash, size, data FROM page').iterate() as Iterable<{ id: number; hash: Buffer; size: number; data: Buffer }>) {
      pages += 1;
      present[row.id] = 1;
      let page: Buffer | undefined;
      try {
        page = zstdDecompressSync(row.data);
      } catch (error) {
        damaged.set(row.id, `stored page ${row.id} does not decompress (${(error as Error).message})`);
        continue;
      }
      if (page.length !== row.size) damaged.set(row.id, `stored page ${row.id} holds ${page.length} bytes, not ${row.size}`);
      else if (!pageHash(page).equals(row.hash)) damaged.set(row.id, `stored page ${row.id} does not match its SHA-256 ${row.hash.toString('hex').slice(0, 16)}…`);
      if (pages % 4096 === 0) {
        ctx.throwIfCancelled(subject);
        ctx.report({ phase: 'verify', totalPages: total, remainingPages: total - pages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 });
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
    return { vault, ok: problemCount === 0, versions: versions.length, pages, problems, problemCount };
  } finally {
    store.close();
  }
}

/**
 * Deletes the versions `policy` does not keep (retention-policy.ts, as for copies) and the
 * pages no kept version names, in one transaction (the argument is in vault-store.ts),
 * then gives the freed space back to the file system.
 */
export function pruneVault(vaultArg: string, policy: RetentionPolicy, ctx: OperationContext, options: { now?: Date; timezone?: string; onStep?: (step: VaultStep) => void } = {}): VaultPruneResult {
  const vault = resolve(vaultArg);
  const subject = `Cannot prune the vault ${vault}`;
  const store = VaultStore.open(vault, subject);
  const file = join(vault, VAULT_FILE);
  const bytesBefore = statSync(file).size;
  try {
    store.db.exec('BEGIN IMMEDIATE');
    const versions = store.versions();
    const decision = applyRetention(
      versions.map((version) => ({ ...version, startedAt: version.createdAt, pinned: false, verification: 'passed' as const })),
      policy,
      options.now ?? new Date(),
      options.timezone,
    );
    const byId = new Map(versions.map((version) => [version.id, version]));
    const remove = store.db.prepare('DELETE FROM version WHERE id = ?');
    for (const version of decision.remove) remove.run(version.id);
    options.onStep?.('versions-deleted');
    // Mark: every page a remaining version names, read from the maps as committed plus this transaction's deletions.
    const maxId = Number(store.db.prepare('SELECT coalesce(max(id), 0) FROM page').pluck().get());
    const marked = new Uint8Array(maxId + 1);
    for (const row of store.db.prepare('SELECT map, page_count FROM version').iterate() as Iterable<{ map: Buffer; page_count: number }>) {
      for (const id of decodeMap(row.map, row.page_count)) if (id <= maxId) marked[id] = 1;
    }
    options.onStep?.('marked');
    ctx.throwIfCancelled(subject);
    const unmarked: number[] = [];
    for (const id of store.db.prepare('SELECT id FROM page').pluck().iterate() as Iterable<number>) if (!marked[id]) unmarked.push(id);
    const sweep = store.db.prepare('DELETE FROM page WHERE id = ?');
    for (const id of unmarked) sweep.run(id);
    options.onStep?.('swept');
    store.db.exec('COMMIT');
    options.onStep?.('committed');
    store.db.pragma('incremental_vacuum');
    options.onStep?.('vacuumed');
    return {
      vault,
      removed: decision.remove.map((candidate) => byId.get(candidate.id)!),
      kept: decision.keep.map(({ backup, reasons }) => ({ version: byId.get(backup.id)!, reasons })),
      freedPages: unmarked.length,
      bytesBefore,
      bytesAfter: statSync(file).size,
    };
  } catch (error) {
    if (store.db.inTransaction) store.db.exec('ROLLBACK');
    throw toPagevaultError(error, subject);
  } finally {
    store.close();
  }
}
