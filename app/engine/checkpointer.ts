/**
 * A short-lived process that backfills the WAL a snapshot backup let grow (see
 * checkpoint-handoff.ts). `node checkpointer.js <database>`: opens the database, prints
 * "ready", and waits on stdin. On "g" it runs a PASSIVE checkpoint, prints a JSON line of
 * what it did, and exits.
 * Anything else on stdin, or its end, and it exits without touching the database.
 *
 * It is a process of its own, not a thread: POSIX record locks belong to a process, and
 * the engine's threads open and close descriptors of the same files (source-files.ts),
 * which would silently drop this checkpoint's locks halfway through.
 */
import { readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/** How long to keep trying while another connection's checkpoint holds the lock. */
const BUSY_RETRY_MS = 100;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

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

/** Blocks until the engine says what to do: "g" to checkpoint; anything else, or nothing, to exit. */
function waitForCommand(): string {
  const byte = Buffer.alloc(1);
  for (;;) {
    try {
      return readSync(0, byte, 0, 1, null) === 1 ? byte.toString() : '';
    } catch (error) {
      // A non-blocking stdin: wait a little and look again.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return '';
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}

function main(): void {
  const source = process.argv[2];
  if (!source) process.exit(2);
  const db = new Database(source, { fileMustExist: true, timeout: 0 });
  try {
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
    say('ready');
    if (waitForCommand() === 'g') say(JSON.stringify(checkpointBacklog(db)));
  } finally {
    db.close();
  }
}

main();
