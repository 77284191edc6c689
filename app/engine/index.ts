/**
 * The engine's public face: every operation runs in a worker thread, one at a time in
 * each, and a worker is reused for the next operation once it has finished one. Progress
 * arrives through `onProgress`; an AbortSignal cancels. Inspect, verify and usage run at
 * most a few at once (`lightWorkers`), the rest waiting their turn; backups and restores
 * are bounded by the job queue that starts them.
 */
// First: the environment both SQLite libraries read when they load.
import './uri-filenames.ts';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, RetentionPolicy } from '../api/types.ts';
import type { VaultBackupResult, VaultDeleteResult, VaultEncryptionOptions, VaultPruneResult, VaultRestoreResult, VaultVerifyResult, VaultVersion } from '../vault/vault.ts';
import type { BackupResult, DatabaseUsage, InspectResult, RestoreResult, VerifyResult } from '../api/types.ts';
import type { BackupOptions } from './backup.ts';
import { createCancelFlag, raiseCancelFlag, type EngineProgress } from './context.ts';
import type { InspectOptions } from './inspect.ts';
import { checkFileType, enterDatabases, leaveDatabases, openForWorker } from './database-files.ts';
import { helpersRelayed, relayHelpers } from './helper-process.ts';
import { databasesOf, type OperationName, type Operations, type WorkerCommand, type WorkerInput, type WorkerMessage } from './operations.ts';
import { abandonPartial, type PartialClaim } from './partial-file.ts';
import type { RestoreOptions } from './restore.ts';
import type { UsageOptions } from './usage.ts';
import type { VerifyOptions } from './verify.ts';
import { threadExecArgv } from './threads.ts';

export type { BackupOptions, EngineProgress, InspectOptions, RestoreOptions, UsageOptions, VerifyOptions };
export { backupFileName } from './destination.ts';
export { useHelperStarter, type HelperStarter, type StartedHelper } from './helper-process.ts';
export { loadManifest, manifestPathOf, readManifest } from './manifest.ts';
export { reserveOwnFiles } from './database-files.ts';
export { AGE_SUFFIX, ageHeaderOf, isAgeFile } from './age-files.ts';

/** What a caller of an engine operation may pass besides its params: a progress callback and a signal that cancels it. */
export interface RunOptions {
  onProgress?: (progress: EngineProgress) => void;
  signal?: AbortSignal;
}

/** After a cancel, how long the worker gets to clean up before it is terminated. */
const CANCEL_GRACE_MS = 150;

// The worker runs from the compiled .js next to this file, or from the .ts sources under
// Node's type stripping (tests, `node app/...`).
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * At most `limit` at once; the others wait in order. A wait ends early on its signal's
 * abort, so a cancelled request never starts.
 */
class Slots {
  readonly limit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with the function that gives the slot back, once one is free; rejects with `cancelled()` on abort. */
  acquire(signal: AbortSignal | undefined, cancelled: () => Error): Promise<() => void> {
    return new Promise((resolvePromise, rejectPromise) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#running += 1;
        let released = false;
        resolvePromise(() => {
          if (released) return;
          released = true;
          this.#running -= 1;
          this.#waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        rejectPromise(cancelled());
      };
      if (this.#running < this.limit) return grant();
      this.#waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Operations without a job queue above them: each worker takes about 10 MB of its own
 * (a hundred at once took 1 GB), so a burst of requests must not start a thread each.
 */
const lightOperations: ReadonlySet<OperationName> = new Set(['inspect', 'verify', 'usage', 'vaultList', 'vaultVerify']);
const lightSlots = new Slots(Math.max(2, availableParallelism()));

/** How many inspect, verify and usage workers may run at once, how many run and how many wait now. */
export function lightWorkers(): { limit: number; running: number; waiting: number } {
  return { limit: lightSlots.limit, running: lightSlots.running, waiting: lightSlots.waiting };
}

/**
 * The files an operation names, each with the words its refusal starts with. A folder is
 * allowed only as a backup's destination.
 */
function namedFiles<O extends OperationName>(operation: O, params: Operations[O]['params']): Array<{ path: string; subject: string; folderAllowed?: boolean }> {
  const p = params as Partial<{ path: string; source: string; destination: string; backup: string; target: string }>;
  switch (operation) {
    case 'inspect':
      return [{ path: p.path!, subject: `Cannot inspect ${p.path}` }];
    case 'verify':
      return [{ path: p.path!, subject: `Cannot verify ${p.path}` }];
    case 'usage':
      return [{ path: p.path!, subject: `Cannot check whether another program uses ${p.path}` }];
    case 'backup': {
      const source = resolve(p.source!);
      const destination = resolve(p.destination!);
      // Given with a trailing separator, the destination is a folder, made if missing.
      const wantsFolder = p.destination!.endsWith('/') || p.destination!.endsWith(sep);
      return [{ path: source, subject: `Cannot back up ${source}` }, ...(wantsFolder ? [] : [{ path: destination, subject: `Cannot back up ${source} to ${destination}`, folderAllowed: true }])];
    }
    case 'vaultBackup':
      return [{ path: resolve(p.source!), subject: `Cannot back up ${resolve(p.source!)}` }];
    case 'restore':
      return [
        { path: resolve(p.backup!), subject: `Cannot restore ${resolve(p.backup!)}` },
        { path: resolve(p.target!), subject: `Cannot restore into ${resolve(p.target!)}` },
      ];
  }
  return [];
}

/**
 * Refuses a named pipe, socket or device (or such a -wal, -shm or -journal beside a
 * database) by its type, before anything opens it: opening a named pipe waits for a writer.
 */
async function checkFileTypes(files: Array<{ path: string; subject: string; folderAllowed?: boolean }>): Promise<void> {
  for (const { path, subject, folderAllowed } of files) {
    if (folderAllowed && (await stat(path).then((s) => s.isDirectory(), () => false))) continue;
    await checkFileType(path, subject);
  }
}

async function run<O extends OperationName>(operation: O, params: Operations[O]['params'], options: RunOptions = {}): Promise<Operations[O]['result']> {
  const { signal } = options;
  const cancelled = () => new PagevaultError('CANCELLED', `Pagevault ${operation}: cancelled before it started`);
  if (signal?.aborted) throw cancelled();
  const release = lightOperations.has(operation) ? await lightSlots.acquire(signal, cancelled) : () => undefined;
  try {
    await checkFileTypes(namedFiles(operation, params));
    if (signal?.aborted) throw cancelled();
  } catch (error) {
    release();
    throw error;
  }
  return startWorker(operation, params, options, release);
}

/** A worker between operations waits this long for the next one before it ends. */
const IDLE_WORKER_MS = 30_000;
/** At most this many workers wait between operations; each takes tens of MB. */
const IDLE_WORKERS_KEPT = 2;

interface EngineWorker {
  worker: Worker;
  /** Whether it relays its helpers to the shell's starter (set once, when it starts). */
  relayed: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * An operation's heap. The old generation is capped so a runaway allocation fails the
 * operation, not the process. The young one is kept at 4 MB: V8's default grows it to
 * tens of MB under the garbage of a vault version's per-page hashes, which SQLite's
 * memory and the pages' buffers add to. Measured on a 1 GB database, 1 % changed: a
 * version's peak private memory 122 MB, against 140 MB with the default, in the same time.
 */
const ENGINE_HEAP_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 4 };

/** Workers whose last operation answered with a result, waiting for the next (newest last). */
const idleWorkers: EngineWorker[] = [];

/**
 * A worker for one operation: one that finished its last operation and waits, or a new
 * one. Starting a thread and loading the engine's modules into it takes longer than a
 * cloned backup, so a backup after another finds its worker ready.
 */
function takeWorker(): EngineWorker {
  const relayed = helpersRelayed();
  for (;;) {
    const idle = idleWorkers.pop();
    if (!idle) break;
    clearTimeout(idle.idleTimer);
    // One started before the shell's helper starter was given would spawn the helper itself.
    if (idle.relayed !== relayed) {
      endWorker(idle.worker);
      continue;
    }
    idle.worker.ref();
    return idle;
  }
  const worker = new Worker(workerUrl, { execArgv: threadExecArgv(), resourceLimits: ENGINE_HEAP_LIMITS });
  const started: EngineWorker = { worker, relayed };
  // One that ends while it waits (it should not) is no longer handed out.
  worker.once('exit', () => {
    const index = idleWorkers.indexOf(started);
    if (index >= 0) idleWorkers.splice(index, 1);
  });
  relayHelpers(worker);
  return started;
}

/** Puts a worker whose operation answered with a result back, to wait for the next; past the few kept, it ends. */
function keepWorker(engineWorker: EngineWorker): void {
  if (idleWorkers.length >= IDLE_WORKERS_KEPT) return endWorker(engineWorker.worker);
  // Waiting, it keeps no process from exiting.
  engineWorker.worker.unref();
  engineWorker.idleTimer = setTimeout(() => {
    const index = idleWorkers.indexOf(engineWorker);
    if (index >= 0) idleWorkers.splice(index, 1);
    endWorker(engineWorker.worker);
  }, IDLE_WORKER_MS).unref();
  idleWorkers.push(engineWorker);
}

/** Asks a worker to end once what its last operation left (a helper's end, say) has drained. */
function endWorker(worker: Worker): void {
  try {
    worker.postMessage({ type: 'end' } satisfies WorkerCommand);
  } catch {
    // It has ended already.
  }
}

/**
 * Ends the workers that wait between operations (a shell that quits, a test that counts
 * threads); a later operation starts a new one. Resolves once they have ended.
 */
export async function endIdleWorkers(): Promise<void> {
  const ending = idleWorkers.splice(0);
  await Promise.all(
    ending.map(({ worker, idleTimer }) => {
      clearTimeout(idleTimer);
      const exited = new Promise((resolvePromise) => worker.once('exit', resolvePromise));
      void worker.terminate();
      return exited;
    }),
  );
}

/**
 * Runs `operation` in an engine worker; `release` is called once the operation is over.
 * A worker whose operation answered with a result waits for the next one; after an
 * error, a cancel or a crash it ends (a cancelled one is terminated after a grace), so a
 * worker is only reused from the state a finished operation leaves.
 */
function startWorker<O extends OperationName>(operation: O, params: Operations[O]['params'], options: RunOptions, release: () => void): Promise<Operations[O]['result']> {
  const { signal, onProgress } = options;
  const cancelFlag = createCancelFlag();
  // The worker reads the database files through descriptors opened here, which outlive it
  // until no engine worker is at work on those databases (database-files.ts).
  const { keys: databases, descriptors } = enterDatabases(databasesOf(params));
  const input: WorkerInput<O> = { operation, params, cancelFlag, descriptors };
  let engineWorker: EngineWorker;
  try {
    engineWorker = takeWorker();
    engineWorker.worker.postMessage({ type: 'run', input } satisfies WorkerCommand);
  } catch (error) {
    leaveDatabases(databases);
    release();
    throw error;
  }
  const { worker } = engineWorker;
  const claims: PartialClaim[] = [];

  return new Promise<Operations[O]['result']>((resolvePromise, rejectPromise) => {
    let settled = false;
    let answered = false;
    let over = false;
    let graceTimer: NodeJS.Timeout | undefined;
    // Set once the grace is over and the worker is being terminated.
    let terminating = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    // The operation is over for this thread: its databases are left and its slot given back.
    const finish = () => {
      if (over) return;
      over = true;
      clearTimeout(graceTimer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      leaveDatabases(databases);
      release();
    };
    const onAbort = () => {
      raiseCancelFlag(cancelFlag);
      // A worker inside one long SQLite call (VACUUM INTO) cannot look at the flag: stop it.
      graceTimer = setTimeout(() => {
        terminating = true;
        void worker.terminate();
      }, CANCEL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const onMessage = (message: WorkerMessage) => {
      switch (message.type) {
        case 'progress':
          if (!settled) onProgress?.(message.progress);
          break;
        case 'claim':
          claims.push(message.claim);
          break;
        case 'open':
          openForWorker(message.path, message.answer);
          break;
        case 'result':
          answered = true;
          settle(() => resolvePromise(message.value as Operations[O]['result']));
          if (signal?.aborted) {
            // Cancelled as it answered: it ends (the grace's terminate stands), as after an error.
            endWorker(worker);
            break;
          }
          finish();
          keepWorker(engineWorker);
          break;
        case 'error':
          // An error a worker reports as it is terminated is the termination's doing (a SQLite
          // call cut short): its exit answers, as cancelled, and removes what it left.
          if (terminating) break;
          answered = true;
          settle(() => rejectPromise(PagevaultError.fromBody(message.error, message.reason)));
          // Not reused after a failure: it ends, and its databases are left when it has.
          endWorker(worker);
          break;
      }
    };
    const onError = (error: Error) => settle(() => rejectPromise(new PagevaultError('INTERNAL', `Pagevault ${operation} failed: ${error.message}`, { cause: error })));
    const onExit = (code: number) => {
      finish();
      // A terminated worker could not remove its partials; do it here, before answering, so
      // that "cancelled" means nothing is left. (Only when it did not get to answer: then it
      // had already cleaned up itself.)
      const cleanedUp = answered ? Promise.resolve() : Promise.allSettled(claims.map((claim) => abandonPartial(claim)));
      void cleanedUp.then(() =>
        settle(() =>
          rejectPromise(
            signal?.aborted
              ? new PagevaultError('CANCELLED', `Pagevault ${operation}: cancelled`)
              : new PagevaultError('INTERNAL', `Pagevault ${operation} stopped unexpectedly (worker exit code ${code})`),
          ),
        ),
      );
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/** Reads what `path` is: header facts, pragmas, tables with row counts. */
export function inspect(path: string, options?: InspectOptions & RunOptions): Promise<InspectResult> {
  return run('inspect', { path, options: { rowCountBudgetMs: options?.rowCountBudgetMs, busyTimeoutMs: options?.busyTimeoutMs, heldAfterMs: options?.heldAfterMs, keys: options?.keys, detectCipher: options?.detectCipher } }, options);
}

/** Checks a backup: quick_check (or integrity_check with `full`), SHA-256, manifest. */
export function verify(path: string, options?: VerifyOptions & RunOptions): Promise<VerifyResult> {
  return run('verify', { path, options: { full: options?.full, useManifest: options?.useManifest, keys: options?.keys, action: options?.action } }, options);
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
  return run('usage', { path, options: { sampleMs: options?.sampleMs, key: options?.key } }, options);
}
export { changeMark } from './change-mark.ts';
export { rawCopyFacts } from './raw-copy.ts';

/** Adds a version of a live database to the page vault in `vault` (made on first use; encrypted with `encryption`, opened with `keys`). */
export function vaultBackup(source: string, vault: string, options?: { busyTimeoutMs?: number } & VaultEncryptionOptions & RunOptions): Promise<VaultBackupResult> {
  const { onProgress, signal, ...rest } = options ?? {};
  return run('vaultBackup', { source, vault, options: rest }, { onProgress, signal });
}

/** The versions in a vault, oldest first, and the vault's size on disk; `keys`, when given, must open an encrypted vault. */
export function vaultList(vault: string, options?: { keys?: AgeKeyInput[] } & RunOptions): Promise<{ vault: string; versions: VaultVersion[]; bytes: number; encryptedTo?: string | null }> {
  const { onProgress, signal, keys } = options ?? {};
  return run('vaultList', { vault, ...(keys && { keys }) }, { onProgress, signal });
}

/** Restores a version of a vault (its number, or `latest`) into a new file or a live database. */
export function vaultRestore(vault: string, version: string, target: string, options?: RestoreOptions & RunOptions): Promise<VaultRestoreResult> {
  const { onProgress, signal, ...rest } = options ?? {};
  return run('vaultRestore', { vault, version, target, options: rest }, { onProgress, signal });
}

/** Checks every page of every version of a vault against its hash; an encrypted vault's contents only with `keys`. */
export function vaultVerify(vault: string, options?: { keys?: AgeKeyInput[] } & RunOptions): Promise<VaultVerifyResult> {
  const { onProgress, signal, keys } = options ?? {};
  return run('vaultVerify', { vault, ...(keys && { keys }) }, { onProgress, signal });
}

/** Deletes the versions a retention policy drops (never one in `keep`: pinned in the app) and the pages no kept version names. */
export function vaultPrune(vault: string, policy: RetentionPolicy, options?: { keep?: number[] } & RunOptions): Promise<VaultPruneResult> {
  const { keep, ...rest } = options ?? {};
  return run('vaultPrune', { vault, policy, ...(keep && keep.length > 0 && { keep }) }, rest);
}

/** Deletes the versions `ids` of a vault by hand and the pages no other version names, as a prune collects them; needs no key. */
export function vaultDelete(vault: string, ids: number[], options?: RunOptions): Promise<VaultDeleteResult> {
  return run('vaultDelete', { vault, ids }, options);
}
