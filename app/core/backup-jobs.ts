/**
 * The `backups.*` methods: Backup now and Backup all now. Each backup is a job in the
 * queue; when it ends, the history gets an entry, the UIs hear of it and the shell
 * may show a desktop notification.
 */
import type { BackupEncryptionSettings } from './backup-encryption.ts';
import { randomUUID } from 'node:crypto';
import { hostname, uptime } from 'node:os';
import { sep } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { BackupRecord, BackupResult, BackupStatus, BackupTrigger, JobInfo } from '../api/types.ts';
import { entryFromManifest, entryWithoutFile, ownPathProblem, realPathOf, type DatabaseRow } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { removeStalePartials } from '../engine/partial-file.ts';
import { toPagevaultError } from '../engine/sqlite-errors.ts';
import type { CoreContext } from './context.ts';
import { withFileFacts } from './file-facts.ts';
import { backupKey, ensureWritableFolder, type Databases } from './databases.ts';
import type { Retention } from './retention.ts';
import { copiesRaw, keyMissingError, sourceKeyOf } from './source-keys.ts';
import { checkedVault, isVersion, versionEntry } from './versions.ts';
import type { VaultBackupResult } from '../vault/vault.ts';

/** This process among all that ever ran Pagevault here: its runs are not another's interrupted ones. */
const PROCESS_INSTANCE = randomUUID();

/** What a backup run left: its record and, when it failed, why. */
interface RunResult {
  /** Null when the catalog could not record the run (the UIs were told why). */
  record: BackupRecord | null;
  failure: PagevaultError | null;
}

/** A version just added, and its check when verification after backup is on. */
interface AddedVersion {
  added: VaultBackupResult;
  verified: { problems: string[]; at: string } | null;
}

/** How a backup was asked for. */
export interface BackupRequest {
  trigger?: Extract<BackupTrigger, 'manual' | 'schedule'>;
  /** Record a skipped run instead of copying when nothing changed since the last successful backup. */
  skipIfUnchanged?: boolean;
}

/**
 * The history status of a run that ended with `failure`. DEFERRED is not a failure: another
 * program held the database and kept writing through every try, which is that program
 * being normal; the next run tries again and nothing needs fixing.
 */
export function statusOfFailure(failure: PagevaultError): Extract<BackupStatus, 'cancelled' | 'deferred' | 'failed'> {
  if (failure.code === 'CANCELLED') return 'cancelled';
  if (failure.code === 'DEFERRED') return 'deferred';
  return 'failed';
}

/** The engine's backup, or what stands in for it (see CoreOptions.backup). */
export type EngineBackup = typeof engine.backup;

/** Queues backups as jobs and records each outcome in the history; the one way a backup starts, by hand or by schedule. */
export class BackupJobs {
  readonly #ctx: CoreContext;
  readonly #databases: Databases;
  readonly #retention: Retention;
  readonly #backup: EngineBackup;

  readonly #encryption: BackupEncryptionSettings | undefined;

  constructor(ctx: CoreContext, databases: Databases, retention: Retention, backup: EngineBackup = engine.backup, encryption?: BackupEncryptionSettings) {
    this.#ctx = ctx;
    this.#encryption = encryption;
    this.#databases = databases;
    this.#retention = retention;
    this.#backup = backup;
  }

  /** Queues a backup of one database; refuses a second while one is queued or running. */
  start(databaseId: number, request: BackupRequest = {}): JobInfo {
    const row = this.#databases.get(databaseId);
    const trigger = request.trigger ?? 'manual';
    const { info, done } = this.#ctx.queue.enqueue<RunResult>({
      kind: 'backup',
      databaseId: row.id,
      label: row.label,
      key: backupKey(row.id),
      duplicateMessage: `A backup of '${row.label}' is already running; wait for it to finish or cancel it`,
      run: (job) => this.#run(row, trigger, request.skipIfUnchanged ?? false, job),
    });
    // A job cancelled while still queued never ran: no history entry, only the event.
    done
      .then(
        ({ record, failure }) => this.#finished(info, row, trigger, record, failure),
        (error: unknown) => this.#finished(info, row, trigger, null, toPagevaultError(error, `Cannot back up ${row.path}`)),
      )
      .catch((error: unknown) => this.#ctx.catalogProblem(`Finishing the backup of '${row.label}'`, error));
    return info;
  }

  /** Queues a backup of every registered database; says which were refused and why. */
  startAll(): { started: JobInfo[]; refused: Array<{ databaseId: number; message: string }> } {
    const started: JobInfo[] = [];
    const refused: Array<{ databaseId: number; message: string }> = [];
    for (const row of this.#ctx.catalog.databases.list()) {
      try {
        started.push(this.start(row.id));
      } catch (error) {
        refused.push({ databaseId: row.id, message: (error as Error).message });
      }
    }
    return { started, refused };
  }

  /**
   * Runs the backup and records it in the history, whatever the outcome. A catalog that
   * cannot record it (locked, damaged) does not fail a backup that succeeded: the file
   * and its manifest are on disk, and the UIs are told what could not be recorded.
   */
  async #run(row: DatabaseRow, trigger: BackupTrigger, skipIfUnchanged: boolean, job: { signal: AbortSignal; progress: (p: engine.EngineProgress) => void }): Promise<RunResult> {
    const startedAt = new Date();
    const runId = this.#startRun(row, trigger, startedAt);
    const recorded = (status: BackupRecord['status'], write: () => BackupRecord, next?: string) => this.#recorded(row, runId, status, write, next);
    let result: BackupResult;
    let mark: string;
    let raw = false;
    try {
      const settings = this.#ctx.catalog.settings.get();
      // Taken before the copy: a write during the copy changes the mark, so the next run copies again.
      mark = await engine.changeMark(row.path);
      const last = skipIfUnchanged ? await this.#lastChangeMark(row.id, row.storage) : undefined;
      if (last && last.mark === mark) return { record: recorded('skipped', () => this.#skipped(row, trigger, startedAt, last.backup)), failure: null };
      this.#checkDestination(row);
      await ensureWritableFolder(row.destination, `Cannot back up ${row.path} into ${row.destination}`);
      if (row.storage === 'versions') {
        const added = await this.#addVersion(row, job);
        const problems = added.verified?.problems ?? [];
        if (problems.length > 0) {
          // As a copy that fails its check: a failed backup, so retention does not prune the older
          // versions for it, and without its change mark, so the next run does not skip as unchanged.
          const { version, vault } = added.added;
          const failure = new PagevaultError('VERIFY_FAILED', `Version ${version.id} of ${row.path} was added to the vault ${vault} but failed verification: ${problems.slice(0, 3).join('; ')}`);
          return { record: recorded('succeeded', () => this.#recordVersion(row, trigger, startedAt, added, null)), failure };
        }
        return { record: recorded('succeeded', () => this.#recordVersion(row, trigger, startedAt, added, mark)), failure: null };
      }
      const key = await sourceKeyOf(this.#ctx.secrets, row.id);
      raw = !key && (await copiesRaw(this.#ctx.secrets, row.id));
      const encryption = await this.#encryption?.forBackup(row.id, row.label);
      result = await this.#backup(row.path, row.destination + sep, {
        key,
        raw,
        ...(encryption && { encryption }),
        mode: row.mode,
        verify: settings.verifyAfterBackup,
        pagesPerStep: row.pagesPerStep ?? undefined,
        pauseMs: row.pauseMs ?? undefined,
        onProgress: job.progress,
        signal: job.signal,
        now: startedAt,
      });
    } catch (error) {
      // A database added without its key has none to miss: its ENCRYPTED (compact mode) stands as it is.
      const failure = error instanceof PagevaultError && error.code === 'ENCRYPTED' && !raw ? keyMissingError(row.path, row.label, this.#ctx.secrets.kind, error) : toPagevaultError(error, `Cannot back up ${row.path}`);
      const status = statusOfFailure(failure);
      return { record: recorded(status, () => this.#withoutFile(row, status, trigger, startedAt, failure.toBody())), failure };
    }
    const saved = `the backup ${result.path} and its manifest are on disk, and History > Import backups from folder adds it`;
    return { record: recorded('succeeded', () => this.#record(row, trigger, startedAt, result, mark), saved), failure: null };
  }

  /**
   * Backups never go into Pagevault's own folders (the data folder beside the catalog,
   * its catalog backups, its staging folder, whose files are removed after a day), also
   * when the backup folder reaches them through a symlink: real paths are compared.
   */
  /**
   * The change mark of the latest successful backup whose file is still on disk. Read a
   * few backups at a time and looked at asynchronously: usually the newest one answers,
   * and a long history is neither read whole nor checked file by file on this thread.
   */
  async #lastChangeMark(databaseId: number, storage: DatabaseRow['storage']): Promise<{ mark: string; backup: BackupRecord } | undefined> {
    const limit = 8;
    for (let offset = 0; ; offset += limit) {
      const backups = this.#ctx.catalog.backups.withFiles(databaseId, { offset, limit });
      // Only an entry of the kind kept now: a switch from Copies to Versions makes a first version even when nothing changed.
      const backup = (await withFileFacts(backups)).find((candidate) => candidate.fileExists && isVersion(candidate) === (storage === 'versions'));
      if (backup) {
        const mark = this.#ctx.catalog.backups.changeMarkOf(backup.id);
        return mark ? { mark, backup } : undefined;
      }
      if (backups.length < limit) return undefined;
    }
  }

  /**
   * Adds a version to the database's vault, in an engine worker as every backup runs, with
   * its progress and cancel. An encrypted database has no vault: its pages would be
   * stored as the cipher wrote them, unreadable without the key and never shared. With
   * encryption at rest, the vault is an encrypted one (vault-store.ts), made to the same
   * recipient and opened with the key store's keys; a vault of the other kind is refused.
   */
  async #addVersion(row: DatabaseRow, job: { signal: AbortSignal; progress: (p: engine.EngineProgress) => void }): Promise<AddedVersion> {
    const subject = `Cannot add a version of ${row.path}`;
    if ((await sourceKeyOf(this.#ctx.secrets, row.id)) || (await copiesRaw(this.#ctx.secrets, row.id))) {
      throw new PagevaultError('NOT_SUPPORTED', `${subject}: it is encrypted, and the vault keeps only plain databases; choose Copies in its settings`);
    }
    const encryption = (await this.#encryption?.forBackup(row.id, row.label)) ?? null;
    const keys = (await this.#encryption?.keys()) ?? [];
    const { vault } = await checkedVault(row, subject);
    const added = await engine.vaultBackup(row.path, vault, { onProgress: job.progress, signal: job.signal, encryption, keys });
    if (!this.#ctx.catalog.settings.get().verifyAfterBackup) return { added, verified: null };
    // As a copy is verified after it is written: every stored page against its hash. The
    // version is committed by now, so this is not cancelled; it reads the vault once.
    const check = await engine.vaultVerify(vault, { onProgress: job.progress, keys });
    const problems = check.problems.filter((problem) => problem.version === added.version.id || problem.version === null).map((problem) => problem.message);
    return { added, verified: { problems, at: new Date().toISOString() } };
  }

  #recordVersion(row: DatabaseRow, trigger: BackupTrigger, startedAt: Date, { added, verified }: AddedVersion, changeMark: string | null): BackupRecord {
    const entry = versionEntry(added.version, added.vault, { databaseId: row.id, databaseLabel: row.label, trigger, startedAt: startedAt.toISOString(), durationMs: added.durationMs, mode: row.mode });
    return this.#ctx.catalog.backups.insert({
      ...entry,
      ...(verified && { verification: verified.problems.length === 0 ? 'passed' : 'failed', verificationProblems: verified.problems, verifiedAt: verified.at }),
      changeMark,
    });
  }

  #checkDestination(row: DatabaseRow): void {
    const problem = ownPathProblem(this.#ctx.dataDir, realPathOf(row.destination), 'folder');
    if (problem) throw new PagevaultError('OWN_FILE', `Cannot back up ${row.path} into ${row.destination}: ${problem}; choose another backup folder in the database's settings`);
  }

  /**
   * Records the backup as running, so that a process that dies during it leaves a trace
   * the next start turns into an interrupted entry. Null when the catalog cannot say so now.
   */
  #startRun(row: DatabaseRow, trigger: BackupTrigger, startedAt: Date): number | null {
    try {
      return this.#ctx.catalog.runs.start({
        databaseId: row.id,
        databaseLabel: row.label,
        source: row.path,
        destination: row.destination,
        mode: row.mode,
        trigger,
        startedAt: startedAt.toISOString(),
        pid: process.pid,
        host: hostname(),
        instance: PROCESS_INSTANCE,
      });
    } catch (error) {
      this.#ctx.catalogProblem(`Recording the start of the backup of '${row.label}'`, error, 'the backup runs all the same');
      return null;
    }
  }

  /**
   * Writes the history entry and forgets the running row in one transaction (a crash
   * between them must not leave a finished backup to be called interrupted); when the
   * catalog fails, tells the UIs instead of failing the job.
   */
  #recorded(row: DatabaseRow, runId: number | null, status: BackupRecord['status'], write: () => BackupRecord, next?: string): BackupRecord | null {
    const { catalog } = this.#ctx;
    try {
      return catalog.connection.transaction(() => {
        const record = write();
        if (runId !== null) catalog.runs.end(runId);
        return record;
      })();
    } catch (error) {
      this.#ctx.catalogProblem(`Recording the ${status} backup of '${row.label}' in the history`, error, next);
      try {
        if (runId !== null) catalog.runs.end(runId);
      } catch {
        // Still failing: the next start records this run as interrupted, which the UIs were just told it was not.
      }
      return null;
    }
  }

  /**
   * At start-up: every backup that was running in a process that is gone (killed, crashed,
   * power lost) gets an *interrupted* history entry, and its partial files are removed
   * now rather than at the next backup into that folder. A run of a Pagevault process
   * still alive on this machine, or of another machine (a shared data folder), is left.
   * Resolves once the partials are gone.
   */
  async recoverInterrupted(): Promise<void> {
    const { catalog } = this.#ctx;
    const here = hostname();
    // A run from before the machine last booted is gone even if its process id is in use again.
    const bootedAt = Date.now() - uptime() * 1000;
    const gone = catalog.runs.list().filter(
      (run) =>
        run.host === here &&
        run.instance !== PROCESS_INSTANCE &&
        // This process's id, but an earlier process (restarted in a container, say); or its
        // process is gone; or it ran before the machine last booted.
        (run.pid === process.pid || !isAlive(run.pid) || Date.parse(run.startedAt) < bootedAt),
    );
    if (gone.length === 0) return;
    for (const run of gone) {
      const message = `Pagevault ended while this backup ran (started ${run.startedAt}, process ${run.pid}); nothing was saved, and its partial file in ${run.destination} is removed`;
      catalog.connection.transaction(() => {
        catalog.backups.insert(
          entryWithoutFile({
            databaseId: run.databaseId !== null && catalog.databases.get(run.databaseId) ? run.databaseId : null,
            databaseLabel: run.databaseLabel,
            source: run.source,
            status: 'interrupted',
            trigger: run.trigger,
            mode: run.mode,
            startedAt: run.startedAt,
            finishedAt: null,
            durationMs: null,
            error: { code: 'INTERRUPTED', message },
          }),
        );
        catalog.runs.end(run.id);
      })();
    }
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    for (const destination of new Set(gone.map((run) => run.destination))) {
      try {
        const removed = await removeStalePartials(destination);
        if (removed.length > 0) catalog.events.record('backup.interrupted', `Removed the partial files of interrupted backups: ${removed.join(', ')}`);
      } catch (error) {
        this.#ctx.catalogProblem(`Removing the partial files of interrupted backups in ${destination}`, error, 'the next backup into that folder removes them');
      }
    }
  }

  #skipped(row: DatabaseRow, trigger: BackupTrigger, startedAt: Date, last: BackupRecord): BackupRecord {
    return this.#withoutFile(row, 'skipped', trigger, startedAt, { code: 'UNCHANGED', message: `Unchanged since the backup of ${last.startedAt}; nothing was copied` });
  }

  /** Records a run that left no file, from its start until now. */
  #withoutFile(row: DatabaseRow, status: BackupRecord['status'], trigger: BackupTrigger, startedAt: Date, error: BackupRecord['error']): BackupRecord {
    return this.#ctx.catalog.backups.insert(
      entryWithoutFile({
        databaseId: row.id,
        databaseLabel: row.label,
        source: row.path,
        status,
        trigger,
        mode: row.mode,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        error,
      }),
    );
  }

  #record(row: DatabaseRow, trigger: BackupTrigger, startedAt: Date, result: BackupResult, changeMark: string): BackupRecord {
    const { manifest } = result;
    if (manifest.sourceJournalMode !== row.journalMode || manifest.pageSize !== row.pageSize) {
      this.#ctx.catalog.databases.update(row.id, { journalMode: manifest.sourceJournalMode, pageSize: manifest.pageSize });
    }
    return this.#ctx.catalog.backups.insert(
      {
        ...entryFromManifest(manifest, {
          databaseId: row.id,
          databaseLabel: row.label,
          path: result.path,
          trigger,
          startedAt: startedAt.toISOString(),
          durationMs: result.durationMs,
        }),
        changeMark,
        warnings: result.warnings,
      },
    );
  }

  #finished(info: JobInfo, row: DatabaseRow, trigger: BackupTrigger, record: BackupRecord | null, failure: PagevaultError | null): void {
    const cancelled = failure?.code === 'CANCELLED';
    this.#ctx.changed('history');
    this.#ctx.changed('databases');
    this.#ctx.finished({
      jobId: info.jobId,
      kind: 'backup',
      databaseId: row.id,
      label: row.label,
      ok: failure === null,
      cancelled,
      backup: record,
      error: failure?.toBody() ?? null,
    });
    if (cancelled || record?.status === 'skipped') return;
    if (!failure && record) {
      void this.#retention.apply(row.id).catch((error: unknown) => {
        try {
          this.#ctx.catalog.events.record('retention.failed', `Retention of '${row.label}' failed: ${(error as Error).message}`, row.id);
        } catch {
          // The catalog closed while retention ran (shutting down); the next backup applies it again.
        }
      });
    }
    if (failure?.code === 'DEFERRED') {
      // Backup now was asked for by someone who wants to know it did not happen; a scheduled
      // run of a database an open browser holds would otherwise notify every hour it runs.
      if (trigger !== 'schedule') {
        this.#ctx.shell.notify?.({ kind: 'notice', title: `Backup of ${row.label} deferred`, body: failure.message });
      }
    } else if (failure) {
      this.#ctx.shell.notify?.({ kind: 'failure', title: `Backup of ${row.label} failed`, body: failure.message });
    } else if (record && record.warnings.length > 0) {
      // A success that needs a look is said even to those who asked not to hear of successes.
      this.#ctx.shell.notify?.({ kind: 'notice', title: `${row.label} backed up, with a warning`, body: record.warnings.join('\n') });
    } else if (this.#ctx.catalog.settings.get().notifyOnSuccess) {
      const verified = record?.verification === 'passed' ? ' and verified' : '';
      this.#ctx.shell.notify?.({ kind: 'success', title: `${row.label} backed up`, body: `Saved${verified} in ${row.destination}` });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

