/**
 * A short-lived process that backfills the WAL a snapshot backup let grow (see
 * checkpoint-handoff.ts). `node checkpointer.js <database> <small-backlog-frames>`: opens
 * the database, prints "ready", and waits on stdin. On "g" it runs PASSIVE checkpoints
 * until fewer frames than the second argument are left to backfill, prints a JSON line
 * of what it did, and exits.
 * Anything else on stdin, or its end, and it exits without touching the database.
 *
 * It is a process of its own, not a thread: POSIX record locks belong to a process, and
 * the engine's threads open and close descriptors of the same files (source-files.ts),
 * which would silently drop this checkpoint's locks halfway through.
 */
import { readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Rounds at most: each backfills what the writers added during the one before. */
const MAX_ROUNDS = 8;
/** How long to keep trying while another connection's checkpoint holds the lock. */
const BUSY_RETRY_MS = 100;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

interface CheckpointerReport {
  rounds: number;
  /** Frames in the WAL and frames backfilled after the last round (-1 when it never got the lock). */
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

/** Backfills until fewer than `smallBacklog` frames are left, in rounds. */
function checkpointRounds(db: Database.Database, smallBacklog: number): CheckpointerReport {
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  const report: CheckpointerReport = { rounds: 0, log: -1, checkpointed: -1 };
  const giveUpAt = performance.now() + BUSY_RETRY_MS;
  while (report.rounds < MAX_ROUNDS) {
    const { log, checkpointed } = checkpoint.get() as { log: number; checkpointed: number };
    if (log < 0) {
      // Another connection's checkpoint holds the lock (one a writer began just before
      // the hand-off): it lets go within moments.
      if (performance.now() > giveUpAt) break;
      continue;
    }
    report.rounds += 1;
    report.log = log;
    report.checkpointed = checkpointed;
    // What is left was written during this round; a writer's auto-checkpoint takes it
    // quickly once it is small.
    if (log - checkpointed < smallBacklog) break;
  }
  return report;
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
  const [source, smallArg] = process.argv.slice(2);
  const smallBacklog = Number(smallArg);
  if (!source || !(smallBacklog > 0)) process.exit(2);
  const db = new Database(source, { fileMustExist: true, timeout: 0 });
  try {
    if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return;
    say('ready');
    if (waitForCommand() === 'g') say(JSON.stringify(checkpointRounds(db, smallBacklog)));
  } finally {
    db.close();
  }
}

main();
