/**
 * The engine's public face: every operation runs in its own worker thread. Progress
 * arrives through `onProgress`; an AbortSignal cancels.
 */
import { Worker } from 'node:worker_threads';
import { PagevaultError, type ErrorCode } from '../api/errors.ts';
import type { BackupResult, DatabaseUsage, InspectResult, RestoreResult, VerifyResult } from '../api/types.ts';
import type { BackupOptions } from './backup.ts';
import { createCancelFlag, raiseCancelFlag, type EngineProgress } from './context.ts';
import type { InspectOptions } from './inspect.ts';
import { enterDatabases, leaveDatabases } from './database-files.ts';
import { relayHelpers } from './helper-process.ts';
import { databasesOf, type OperationName, type Operations, type WorkerInput, type WorkerMessage } from './operations.ts';
import { abandonPartial, claimRegistry, PARTIAL_SUFFIX } from './partial-file.ts';
import type { RestoreOptions } from './restore.ts';
import type { UsageOptions } from './usage.ts';
import type { VerifyOptions } from './verify.ts';

export type { BackupOptions, EngineProgress, InspectOptions, RestoreOptions, UsageOptions, VerifyOptions };
export { backupFileName } from './backup.ts';
export { useHelperStarter, type HelperStarter, type StartedHelper } from './helper-process.ts';
export { manifestPathOf, readManifest } from './manifest.ts';

export interface RunOptions {
  onProgress?: (progress: EngineProgress) => void;
  signal?: AbortSignal;
}

/** After a cancel, how long the worker gets to clean up before it is terminated. */
const CANCEL_GRACE_MS = 150;

// The worker runs from the compiled .js next to this file, or from the .ts sources under
// Node's type stripping (tests, `node app/...`).
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

function run<O extends OperationName>(operation: O, params: Operations[O]['params'], options: RunOptions = {}): Promise<Operations[O]['result']> {
  const { signal, onProgress } = options;
  if (signal?.aborted) return Promise.reject(new PagevaultError('CANCELLED', `Pagevault ${operation}: cancelled before it started`));
  const cancelFlag = createCancelFlag();
  // The worker reads the database files through descriptors opened here, which outlive it
  // until no engine worker is at work on those databases (database-files.ts).
  const { keys: databases, descriptors } = enterDatabases(databasesOf(params));
  const input: WorkerInput<O> = { operation, params, cancelFlag, claimRegistry: claimRegistry(), descriptors };
  let worker: Worker;
  try {
    worker = new Worker(workerUrl, { workerData: input, resourceLimits: { maxOldGenerationSizeMb: 96 } });
  } catch (error) {
    leaveDatabases(databases);
    throw error;
  }
  relayHelpers(worker);
  const claims = new Map<number, string>();

  return new Promise<Operations[O]['result']>((resolvePromise, rejectPromise) => {
    let settled = false;
    let answered = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = () => {
      raiseCancelFlag(cancelFlag);
      // A worker inside one long SQLite call (VACUUM INTO) cannot look at the flag: stop it.
      graceTimer = setTimeout(() => void worker.terminate(), CANCEL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'progress':
          if (!settled) onProgress?.(message.progress);
          break;
        case 'claim':
          claims.set(message.claim, message.partial);
          break;
        case 'result':
          answered = true;
          settle(() => resolvePromise(message.value as Operations[O]['result']));
          break;
        case 'error':
          answered = true;
          settle(() => rejectPromise(new PagevaultError(message.error.code as ErrorCode, message.error.message)));
          break;
      }
    });
    worker.on('error', (error) => settle(() => rejectPromise(new PagevaultError('INTERNAL', `Pagevault ${operation} failed: ${error.message}`, { cause: error }))));
    worker.on('exit', (code) => {
      clearTimeout(graceTimer);
      leaveDatabases(databases);
      // A terminated worker could not release its claims or remove its partial; do it here.
      // (Only when it did not get to answer: then it had already cleaned up itself.)
      if (!answered) for (const [claim, partial] of claims) {
        void abandonPartial({ claim, path: partial, destination: partial.slice(0, -PARTIAL_SUFFIX.length) }).catch(() => undefined);
      }
      settle(() =>
        rejectPromise(
          signal?.aborted
            ? new PagevaultError('CANCELLED', `Pagevault ${operation}: cancelled`)
            : new PagevaultError('INTERNAL', `Pagevault ${operation} stopped unexpectedly (worker exit code ${code})`),
        ),
      );
    });
  });
}

/** Reads what `path` is: header facts, pragmas, tables with row counts. */
export function inspect(path: string, options?: InspectOptions & RunOptions): Promise<InspectResult> {
  return run('inspect', { path, options: { rowCountBudgetMs: options?.rowCountBudgetMs, busyTimeoutMs: options?.busyTimeoutMs } }, options);
}

/** Checks a backup: quick_check (or integrity_check with `full`), SHA-256, manifest. */
export function verify(path: string, options?: VerifyOptions & RunOptions): Promise<VerifyResult> {
  return run('verify', { path, options: { full: options?.full, useManifest: options?.useManifest } }, options);
}

/** Backs up a live database to a file or into a folder. */
export function backup(source: string, destination: string, options?: BackupOptions & RunOptions): Promise<BackupResult> {
  const { onProgress, signal, ...rest } = options ?? {};
  return run('backup', { source, destination, options: rest }, { onProgress, signal });
}

/** Restores a backup into a live database (safety copy first) or a new file. */
export function restore(backupPath: string, target: string, options?: RestoreOptions & RunOptions): Promise<RestoreResult> {
  const { onProgress, signal, ...rest } = options ?? {};
  return run('restore', { backup: backupPath, target, options: rest }, { onProgress, signal });
}

/** Whether another program has a database open or is writing to it; changes nothing. */
export function usage(path: string, options?: UsageOptions & RunOptions): Promise<DatabaseUsage> {
  return run('usage', { path, options: { sampleMs: options?.sampleMs } }, options);
}
export { changeMark } from './change-mark.ts';
