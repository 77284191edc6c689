/**
 * Private temporary folders (0700, in the system's temporary folder) that hold a plain copy
 * of something kept encrypted: a decrypted `.age` backup (`pagevault-decrypted-*`), a
 * version written out of an encrypted vault (`pagevault-version-*`), the copy of a
 * rollback-journal source an encrypted vault reads (`pagevault-vault-source-*`).
 *
 * A process killed while one is in use (SIGKILL, a power cut) leaves it, and the plain copy
 * in it, behind. The next operation that makes a folder of the same kind removes such
 * folders, and only those it can prove are Pagevault's and abandoned: the prefix, a real
 * folder (no link) of this user, and inside it `owner.pagevault-owner`, a tiny SQLite file
 * its maker keeps under an exclusive lock for as long as it uses the folder (partial-file.ts
 * does the same for partials, and says why a lock rather than a PID). A folder whose lock
 * is held, whose owner file is missing or is no owner file, or that was made on another
 * host, is left alone.
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const OWNER_FILE = 'owner.pagevault-owner';

/** The kinds of private folder, by the prefix of their names. */
export type PrivateFolderPrefix = 'pagevault-decrypted-' | 'pagevault-version-' | 'pagevault-vault-source-';

/** A folder made by `makePrivateFolder`; `remove` takes it and everything in it away, then lets go of its lock. */
export interface PrivateFolder {
  path: string;
  remove(): void;
}

/**
 * Makes a private temporary folder, locked as this process's own until `remove`; first
 * removes the folders of the same kind that killed processes left (see the header).
 */
export function makePrivateFolder(prefix: PrivateFolderPrefix): PrivateFolder {
  removeAbandonedPrivateFolders(prefix);
  const path = mkdtempSync(join(tmpdir(), prefix));
  let lock: Database.Database | undefined;
  try {
    lock = new Database(join(path, OWNER_FILE));
    lock.pragma('journal_mode = OFF');
    lock.pragma('synchronous = OFF');
    lock.transaction(() => {
      lock!.exec('CREATE TABLE owner (pid INTEGER, host TEXT, started_at TEXT)');
      lock!.prepare('INSERT INTO owner VALUES (?, ?, ?)').run(process.pid, hostname(), new Date().toISOString());
    })();
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock?.close();
    rmSync(path, { recursive: true, force: true });
    throw error;
  }
  const held = lock;
  let removed = false;
  return {
    path,
    remove() {
      if (removed) return;
      removed = true;
      // The folder first, the lock last: a sweep meanwhile finds it held and leaves it.
      let failure: unknown;
      try {
        rmSync(path, { recursive: true, force: true });
      } catch (error) {
        failure = error;
      }
      held.close();
      // Windows removes no open file: there the folder goes once the lock is let go.
      if (failure !== undefined) rmSync(path, { recursive: true, force: true });
    },
  };
}

/**
 * Removes the folders named `prefix*` in `folder` that killed processes left (see the header
 * for what proves one abandoned). Returns the folders removed; never throws.
 */
export function removeAbandonedPrivateFolders(prefix: PrivateFolderPrefix, folder = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  const uid = process.getuid?.();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const path = join(folder, name);
    try {
      const stats = lstatSync(path);
      if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) continue;
      const owner = join(path, OWNER_FILE);
      if (!lstatSync(owner, { throwIfNoEntry: false })?.isFile()) continue;
      const lock = lockAbandoned(owner);
      if (!lock) continue;
      try {
        rmSync(path, { recursive: true, force: true });
      } finally {
        lock.close();
      }
      removed.push(path);
    } catch {
      // Whatever could not be looked at or removed is left as it is.
    }
  }
  return removed;
}

/**
 * The owner file's lock, taken only when nobody holds it and its record is this host's (or
 * was never written: killed first); undefined otherwise. Through SQLite, which keeps this
 * process's own descriptors of a file another of its connections has locked open when one
 * closes (partial-file.ts), so a look at a folder of this process never drops its lock.
 */
function lockAbandoned(owner: string): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(owner, { fileMustExist: true, timeout: 0 });
    db.exec('BEGIN EXCLUSIVE');
    let row: { host: string } | undefined;
    try {
      row = db.prepare('SELECT host FROM owner').get() as { host: string } | undefined;
    } catch (error) {
      if (!/no such table/.test((error as Error).message)) throw error;
    }
    if (row && row.host !== hostname()) throw new Error("not provably this host's");
    return db;
  } catch {
    db?.close();
    return undefined;
  }
}
