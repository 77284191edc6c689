/**
 * A live database's files opened for reading, for the engine's file-level copies.
 * POSIX record locks belong to the process, and closing any descriptor of a file drops
 * every lock the process holds on it, including those of SQLite connections in this
 * process. So these descriptors are opened once, given up only after every connection the
 * copy uses has been closed, and closed through database-files.ts.
 */
import { fdatasync, fdatasyncSync, readSync, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { closeDatabaseFile, openDatabaseFile, type DatabaseFile } from './database-files.ts';

/**
 * The database's files, opened for reading. Close only after every SQLite connection
 * this code opened to the database is closed (see the header).
 */
export class SourceFiles {
  readonly source: string;
  readonly #database: DatabaseFile;
  #shm: DatabaseFile | undefined;
  #wal: DatabaseFile | undefined;

  constructor(source: string) {
    this.source = source;
    this.#database = openDatabaseFile(source);
  }

  /** The database file. */
  get database(): number {
    return this.#database.fd;
  }

  /** The -shm file; undefined when it cannot be opened. */
  get shm(): number | undefined {
    this.#shm ??= tryOpen(`${this.source}-shm`);
    return this.#shm?.fd;
  }

  /** The -wal file; undefined when it cannot be opened. */
  get wal(): number | undefined {
    this.#wal ??= tryOpen(`${this.source}-wal`);
    return this.#wal?.fd;
  }

  /** Gives the descriptors up: closed once that is safe (database-files.ts). */
  close(): void {
    for (const file of [this.#database, this.#shm, this.#wal]) if (file) closeDatabaseFile(file);
  }
}

function tryOpen(path: string): DatabaseFile | undefined {
  try {
    return openDatabaseFile(path);
  } catch {
    return undefined;
  }
}

/** Writes all of `buffer[0, length)` at `position`. */
export function writeAll(fd: number, buffer: Buffer, length: number, position: number): void {
  let written = 0;
  while (written < length) written += writeSync(fd, buffer, written, length - written, position + written);
}

/** How much a file-level copy moves between two progress reports and cancel checks: a few per second even on a slow disk. */
export const COPY_CHUNK_BYTES = 2 << 20;

/**
 * A file-level copy writes its output back to disk every this many bytes rather than
 * all at the end. One large flush at the end holds up other programs' writes to the same
 * disk: a writer committing every millisecond waited up to 20-79 ms for a 1 GB copy
 * flushed at the end, 8-14 ms for one flushed every 16 MiB. Flushed behind the copy (see
 * WriteBehind), 16 MiB at a time let more pile up at the disk than in line and the
 * writers' waits grew (median of the longest, over six runs: 11 against 8 ms, and 18
 * against 11 ms for a writer committing flat out); 8 MiB at a time brought them back
 * level (6 against 5 ms, 18 against 18 ms). Small enough, too, that a cancel or a
 * progress report never waits long behind a flush.
 */
export const WRITE_BACK_BYTES = 8 << 20;

/**
 * How far the copy may run ahead of the flush under way, in flushes due (each
 * `WRITE_BACK_BYTES`) before `flush` waits for it: at most 24 MiB written and not yet on
 * the disk. Waiting for each flush before the next 8 MiB tied the copy's speed to the
 * disk's flush latency: on a busy disk (other programs' writes, a virtual machine's) a 1 GB
 * copy spent 10 of its 16 s waiting, where `cp` and one fsync took 4 s. 64 MiB ahead made
 * the copy faster still but lengthened a writer's longest commit (477-749 ms against
 * 156-398 ms waiting for each flush, on a machine loaded well past its two cores); 24 MiB
 * ahead was faster than waiting (7.6-8.9 s against 9.1-10.4 s) and the writer's longest
 * commit shorter (78-132 ms against 139-326 ms), alternating, three rounds each.
 */
export const WRITE_BEHIND_LEAD = 2;

const fdatasyncAsync = promisify(fdatasync);

/**
 * Writes a copy's output back to disk behind the copy: one flush at a time, in the
 * background, while the copy goes on writing. Flushing in line left the disk idle while
 * the copy read and wrote, and the copy's thread idle while the disk wrote. A flush asked
 * for while one is under way starts as soon as that one ends; the copy waits only when
 * more than `WRITE_BEHIND_LEAD` are due, so what is written and not yet on the disk stays
 * bounded (a writer's commits wait behind it) without the copy pausing at every flush.
 */
export class WriteBehind {
  readonly #fd: number;
  readonly #durable: boolean;
  readonly #sync: (fd: number) => Promise<void>;
  #pending: Promise<void> | undefined;
  /** Flushes asked for since the one under way started. */
  #due = 0;
  #failure: unknown;

  /**
   * `durable: false` for a scratch copy that never becomes the backup itself (the plain
   * partial of a backup encrypted at rest, encrypted into the age file and then
   * removed): nothing is flushed, so its pages can leave the page cache unwritten.
   * `sync` writes the file back (fdatasync; a test controls when it ends).
   */
  constructor(fd: number, durable = true, sync: (fd: number) => Promise<void> = fdatasyncAsync) {
    this.#fd = fd;
    this.#durable = durable;
    this.#sync = sync;
  }

  /**
   * Asks for a flush of everything written so far: started now if none is under way,
   * else as soon as that one ends. Waits only while more than `WRITE_BEHIND_LEAD` are due.
   * Throws if any flush failed.
   */
  async flush(): Promise<void> {
    if (!this.#durable) return;
    this.#throwFailure();
    if (!this.#pending) {
      this.#start();
      return;
    }
    this.#due += 1;
    // Each flush that ends starts the next one due (and counts afresh), so this waits for one or two.
    for (let flushing = this.#underWay(); flushing && this.#due > WRITE_BEHIND_LEAD; flushing = this.#underWay()) await flushing;
    this.#throwFailure();
  }

  #start(): void {
    this.#due = 0;
    // The failure is kept, not left unhandled: it is thrown by the next flush or settle.
    const flushing = this.#sync(this.#fd)
      .catch((error: unknown) => void (this.#failure ??= error))
      .then(() => {
        this.#pending = undefined;
        // What was written while this flush ran goes next, at once.
        if (this.#due > 0 && this.#failure === undefined) this.#start();
      });
    this.#pending = flushing;
  }

  /** The flush under way (read afresh: awaiting one can start the next). */
  #underWay(): Promise<void> | undefined {
    return this.#pending;
  }

  #throwFailure(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Waits for the flushes under way and due; throws if any flush failed. */
  async settle(): Promise<void> {
    for (let flushing = this.#underWay(); flushing; flushing = this.#underWay()) await flushing;
    this.#throwFailure();
  }

  /** The copy's last step: waits for the flushes behind it, then writes the rest to the disk (nothing for a scratch copy). */
  async finish(): Promise<void> {
    await this.settle();
    if (this.#durable) fdatasyncSync(this.#fd);
  }
}

/**
 * Copies bytes [from, to) of `input` to the same place in `output` through `buffer`,
 * calling `onChunk` with the bytes copied so far after each chunk, and starting a flush of
 * `output` through `writeBehind` each time the copy passes a multiple of `WRITE_BACK_BYTES`.
 * Returns the bytes copied (fewer at end of file).
 */
export async function copyRange(input: number, output: number, from: number, to: number, buffer: Buffer, writeBehind: WriteBehind, onChunk?: (copied: number) => void): Promise<number> {
  let position = from;
  while (position < to) {
    const read = readSync(input, buffer, 0, Math.min(buffer.length, to - position), position);
    if (read === 0) break;
    writeAll(output, buffer, read, position);
    position += read;
    if (Math.floor(position / WRITE_BACK_BYTES) !== Math.floor((position - read) / WRITE_BACK_BYTES)) await writeBehind.flush();
    onChunk?.(position - from);
  }
  return position - from;
}
