/**
 * Raw descriptors of database files, and when they may be closed.
 *
 * POSIX record locks belong to the process, and closing any descriptor of a file drops
 * every lock the process holds on it, SQLite's included. Node closes the descriptors a
 * worker opened when that worker ends. So a worker that merely read a database's header
 * would, on ending, drop the locks another worker's backup or restore holds on it.
 *
 * Therefore the thread that starts the engine's workers (index.ts) opens the files an
 * operation names (the database, its -wal and -shm) before the worker starts and passes
 * the descriptors in (`enterDatabases`). The worker reads through them and never closes
 * them; they are closed once no engine worker is at work on that database
 * (`leaveDatabases`). A descriptor opened anywhere else is closed the same way: at once
 * unless engine workers are at work on its database, then when the last one has ended.
 */
import { closeSync, openSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

/** A raw read-only descriptor of a database file (or its -wal or -shm). */
export interface DatabaseFile {
  fd: number;
  path: string;
  /** False for one passed in by the thread that started this worker: not this code's to close. */
  owned: boolean;
}

/** Descriptors passed in to this worker, by the paths they were opened under. */
let provided: Record<string, number> = {};
/** Engine workers at work, per database. */
const working = new Map<string, number>();
/** Descriptors to close once their database's engine workers have ended. */
const closing = new Map<string, number[]>();

/** The paths a file may be asked for under: as given, and resolved through links. */
function namesOf(path: string): string[] {
  const names = new Set([resolve(path)]);
  try {
    names.add(realpathSync(path));
  } catch {
    // Not there (yet): only the name as given.
  }
  return [...names];
}

/** One key for a database and its `-wal`, `-shm` and `-journal` files. */
function databaseKey(path: string): string {
  return namesOf(path.replace(/-(wal|shm|journal)$/, '')).at(-1)!;
}

/** Opens `path` for reading: through the descriptor passed in for it, if there is one. */
export function openDatabaseFile(path: string): DatabaseFile {
  for (const name of namesOf(path)) {
    const fd = provided[name];
    if (fd !== undefined) return { fd, path, owned: false };
  }
  return { fd: openSync(path, 'r'), path, owned: true };
}

/** Gives up a descriptor from `openDatabaseFile` (closed as soon as that is safe: see the header). */
export function closeDatabaseFile(file: DatabaseFile): void {
  if (!file.owned) return;
  const key = databaseKey(file.path);
  if (working.has(key)) closing.set(key, [...(closing.get(key) ?? []), file.fd]);
  else closeQuietly(file.fd);
}

/** In an engine worker: the descriptors the starting thread passed in. */
export function useProvidedDescriptors(descriptors: Record<string, number>): void {
  provided = descriptors;
}

/**
 * Before starting an engine worker on these databases: counts it as at work on them and
 * opens their files for it. Returns what `leaveDatabases` needs and the descriptors to pass in.
 */
export function enterDatabases(paths: string[]): { keys: string[]; descriptors: Record<string, number> } {
  const keys: string[] = [];
  const descriptors: Record<string, number> = {};
  for (const path of paths) {
    const key = databaseKey(path);
    if (!keys.includes(key)) {
      keys.push(key);
      working.set(key, (working.get(key) ?? 0) + 1);
    }
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch {
        continue; // missing, a folder on some systems, unreadable: the worker says why
      }
      for (const name of namesOf(file)) descriptors[name] = fd;
      closing.set(key, [...(closing.get(key) ?? []), fd]);
    }
  }
  return { keys, descriptors };
}

/** After the worker has ended: descriptors of databases no engine worker is at work on any more are closed. */
export function leaveDatabases(keys: string[]): void {
  for (const key of keys) {
    const left = (working.get(key) ?? 1) - 1;
    if (left > 0) {
      working.set(key, left);
      continue;
    }
    working.delete(key);
    for (const fd of closing.get(key) ?? []) closeQuietly(fd);
    closing.delete(key);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing held through it is left to lose.
  }
}
