/**
 * A restore by swapping files, for the common case of a WAL database nothing has open (its
 * app closed): the verified backup is copied once, beside the target, and renamed over it;
 * the target's own file becomes the safety copy under a second name (a hard link), so the
 * safety copy costs no write at all. Loading the backup's pages into the live file instead
 * (restore.ts) writes the database three times: the safety copy, the -wal, the checkpoint.
 *
 * Replacing a file by rename is only safe while no connection has it open: one that had
 * would go on reading and writing the old file. SQLite gives the proof for a WAL database:
 * every connection to one holds a SHARED lock on it for as long as it is open (that is how
 * the last one to close knows it may remove the -wal), so a connection that gets the
 * EXCLUSIVE lock knows it is alone. `locking_mode = EXCLUSIVE` keeps that lock from the
 * first read to the close, and switching the journal to MEMORY checkpoints and removes the
 * -wal while holding it: from then on the file is the whole database, nobody can open it,
 * and no file is made beside it (a persistent -journal would be, and removed again by
 * name at the close, which by then names the restored file's). The rename happens under
 * that lock; a program that tries to open the database meanwhile waits, as it would for
 * any writer, and then opens the restored file.
 *
 * What SQLite cannot show: a connection opened but never read from holds no lock yet.
 * Programs read the schema at once, so the window is the one between their open and their
 * first statement.
 *
 * Anything else takes the load (restore.ts): a rollback-journal target (its connections
 * hold no lock between transactions), a connection holding it, an encrypted backup or
 * target, a target with other hard links or owned by another user (a new file would lose
 * them), a safety copy folder on another file system, Windows.
 *
 * The restored file is the backup byte for byte, hashed as it is read against the SHA-256
 * the check passed, except the two bytes of the header that say WAL (the backup is a
 * rollback-journal file), which the load would set too. The safety copy is hashed through
 * a descriptor kept open until the lock is let go (closing any descriptor of a database
 * drops every lock the process holds on it), and its manifest is on the disk before the
 * rename: a crash at any moment leaves the target as it was or as restored, and the old
 * database in the target's place or the safety copy's, never in neither. The safety copy
 * keeps the target's journal switched to rollback mode; its pages are the target's. A
 * failure puts the target back in WAL mode under the same lock; a crash before the rename
 * leaves it in rollback mode, with every page as it was (an app that asks for WAL on
 * opening, as WAL apps do, switches it back).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, read as readCallback, writeSync, type Stats } from 'node:fs';
import { access, link, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { BackupManifest } from '../api/types.ts';
import type { ClaimListener } from './backup.ts';
import type { OperationContext } from './context.ts';
import { closeDatabaseFile, openDatabaseFile } from './database-files.ts';
import { resolveDestination } from './destination.ts';
import { manifestPathOf, writeManifest } from './manifest.ts';
import { abandonPartial, claimPartial, fsyncDirectory, publishPartial, removeStalePartials, type PartialClaim } from './partial-file.ts';
import { COPY_CHUNK_BYTES, WRITE_BACK_BYTES, WriteBehind } from './source-files.ts';
import { sqliteVersion } from './sqlite-file.ts';
import { hashDescriptor } from './verify.ts';
import { removeWalCompanionsMade } from './wal-companions.ts';

const readAsync = promisify(readCallback);

/** Bytes 18 and 19 of a database header: the file format's write and read versions, 2 for WAL. */
const FORMAT_VERSION_OFFSET = 18;
const WAL_FORMAT = 2;

/** A restore the swap may take: everything checked and refused before it (restore.ts). */
export interface SwapRestore {
  /** The backup's file as it is read (a plain, unencrypted database). */
  backup: string;
  /** The SHA-256 the check of `backup` passed: the copy must read the same bytes. */
  backupSha256: string;
  pageSize: number;
  pageCount: number;
  /** The target's real path (a symbolic link is followed, never replaced). */
  target: string;
  /** Where the safety copy goes, or undefined for none. */
  safetyCopyDir: string | undefined;
  subject: string;
}

/**
 * Restores by swapping files when the target allows it (see above): the safety copy's
 * path (null without one) and the restored file's SHA-256, or undefined when the target
 * was left as it was for the load.
 */
export async function restoreBySwap(plan: SwapRestore, ctx: OperationContext, onClaim?: ClaimListener): Promise<{ safetyCopy: string | null; sha256: string } | undefined> {
  const targetStats = await swappable(plan);
  if (!targetStats) return undefined;
  const alone = holdAlone(plan.target);
  if (!alone) return undefined;

  const startedAt = new Date();
  // Read for the safety copy's hash and kept open until the lock is let go.
  let old: number | undefined;
  // Only names this restore made are removed if it fails.
  let safetyCopy: string | undefined;
  let manifestWritten = false;
  let claim: PartialClaim | undefined;
  let swapped = false;
  try {
    const oldFile = (old = openSync(plan.target, constants.O_RDONLY));
    if (plan.safetyCopyDir !== undefined) {
      const name = await resolveDestination(plan.target, `${plan.safetyCopyDir}/`, { label: 'before-restore', action: 'take the safety copy of' });
      const linked = await link(plan.target, name).then(() => true, (error: NodeJS.ErrnoException) => {
        // A file system without hard links: the load takes it, nothing changed yet.
        if (['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'].includes(error.code ?? '')) return false;
        throw error;
      });
      if (!linked) return undefined;
      safetyCopy = name;
    }
    await removeStalePartials(dirname(plan.target));
    claim = await claimPartial(plan.target, targetStats.mode & 0o7777, onClaim);
    const size = (await stat(plan.target)).size;
    ctx.report({ phase: 'safety-copy', totalPages: plan.pageCount, remainingPages: plan.pageCount, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);
    const [copied, safetySha256] = await Promise.all([
      copyForSwap(plan, claim.path, ctx.withPhase('copy')),
      safetyCopy === undefined ? undefined : hashDescriptor(oldFile, size, () => ctx.throwIfCancelled(plan.subject)),
    ]);
    if (copied.read !== plan.backupSha256) {
      throw new PagevaultError('VERIFY_FAILED', `${plan.subject}: the backup changed after it was checked (its SHA-256 is no longer the one the check passed); check it again. The target was not touched`);
    }
    if (safetyCopy !== undefined && safetySha256 !== undefined) {
      manifestWritten = true;
      await writeManifest(safetyCopy, safetyManifest(plan, safetyCopy, startedAt, size, safetySha256), targetStats.mode & 0o666);
      await fsyncDirectory(dirname(safetyCopy));
    }
    ctx.throwIfCancelled(plan.subject);
    await publishPartial(claim, true);
    claim = undefined;
    swapped = true;
    // The -shm the old file's readers left (this restore's checks among them) is the old
    // file's; the restored file's first connection would make it afresh, and SQLite's last
    // close removes it, as it does here when nothing opened the restored file meanwhile.
    removeWalCompanionsMade(plan.target, () => new Database(plan.target, { fileMustExist: true, timeout: 0 }));
    return { safetyCopy: safetyCopy ?? null, sha256: copied.written };
  } catch (error) {
    if (claim) await abandonPartial(claim);
    throw error;
  } finally {
    if (!swapped) {
      // The safety copy's name is a second link to the target itself: removing it loses nothing.
      if (safetyCopy !== undefined) {
        if (manifestWritten) await unlink(manifestPathOf(safetyCopy)).catch(() => undefined);
        await unlink(safetyCopy).catch(() => undefined);
      }
      // The target goes back to WAL, under the same lock: its -wal is made and removed again at the close.
      try {
        alone.pragma('journal_mode = WAL');
      } finally {
        alone.close();
      }
    } else {
      alone.close();
    }
    if (old !== undefined) closeSync(old);
  }
}

/** The target's stats when a swap may replace it (see the module's comment), else undefined. */
async function swappable(plan: SwapRestore): Promise<Stats | undefined> {
  if (process.platform === 'win32') return undefined;
  const stats = await stat(plan.target).catch(() => undefined);
  if (!stats?.isFile() || stats.nlink !== 1 || stats.uid !== process.getuid?.()) return undefined;
  if (!(await access(dirname(plan.target), constants.W_OK).then(() => true, () => false))) return undefined;
  if (plan.safetyCopyDir !== undefined) {
    const folder = await stat(plan.safetyCopyDir).catch(() => undefined);
    if (!folder?.isDirectory() || folder.dev !== stats.dev) return undefined;
  }
  return stats;
}

/**
 * A connection to `path` that holds its EXCLUSIVE lock until it is closed, with the -wal
 * checkpointed into the file and removed; undefined, changing nothing, when another
 * connection has the database open.
 */
function holdAlone(path: string): Database.Database | undefined {
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    if (String(db.pragma('journal_mode = MEMORY', { simple: true })).toLowerCase() === 'memory') return db;
  } catch (error) {
    const code = String((error as { code?: string }).code ?? '');
    if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) {
      db.close();
      throw error;
    }
  }
  db.close();
  return undefined;
}

/**
 * Copies the backup into the partial, flushed behind as any copy is, with the header's
 * format bytes set to WAL; returns the SHA-256 of the bytes read (the backup's) and of
 * those written (the restored file's: read back through the path, the file would be the
 * old one, whose descriptor the thread that started the restore passed in).
 */
async function copyForSwap(plan: SwapRestore, partial: string, ctx: OperationContext): Promise<{ read: string; written: string }> {
  const hash = createHash('sha256');
  const writtenHash = createHash('sha256');
  const input = openDatabaseFile(plan.backup, plan.subject);
  const output = openSync(partial, 'r+');
  try {
    const writeBehind = new WriteBehind(output);
    const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
    const totalBytes = plan.pageCount * plan.pageSize;
    let position = 0;
    for (;;) {
      const { bytesRead } = await readAsync(input.fd, buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (position === 0 && bytesRead > FORMAT_VERSION_OFFSET + 1) chunk.fill(WAL_FORMAT, FORMAT_VERSION_OFFSET, FORMAT_VERSION_OFFSET + 2);
      writtenHash.update(chunk);
      for (let written = 0; written < bytesRead; ) written += writeSync(output, chunk, written, bytesRead - written, position + written);
      position += bytesRead;
      if (Math.floor(position / WRITE_BACK_BYTES) !== Math.floor((position - bytesRead) / WRITE_BACK_BYTES)) await writeBehind.flush();
      ctx.throwIfCancelled(plan.subject);
      const done = Math.min(position, totalBytes);
      ctx.report({ phase: 'copy', totalPages: plan.pageCount, remainingPages: plan.pageCount - Math.floor(done / plan.pageSize), bytesCopied: position, bytesPerSecond: position / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
    }
    await writeBehind.finish();
  } finally {
    closeSync(output);
    closeDatabaseFile(input);
  }
  return { read: hash.digest('hex'), written: writtenHash.digest('hex') };
}

/** The safety copy's manifest: the target's file as it was, only hashed (as a load's safety copy is). */
function safetyManifest(plan: SwapRestore, safetyCopy: string, startedAt: Date, bytes: number, sha256: string): BackupManifest {
  return {
    format: 'pagevault-backup',
    formatVersion: 1,
    file: basename(safetyCopy),
    source: plan.target,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: 'snapshot',
    sourceJournalMode: 'wal',
    pageSize: plan.pageSize,
    pageCount: Math.ceil(bytes / plan.pageSize),
    bytes,
    sha256,
    sqliteVersion: sqliteVersion(),
    restarts: 0,
    verification: { verdict: 'skipped', check: null, problems: [] },
  };
}
