/**
 * A copy made by SQLite's backup API from the strategy's open connection: the snapshot
 * strategy's fallback, and the stepped strategy's way for WAL sources.
 */
import type Database from 'better-sqlite3';
import { PagevaultError } from '../../api/errors.ts';
import { runBackupApi } from '../backup-api.ts';
import { steppedOptions } from '../backup-options.ts';
import { sourceBusyError } from '../sqlite-errors.ts';
import type { SourceReader, SourceShape, StrategyInput, BegunCopy } from './strategy.ts';

/** Snapshot mode sizes steps to take about this long: frequent progress, prompt cancel. */
const TARGET_STEP_MS = 25;
const ALL_REMAINING = 0x7fffffff;

/** A begun copy that runs the backup API from `reader`, paced as `mode` asks; ending it closes the reader. */
export function pageCopy(reader: SourceReader, input: StrategyInput, mode: 'snapshot' | 'stepped', shape: SourceShape): BegunCopy {
  return {
    shape,
    copy: async (partial) => ({ restarts: await copyPages(reader.db, partial, input, mode, shape.pageSize) }),
    end: async () => reader.close(),
    abort: () => reader.abort(),
  };
}

/** Runs the backup API from the open source connection into `partial`. Returns the number of restarts. */
export async function copyPages(db: Database.Database, partial: string, input: StrategyInput, mode: 'snapshot' | 'stepped', pageSize: number): Promise<number> {
  const { ctx, subject, busyTimeoutMs } = input;
  if (input.key) {
    // The backup API cannot write an encrypted copy (connection.ts); VACUUM INTO keeps the
    // key and cipher. It is one read transaction of its own, so one point in time, and
    // runs inside no other: a pinned one ends first.
    if (db.inTransaction) db.exec('COMMIT');
    db.prepare('VACUUM INTO ?').run(partial);
    ctx.throwIfCancelled(subject);
    return 0;
  }
  const busy = () => sourceBusyError(subject, { waitedMs: busyTimeoutMs });
  const run = { pageSize, busyTimeoutMs, busy, cancelled: `${subject}: cancelled` };
  if (mode === 'snapshot') {
    // Size the next step to take about TARGET_STEP_MS, from how long this one took.
    const adaptive = {
      first: 256,
      next: (previous: number, stepMs: number) =>
        stepMs > 0.5 ? Math.round(Math.min(Math.max((previous * TARGET_STEP_MS) / stepMs, 16), 1 << 20)) : Math.min(previous * 2, 1 << 20),
    };
    return (await runBackupApi(db, partial, ctx, subject, adaptive, run)).restarts;
  }
  const { pagesPerStep, pauseMs, maxRestarts } = steppedOptions(pageSize, input.options);
  // data_version changes exactly when another connection commits to the source.
  const dataVersion = (): number | undefined => {
    try {
      return Number(db.pragma('data_version', { simple: true }));
    } catch {
      return undefined;
    }
  };
  let lastVersion = dataVersion();
  const throttled = {
    first: pagesPerStep,
    next: (previous: number, _stepMs: number, restarts: number) => {
      if (restarts >= maxRestarts) return ALL_REMAINING; // Bounded: finish the rest in one step.
      if (ctx.pause(pauseMs)) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
      return previous;
    },
    committed: () => {
      const version = dataVersion();
      const changed = version !== undefined && version !== lastVersion;
      lastVersion = version ?? lastVersion;
      return changed;
    },
  };
  return (await runBackupApi(db, partial, ctx, subject, throttled, run)).restarts;
}
