/**
 * Never a half file under the final name: a copy is written beside it as
 * `<dest>.<token>.pagevault-partial`, fsynced, published by an atomic rename (or link when
 * it must not replace anything), and the folder is fsynced.
 *
 * Pagevault removes only partials it can prove it made and that nobody writes any more.
 * Beside each partial is `<dest>.<token>.pagevault-owner`, a tiny SQLite file that its
 * writer keeps under an exclusive lock for as long as it writes. The lock belongs to the
 * writer's process and goes with it, however that process ends, so it says "still being
 * written" truthfully even after the writer's PID was reused; the name, with a random
 * token and a suffix no other program uses, says "Pagevault's". A `*.partial` of another
 * program, or a partial whose owner file is missing, is never touched.
 *
 * The lock is checked only through SQLite: SQLite keeps a process's descriptors of a
 * locked file open when one of its connections closes, where a plain open and close of
 * the owner file would drop every POSIX lock this process holds on it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { chmod, link, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { CLONE_SUFFIX } from './clone.ts';

/** How a partial's name ends. */
export const PARTIAL_SUFFIX = '.pagevault-partial';
const OWNER_SUFFIX = '.pagevault-owner';
/** `<dest>.<token>` + one of the suffixes: the only names this module ever removes. */
const CLAIMED_NAME = /^(.+)\.([0-9a-f]{12})(\.pagevault-partial|\.pagevault-owner)$/;
/** How long a claim waits for a cleanup that holds a read lock on its owner file for a moment. */
const OWNER_LOCK_WAIT_MS = 5000;
/** SQLite's companion files of a database (or of a partial opened as one). */
// A clone on its way into the partial (clone.ts) is one too.
const COMPANIONS = ['-journal', '-wal', '-shm', CLONE_SUFFIX];

/** A partial claimed by this thread. */
export interface PartialClaim {
  /** The partial file the copy is written to. */
  path: string;
  destination: string;
  /** The owner file whose lock says the partial is being written. */
  owner: string;
}

/** The owner files' locks this thread holds, by owner path. */
const held = new Map<string, Database.Database>();

/** What an owner file says of its partial. */
type OwnerState = 'writing' | 'abandoned' | 'unknown';

/**
 * Claims a new partial for `destination`, created empty with `mode` (the source's
 * permission bits, so a copy is never more readable than what it copies); `announce`
 * hears its names before any file is made. Refuses when a running backup is writing the
 * same destination.
 */
export async function claimPartial(destination: string, mode = 0o600, announce?: (claim: PartialClaim) => void): Promise<PartialClaim> {
  if (await isBeingWritten(destination)) {
    throw new PagevaultError('ALREADY_RUNNING', `Cannot write ${destination}: another backup to the same file is running`);
  }
  for (;;) {
    const base = `${destination}.${randomBytes(6).toString('hex')}`;
    const owner = base + OWNER_SUFFIX;
    // Named before any file is made: a worker stopped halfway through leaves files the
    // thread that started it knows to remove.
    announce?.({ path: base + PARTIAL_SUFFIX, destination, owner });
    await writeFile(owner, '', { flag: 'wx', mode: 0o600 });
    // A cleanup that found the owner file before its lock was taken may have removed it
    // as abandoned; the token is never used again, so take a new one.
    const db = lockOwnerFile(owner);
    if (!db) continue;
    if (!(await pathExists(owner))) {
      db.close();
      continue;
    }
    held.set(owner, db);
    const path = base + PARTIAL_SUFFIX;
    try {
      const handle = await open(path, 'wx', mode);
      try {
        await handle.chmod(mode);
      } finally {
        await handle.close();
      }
    } catch (error) {
      await abandonPartial({ path, destination, owner });
      throw error;
    }
    return { path, destination, owner };
  }
}

/**
 * Opens the owner file and holds an exclusive lock on it until the claim ends; undefined
 * when the file is gone already. Waits a moment for a cleanup that is looking at it.
 */
function lockOwnerFile(owner: string): Database.Database | undefined {
  let db: Database.Database;
  try {
    db = new Database(owner, { fileMustExist: true, timeout: OWNER_LOCK_WAIT_MS });
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') return undefined;
    throw error;
  }
  try {
    db.pragma('journal_mode = OFF'); // nothing to roll back; and no -journal beside it
    // Never flushed to the disk: the record matters only while its writer runs, and the
    // lock says that. After a power cut the file is empty (removed, as one whose writer
    // was killed before writing) or torn (not an owner file: kept), as after any crash.
    // Each flush here cost a backup tens of milliseconds, most of a clone's time.
    db.pragma('synchronous = OFF');
    db.transaction(() => {
      db.exec('CREATE TABLE owner (pid INTEGER, host TEXT, started_at TEXT)');
      db.prepare('INSERT INTO owner VALUES (?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
    })();
    db.exec('BEGIN EXCLUSIVE');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Gives up a claim: removes the partial, its companions and its owner file. */
export async function abandonPartial(claim: PartialClaim): Promise<void> {
  await removeWithCompanions(claim.path);
  await releaseOwner(claim.owner);
}

/** Removes an owner file, then lets go of its lock (in that order: see removeStalePartials). */
async function releaseOwner(owner: string): Promise<void> {
  await rm(owner, { force: true });
  const db = held.get(owner);
  held.delete(owner);
  db?.close();
}

/**
 * Publishes a finished partial under its final name: fsync, then rename (overwrite) or
 * link + unlink (refuse to replace an existing file), then fsync the folder.
 */
export async function publishPartial(claim: PartialClaim, overwrite: boolean): Promise<void> {
  const { path: partial, destination } = claim;
  await fsyncFile(partial);
  if (overwrite) {
    await rename(partial, destination);
  } else {
    try {
      await link(partial, destination);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw destinationExists(destination);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw error;
      // File systems without hard links: check, then rename.
      if (await pathExists(destination)) throw destinationExists(destination);
      await rename(partial, destination);
    }
    await unlink(partial).catch(() => undefined);
  }
  await releaseOwner(claim.owner);
  await fsyncDirectory(dirname(destination));
}

/** DEST_EXISTS for a destination that appeared while the copy was written. */
function destinationExists(destination: string): PagevaultError {
  return new PagevaultError('DEST_EXISTS', `Cannot write ${destination}: a file with that name already exists`);
}

/**
 * Removes the partials in `folder` that a Pagevault backup left when it was killed: its
 * owner file is there and nobody holds its lock. Anything else is left alone: other
 * programs' files, partials being written, partials written from another machine into a
 * shared folder. Returns the removed partials.
 */
export async function removeStalePartials(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const nameSet = new Set(names);
  for (const name of names) {
    const match = CLAIMED_NAME.exec(name);
    if (!match) continue;
    const base = join(folder, `${match[1]}.${match[2]}`);
    const isPartial = match[3] === PARTIAL_SUFFIX;
    // A partial without its owner file cannot be proved ours; an owner file is looked at
    // through its partial when there is one.
    if (isPartial ? !nameSet.has(basename(base) + OWNER_SUFFIX) : nameSet.has(basename(base) + PARTIAL_SUFFIX)) continue;
    // Taken under the owner file's own lock, so a claim that is being made (its owner file
    // created, its lock not taken yet) waits for this to end, then finds its owner gone.
    const lock = lockAbandonedOwner(base + OWNER_SUFFIX);
    if (!lock) continue;
    try {
      if (isPartial) {
        await removeWithCompanions(base + PARTIAL_SUFFIX);
        removed.push(base + PARTIAL_SUFFIX);
      }
      // The owner file goes last, so a crash in between leaves a partial that is still
      // provably ours. (Windows removes no open file: there it goes once the lock is let go.)
      await rm(base + OWNER_SUFFIX, { force: true }).catch(() => undefined);
    } finally {
      lock.close();
    }
    await rm(base + OWNER_SUFFIX, { force: true });
  }
  return removed;
}

/** True while a running backup writes a partial of `destination`. */
async function isBeingWritten(destination: string): Promise<boolean> {
  const names = await readdir(dirname(destination)).catch(() => [] as string[]);
  const prefix = `${basename(destination)}.`;
  return names.some((name) => {
    const match = CLAIMED_NAME.exec(name);
    return match !== null && `${match[1]}.` === prefix && match[3] === OWNER_SUFFIX && ownerState(join(dirname(destination), name)) === 'writing';
  });
}

/**
 * Whether the owner file's writer is still at work: its lock is held (by any process on
 * any host that shares the lock, this one's threads included).
 */
function ownerState(owner: string): OwnerState {
  if (held.has(owner)) return 'writing';
  let db: Database.Database | undefined;
  try {
    db = new Database(owner, { readonly: true, fileMustExist: true, timeout: 0 });
    const row = db.prepare('SELECT pid, host FROM owner').get() as { pid: number; host: string } | undefined;
    // Written from another machine into a shared folder whose locks may not reach here.
    if (row && row.host !== hostname()) return 'unknown';
    return 'abandoned';
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'writing';
    // Killed before it wrote who it was: an empty owner file, no table yet.
    if (code === 'SQLITE_ERROR' && /no such table/.test((error as Error).message)) return 'abandoned';
    return 'unknown';
  } finally {
    db?.close();
  }
}

/**
 * Takes the lock of an owner file whose writer is gone, for its cleanup to run under;
 * undefined when its writer still holds it, or it cannot be told to be this host's.
 */
function lockAbandonedOwner(owner: string): Database.Database | undefined {
  if (held.has(owner)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(owner, { fileMustExist: true, timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    const row = tableRow(db);
    if (row === 'foreign' || (row && row.host !== hostname())) throw new Error('not provably this host\'s');
    return db;
  } catch {
    db?.close();
    return undefined;
  }
}

/** The owner file's record; undefined for a file its writer never wrote (killed first), 'foreign' for one that is no owner file. */
function tableRow(db: Database.Database): { pid: number; host: string } | undefined | 'foreign' {
  try {
    return db.prepare('SELECT pid, host FROM owner').get() as { pid: number; host: string } | undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_ERROR' && /no such table/.test((error as Error).message)) return undefined;
    if (String((error as { code?: string }).code).startsWith('SQLITE_BUSY')) throw error;
    return 'foreign';
  }
}

async function removeWithCompanions(path: string): Promise<void> {
  await Promise.all([path, ...COMPANIONS.map((suffix) => path + suffix)].map((p) => rm(p, { force: true })));
}

/** Whether something has that name; by stat, which never opens it. */
async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Flushes a file's data to the disk. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (a rename) to the disk; a no-op where folders cannot be opened (Windows). */
export async function fsyncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file atomically: temp file, fsync, rename; with `mode` as its permission bits. */
export async function writeFileAtomic(path: string, contents: string, mode = 0o600): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temp, contents, { mode });
  await chmod(temp, mode);
  await fsyncFile(temp);
  await rename(temp, path);
}
