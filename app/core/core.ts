/**
 * The API implementation both shells call: validates a request against its schema,
 * runs it, and answers with an Outcome. Push events go out through `events`.
 */
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { defaults, methodNames, PagevaultError, requestSchemas, type MethodName, type Outcome, type Params, type Result } from '../api/index.ts';
import type { Settings } from '../api/types.ts';
import { Catalog, CATALOG_COMPANIONS, CatalogBackups, catalogPathOf, isBusyError, isDamageError, openDataDir, shellQuote, STAGING_FOLDER } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { sqliteVersion } from '../engine/backup.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { BackupJobs, type EngineBackup } from './backup-jobs.ts';
import type { CoreContext, ShellServices } from './context.ts';
import { Databases, ensureWritableFolder } from './databases.ts';
import { EventBus } from './event-bus.ts';
import { History } from './history.ts';
import { packageInfo } from './package-info.ts';
import { Restores } from './restores.ts';
import { Retention } from './retention.ts';
import { Schedules } from './schedules.ts';
import { Storage } from './storage.ts';
import { keyFileStore, type SecretStore } from '../secrets/secret-store.ts';
import { BackupEncryptionSettings } from './backup-encryption.ts';
import { systemClock, type Clock, type Scheduler } from '../scheduler/scheduler.ts';

export type { DesktopNotification, ShellServices } from './context.ts';

/** How a shell starts the core: its data folder, which shell it is, and the services only that shell has. */
export interface CoreOptions {
  dataDir: string;
  shell: 'electron' | 'web';
  /** What only the shell can do: dialogs, the file manager, notifications. */
  services?: ShellServices;
  /** The scheduler's clock (tests inject one); the system clock by default. */
  clock?: Clock;
  /** IANA time zone for calendar schedules; the machine's by default. */
  timezone?: string;
  /** Whose home folder `databases.discover` searches, and for which platform's layout; this process's by default. */
  discovery?: { env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform };
  /**
   * The engine's backup; engine.backup by default. Tests wrap it to reach outcomes the
   * engine cannot be made to give on demand (a copy of a database another program held,
   * a deferred one), while every other part of the run stays real.
   */
  backup?: EngineBackup;
  /** Where the keys of encrypted databases and backups live; a 0600 key file in the data folder by default. */
  secrets?: SecretStore;
}

type Handlers = { [M in MethodName]: (params: z.output<(typeof requestSchemas)[M]>) => Promise<Result<M>> | Result<M> };

const knownMethods = new Set<string>(methodNames);

/** Settings a fresh catalog starts with. */
export function defaultSettings(dataDir: string): Settings {
  return {
    defaultBackupFolder: join(dataDir, 'backups'),
    concurrency: defaults.concurrency,
    verifyAfterBackup: true,
    notifyOnSuccess: false,
    theme: 'system',
    schedulesPausedUntil: null,
    closeToTray: true,
    closeToTrayExplained: false,
    startAtLogin: false,
    backupEncryption: {},
  };
}

/** The core a shell starts once: `handle` for requests off the wire, `call` for typed in-process callers, `events` for what it pushes. */
export class Core {
  readonly events = new EventBus();
  readonly options: CoreOptions;
  readonly #ctx: CoreContext;
  readonly #handlers: Handlers;
  readonly #scheduler: Scheduler;
  readonly #catalogBackups: CatalogBackups;
  readonly #recovered: Promise<void>;
  /** Lifts the engine's ban on the catalog's files (see the constructor). */
  readonly #unreserveCatalog: () => void;
  #closed = false;

  /** Starts the scheduler: catches up what was missed while Pagevault was not running, then keeps time. */
  startScheduler(): void {
    this.#scheduler.start();
  }

  /** The machine woke from sleep: scheduled runs that were missed are caught up now. */
  resumed(): void {
    this.#scheduler.resume();
  }

  /** Where the browser shell stores files dropped onto its window until they are restored. */
  get stagingDir(): string {
    return join(this.#ctx.dataDir, STAGING_FOLDER);
  }

  /** Where this core keeps keys (CoreOptions.secrets, or the data folder's key file). */
  get secrets(): SecretStore {
    return this.#ctx.secrets;
  }

  readonly #restores: Restores;
  /** True once `close()` has begun. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Opens (or creates) the catalog in the data dir; throws CATALOG_TOO_NEW for a newer
   * one and CATALOG_DAMAGED, naming the newest automatic catalog backup, for a damaged one.
   */
  constructor(options: CoreOptions) {
    this.options = options;
    const dataDir = openDataDir(options.dataDir);
    const catalog = new Catalog(dataDir, defaultSettings(dataDir));
    // This process keeps the catalog open with SQLite's locks: an inspect or verify of it
    // would close a descriptor of it afterwards, and with that drop those locks.
    const catalogPath = catalogPathOf(dataDir);
    this.#unreserveCatalog = engine.reserveOwnFiles(
      [catalogPath, ...CATALOG_COMPANIONS.map((suffix) => catalogPath + suffix)],
      "it is Pagevault's own catalog, which Pagevault keeps open; to check it, quit Pagevault first",
    );
    const events = this.events;
    const shell = options.services ?? {};
    const catalogProblem = (what: string, error: unknown, next?: string) => {
      const problem = describeCatalogProblem(catalogPathOf(dataDir), what, error, next);
      console.error(`Pagevault: ${problem.message}`);
      events.emit('catalog.problem', problem.toBody());
      try {
        shell.notify?.({ kind: 'failure', title: 'Pagevault cannot use its catalog', body: problem.message });
      } catch {
        // A shell that cannot notify must not turn a report into a crash.
      }
    };
    this.#catalogBackups = new CatalogBackups(catalog.connection, dataDir, { failed: (error) => catalogProblem('Backing up the catalog', error, 'the automatic catalog backups taken before are kept; Pagevault tries again in a minute') });
    const queue = new JobQueue(catalog.settings.get().concurrency, {
      changed: (jobs) => events.emit('jobs.changed', jobs),
      progress: (progress) => events.emit('job.progress', progress),
    });
    this.#ctx = {
      dataDir,
      catalog,
      queue,
      events,
      shell,
      secrets: options.secrets ?? keyFileStore(dataDir),
      changed: (topic) => events.emit('catalog.changed', { topic }),
      finished: (result) => events.emit('job.finished', result),
      catalogProblem,
    };
    const backupEncryption = new BackupEncryptionSettings(this.#ctx);
    const databases = new Databases(this.#ctx);
    const retention = new Retention(this.#ctx, databases);
    const backups = new BackupJobs(this.#ctx, databases, retention, options.backup, backupEncryption);
    const history = new History(this.#ctx, backupEncryption);
    this.#recovered = backups
      .recoverInterrupted()
      .catch((error: unknown) => catalogProblem('Recording the backups interrupted when Pagevault last ended', error))
      // Versions taken after the catalog's last backup (a catalog restore put an older one back) are in their vaults.
      .then(() => history.listVaultVersions())
      .then(
        () => undefined,
        (error: unknown) => catalogProblem('Listing the versions in the vaults', error),
      );
    const schedules = new Schedules(this.#ctx, databases, backups, options.clock ?? systemClock, options.timezone);
    this.#scheduler = schedules.scheduler;
    const restores = new Restores(this.#ctx, backupEncryption);
    this.#restores = restores;
    const storage = new Storage(this.#ctx, databases);
    const unsupported = (what: string) => new PagevaultError('NOT_SUPPORTED', `${what} is only available in the Pagevault desktop app`);

    this.#handlers = {
      'app.info': () => {
        const pkg = packageInfo();
        return {
          name: pkg.productName,
          version: pkg.version,
          shell: options.shell,
          dataDir,
          sqliteVersion: sqliteVersion(),
          nodeVersion: process.versions.node,
          platform: process.platform,
        };
      },
      'files.inspect': ({ path }) => engine.inspect(path),
      'files.verify': async ({ path, full, key }) => engine.verify(path, { full, keys: { age: [...(key ? [key] : []), ...(await backupEncryption.keys())] } }),
      'files.reveal': ({ path }) => {
        if (!shell.reveal) throw unsupported('Showing a file in the file manager');
        shell.reveal(resolve(path));
        return { revealed: true };
      },
      'files.pick': async ({ purpose }) => {
        if (!shell.pickPaths) throw unsupported('The file dialog');
        return { paths: await shell.pickPaths(purpose) };
      },
      'databases.list': () => databases.list(),
      'databases.add': ({ path, label, key, withoutKey }) => databases.add(path, label, key, withoutKey === true),
      'databases.update': (params) => databases.update(params),
      'databases.remove': ({ id }) => databases.remove(id),
      'databases.details': ({ id }) => databases.details(id),
      'databases.discover': () => databases.discover(options.discovery),
      'backups.start': ({ databaseId }) => backups.start(databaseId),
      'backups.startAll': () => backups.startAll(),
      'jobs.list': () => queue.list(),
      'jobs.cancel': ({ jobId }) => ({ cancelled: queue.cancel(jobId) }),
      'history.list': (query) => history.list(query),
      'history.series': ({ databaseId, limit }) => ({ points: history.series(databaseId, limit) }),
      'history.verify': ({ backupId, full }) => history.verify(backupId, full),
      'history.delete': ({ backupId }) => history.delete(backupId),
      'history.import': ({ folder }) => history.import(folder),
      'history.pin': ({ backupId, pinned }) => history.pin(backupId, pinned),
      'schedules.list': ({ hour12 }) => schedules.list({ hour12 }),
      'schedules.preview': ({ spec, hour12 }) => schedules.preview(spec, { hour12 }),
      'schedules.set': ({ databaseId, schedule }) => schedules.set(databaseId, schedule),
      'schedules.remove': ({ databaseId }) => schedules.remove(databaseId),
      'schedules.pause': ({ until }) => schedules.pause(until),
      'retention.get': ({ databaseId }) => retention.get(databaseId),
      'retention.preview': ({ databaseId, policy }) => retention.preview(databaseId, policy),
      'retention.set': ({ databaseId, policy }) => retention.set(databaseId, policy),
      'storage.get': ({ databaseId }) => storage.get(databaseId),
      'restore.check': ({ backupPath, key, sourceKey }) => restores.check(backupPath, key, sourceKey),
      'restore.target': ({ backupPath, targetPath }) => restores.target(backupPath, targetPath),
      'restore.start': (params) => restores.start(params),
      'settings.get': () => catalog.settings.get(),
      'settings.update': async (changes) => {
        if (changes.defaultBackupFolder !== undefined) {
          changes.defaultBackupFolder = resolve(changes.defaultBackupFolder);
          await ensureWritableFolder(changes.defaultBackupFolder, `Cannot use ${changes.defaultBackupFolder} as the default backup folder`);
        }
        if (changes.concurrency !== undefined) queue.setConcurrency(changes.concurrency);
        const settings = catalog.settings.update(changes);
        this.#ctx.changed('settings');
        return settings;
      },
      'encryption.get': ({ databaseId }) => {
        if (databaseId !== null) databases.get(databaseId);
        return backupEncryption.get(databaseId);
      },
      'encryption.set': ({ databaseId, mode, passphrase, newIdentity }) => {
        if (databaseId !== null) databases.get(databaseId);
        return backupEncryption.set(databaseId, mode, { passphrase, newIdentity });
      },
    };
  }

  /**
   * Validates and runs one request. Never throws: unknown methods, invalid params and
   * failures all come back as `{ ok: false, error }`.
   */
  async handle(method: string, params: unknown): Promise<Outcome<unknown>> {
    if (!knownMethods.has(method)) {
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `Unknown API method '${method}'` } };
    }
    const name = method as MethodName;
    const parsed = requestSchemas[name].safeParse(params ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
      const detail = issues.map((issue) => `${issue.path || 'params'}: ${issue.message}`).join('; ');
      return { ok: false, error: { code: 'INVALID_REQUEST', message: `Invalid request to ${method}: ${detail}`, issues } };
    }
    try {
      const handler = this.#handlers[name] as (params: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof PagevaultError) return { ok: false, error: error.toBody() };
      console.error(`Pagevault: ${method} failed`, error);
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: 'INTERNAL', message: `${method} failed: ${message}` } };
    }
  }

  /**
   * `handle` for callers in this process (the Electron shell, tests): typed by the method
   * table, so a misspelt method or a wrong param is a compile error and the result needs
   * no cast. Validates like `handle`; a failure rejects with its PagevaultError.
   */
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    const outcome = await this.handle(method, params);
    if (!outcome.ok) throw PagevaultError.fromBody(outcome.error);
    return outcome.value as Result<M>;
  }

  /** Cancels running jobs (their partial files are removed), backs up the catalog if it changed, and closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#scheduler.stop();
    await this.#recovered;
    await this.#ctx.queue.close();
    await this.#restores.close();
    // Let the finished jobs write their history entries first.
    await new Promise((resolve) => setImmediate(resolve));
    await this.#catalogBackups.close();
    this.#ctx.catalog.close();
    this.#unreserveCatalog();
  }

  /** Resolves once the backups interrupted when Pagevault last ended are recorded and their partial files removed. */
  get recovered(): Promise<void> {
    return this.#recovered;
  }

  /** Backs up the catalog now, as happens on its own after each burst of changes; resolves with the file. */
  backUpCatalog(): Promise<{ path: string; takenAt: string }> {
    return this.#catalogBackups.backUpNow();
  }
}

/**
 * A catalog failure as the UIs are told of it: what could not be done, which file, why,
 * and `next`, what happens now or what the user can do.
 */
export function describeCatalogProblem(catalogPath: string, what: string, error: unknown, next?: string): PagevaultError {
  const cause = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, '; ');
  const then = next ? `; ${next}` : '';
  if (isBusyError(error) || (error instanceof PagevaultError && error.code === 'CATALOG_BUSY')) {
    return new PagevaultError('CATALOG_BUSY', `${what} failed: the Pagevault catalog ${catalogPath} is locked by another program (${cause})${then}`, { cause: error });
  }
  if (isDamageError(error) || (error instanceof PagevaultError && error.code === 'CATALOG_DAMAGED')) {
    return new PagevaultError(
      'CATALOG_DAMAGED',
      `${what} failed: the Pagevault catalog ${catalogPath} is damaged (${cause})${then}; quit Pagevault and restore the catalog with: pagevault catalog restore --data-dir ${shellQuote(dirname(catalogPath))}`,
      { cause: error },
    );
  }
  const code = error instanceof PagevaultError ? error.code : 'INTERNAL';
  return new PagevaultError(code, `${what} failed: ${cause}${then}`, { cause: error });
}
