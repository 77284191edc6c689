/**
 * The checkpoint helper's write-back thread (checkpointer.ts): writes the source's `-wal`
 * back to disk each time it has grown by `WRITE_BACK_BYTES`, and during the checkpoint the
 * database file too, so that SQLite's own syncs find little left to do.
 */
import { fdatasyncSync, fstatSync } from 'node:fs';

/**
 * How much the WAL may grow before it is written back. A sync of this much holds up a
 * writer appending to the same file no longer than SQLite's own auto-checkpoints do (they
 * sync a WAL of 1000 pages); syncing a backlog of hundreds of megabytes at once held
 * writers up for tens of milliseconds.
 */
const WRITE_BACK_BYTES = 4 * 1024 * 1024;
/** How often the WAL's size is looked at. */
const WRITE_BACK_POLL_MS = 2;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** What the write-back thread is given; descriptors of the helper's process, never closed by it. */
export interface WriteBackInput {
  wal: number;
  database: number;
  /** The WAL's size when the helper said "ready": what is written back is counted from here. */
  start: number;
  /** [0]: 1 while the checkpoint runs. */
  checkpointing: Int32Array;
}

/** The line the helper prints when a write-back failed; the engine reports what follows it. */
export const WRITE_BACK_FAILED = 'write-back-failed ';

/**
 * Every `WRITE_BACK_POLL_MS`: the database file while the checkpoint runs, the WAL each
 * time it has grown by `WRITE_BACK_BYTES` ("wrote-back <bytes so far>" to `say`). A
 * write-back the system refuses ends the loop with "write-back-failed <why>": the work is
 * then left to SQLite's own syncs, which still make the checkpoint safe, only slower for
 * the writers, and the engine reports it.
 */
export function writeBackLoop({ wal, database, start, checkpointing }: WriteBackInput, say: (line: string) => void): void {
  try {
    let synced = start;
    for (;;) {
      Atomics.wait(sleeper, 0, 0, WRITE_BACK_POLL_MS);
      if (Atomics.load(checkpointing, 0) === 1) fdatasyncSync(database);
      const size = fstatSync(wal).size;
      if (size - synced < WRITE_BACK_BYTES) continue;
      fdatasyncSync(wal);
      synced = size;
      say(`wrote-back ${synced - start}`);
    }
  } catch (error) {
    say(`${WRITE_BACK_FAILED}${describeFailure(error)}`);
  }
}

/** "EIO: i/o error, fdatasync" — one line, whatever was thrown. */
export function describeFailure(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
}
