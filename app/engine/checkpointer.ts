/**
 * A short-lived process that backfills the WAL a snapshot backup let grow (see
 * checkpoint-handoff.ts). `node checkpointer.js <database>`: opens the database, prints
 * "ready", and takes one-byte commands on stdin:
 * - while it waits, it writes the WAL back to disk each time it has grown by
 *   `WRITE_BACK_BYTES` (and prints "wrote-back <bytes so far>"), so that the checkpoint's
 *   own sync of the WAL finds little left to do;
 * - "s": writes back what is left, prints "synced", and waits;
 * - "g": runs a PASSIVE checkpoint (writing the database file back as it goes), prints a
 *   JSON line of what it did, and exits.
 * Anything else on stdin, or its end, and it exits without checkpointing. In Electron it
 * runs as a utility process, which has no stdin: the same commands come as messages.
 *
 * A write-back the system refuses is printed as "write-back-failed <why>" (the engine
 * puts it in the backup's warnings); the work is then left to SQLite's own syncs.
 *
 * Why a process of its own, although database-files.ts now keeps the engine's descriptors
 * from dropping SQLite's locks (POSIX record locks belong to a process, and closing any
 * descriptor of a file drops them all): that rule holds a database's descriptors open only
 * while an engine worker is at work on it, and this checkpoint is no such worker. It goes
 * on after the backup has returned, nothing waits for it, and it holds the checkpoint lock
 * on the `-shm` and writes the database meanwhile. As a thread of the engine's process,
 * the next close of a descriptor of those files there (the backup worker's own, released
 * as it ends; a change mark, inspect or verify of the same database a moment later) would
 * drop its locks halfway through a backfill. A process owns its locks whatever the
 * engine's process opens and closes, and finishes a checkpoint it began even if the app
 * quits meanwhile. Its own descriptors of the `-wal` and the database are never closed
 * before it exits. (Hence also helper-process.ts: a packaged Electron app starts it as a
 * utility process.)
 */
import { fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describeFailure, WRITE_BACK_FAILED, writeBackLoop, type WriteBackInput } from './wal-write-back.ts';

/** How long to keep trying while another connection's checkpoint holds the lock. */
const BUSY_RETRY_MS = 100;


interface CheckpointerReport {
  /** Frames in the WAL and frames backfilled (-1 when it never got the lock). */
  log: number;
  checkpointed: number;
}

const say = (line: string) => {
  try {
    writeSync(1, `${line}\n`);
  } catch {
    // The engine stopped listening; the checkpoint goes on regardless.
  }
};

/**
 * One PASSIVE checkpoint of the whole backlog. Once it ends, the writers' own
 * auto-checkpoints take what they added meanwhile (one more round here would not keep
 * them from it: between two calls the checkpoint lock is free, and the next commit takes it).
 */
function checkpointBacklog(db: Database.Database): CheckpointerReport {
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  const giveUpAt = performance.now() + BUSY_RETRY_MS;
  for (;;) {
    const { log, checkpointed } = checkpoint.get() as { log: number; checkpointed: number };
    // Busy: another connection's checkpoint holds the lock (one that began before the
    // hand-off); it lets go within moments.
    if (log >= 0 || performance.now() > giveUpAt) return { log, checkpointed };
  }
}

/**
 * Writes the source's files back to disk ahead of the syncs SQLite will ask for, on a
 * thread of its own so that it goes on while the checkpoint runs:
 * - the `-wal`, each time it has grown by `WRITE_BACK_BYTES`;
 * - during the checkpoint, the database file too. A checkpoint that ends short of the WAL's
 *   end (writers went on committing) leaves the database file unsynced, and the next
 *   checkpoint to reach the end, a writer's, would sync all of it inside a commit.
 * Does nothing when the files cannot be opened for writing (nor is it needed then).
 */
class WriteBack {
  readonly #files: { wal: number; database: number } | undefined;
  /** [0]: 1 while the checkpoint runs. */
  readonly #checkpointing = new Int32Array(new SharedArrayBuffer(4));

  constructor(database: string) {
    try {
      // Opened for writing because Windows flushes only such handles; nothing is written.
      // Never closed: closing a descriptor of the database would drop this process's
      // SQLite locks. They go when the process exits.
      this.#files = { wal: openSync(`${database}-wal`, 'r+'), database: openSync(database, 'r+') };
      // Measured here, before "ready" is said, not by the thread once it runs: WAL that a
      // writer adds between the two would otherwise never count towards a write-back.
      const input: WriteBackInput = { ...this.#files, start: fstatSync(this.#files.wal).size, checkpointing: this.#checkpointing };
      // It runs until this process exits, or until a write-back fails, which it says.
      new Worker(new URL(import.meta.url), { workerData: input }).on('error', (error) => say(`${WRITE_BACK_FAILED}${describeFailure(error)}`)).unref();
    } catch {
      this.#files = undefined;
    }
  }

  /** Writes back what is left of the WAL, now. */
  flushWal(): void {
    if (this.#files) syncOrSay(this.#files.wal);
  }

  /** Runs `checkpoint` with the database file written back as it goes, and at the end. */
  during<T>(checkpoint: () => T): T {
    Atomics.store(this.#checkpointing, 0, 1);
    try {
      return checkpoint();
    } finally {
      Atomics.store(this.#checkpointing, 0, 0);
      if (this.#files) syncOrSay(this.#files.database);
    }
  }
}

/** A failed write-back leaves the work to SQLite's own sync, and is said. */
function syncOrSay(fd: number): void {
  try {
    fdatasyncSync(fd);
  } catch (error) {
    say(`${WRITE_BACK_FAILED}${describeFailure(error)}`);
  }
}

/** The engine's commands, one byte each and in order; '' once stdin ends. */
function commandReader(): () => Promise<string> {
  const queue: string[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    ended = true;
    wake?.();
  };
  // In Electron a utility process (helper-process.ts): no stdin, the commands come as
  // messages, '' for the end. Anywhere else, stdin.
  const parent = (process as { parentPort?: NodeJS.EventEmitter }).parentPort;
  if (parent) {
    parent.on('message', ({ data }: { data: unknown }) => {
      if (typeof data === 'string' && data !== '') {
        queue.push(...data);
        wake?.();
      } else stop();
    });
  } else {
    process.stdin.setEncoding('latin1');
    process.stdin.on('data', (chunk: string) => {
      queue.push(...chunk);
      wake?.();
    });
    process.stdin.on('end', stop).on('error', stop);
  }
  return async () => {
    while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    return queue.shift() ?? '';
  };
}

async function main(): Promise<void> {
  const source = process.argv[2];
  if (!source) process.exit(2);
  const db = new Database(source, { fileMustExist: true, timeout: 0 });
  try {
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
    const nextCommand = commandReader();
    const writeBack = new WriteBack(source);
    say('ready');
    let command = await nextCommand();
    if (command === 's') {
      writeBack.flushWal();
      say('synced');
      command = await nextCommand();
    }
    if (command === 'g') say(JSON.stringify(writeBack.during(() => checkpointBacklog(db))));
  } finally {
    db.close();
    process.exit(0);
  }
}

if (isMainThread) await main();
else writeBackLoop(workerData as WriteBackInput, say);
