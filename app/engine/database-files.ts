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
 * A worker that needs a file not passed in (a -shm that appeared after it started) asks
 * the starting thread to open it (`openForWorker`): Node would close one the worker opened
 * itself when the worker ends, and only the starting thread knows when that is safe.
 *
 * Opening a named pipe for reading waits for a writer, forever if none comes, and the
 * thread that opens it with it: the thread serving the UI here. So every open is
 * non-blocking and checked afterwards to be a regular file, and the engine refuses
 * anything else by its type (`checkFileType`) before any open, with a stat only.
 */
import { closeSync, constants, fstatSync, openSync, realpathSync, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PagevaultError } from '../api/errors.ts';

/**
 * Read-only and non-blocking: a named pipe opens at once instead of waiting for a
 * writer (no effect on regular files). Windows has neither the flag nor pipes among its files.
 */
export const READ_NONBLOCKING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a file that is not a regular file is, in words ("a named pipe (FIFO)"); undefined for a regular file. */
export function specialFileKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'a special file';
}

/** The files SQLite opens beside a database, and what it keeps in each. */
const COMPANIONS = [
  { suffix: '-wal', holds: 'write-ahead log' },
  { suffix: '-shm', holds: 'shared-memory index' },
  { suffix: '-journal', holds: 'rollback journal' },
] as const;

/**
 * The error for `path`, which `stats` says is not a regular file. `subject` ("Cannot
 * inspect /a.db") starts the message; `companion` says what SQLite keeps in it, if it is one.
 */
export function notARegularFile(path: string, stats: Stats, subject: string, companion?: string): PagevaultError {
  const kind = specialFileKind(stats) ?? 'a special file';
  const code = stats.isDirectory() ? 'IS_A_DIRECTORY' : 'NOT_A_DATABASE';
  if (companion) {
    return PagevaultError.about(code, subject, `${path} is ${kind}, not a regular file, and SQLite keeps the database's ${companion} there; move it out of the way`);
  }
  return PagevaultError.about(code, subject, `it is ${kind}, not a database file`);
}

/**
 * Refuses `path` unless it is a regular file or missing (then returns undefined), and
 * likewise its -wal, -shm and -journal. Only stats: never opens anything, so a named
 * pipe cannot hold it up.
 */
export async function checkFileType(path: string, subject: string): Promise<Stats | undefined> {
  await refuseReserved(path, subject);
  const stats = await stat(path).catch(() => undefined); // missing or unreadable: the caller says why
  if (stats && !stats.isFile()) throw notARegularFile(path, stats, subject);
  await checkCompanions(path, subject);
  return stats;
}

/** Files this process holds SQLite locks on by design (its catalog, its host lock), with why the engine keeps away. */
const reserved = new Map<string, { reason: string; holders: number }>();

/**
 * Keeps the engine from opening `paths` (real paths), which this process keeps open with
 * SQLite locks: reading one in the engine would close a descriptor of it afterwards, and
 * that drops every lock the process holds on it. Returns the function that lifts it.
 */
export function reserveOwnFiles(paths: string[], reason: string): () => void {
  for (const path of paths) reserved.set(path, { reason, holders: (reserved.get(path)?.holders ?? 0) + 1 });
  let lifted = false;
  return () => {
    if (lifted) return;
    lifted = true;
    for (const path of paths) {
      const entry = reserved.get(path);
      if (entry && (entry.holders -= 1) === 0) reserved.delete(path);
    }
  };
}

/** Refuses a reserved file, or a database whose -wal, -shm or -journal is one. */
async function refuseReserved(path: string, subject: string): Promise<void> {
  if (reserved.size === 0) return;
  const real = await realpath(path).catch(() => resolve(path));
  for (const candidate of [real, ...COMPANIONS.map(({ suffix }) => real + suffix)]) {
    const entry = reserved.get(candidate);
    if (entry) throw new PagevaultError('OWN_FILE', `${subject}: ${entry.reason}`);
  }
}

/** Refuses a -wal, -shm or -journal beside `path` that is there but not a regular file, by stat only. */
export async function checkCompanions(path: string, subject: string): Promise<void> {
  const found = await Promise.all(COMPANIONS.map(({ suffix }) => stat(`${path}${suffix}`).catch(() => undefined)));
  COMPANIONS.forEach(({ suffix, holds }, index) => {
    const stats = found[index];
    if (stats && !stats.isFile()) throw notARegularFile(`${path}${suffix}`, stats, subject, holds);
  });
}

/**
 * Opens `path` read-only without waiting on it and makes sure it is a regular file; a
 * named pipe or device put there after a check is closed again and refused.
 */
export function openRegularFile(path: string, subject = `Cannot open ${path}`): number {
  const fd = openSync(path, READ_NONBLOCKING);
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
  if (!stats.isFile()) {
    // Not a database file, so not one whose locks a close could drop.
    closeQuietly(fd);
    throw notARegularFile(path, stats, subject);
  }
  return fd;
}

/** A raw read-only descriptor of a database file (or its -wal or -shm). */
export interface DatabaseFile {
  fd: number;
  path: string;
  /** False for one passed in by the thread that started this worker: not this code's to close. */
  owned: boolean;
}

/** Descriptors passed in to this worker, by the paths they were opened under. */
let provided: Record<string, number> = {};
/** In an engine worker: asks the starting thread to open a file (`openForWorker` answers). */
let askToOpen: ((path: string, answer: Int32Array) => void) | undefined;
/**
 * How long a worker waits for the starting thread to open a file before it opens the file
 * itself, as a last resort: that thread serves the UI and answers at once unless stuck.
 */
const ASK_WAIT_MS = 10_000;
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

/**
 * Opens `path` for reading: through the descriptor passed in for it, if there is one.
 * Refuses anything but a regular file (see `openRegularFile`); `subject` starts that error.
 */
export function openDatabaseFile(path: string, subject?: string): DatabaseFile {
  for (const name of namesOf(path)) {
    const fd = provided[name];
    if (fd !== undefined) return { fd, path, owned: false };
  }
  if (askToOpen) {
    // [answered, fd]; the worker has nothing else to do until the file is open.
    const answer = new Int32Array(new SharedArrayBuffer(8));
    answer[1] = -1;
    askToOpen(path, answer);
    Atomics.wait(answer, 0, 0, ASK_WAIT_MS);
    const fd = Atomics.load(answer, 1);
    if (fd >= 0) {
      for (const name of namesOf(path)) provided[name] = fd;
      return { fd, path, owned: false };
    }
    // Not opened there: opening it here says why (or, if it has just appeared, opens it).
  }
  return { fd: openRegularFile(path, subject), path, owned: true };
}

/** Gives up a descriptor from `openDatabaseFile` (closed as soon as that is safe: see the header). */
export function closeDatabaseFile(file: DatabaseFile): void {
  if (!file.owned) return;
  const key = databaseKey(file.path);
  if (working.has(key)) closing.set(key, [...(closing.get(key) ?? []), file.fd]);
  else closeQuietly(file.fd);
}

/**
 * In an engine worker: the descriptors the starting thread passed in, and how to ask it
 * for one more (it answers with `openForWorker`).
 */
export function useProvidedDescriptors(descriptors: Record<string, number>, ask: (path: string, answer: Int32Array) => void): void {
  provided = descriptors;
  askToOpen = ask;
}

/**
 * In the starting thread: opens `path` for a worker at work on its database and wakes the
 * worker with the descriptor in `answer[1]` (-1 if it could not be opened, or the database
 * is not one an engine worker is at work on). Closed with the others in `leaveDatabases`.
 */
export function openForWorker(path: string, answer: Int32Array): void {
  const key = databaseKey(path);
  let fd = -1;
  if (working.has(key)) {
    try {
      fd = openRegularFile(path);
      closing.set(key, [...(closing.get(key) ?? []), fd]);
    } catch {
      // The worker opens it itself and says why it cannot.
    }
  }
  Atomics.store(answer, 1, fd);
  Atomics.store(answer, 0, 1);
  Atomics.notify(answer, 0);
}

/**
 * Before starting an engine worker on these databases: counts it as at work on them and
 * opens their files for it. Returns what `leaveDatabases` needs and the descriptors to pass in.
 * Opens without waiting and only regular files (`openRegularFile`): anything else is left
 * for the worker to refuse by name. Call `checkFileType` first for a message naming it.
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
        fd = openRegularFile(file);
      } catch {
        continue; // missing, not a regular file, unreadable: the worker says why
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
