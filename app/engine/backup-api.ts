/**
 * The one loop around SQLite's Online Backup API (better-sqlite3's `db.backup`), shared
 * by the backups that copy pages and by restore, which loads a backup into a live target.
 * It handles better-sqlite3's pitfalls once: a progress callback returning 0 would spin,
 * and a first step that got SQLITE_BUSY resolves as success with 0 pages.
 */
import type Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { OperationContext } from './context.ts';

/** How many pages each step copies; the caller's policy (adaptive, throttled, fixed). */
export interface BackupApiPacing {
  /** Pages in the first step of each attempt. */
  first: number;
  /**
   * Pages in the step after one that moved, which took `stepMs`; may pause first (a
   * throttled copy pauses between steps) and throws to stop.
   */
  next(previous: number, stepMs: number, restarts: number): number;
  /**
   * Whether another connection committed to the source since the last call, which makes
   * SQLite start the copy over. Page counts alone cannot tell a restart that copied one
   * step's worth again from a step that got SQLITE_BUSY. Called on every step.
   */
  committed?(): boolean;
}

/** What one run of the backup-API loop needs: the page size, how long it may stall on a lock, and the words of its failures. */
export interface BackupApiRun {
  pageSize: number;
  /** How long the copy may make no progress (a lock held elsewhere) before `busy()` is thrown. */
  busyTimeoutMs: number;
  /** The error for a lock that stayed held past `busyTimeoutMs`. */
  busy(): PagevaultError;
  /** The message of a cancel noticed while waiting for a lock. */
  cancelled: string;
  /** Starts the copy instead of `db.backup(destination, …)`: an encrypted target is opened keyed (connection.ts). */
  start?: (options: { progress: (info: Database.BackupMetadata) => number }) => Promise<Database.BackupMetadata>;
}

/** Copies every page of `db` into the file `destination` with progress and cancel; returns the pages and restarts. */
export async function runBackupApi(
  db: Database.Database,
  destination: string,
  ctx: OperationContext,
  subject: string,
  pacing: BackupApiPacing,
  run: BackupApiRun,
): Promise<{ totalPages: number; restarts: number }> {
  const { pageSize, busyTimeoutMs } = run;
  const deadline = performance.now() + busyTimeoutMs;
  let restarts = 0;
  for (;;) {
    let nextPages = pacing.first;
    let lastCopied = -1;
    let lastTotal = 0;
    let lastStepAt = performance.now();
    let stalledSince = 0;
    let bytesCopied = 0;
    const copyStarted = performance.now();
    const result = await (run.start ?? ((options) => db.backup(destination, options)))({
      progress: ({ totalPages, remainingPages }) => {
        const now = performance.now();
        const copied = totalPages - remainingPages;
        const committed = pacing.committed?.() ?? false;
        const restarted = lastCopied >= 0 && (committed || copied < lastCopied);
        if (restarted) restarts += 1; // another connection wrote: SQLite started over
        if (!restarted && copied === lastCopied && totalPages === lastTotal) {
          // SQLITE_BUSY: nothing moved. Wait a little instead of spinning, up to the busy timeout.
          stalledSince ||= now;
          if (now - stalledSince > busyTimeoutMs) throw run.busy();
          if (ctx.pause(10)) throw new PagevaultError('CANCELLED', run.cancelled);
          return nextPages;
        }
        stalledSince = 0;
        bytesCopied += (restarted ? copied : Math.max(0, copied - Math.max(lastCopied, 0))) * pageSize;
        const stepMs = now - lastStepAt;
        lastCopied = copied;
        lastTotal = totalPages;
        ctx.report({
          phase: 'copy',
          totalPages,
          remainingPages,
          bytesCopied,
          bytesPerSecond: bytesCopied / Math.max((now - copyStarted) / 1000, 0.001),
          restarts,
        }, restarted); // every restart is reported, so the bar visibly moves back
        ctx.throwIfCancelled(subject);
        nextPages = pacing.next(nextPages, stepMs, restarts);
        lastStepAt = performance.now();
        return Math.max(1, nextPages);
      },
    });
    if (result.totalPages > 0) {
      ctx.report({ phase: 'copy', totalPages: result.totalPages, remainingPages: 0, bytesCopied: result.totalPages * pageSize, bytesPerSecond: (result.totalPages * pageSize) / Math.max((performance.now() - copyStarted) / 1000, 0.001), restarts }, true);
      return { totalPages: result.totalPages, restarts };
    }
    // The very first step got SQLITE_BUSY: better-sqlite3 reports success with 0 pages.
    if (performance.now() > deadline) throw run.busy();
    if (ctx.pause(50)) throw new PagevaultError('CANCELLED', run.cancelled);
  }
}
