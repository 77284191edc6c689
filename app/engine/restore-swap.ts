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
 * name at the close, which by then names the restored file's; a WAL connection's close
 * removes its -wal by name too). The rename happens under that lock; a program that tries
 * to open the database meanwhile waits, as it would for any writer, and then opens the
 * restored file.
 *
 * The switch writes the rollback-journal format into the header (bytes 18 and 19); they
 * are set back to WAL at once through a descriptor of this process, under the lock, so a
 * crash leaves the target a WAL database, and set to rollback again just before the
 * rename, the format the safety copy's hash was taken with (a backup is a standalone
 * rollback-journal file). Only in the moments between the switch and the first write, and
 * between the last write and the rename, would a crash leave the target in rollback mode,
 * every page as it was (an app asking for WAL on opening, as WAL apps do, switches it back).
 *
 * What SQLite cannot show: a connection opened but never read from holds no lock yet.
 * Programs read the schema at once, so the window is the one between their open and their
 * first statement.
 *
 * Anything else takes the load (restore.ts): a rollback-journal target (its connections
 * hold no lock between transactions), a connection holding it, an encrypted backup or
 * target, a target with other hard links, owned by another user or by a group this user
 * cannot give a file (a new file would lose them), a safety copy folder on another file
 * system, Windows. The restored file takes the target's permission bits and group.
 *
 * The restored file is the backup byte for byte, hashed as it is read against the SHA-256
 * the check passed, except the two bytes of the header that say WAL (the backup is a
 * rollback-journal file), which the load would set too. What the restore reports as
 * verified is therefore the backup: the check of those bytes and their SHA-256. The
 * restored file's own SHA-256 is not taken: another hash of every byte beside the two
 * already running made a 1 GB restore a fifth slower on this two-core machine, for a
 * figure nothing uses. The safety copy is hashed through
 * a descriptor kept open until the lock is let go (closing any descriptor of a database
 * drops every lock the process holds on it), and its manifest is on the disk before the
 * rename: a crash at any moment leaves the target as it was or as restored, and the old
 * database in the target's place or the safety copy's, never in neither. The safety copy's
 * pages are the target's; of its header, the format bytes and the change counter differ.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, openSync, read as readCallback, writeSync, type Stats } from 'node:fs';
import { access, chown, link, stat, unlink } from 'node:fs/promises';
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
import { DirectWriter } from './direct-writer.ts';
import { COPY_CHUNK_BYTES } from './source-files.ts';
import { sqliteVersion } from './sqlite-file.ts';
import { hashOnThread, type HashThread } from './hash-thread.ts';
import { removeWalCompanionsMade } from './wal-companions.ts';

const readAsync = promisify(readCallback);

/** Bytes 18 and 19 of a database header: the file format's write and read versions, 1 for a rollback journal, 2 for WAL. */
const FORMAT_OFFSET = 18;
const ROLLBACK_FORMAT = 1;
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
  /**
   * When the copy does not hash to `backupSha256`: `refuse` (VERIFY_FAILED), or `give-way`
   * (undefined, the target as it was), for a caller that then checks the backup afresh.
   */
  changedBackup?: 'refuse' | 'give-way';
}

/**
 * The moments of a swap, in order, told to `onStep` as each is reached: the lock taken
 * and the -wal checkpointed away, the target linked under a partial's name, the copy
 * written and flushed, the safety copy's manifest written, the safety copy named, the copy
 * renamed over the target.
 */
export type SwapStep = 'held' | 'linked' | 'copied' | 'manifested' | 'named' | 'renamed';

/**
 * Restores by swapping files when the target allows it (see above): the safety copy's
 * path (null without one), or undefined when the target was left as it was for the load.
 */
export async function restoreBySwap(plan: SwapRestore, ctx: OperationContext, onClaim?: ClaimListener, onStep?: (step: SwapStep) => void): Promise<{ safetyCopy: string | null } | undefined> {
  // What a killed restore left goes first: its partial link would count as a second name of the target.
  await removeStalePartials(dirname(plan.target));
  if (plan.safetyCopyDir !== undefined) await removeStalePartials(plan.safetyCopyDir);
  const targetStats = await swappable(plan);
  if (!targetStats) return undefined;
  const alone = holdAlone(plan.target);
  if (!alone) return undefined;

  const startedAt = new Date();
  // Written and read for the safety copy, and kept open until the lock is let go.
  let old: number | undefined;
  // Only names this restore made are removed if it fails.
  let safetyCopy: string | undefined;
  let safetyClaim: PartialClaim | undefined;
  let safetyPublished = false;
  let manifestWritten = false;
  let claim: PartialClaim | undefined;
  let safetyHash: HashThread | undefined;
  let swapped = false;
  try {
    const oldFile = (old = openSync(plan.target, constants.O_RDWR));
    // The switch wrote rollback-journal format bytes into the header: the target says WAL
    // again at once, so a crash from here to the rename leaves it as its app left it.
    setFormat(oldFile, WAL_FORMAT);
    onStep?.('held');
    claim = await claimPartial(plan.target, targetStats.mode & 0o7777, onClaim);
    // The restored file keeps the target's group, or its permission bits would let another group read it.
    if (!(await sameGroup(claim.path, targetStats.gid))) return undefined;
    if (plan.safetyCopyDir !== undefined) {
      const name = await resolveDestination(plan.target, `${plan.safetyCopyDir}/`, { label: 'before-restore', action: 'take the safety copy of' });
      // The target's second name is a claimed partial until just before the rename: a
      // killed restore's is removed as any partial is, and the target keeps one name.
      safetyClaim = await claimPartial(name, 0o600, onClaim);
      await unlink(safetyClaim.path);
      const linked = await link(plan.target, safetyClaim.path).then(() => true, (error: NodeJS.ErrnoException) => {
        // A file system without hard links: the load takes it, nothing changed yet.
        if (['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'].includes(error.code ?? '')) return false;
        throw error;
      });
      if (!linked) return undefined;
      safetyCopy = name;
      onStep?.('linked');
    }
    const size = (await stat(plan.target)).size;
    ctx.report({ phase: 'safety-copy', totalPages: plan.pageCount, remainingPages: plan.pageCount, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);
    // Hashed on another core, as it will be once it is the safety copy: a standalone
    // rollback-journal file, as every backup is.
    if (safetyCopy !== undefined) safetyHash = hashOnThread(oldFile, ROLLBACK_FORMAT);
    const [copiedSha256, safetySha256] = await Promise.all([copyForSwap(plan, claim.path, ctx.withPhase('copy')), safetyHash?.result]);
    onStep?.('copied');
    if (copiedSha256 !== plan.backupSha256) {
      if (plan.changedBackup === 'give-way') return undefined;
      throw new PagevaultError('VERIFY_FAILED', `${plan.subject}: the backup changed after it was checked (its SHA-256 is no longer the one the check passed); check it again. The target was not touched`);
    }
    if (safetyCopy !== undefined && safetySha256 !== undefined) {
      manifestWritten = true;
      await writeManifest(safetyCopy, safetyManifest(plan, safetyCopy, startedAt, size, safetySha256), targetStats.mode & 0o666);
      await fsyncDirectory(dirname(safetyCopy));
      onStep?.('manifested');
    }
    ctx.throwIfCancelled(plan.subject);
    if (safetyCopy !== undefined && safetyClaim) {
      // Named as the safety copy by link and unlink: publishPartial's fsync would open and
      // close a descriptor of the target, and with it drop this process's lock on it.
      await link(safetyClaim.path, safetyCopy);
      safetyPublished = true;
      await unlink(safetyClaim.path);
      await fsyncDirectory(dirname(safetyCopy));
      await abandonPartial(safetyClaim);
      safetyClaim = undefined;
      onStep?.('named');
      // The old file takes the format its safety copy's hash was taken with, for the moment of the rename.
      setFormat(oldFile, ROLLBACK_FORMAT);
    }
    await publishPartial(claim, true);
    claim = undefined;
    swapped = true;
    onStep?.('renamed');
    // The -shm the old file's readers left (this restore's checks among them) is the old
    // file's; the restored file's first connection would make it afresh, and SQLite's last
    // close removes it, as it does here when nothing opened the restored file meanwhile.
    removeWalCompanionsMade(plan.target, () => new Database(plan.target, { fileMustExist: true, timeout: 0 }));
    return { safetyCopy: safetyCopy ?? null };
  } catch (error) {
    // Still the target: it says WAL, as before the restore (a failure to say so is not the one to report).
    if (old !== undefined) {
      try {
        setFormat(old, WAL_FORMAT);
      } catch {
        // Its pages are as they were; an app asking for WAL on opening switches it back.
      }
    }
    throw error;
  } finally {
    // A swap that failed, or gave way to the load, leaves only what was there.
    if (!swapped) {
      if (claim) await abandonPartial(claim).catch(() => undefined);
      if (safetyCopy !== undefined) {
        // The safety copy's name is a second link to the target itself: removing it loses nothing.
        if (manifestWritten) await unlink(manifestPathOf(safetyCopy)).catch(() => undefined);
        if (safetyPublished) await unlink(safetyCopy).catch(() => undefined);
      }
      // The target's name under the partial's (or, if the link failed, nothing), and the owner file.
      if (safetyClaim) await abandonPartial(safetyClaim).catch(() => undefined);
    }
    // The thread reading the old file ends before its descriptor is closed.
    await safetyHash?.stop();
    // Nothing is written at the close: no transaction is open, and the journal is in memory.
    alone.close();
    if (old !== undefined) closeSync(old);
  }
}

/** Whether `path` has the group `gid`, given it if it can be (a group this user is in). */
async function sameGroup(path: string, gid: number): Promise<boolean> {
  if ((await stat(path)).gid === gid) return true;
  return chown(path, -1, gid).then(() => true, () => false);
}

/** Sets a header's format bytes (18 and 19) through `fd`, under the lock, and flushes them. */
function setFormat(fd: number, format: number): void {
  writeSync(fd, Buffer.from([format, format]), 0, 2, FORMAT_OFFSET);
  fdatasyncSync(fd);
}

/** The target's stats when a swap may replace it (see the module's comment), else undefined. */
async function swappable(plan: SwapRestore): Promise<Stats | undefined> {
  if (process.platform === 'win32') return undefined;
  const stats = await stat(plan.target).catch(() => undefined);
  if (!stats?.isFile() || stats.nlink !== 1 || stats.uid !== process.getuid?.()) return undefined;
  // What this user may not write is refused as the load refuses it.
  const writable = (path: string) => access(path, constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (!(await writable(plan.target)) || !(await writable(dirname(plan.target)))) return undefined;
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
 * Copies the backup into the partial, with the header's format bytes set to WAL, and
 * returns the SHA-256 of the bytes read: the backup's as its check saw them, which the
 * restored file holds but for those two bytes. The copy is written past the page cache
 * where the system allows it (direct-writer.ts): nothing reads it back, and through the
 * cache the writes cost this machine two to four times as long as the disk takes (1 GB:
 * 2.2 to 4.9 s with `dd conv=fsync`, 0.7 s with `oflag=direct`). Its app reads the restored
 * file from the disk when it opens it, as it would after a reboot.
 */
async function copyForSwap(plan: SwapRestore, partial: string, ctx: OperationContext): Promise<string> {
  const hash = createHash('sha256');
  const input = openDatabaseFile(plan.backup, plan.subject);
  let output: DirectWriter | undefined;
  try {
    output = DirectWriter.open(partial, COPY_CHUNK_BYTES);
    const totalBytes = plan.pageCount * plan.pageSize;
    let position = 0;
    for (;;) {
      // Read into the writer's own buffer: the one before it is being written meanwhile.
      const chunk = output.buffer;
      const { bytesRead } = await readAsync(input.fd, chunk, 0, COPY_CHUNK_BYTES, position);
      if (bytesRead === 0) break;
      const read = chunk.subarray(0, bytesRead);
      hash.update(read);
      if (position === 0 && bytesRead > FORMAT_OFFSET + 1) read.fill(WAL_FORMAT, FORMAT_OFFSET, FORMAT_OFFSET + 2);
      await output.write(bytesRead);
      position += bytesRead;
      ctx.throwIfCancelled(plan.subject);
      const done = Math.min(position, totalBytes);
      ctx.report({ phase: 'copy', totalPages: plan.pageCount, remainingPages: plan.pageCount - Math.floor(done / plan.pageSize), bytesCopied: position, bytesPerSecond: position / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
    }
    await output.finish();
    return hash.digest('hex');
  } finally {
    await output?.close();
    closeDatabaseFile(input);
  }
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
