/**
 * Ending a long snapshot without stalling the source's writers.
 *
 * While a snapshot backup holds its read snapshot, no checkpoint may copy a frame past it
 * into the database file, so a busy writer's WAL grows. When the snapshot ends, the next
 * commit that runs SQLite's auto-checkpoint would backfill that whole backlog inside the
 * commit: hundreds of milliseconds for a writer that wrote a gigabyte meanwhile.
 *
 * So the backlog is handed to a helper process (checkpointer.ts), started while the copy
 * runs. At the end, the WAL write lock is held for a few milliseconds: the snapshot ends,
 * the helper starts its checkpoint and so takes SQLite's checkpoint lock (seen in the
 * wal-index, where a checkpoint records the frame it backfills up to), then the write
 * lock is released. A writer's auto-checkpoint finds the checkpoint lock taken and
 * returns at once while the helper backfills in the background; what writers add
 * meanwhile is theirs to checkpoint, as usual. Everything here is ordinary SQLite locking:
 * if the helper is slow or gone, the writer checkpoints itself, as it would without Pagevault.
 *
 * A checkpoint first syncs the WAL, and a sync of a file another process is appending to
 * holds those appends up for as long as it has to write. So while the copy runs, the
 * helper writes the WAL back a few megabytes at a time, and the rest just before the
 * hand-off: the checkpoint's own sync then finds next to nothing to write. Likewise, it
 * writes the database file back while it backfills, so that the writer whose checkpoint
 * next reaches the WAL's end does not sync the whole backfill inside a commit.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { startHelper, type HelperProcess } from './helper-process.ts';
import type { SourceFiles } from './source-files.ts';
import { sqliteVersion } from './sqlite-file.ts';
import { checkpointProgressReadable, readWalIndex, takeWriteLock } from './wal-snapshot.ts';
import { WRITE_BACK_FAILED } from './wal-write-back.ts';

/** Fewer frames than this left to backfill is quick work for SQLite's own auto-checkpoint. */
const SMALL_BACKLOG_FRAMES = 1000;

/**
 * How long writers may wait for the helper's checkpoint to show it has started. A
 * checkpoint that takes longer is still sorting its frames, and holds the lock already.
 */
const ACK_TIMEOUT_MS = 10;
/** How long the end of a snapshot waits for a helper that is not ready yet (writers are not held up meanwhile). */
const READY_TIMEOUT_MS = 1000;
/** How long it waits for the helper to write back the rest of the WAL (writers are not held up meanwhile either). */
const SYNC_TIMEOUT_MS = 2000;

const helperPath = new URL(import.meta.url.endsWith('.ts') ? './checkpointer.ts' : './checkpointer.js', import.meta.url);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The warnings in a helper's output about `source`, each once. */
export function helperWarnings(source: string, output: string): string[] {
  const failures = new Set(output.split('\n').filter((line) => line.startsWith(WRITE_BACK_FAILED)).map((line) => line.slice(WRITE_BACK_FAILED.length)));
  return [...failures].map(
    (why) => `The checkpoint helper could not write ${source}-wal back to disk ahead of its checkpoint (${why}); SQLite's own checkpoint writes it instead, which may hold up the database's writers for a moment`,
  );
}

/** How a snapshot ended: its backlog handed to the helper, or left to the writers. */
export type SnapshotEnd = 'handed-off' | 'committed';

/** A helper process, started when a snapshot begins and used (or dismissed) when it ends. */
export class CheckpointHandoff {
  readonly #source: string;
  readonly #child: HelperProcess | undefined;
  #output = '';

  /**
   * Starts the helper; it opens the database and waits. Never throws: without a helper,
   * ending is a plain COMMIT. Nor is one started when `sqliteVersion` (the library's own,
   * unless a test says otherwise) is not one whose wal-index layout is known: reading
   * nBackfillAttempted from an unknown layout could not tell whether the helper's
   * checkpoint has started, and the writers would wait under the write lock for a sign
   * that means nothing.
   */
  constructor(source: string, options: { sqliteVersion?: string } = {}) {
    this.#source = source;
    if (!checkpointProgressReadable(options.sqliteVersion ?? sqliteVersion())) return;
    try {
      // Spawned with this Node, or in Electron a utility process (helper-process.ts).
      this.#child = startHelper(fileURLToPath(helperPath), [source]);
      this.#child.on('error', () => undefined);
      this.#child.stdin!.on('error', () => undefined);
      this.#child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.#output += chunk));
    } catch {
      this.#child = undefined;
    }
  }

  /**
   * Ends `reader`'s snapshot, which saw WAL frames 1..`snapshotFrame`. When at least
   * `SMALL_BACKLOG_FRAMES` frames wait to be backfilled and the helper is ready, hands
   * them to it; otherwise commits and dismisses the helper. Either way the reader has no
   * transaction afterwards, and nothing here waits for the helper's checkpoint.
   */
  async end(reader: Database.Database, files: SourceFiles, snapshotFrame: number, lockTimeoutMs: number): Promise<SnapshotEnd> {
    const child = this.#child;
    const index = readWalIndex(files);
    const worthIt = index !== undefined && index.mxFrame - index.nBackfill >= SMALL_BACKLOG_FRAMES;
    // The helper most likely said "ready" long ago, while the copy kept this thread busy.
    if (child && worthIt) await this.#waitFor('ready', READY_TIMEOUT_MS);
    // The helper has been writing the WAL back as it grew; what is left goes now, while
    // writers still run, so that the checkpoint's own sync of the WAL is short. Then the
    // helper waits, idle, for the word to start.
    if (child && worthIt && this.#said('ready')) {
      child.stdin!.write('s');
      await this.#waitFor('synced', SYNC_TIMEOUT_MS);
    }
    if (!child || child.exitCode !== null || !worthIt || !this.#said('synced')) {
      reader.exec('COMMIT');
      this.dismiss();
      return 'committed';
    }
    let lock: Database.Database | undefined;
    try {
      lock = new Database(this.#source, { fileMustExist: true, timeout: 0 });
      if (!takeWriteLock(lock, lockTimeoutMs)) throw new Error('the write lock stayed taken');
      // From here until ROLLBACK no commit can land, so no writer starts a checkpoint.
      reader.exec('COMMIT');
      const frames = readWalIndex(files)?.mxFrame ?? snapshotFrame;
      child.stdin!.end('g');
      // Nothing was committed during the snapshot: no writer is racing for the checkpoint.
      if (frames <= snapshotFrame) return 'handed-off';
      // A checkpoint records how far it means to go once it holds the checkpoint lock (and
      // has sorted its frames). Past the snapshot, it started after the COMMIT above: the
      // helper's. Writers wait meanwhile, so not for long.
      const deadline = performance.now() + ACK_TIMEOUT_MS;
      let started = false;
      while (!(started = (readWalIndex(files)?.nBackfillAttempted ?? 0) > snapshotFrame) && performance.now() < deadline) Atomics.wait(sleeper, 0, 0, 0.05);
      return started ? 'handed-off' : 'committed';
    } catch {
      if (reader.inTransaction) reader.exec('COMMIT');
      this.dismiss();
      return 'committed';
    } finally {
      try {
        if (lock?.inTransaction) lock.exec('ROLLBACK');
        lock?.close();
      } catch {
        // The lock connection only ever read; closing it is best effort.
      }
      // The helper finishes on its own; nothing here waits for it.
      this.#release();
    }
  }

  /**
   * What the helper said went wrong so far, in words for the backup's warnings: write-backs
   * the system refused (checkpointer.ts). The backup itself is whole either way.
   */
  warnings(): string[] {
    return helperWarnings(this.#source, this.#output);
  }

  /** Tells an unused helper to exit without touching the database. */
  dismiss(): void {
    if (this.#child && this.#child.exitCode === null && this.#child.stdin?.writable) this.#child.stdin.end('x');
    this.#release();
  }

  #said(line: string): boolean {
    return this.#output.split('\n').includes(line);
  }

  async #waitFor(line: string, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#said(line)) {
      const left = deadline - performance.now();
      if (left <= 0 || this.#child!.exitCode !== null) return false;
      // Whatever comes first: more output, the helper's end, or the deadline.
      const signal = AbortSignal.timeout(Math.ceil(left));
      await Promise.race([once(this.#child!.stdout!, 'data', { signal }), once(this.#child!, 'exit', { signal })]).catch(() => undefined);
    }
    return true;
  }

  /** Lets this thread exit while the helper still runs. */
  #release(): void {
    const child = this.#child;
    if (!child) return;
    // A relayed helper's output is no socket of this thread's (helper-process.ts).
    (child.stdout as Partial<Socket> | null)?.unref?.();
    child.unref();
  }
}
