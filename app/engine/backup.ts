/**
 * `backup(source, destination)`: an online copy of a live database.
 *
 * - snapshot: the source connection holds one read transaction across every step, so the
 *   copy is a single point in time and never restarts; in WAL mode writers go on.
 * - stepped: N pages per step with a pause between steps (no lock held in the pause);
 *   a write by another connection restarts the copy, and after `maxRestarts` the rest
 *   is copied in one step so the backup always completes.
 * - compact: `VACUUM INTO`, a smaller copy without free pages.
 */
import { access, mkdir, realpath, stat, truncate } from 'node:fs/promises';
import { constants, fstatSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { BackupManifest, BackupMode, BackupResult, HeldCopy, JournalMode, SourceKey, VerifyResult } from '../api/types.ts';
import type { OperationContext } from './context.ts';
import { writeManifest } from './manifest.ts';
import { abandonPartial, claimPartial, publishPartial, removeStalePartials, type PartialClaim } from './partial-file.ts';
import { checkSqliteFile, fileSystemError } from './sqlite-file.ts';
import { checkDatabaseFile, cipherLabel, openEncrypted } from './connection.ts';
import { toPagevaultError } from './sqlite-errors.ts';
import { verifyFile } from './verify.ts';
import { SourceFiles } from './source-files.ts';
import { copySteppedFile } from './stepped-copy.ts';
import { CheckpointHandoff } from './checkpoint-handoff.ts';
import { beginWalSnapshot, copyWalSnapshot } from './wal-snapshot.ts';
import { copyHeldDatabase } from './held-copy.ts';
import { whenReadable } from './read-lock.ts';

export interface BackupOptions {
  /** Default: snapshot for WAL sources, stepped for rollback-journal sources. */
  mode?: BackupMode;
  /** Replace an existing destination file (default: refuse with DEST_EXISTS). */
  overwrite?: boolean;
  /** Verify the copy before publishing it (default true). */
  verify?: boolean;
  /** Verify with integrity_check instead of quick_check. */
  fullVerify?: boolean;
  /** Stepped mode: pages per step (default: 16 MiB worth of pages). */
  pagesPerStep?: number;
  /** Stepped mode: pause between steps, in milliseconds (default 2). */
  pauseMs?: number;
  /** Stepped mode: restarts after which the rest is copied in one step (default 10). */
  maxRestarts?: number;
  /** How long to wait for a lock held by another program (default 5000 ms). */
  busyTimeoutMs?: number;
  /** A database another program holds: copies tried without a lock before the backup is deferred. */
  heldCopyTries?: number;
  /** Write the JSON manifest beside the backup (default true). */
  manifest?: boolean;
  /** Directory mode: a word added to the file name ("before-restore"). */
  label?: string;
  /** Directory mode: the time the file name is made from (default now). */
  now?: Date;
  /**
   * How messages name what failed, "Cannot <action> <source> to <destination>: …"
   * (default "back up"; a restore into a new file says "restore").
   */
  action?: string;
  /**
   * The key of an encrypted source (connection.ts). The backup is then encrypted with the
   * same key and cipher: the file-level copies copy its pages as they are, encrypted, and
   * VACUUM INTO (compact, and where the backup API would run) keeps its encryption.
   */
  key?: SourceKey;
}

/** Called with a partial's names before its files are made, so the thread that started a worker can remove them if the worker is stopped. */
export type ClaimListener = (claim: PartialClaim) => void;

export const DEFAULT_PAUSE_MS = 2;
export const DEFAULT_MAX_RESTARTS = 10;
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const STEPPED_BYTES_PER_STEP = 16 << 20;
/** Snapshot mode sizes steps to take about this long: frequent progress, prompt cancel. */
const TARGET_STEP_MS = 25;
const ALL_REMAINING = 0x7fffffff;
/** How long the WAL fast path waits for another program's write transaction before using the backup API. */
const WAL_LOCK_TIMEOUT_MS = 1000;
/** Below this, a snapshot is held too briefly for writers to pile up a WAL backlog worth handing off. */
const HANDOFF_MIN_BYTES = 32 << 20;
/**
 * A read lock still unavailable after this long of trying at once is held by another
 * program in exclusive locking mode (a writer committing back to back leaves a gap every
 * few milliseconds); the database is then copied without a lock (held-copy.ts).
 */
const HELD_DETECT_MS = 1000;

/** `<stem>-YYYYMMDD-HHMMSS[-label].db` in local time. */
export function backupFileName(source: string, now: Date, label?: string): string {
  const ext = extname(source);
  const stem = basename(source, ext) || 'database';
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stem}-${stamp}${label ? `-${label}` : ''}.db`;
}

/** Backs up `source` to `destination` (a file, or a folder to name the file in). */
export async function backupDatabase(
  sourceArg: string,
  destinationArg: string,
  ctx: OperationContext,
  options: BackupOptions = {},
  onClaim?: ClaimListener,
): Promise<BackupResult> {
  const startedAt = new Date();
  const source = resolve(sourceArg);
  const action = options.action ?? 'back up';
  const { header, encrypted } = await checkDatabaseFile(source, `Cannot ${action}`, options.key);
  const key = encrypted ? options.key : undefined;
  const destination = await resolveDestination(source, destinationArg, options);
  const subject = `Cannot ${action} ${source} to ${destination}`;
  const folder = dirname(destination);
  const removedPartials = await removeStalePartials(folder);
  ctx.throwIfCancelled(subject);

  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let claim: PartialClaim | undefined;
  let db: Database.Database | undefined;
  let sourceFiles: SourceFiles | undefined;
  let handoff: CheckpointHandoff | undefined;
  try {
    // A WAL database with a -wal but no -shm is held by a program in exclusive locking
    // mode (its wal-index lives in its own memory), or was left so by one that crashed.
    // A SQLite connection would create a -shm beside it: copy it without one instead.
    let held = header.writeVersion === 2 && (await pathExists(`${source}-wal`)) && !(await pathExists(`${source}-shm`));
    const mode: BackupMode = options.mode ?? (header.writeVersion === 2 ? 'snapshot' : 'stepped');
    let sourceJournalMode: JournalMode = header.writeVersion === 2 ? 'wal' : 'delete';
    let sourcePages = 0;
    let sourcePageSize = header.pageSize;
    let walSnapshot: ReturnType<typeof beginWalSnapshot>;
    if (!held) {
      db = key ? openEncrypted(source, key, subject, { readonly: true, timeout: busyTimeoutMs }) : new Database(source, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      const open = db;
      // Bytes 18/19 of the header say WAL (2) or rollback journal (1) without taking a lock.
      // A WAL source in snapshot mode is copied as a file with its WAL frames laid over it
      // (wal-snapshot.ts); otherwise, and whenever that path declines, SQLite's backup API.
      // File-level copies (see wal-snapshot.ts and stepped-copy.ts) read the database directly.
      if ((mode === 'snapshot' && header.writeVersion === 2) || (mode === 'stepped' && header.writeVersion === 1)) sourceFiles = new SourceFiles(source);
      const openLock = key && ((path: string) => openEncrypted(path, key, subject, { timeout: 0 }));
      walSnapshot = sourceFiles && mode === 'snapshot' ? beginWalSnapshot(sourceFiles, open, Math.min(busyTimeoutMs, WAL_LOCK_TIMEOUT_MS), openLock || undefined) : undefined;
      // A copy long enough for writers to pile up a WAL backlog hands it to a helper at the
      // end; the helper's checkpoints of an encrypted database would need its key.
      handoff = !key && walSnapshot && fstatSync(sourceFiles!.database).size >= HANDOFF_MIN_BYTES ? new CheckpointHandoff(source) : undefined;
      // Take (and, in snapshot mode, keep) a read lock now, so a locked source is found
      // before anything is written. One that stays locked is held by another program.
      const locked = walSnapshot
        ? { sourceJournalMode: 'wal' as JournalMode, sourcePages: walSnapshot.pageCount, sourcePageSize: walSnapshot.index.pageSize }
        : takeReadLock(open, Math.min(busyTimeoutMs, HELD_DETECT_MS), () => {
            if (mode === 'snapshot') open.exec('BEGIN');
            open.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
            return {
              sourceJournalMode: String(open.pragma('journal_mode', { simple: true })).toLowerCase() as JournalMode,
              sourcePages: Number(open.pragma('page_count', { simple: true })),
              sourcePageSize: Number(open.pragma('page_size', { simple: true })),
            };
          });
      if (locked) ({ sourceJournalMode, sourcePages, sourcePageSize } = locked);
      else if (key) {
        // The lock-free copy proves its consistency from the database header, which is encrypted here.
        throw new PagevaultError('NOT_SUPPORTED', `${subject}: another program holds this encrypted database exclusively; Pagevault cannot copy an encrypted database while another program holds it. Try again once that program is closed`);
      } else {
        // Held: nothing of this process may keep a descriptor or connection of it open.
        held = true;
        db.close();
        db = undefined;
        sourceFiles?.close();
        sourceFiles = undefined;
      }
    }
    if (held) sourcePages = Math.max(1, Math.ceil((await stat(source)).size / sourcePageSize));
    ctx.report({ phase: 'prepare', totalPages: sourcePages, remainingPages: sourcePages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);

    // Never more readable than the source: the copy takes its permission bits.
    claim = await claimPartial(destination, (await stat(source)).mode & 0o666, onClaim);
    let restarts = 0;
    let fileCopied = false;
    let copiedPages = sourcePages;
    let heldCopy: HeldCopy | undefined;
    if (held) {
      const copied = await copyHeldDatabase(source, header.writeVersion === 2, claim.path, ctx, subject, { maxTries: options.heldCopyTries });
      heldCopy = copied.heldCopy;
      restarts = copied.heldCopy.tries - 1;
    } else if (mode === 'stepped' && sourceFiles) {
      const stepped = await copySteppedFile(sourceFiles, db!, claim.path, ctx, subject, { ...steppedOptions(sourcePageSize, options), busyTimeoutMs });
      restarts = stepped.restarts;
      copiedPages = stepped.pageCount;
      fileCopied = true;
    } else if (mode === 'compact') {
      db!.prepare('VACUUM INTO ?').run(claim.path);
      ctx.throwIfCancelled(subject);
    } else {
      fileCopied = walSnapshot !== undefined && (await copyWalSnapshot(sourceFiles!, claim.path, walSnapshot, ctx, subject, key !== undefined));
      if (!fileCopied) {
        if (walSnapshot) await truncate(claim.path, 0).catch(() => undefined);
        if (key) {
          // The backup API cannot write an encrypted copy (connection.ts). VACUUM INTO is
          // one read transaction of its own, so one point in time; it runs in none other.
          if (db!.inTransaction) db!.exec('COMMIT');
          db!.prepare('VACUUM INTO ?').run(claim.path);
          ctx.throwIfCancelled(subject);
        } else {
          restarts = await copyPages(db!, claim.path, ctx, subject, mode, sourcePageSize, options, busyTimeoutMs);
        }
      }
    }
    if (handoff && db?.inTransaction) await handoff.end(db, sourceFiles!, walSnapshot!.index.mxFrame, Math.min(busyTimeoutMs, WAL_LOCK_TIMEOUT_MS));
    if (db?.inTransaction) db.exec('COMMIT');
    db?.close();
    db = undefined;
    // Only now: closing these drops the process's locks on the database (see wal-snapshot.ts).
    sourceFiles?.close();
    sourceFiles = undefined;

    // Finalize: a standalone file in rollback-journal mode, so it never grows a -wal.
    const finalizing = { phase: 'finalize' as const, totalPages: sourcePages, remainingPages: 0, bytesCopied: sourcePages * sourcePageSize, bytesPerSecond: 0, restarts };
    ctx.report(finalizing, true);
    let pageCount = copiedPages;
    let pageSize = sourcePageSize;
    // An encrypted copy's header is encrypted: only a keyed connection can switch it.
    if (!fileCopied || key) {
      const copy = key ? openEncrypted(claim.path, key, subject) : new Database(claim.path, { fileMustExist: true });
      try {
        if (heldCopy) {
          // SQLite's recovery: the WAL's committed frames are replayed, a hot journal is
          // rolled back. Exclusive locking keeps the wal-index in memory: no -shm is made.
          copy.pragma('locking_mode = EXCLUSIVE');
          copy.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
        }
        copy.pragma('journal_mode = DELETE');
        pageCount = Number(copy.pragma('page_count', { simple: true }));
        pageSize = Number(copy.pragma('page_size', { simple: true }));
      } finally {
        copy.close();
      }
    }
    ctx.throwIfCancelled(subject);

    let verification: VerifyResult | undefined;
    if (options.verify !== false) {
      verification = await verifyFile(claim.path, ctx, { full: options.fullVerify, useManifest: false, key });
    }
    ctx.throwIfCancelled(subject);
    await publishPartial(claim, options.overwrite === true);
    const bytes = (await stat(destination)).size;
    claim = undefined;

    const manifest: BackupManifest = {
      format: 'pagevault-backup',
      formatVersion: 1,
      file: basename(destination),
      source,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode,
      sourceJournalMode,
      pageSize,
      pageCount,
      bytes,
      sha256: verification?.sha256 ?? null,
      sqliteVersion: sqliteVersion(),
      restarts,
      verification: verification
        ? { verdict: verification.ok ? 'passed' : 'failed', check: verification.check, problems: verification.problems }
        : { verdict: 'skipped', check: null, problems: [] },
      ...(key && { encryption: { cipher: key.cipher, cipherLabel: cipherLabel(key.cipher) } }),
      ...(heldCopy && { heldCopy: heldCopy.journal === 'rollback' ? { ...heldCopy, consistentUpTo: await rollbackPoint(destination, heldCopy) } : heldCopy }),
    };
    const manifestPath = options.manifest === false ? null : await writeManifest(destination, manifest, (await stat(destination)).mode & 0o666);
    if (verification && !verification.ok) {
      throw new PagevaultError(
        'VERIFY_FAILED',
        `The backup of ${source} was written to ${destination} but failed verification: ${verification.problems.slice(0, 3).join('; ')}`,
      );
    }
    return { path: destination, manifestPath, manifest, durationMs: Date.now() - startedAt.getTime(), removedPartials };
  } catch (error) {
    try {
      if (db?.inTransaction) db.exec('ROLLBACK');
      db?.close();
    } catch {
      // The connection is already unusable; closing is best effort.
    }
    sourceFiles?.close();
    handoff?.dismiss();
    if (claim) await abandonPartial(claim);
    throw toPagevaultError(error, subject);
  }
}

/**
 * Runs the backup API from the open source connection into `partial`. Returns the
 * number of restarts. Handles better-sqlite3's pitfalls: a callback returning 0 would
 * spin, and a first step that got SQLITE_BUSY resolves as success with 0 pages.
 */
async function copyPages(
  db: Database.Database,
  partial: string,
  ctx: OperationContext,
  subject: string,
  mode: 'snapshot' | 'stepped',
  pageSize: number,
  options: BackupOptions,
  busyTimeoutMs: number,
): Promise<number> {
  const { pagesPerStep, pauseMs, maxRestarts } = steppedOptions(pageSize, options);
  const deadline = performance.now() + busyTimeoutMs;
  let restarts = 0;
  // data_version changes exactly when another connection commits to the source, which is
  // what makes the next step start over. Page counts alone cannot tell a restart that
  // copied one step's worth again from a step that got SQLITE_BUSY.
  const dataVersion = (): number | undefined => {
    try {
      return Number(db.pragma('data_version', { simple: true }));
    } catch {
      return undefined;
    }
  };
  let lastVersion = dataVersion();

  for (;;) {
    let nextPages = mode === 'snapshot' ? 256 : pagesPerStep;
    let lastCopied = -1;
    let lastTotal = 0;
    let lastStepAt = performance.now();
    let stalledSince = 0;
    let bytesCopied = 0;
    const copyStarted = performance.now();
    const result = await db.backup(partial, {
      progress: ({ totalPages, remainingPages }) => {
        const now = performance.now();
        const copied = totalPages - remainingPages;
        const version = mode === 'stepped' ? dataVersion() : lastVersion;
        const restarted = lastCopied >= 0 && ((version !== undefined && version !== lastVersion) || copied < lastCopied);
        lastVersion = version ?? lastVersion;
        if (restarted) restarts += 1; // another connection wrote: SQLite started over
        if (!restarted && copied === lastCopied && totalPages === lastTotal) {
          // SQLITE_BUSY: nothing moved. Wait a little instead of spinning, up to the busy timeout.
          stalledSince ||= now;
          if (now - stalledSince > busyTimeoutMs) {
            throw new PagevaultError('SOURCE_BUSY', `${subject}: busy: another program kept writing to it for ${Math.round(busyTimeoutMs / 1000)} s without a pause long enough to read it`);
          }
          if (ctx.pause(10)) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
          return nextPages;
        }
        stalledSince = 0;
        bytesCopied += (restarted ? copied : Math.max(0, copied - Math.max(lastCopied, 0))) * pageSize;
        const stepMs = now - lastStepAt;
        lastCopied = copied;
        lastTotal = totalPages;
        ctx.report({
          phase: 'copy',
          totalPages,
          remainingPages,
          bytesCopied,
          bytesPerSecond: bytesCopied / Math.max((now - copyStarted) / 1000, 0.001),
          restarts,
        }, restarted); // every restart is reported, so the bar visibly moves back
        ctx.throwIfCancelled(subject);
        if (mode === 'snapshot') {
          // Size the next step to take about TARGET_STEP_MS, from how long this one took.
          if (stepMs > 0.5) nextPages = Math.round(Math.min(Math.max((nextPages * TARGET_STEP_MS) / stepMs, 16), 1 << 20));
          else nextPages = Math.min(nextPages * 2, 1 << 20);
        } else if (restarts >= maxRestarts) {
          nextPages = ALL_REMAINING; // Bounded: finish the rest in one step.
        } else if (ctx.pause(pauseMs)) {
          throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
        }
        lastStepAt = performance.now();
        return Math.max(1, nextPages);
      },
    });
    if (result.totalPages > 0) {
      ctx.report({ phase: 'copy', totalPages: result.totalPages, remainingPages: 0, bytesCopied: result.totalPages * pageSize, bytesPerSecond: (result.totalPages * pageSize) / Math.max((performance.now() - copyStarted) / 1000, 0.001), restarts }, true);
      return restarts;
    }
    // The very first step got SQLITE_BUSY: better-sqlite3 reports success with 0 pages.
    if (performance.now() > deadline) {
      throw new PagevaultError('SOURCE_BUSY', `${subject}: busy: another program kept writing to it for ${Math.round(busyTimeoutMs / 1000)} s without a pause long enough to read it`);
    }
    if (ctx.pause(50)) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
  }
}

/** Stepped mode's step size, pause and restart bound, from the options or the defaults. */
function steppedOptions(pageSize: number, options: BackupOptions): { pagesPerStep: number; pauseMs: number; maxRestarts: number } {
  return {
    pagesPerStep: Math.max(1, Math.round(options.pagesPerStep ?? Math.max(16, STEPPED_BYTES_PER_STEP / pageSize))),
    pauseMs: Math.max(0, options.pauseMs ?? DEFAULT_PAUSE_MS),
    maxRestarts: Math.max(0, options.maxRestarts ?? DEFAULT_MAX_RESTARTS),
  };
}

/**
 * Runs `read`, which takes a read lock, retrying at once while another connection writes
 * (read-lock.ts). Undefined when the lock stayed taken for `heldAfterMs` (another program
 * holds the database exclusively) or the database needs a recovery only its owner may run
 * (a hot journal nobody holds: a writer died mid-transaction; a read-only connection
 * cannot roll it back): it is then copied without a lock, and the copy rolls back its own.
 */
function takeReadLock<T>(db: Database.Database, heldAfterMs: number, read: () => T): T | undefined {
  try {
    return whenReadable(db, heldAfterMs, read)?.value;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY') return undefined;
    throw error;
  }
}

/** "commit 812 (the file change counter)" of a recovered rollback-journal copy, read from its header. */
async function rollbackPoint(path: string, heldCopy: HeldCopy): Promise<string> {
  const { header } = await checkSqliteFile(path, 'Cannot read the backup');
  const rolledBack = heldCopy.consistentUpTo.startsWith('the commit before');
  return `commit ${header.changeCounter.toLocaleString('en-US')} (the file change counter)${rolledBack ? '; a transaction in progress was rolled back in the copy' : ''}`;
}

/**
 * Turns the user's destination into a file path: a folder (existing, or given with a
 * trailing separator) gets a timestamped name in it. Refuses the source itself, its
 * companion files, an existing file without overwrite, and an unwritable folder.
 */
async function resolveDestination(source: string, destinationArg: string, options: BackupOptions): Promise<string> {
  const cannot = `Cannot ${options.action ?? 'back up'} ${source}`;
  const raw = resolve(destinationArg);
  const wantsFolder = destinationArg.endsWith('/') || destinationArg.endsWith(sep);
  const existing = await stat(raw).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fileSystemError(error, `${cannot} to ${raw}`);
  });

  let destination: string;
  if (existing?.isDirectory() || wantsFolder) {
    // A folder Pagevault makes is private: it holds copies of databases.
    if (!existing) await mkdir(raw, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw fileSystemError(error, `${cannot}: cannot create the folder ${raw}`);
    });
    const now = options.now ?? new Date();
    const name = backupFileName(source, now, options.label);
    destination = join(raw, name);
    for (let n = 2; await pathExists(destination); n += 1) destination = join(raw, name.replace(/\.db$/, `-${n}.db`));
  } else {
    destination = raw;
  }

  const folder = dirname(destination);
  const folderStats = await stat(folder).catch(() => undefined);
  if (!folderStats?.isDirectory()) {
    throw new PagevaultError('NOT_FOUND', `${cannot} to ${destination}: the folder ${folder} does not exist`);
  }
  const realSource = await realpath(source);
  const realDestination = join(await realpath(folder), basename(destination));
  const sourceStats = await stat(realSource);
  const destinationStats = await stat(destination).catch(() => undefined);
  const companions = ['', '-wal', '-shm', '-journal'].map((suffix) => realSource + suffix);
  if (companions.includes(realDestination) || (destinationStats && destinationStats.ino === sourceStats.ino && destinationStats.dev === sourceStats.dev)) {
    throw new PagevaultError('DEST_IS_SOURCE', `${cannot} to ${destination}: the destination is the database itself (or one of its -wal, -shm, -journal files)`);
  }
  if (destinationStats?.isDirectory()) {
    throw new PagevaultError('IS_A_DIRECTORY', `${cannot} to ${destination}: a folder has that name`);
  }
  if (destinationStats && !options.overwrite) {
    throw new PagevaultError('DEST_EXISTS', `${cannot} to ${destination}: the file already exists`);
  }
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') throw new PagevaultError('READ_ONLY', `${cannot} to ${destination}: the folder ${folder} is on a read-only file system`);
    throw new PagevaultError('PERMISSION_DENIED', `${cannot} to ${destination}: the folder ${folder} is not writable (permission denied)`);
  }
  return destination;
}

async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

let cachedSqliteVersion: string | undefined;
/** The SQLite library version better-sqlite3 was built with. */
export function sqliteVersion(): string {
  if (!cachedSqliteVersion) {
    const db = new Database(':memory:');
    cachedSqliteVersion = String(db.prepare('SELECT sqlite_version()').pluck().get());
    db.close();
  }
  return cachedSqliteVersion;
}
