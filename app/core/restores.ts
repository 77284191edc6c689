/**
 * The `restore.*` methods behind the restore wizard: check a backup (inspect, verify,
 * manifest, the database it came from), describe a target (size, whether another program
 * uses it, how its tables differ from the backup) and run the restore as a job, with the
 * safety copy recorded in the history as "before restore".
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { PagevaultError, type ErrorCode } from '../api/errors.ts';
import type { Params } from '../api/index.ts';
import type { AgeKeyInput, BackupRecord, Keys, SourceKey, DatabaseUsage, InspectResult, JobInfo, RestoreCheck, RestoreSummary, RestoreTarget, TableComparison, TableInfo } from '../api/types.ts';
import { entryFromManifest, ownPathProblem, realPathOf, type DatabaseRow } from '../catalog/index.ts';
import * as engine from '../engine/index.ts';
import { fileSystemError, targetInUseError } from '../engine/sqlite-errors.ts';
import type { JobHandle } from '../jobs/job-queue.ts';
import type { CoreContext } from './context.ts';
import type { BackupEncryptionSettings } from './backup-encryption.ts';
import { backupKey, ensureWritableFolder } from './databases.ts';
import { sourceKeyOf } from './source-keys.ts';
import { VersionFiles } from './versions.ts';
import { VAULT_SUFFIX } from '../vault/location.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';

/** How a backup's tables differ from the target's: what the restore adds, removes and changes. */
export function compareTables(backup: readonly TableInfo[], target: readonly TableInfo[]): TableComparison {
  const inTarget = new Map(target.map((table) => [table.name, table.rows]));
  const inBackup = new Set(backup.map((table) => table.name));
  const comparison: TableComparison = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const table of backup) {
    if (!inTarget.has(table.name)) comparison.added.push(table.name);
    else if (inTarget.get(table.name) !== table.rows) comparison.changed.push({ name: table.name, backupRows: table.rows, targetRows: inTarget.get(table.name) ?? null });
    else comparison.unchanged += 1;
  }
  comparison.removed = target.filter((table) => !inBackup.has(table.name)).map((table) => table.name);
  return comparison;
}

/** How long describing a target waits for another program's lock before calling it in use. */
const TARGET_BUSY_TIMEOUT_MS = 500;

/**
 * The target as the engine's refusal leaves it: its code, and its cause without the
 * engine's subject ("the file is not a SQLite database (…)"), since the caller words its own.
 */
function unusable(target: RestoreTarget, error: unknown): RestoreTarget {
  const failure = error instanceof PagevaultError ? error : new PagevaultError('INTERNAL', String((error as Error)?.message ?? error));
  return { ...target, problem: failure.reason ?? failure.message, problemCode: failure.code };
}

/** How many encrypted backups' inspections the wizard keeps. */
const INSPECTED_KEPT = 4;

/** What tells one version of a file from another without reading it; undefined when it cannot be read. */
async function fileSignature(path: string): Promise<string | undefined> {
  const stats = await stat(path, { bigint: true }).catch(() => undefined);
  return stats && `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

/**
 * The database itself (not an age layer around it) is encrypted and no key, or not the key
 * given, opens it: ENCRYPTED, or the keyed connection's WRONG_KEY (connection.ts words it).
 */
function sourceKeyRefused(error: unknown): boolean {
  if (!(error instanceof PagevaultError)) return false;
  return error.code === 'ENCRYPTED' || (error.code === 'WRONG_KEY' && error.message.includes('the key does not open it as '));
}

/**
 * A file of one of the app's vaults (anything in a `*.vault` folder holding a vault file,
 * that file's -wal, -shm and -journal too): restoring into it would replace every version.
 */
async function vaultFileProblem(real: string): Promise<string | null> {
  const folder = dirname(real);
  // The app's vaults are `<stem>.vault` folders (vaultFolderFor); a user's own database
  // that happens to be named vault.sqlite elsewhere is a target like any other.
  if (!basename(folder).endsWith(VAULT_SUFFIX) || !(await stat(join(folder, VAULT_FILE)).then(() => true, () => false))) return null;
  return `it is in the vault ${folder}, where Pagevault keeps the versions of a database, and restoring into it would replace them all; choose the database itself or a new file`;
}

/** The real path when the file exists, else the resolved path. */
const canonical = (path: string): Promise<string> => realpath(path).catch(() => path);

/** The restore wizard's methods and the restore job they start. */
export class Restores {
  readonly #ctx: CoreContext;
  readonly #encryption: BackupEncryptionSettings | undefined;
  /**
   * Keys the user typed for encrypted backups in this run of the wizard, by backup path:
   * in memory only, so the later steps open the file without asking again.
   */
  readonly #givenKeys = new Map<string, AgeKeyInput>();
  /**
   * What inspecting an encrypted backup found, by path, with the file's identity then
   * (device, inode, size, modification and change times): the check, each target typed
   * and the start would otherwise decrypt the whole file again, minutes for a large one.
   * Any change to the file makes it read again. A few entries only: one wizard at a time.
   */
  readonly #inspected = new Map<string, { signature: string; result: InspectResult }>();
  /**
   * The key that opened the encrypted database inside each backup checked in this run: one
   * the user typed, or the kept key of the database that turned out to open it.
   */
  readonly #sourceKeys = new Map<string, SourceKey>();
  /**
   * The SHA-256 each backup had when its check (the wizard's first step) passed: its
   * restore then runs SQLite's check again only if the file no longer hashes to it.
   */
  readonly #checkedSha256 = new Map<string, string>();
  /** A version of a vault (`<vault>#<id>`) is restored from a file it is written to first, so it goes through the same checks, safety copy and undo as a copy. */
  readonly #versionFiles = new VersionFiles(async () => (await this.#encryption?.keys()) ?? []);

  constructor(ctx: CoreContext, encryption?: BackupEncryptionSettings) {
    this.#ctx = ctx;
    this.#encryption = encryption;
  }

  /**
   * The keys that may open `backupPath`: for age, the one given for it, then those the key
   * store keeps; for an encrypted source, the key kept for the database it was taken from.
   */
  async #keys(backupPath: string): Promise<Keys> {
    const given = this.#givenKeys.get(backupPath);
    const age = [...(given ? [given] : []), ...((await this.#encryption?.keys()) ?? [])];
    const found = this.#sourceKeys.get(backupPath);
    if (found) return { source: found, age };
    const record = this.#ctx.catalog.backups.findByPath(backupPath) ?? this.#ctx.catalog.backups.findByPath(await canonical(backupPath));
    const source = record?.databaseId == null ? undefined : await sourceKeyOf(this.#ctx.secrets, record.databaseId);
    return { source, age };
  }

  /**
   * Finds which key opens the encrypted database in `backupPath` when the history does not
   * say whose backup it is (a dropped copy, a file from elsewhere): the kept key of the
   * database its manifest names first, then every other kept key. KEY_NEEDED when none does.
   */
  async #findSourceKey(backupPath: string, keys: Keys, signal?: AbortSignal): Promise<SourceKey> {
    const manifest = await engine.readManifest(backupPath).catch(() => undefined);
    const named = manifest?.source ? this.#ctx.catalog.databases.findByPath(manifest.source) : undefined;
    const rows = [...(named ? [named] : []), ...this.#ctx.catalog.databases.list().filter((row) => row.id !== named?.id)];
    for (const row of rows) {
      const candidate = await sourceKeyOf(this.#ctx.secrets, row.id).catch(() => undefined);
      if (!candidate) continue;
      const opened = await engine.inspect(backupPath, { signal, keys: { ...keys, source: candidate }, rowCountBudgetMs: 0 }).then(() => true, (error: unknown) => {
        if (sourceKeyRefused(error)) return false;
        throw error;
      });
      if (opened) return candidate;
    }
    // ENCRYPTED, not KEY_NEEDED (the age key's): the wizard asks for the database's key.
    throw new PagevaultError('ENCRYPTED', `Cannot check ${backupPath}: it is a backup of an encrypted database and no key Pagevault keeps opens it; give the database's key and cipher`);
  }

  /**
   * Inspects the backup with the keys at hand; when the database inside is encrypted and
   * they do not open it, with the kept key that does (remembered for the later steps).
   * `file` is what is read: the backup, or the file a vault's version was written to.
   */
  async #inspectWithKeys(backupPath: string, signal: AbortSignal | undefined, file: string): Promise<InspectResult> {
    const keys = await this.#keys(backupPath);
    try {
      return await engine.inspect(file, { signal, keys });
    } catch (error) {
      if (this.#sourceKeys.has(backupPath) || !sourceKeyRefused(error)) throw error;
    }
    const source = await this.#findSourceKey(backupPath, keys, signal);
    this.#sourceKeys.set(backupPath, source);
    return engine.inspect(file, { signal, keys: { ...keys, source } });
  }

  /** A key as the wizard sends it, made whole: its kind read from its form, Detect tried by the engine. */
  async #givenSourceKey(backupPath: string, given: NonNullable<Params<'restore.check'>['sourceKey']>, keys: Keys, signal?: AbortSignal): Promise<SourceKey> {
    const key: SourceKey = {
      key: given.key,
      kind: given.kind ?? (/^x'[0-9a-fA-F]+'$/.test(given.key) ? 'raw' : 'passphrase'),
      cipher: given.cipher === undefined || given.cipher === 'detect' ? 'sqlcipher-4' : given.cipher,
    };
    const inspected = await engine.inspect(backupPath, { signal, keys: { ...keys, source: key }, rowCountBudgetMs: 0, detectCipher: given.cipher === 'detect' });
    return inspected.encryption?.state === 'key-accepted' ? { ...key, cipher: inspected.encryption.cipher } : key;
  }

  /** Inspects `backupPath`, reusing what an earlier look at the same unchanged encrypted file found. */
  async #inspectBackup(backupPath: string, signal?: AbortSignal, file = backupPath): Promise<InspectResult> {
    const signature = await fileSignature(backupPath);
    const cached = this.#inspected.get(backupPath);
    if (signature && cached?.signature === signature) return cached.result;
    const result = await this.#inspectWithKeys(backupPath, signal, file);
    // Taken before the inspect: a file changed meanwhile no longer matches, and is read again next time.
    if (signature && (await engine.isAgeFile(backupPath))) {
      this.#inspected.delete(backupPath);
      this.#inspected.set(backupPath, { signature, result });
      for (const path of [...this.#inspected.keys()].slice(0, -INSPECTED_KEPT)) this.#inspected.delete(path);
    }
    return result;
  }

  /** Queues the wizard's step 2 for `backupPath`; job.finished carries the RestoreCheck. `key` opens an encrypted backup whose key is not kept. */
  check(rawPath: string, key?: AgeKeyInput, sourceKey?: Params<'restore.check'>['sourceKey']): JobInfo {
    const backupPath = resolve(rawPath);
    if (key) this.#givenKeys.set(backupPath, key);
    // A new check asks again: with the key just given, or the kept ones.
    this.#sourceKeys.delete(backupPath);
    this.#inspected.delete(backupPath);
    const label = basename(backupPath);
    const { info, done } = this.#ctx.queue.enqueue<RestoreCheck>({
      kind: 'verify',
      databaseId: null,
      label,
      key: `restore-check:${backupPath}`,
      duplicateMessage: `${backupPath} is already being checked`,
      run: (job) => this.#check(backupPath, job, sourceKey),
    });
    done
      .then(
        (check) => this.#ctx.finished({ jobId: info.jobId, kind: 'verify', databaseId: null, label, ok: true, cancelled: false, backup: null, error: null, check }),
        (error: unknown) => this.#failed(info, null, label, error, `Cannot check ${backupPath}`),
      )
      .catch((error: unknown) => this.#ctx.catalogProblem(`Finishing the check of ${backupPath}`, error));
    return info;
  }

  /** What restoring `backupPath` into `targetPath` would mean (step 3 of the wizard). */
  async target(rawBackup: string, rawTarget: string): Promise<RestoreTarget> {
    const backupPath = resolve(rawBackup);
    const backup = await this.#inspectBackup(backupPath, undefined, await this.#versionFiles.fileOf(backupPath));
    return this.#describeTarget(backupPath, backup, resolve(rawTarget));
  }

  /** The key of an existing encrypted target: the one kept for it when it is registered, else the backup's (the same database, usually). */
  async #targetKey(row: DatabaseRow | undefined, backupPath: string): Promise<SourceKey | undefined> {
    const kept = row ? await sourceKeyOf(this.#ctx.secrets, row.id).catch(() => undefined) : undefined;
    return kept ?? (await this.#keys(backupPath)).source;
  }

  /**
   * Queues the restore after checking the target again: refused when the target cannot
   * take it, or when another program uses it and the user did not say to go ahead.
   */
  async start(params: Params<'restore.start'>): Promise<JobInfo> {
    const backupPath = resolve(params.backupPath);
    if (params.key) this.#givenKeys.set(backupPath, params.key);
    if (params.sourceKey) this.#sourceKeys.set(backupPath, await this.#givenSourceKey(backupPath, params.sourceKey, await this.#keys(backupPath)));
    const backup = await this.#inspectBackup(backupPath, undefined, await this.#versionFiles.fileOf(backupPath));
    const target = await this.#describeTarget(backupPath, backup, resolve(params.targetPath));
    const subject = `Cannot restore ${backupPath} into ${target.path}`;
    if (target.problem) throw PagevaultError.about(target.problemCode ?? 'INTERNAL', subject, target.problem);
    if (target.usage?.inUse && !params.proceedWhileInUse) throw targetInUseError(subject, target.usage.reasons[0] ?? 'another program uses it');
    const row = target.databaseId === null ? undefined : this.#ctx.catalog.databases.get(target.databaseId);
    const safetyCopyDir = row?.destination ?? this.#ctx.catalog.settings.get().defaultBackupFolder;
    if (params.safetyCopy && target.exists) await ensureWritableFolder(safetyCopyDir, `${subject}: the safety copy cannot be written to ${safetyCopyDir}`);

    const { info, done } = this.#ctx.queue.enqueue<RestoreSummary>({
      kind: 'restore',
      databaseId: target.databaseId,
      label: target.label,
      key: row ? backupKey(row.id) : `restore:${target.path}`,
      duplicateMessage: `'${target.label}' is being backed up or restored; wait for that to finish or cancel it`,
      run: (job) => this.#restore(backupPath, target, row, params.safetyCopy, safetyCopyDir, job),
    });
    done
      .then(
        (restore) => {
          this.#ctx.changed('databases');
          this.#ctx.changed('history');
          this.#ctx.finished({ jobId: info.jobId, kind: 'restore', databaseId: target.databaseId, label: target.label, ok: true, cancelled: false, backup: restore.safetyCopyEntry, error: null, restore });
        },
        (error: unknown) => this.#failed(info, target.databaseId, target.label, error, subject),
      )
      .catch((error: unknown) => this.#ctx.catalogProblem(`Finishing the restore of ${target.path}`, error));
    return info;
  }

  async #check(backupPath: string, job: JobHandle, sourceKey?: Params<'restore.check'>['sourceKey']): Promise<RestoreCheck> {
    if (sourceKey) this.#sourceKeys.set(backupPath, await this.#givenSourceKey(backupPath, sourceKey, await this.#keys(backupPath), job.signal));
    // A version is written out first, each page checked against its hash; then checked as a copy is.
    const file = await this.#versionFiles.fileOf(backupPath, { onProgress: job.progress, signal: job.signal });
    const inspect = await this.#inspectBackup(backupPath, job.signal, file).catch((error: unknown) => {
      // None of the kept keys opens it and the user gave none: the wizard asks for one.
      if (error instanceof PagevaultError && error.code === 'WRONG_KEY' && !this.#givenKeys.has(backupPath) && !sourceKeyRefused(error)) {
        throw new PagevaultError('KEY_NEEDED', `Cannot check ${backupPath}: it is encrypted with age and no key Pagevault keeps opens it; give its identity (AGE-SECRET-KEY-1…) or its passphrase`, { cause: error });
      }
      throw error;
    });
    const keys = await this.#keys(backupPath);
    const verification = await engine.verify(file, { onProgress: job.progress, signal: job.signal, keys });
    if (!verification.ok) {
      throw new PagevaultError('VERIFY_FAILED', `${backupPath} failed verification, so it cannot be restored: ${verification.problems.slice(0, 3).join('; ')}`);
    }
    if (!verification.notChecked) this.#checkedSha256.set(backupPath, verification.sha256);
    const byPath = this.#ctx.catalog.backups.findByPath(backupPath) ?? this.#ctx.catalog.backups.findByPath(await canonical(backupPath));
    // A copy of a known backup (a file dropped onto the browser window is one) is
    // recognised by its checksum, and then tells where it came from like the original.
    const entry = byPath ?? this.#ctx.catalog.backups.findBySha256(verification.sha256) ?? null;
    const entryMatchedBy = byPath ? 'path' : entry ? 'checksum' : null;
    const manifest = (await engine.readManifest(backupPath)) ?? (entry?.path ? await engine.readManifest(entry.path) : undefined) ?? null;
    const takenAt = manifest?.startedAt ?? entry?.startedAt ?? inspect.modifiedAt;
    const takenAtSource = manifest ? 'manifest' : entry ? 'history' : 'file';
    const registered = entry?.databaseId != null ? this.#ctx.catalog.databases.get(entry.databaseId) : undefined;
    const originPath = registered?.path ?? entry?.source ?? manifest?.source;
    const origin = originPath ? await this.#describeTarget(backupPath, inspect, originPath) : null;
    return { backupPath, inspect, verification, manifest, entry, entryMatchedBy, takenAt, takenAtSource, origin };
  }

  async #describeTarget(backupPath: string, backup: InspectResult, path: string): Promise<RestoreTarget> {
    const real = await canonical(path);
    const row = this.#ctx.catalog.databases.findByPath(real) ?? this.#ctx.catalog.databases.findByPath(path);
    const target: RestoreTarget = {
      path,
      exists: false,
      databaseId: row?.id ?? null,
      label: row?.label ?? (basename(path, extname(path)) || basename(path)),
      sizeBytes: null,
      modifiedAt: null,
      journalMode: null,
      usage: null,
      comparison: null,
      problem: null,
      problemCode: null,
    };
    const refused = (facts: RestoreTarget, problemCode: ErrorCode, problem: string): RestoreTarget => ({ ...facts, problem, problemCode });
    const own = this.#ownFileProblem(realPathOf(path));
    const ofVault = own ?? (await vaultFileProblem(realPathOf(path)));
    if (ofVault) return refused({ ...target, exists: await stat(path).then(() => true, () => false) }, 'OWN_FILE', ofVault);
    const stats = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
    if (stats instanceof Error) return unusable(target, fileSystemError(stats, `Cannot read ${path}`));
    if (!stats) {
      const folder = await stat(dirname(path)).catch(() => undefined);
      if (!folder?.isDirectory()) return refused(target, 'NOT_FOUND', `the folder ${dirname(path)} does not exist`);
      return target;
    }
    if (stats.isDirectory()) return refused({ ...target, exists: true }, 'IS_A_DIRECTORY', `${path} is a folder; choose a database file or type the name of a new file`);
    const described: RestoreTarget = { ...target, exists: true, sizeBytes: stats.size, modifiedAt: stats.mtime.toISOString() };
    if (real === (await canonical(backupPath))) return refused(described, 'DEST_IS_SOURCE', 'the backup and the target are the same file');
    // An encrypted target is read with its key: its header, locks and tables.
    const targetKey = backup.encryption?.state === 'key-accepted' ? await this.#targetKey(row, backupPath) : undefined;
    let usage: DatabaseUsage;
    try {
      usage = await engine.usage(path, { key: targetKey });
    } catch (error) {
      return unusable(described, error);
    }
    let current: InspectResult;
    try {
      // Counted with its key when it is encrypted, so the comparison shows its tables too.
      current = await engine.inspect(path, { busyTimeoutMs: TARGET_BUSY_TIMEOUT_MS, keys: { source: targetKey } });
    } catch (error) {
      if ((error as PagevaultError).code === 'SOURCE_BUSY') {
        // Locked so hard it cannot even be read: in use, and nothing to compare with yet.
        if (!usage.inUse) usage = { inUse: true, reasons: ['another program holds a lock on it right now (it is writing)'] };
        return { ...described, usage };
      }
      return unusable(described, error);
    }
    const withFacts: RestoreTarget = { ...described, journalMode: current.journalMode, usage, comparison: compareTables(backup.tables, current.tables) };
    if (current.journalMode === 'wal' && current.pageSize !== backup.pageSize) {
      return refused(
        withFacts,
        'NOT_SUPPORTED',
        `the target is in WAL mode with ${current.pageSize}-byte pages and the backup has ${backup.pageSize}-byte pages; SQLite cannot change the page size of a WAL database, so restore into a new file instead`,
      );
    }
    return withFacts;
  }

  /**
   * Pagevault's own files are never a restore target: the catalog, its -wal, -shm and
   * -journal (a file there would be taken for the catalog's), its automatic backups and
   * staging folder, the data folder itself. Compared by real path (`dataDir` is one), so
   * a symlinked data folder does not hide them.
   */
  #ownFileProblem(real: string): string | null {
    return ownPathProblem(this.#ctx.dataDir, real, 'file');
  }

  async #restore(backupPath: string, target: RestoreTarget, row: DatabaseRow | undefined, safetyCopy: boolean, safetyCopyDir: string, job: JobHandle): Promise<RestoreSummary> {
    const startedAt = new Date();
    const keys = await this.#keys(backupPath);
    const targetKey = target.exists ? await this.#targetKey(row, backupPath) : undefined;
    const checkedSha256 = this.#checkedSha256.get(backupPath);
    const file = await this.#versionFiles.fileOf(backupPath, { signal: job.signal });
    // A version written out of an encrypted vault is a plain file: the safety copy is
    // encrypted as the database's backups are, not left in the clear beside them.
    const safetyCopyEncryption = file !== backupPath && row && this.#versionFiles.wasEncrypted() ? await this.#encryption?.forBackup(row.id, row.label) : undefined;
    const result = await engine.restore(file, target.path, {
      safetyCopy,
      safetyCopyDir,
      onProgress: job.progress,
      signal: job.signal,
      keys: { ...keys, ...(targetKey && { target: targetKey }) },
      ...(checkedSha256 && { checkedSha256 }),
      ...(safetyCopyEncryption && { safetyCopyEncryption }),
    });
    if (file !== backupPath) await this.#versionFiles.close();
    let safetyCopyEntry: BackupRecord | null = null;
    // The target is restored by now: a catalog that cannot record it must not report the restore as failed.
    const manifest = result.safetyCopy ? await engine.readManifest(result.safetyCopy) : undefined;
    if (result.safetyCopy && manifest) {
      try {
        safetyCopyEntry = this.#ctx.catalog.backups.insert(
          entryFromManifest(manifest, {
            databaseId: row?.id ?? null,
            databaseLabel: target.label,
            path: result.safetyCopy,
            trigger: 'before-restore',
            startedAt: manifest.startedAt,
            durationMs: Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt),
          }),
        );
      } catch (error) {
        this.#ctx.catalogProblem(`Recording the safety copy ${result.safetyCopy} in the history`, error, 'the restore went through and the safety copy is on disk with its manifest');
      }
    }
    const safety = result.safetyCopy ? `; the previous database is kept in ${result.safetyCopy}` : '';
    try {
      this.#ctx.catalog.events.record('database.restored', `Restored ${target.path} from ${backupPath}${safety}`, row?.id ?? null, startedAt);
    } catch (error) {
      this.#ctx.catalogProblem(`Logging the restore of ${target.path}`, error, 'the restore itself went through');
    }
    const bytes = await stat(target.path).then((s) => s.size, () => 0);
    return {
      backupPath,
      target: target.path,
      databaseId: target.databaseId,
      label: target.label,
      safetyCopy: result.safetyCopy,
      safetyCopyEntry,
      pageCount: result.pageCount,
      bytes,
      durationMs: result.durationMs,
      verified: result.verification.ok,
    };
  }

  /** Removes the file a version was written to for the wizard, if one is left. */
  close(): Promise<void> {
    return this.#versionFiles.close();
  }

  /** Reports a failed or cancelled check or restore; a failed restore is logged and notified. */
  #failed(info: JobInfo, databaseId: number | null, label: string, error: unknown, subject: string): void {
    const failure = error instanceof PagevaultError ? error : new PagevaultError('INTERNAL', `${subject}: ${(error as Error).message}`);
    const cancelled = failure.code === 'CANCELLED';
    this.#ctx.finished({ jobId: info.jobId, kind: info.kind, databaseId, label, ok: false, cancelled, backup: null, error: failure.toBody() });
    if (info.kind !== 'restore') return;
    this.#ctx.changed('history');
    if (!cancelled) this.#ctx.shell.notify?.({ kind: 'failure', title: `Restore of ${label} failed`, body: failure.message });
    try {
      this.#ctx.catalog.events.record(cancelled ? 'restore.cancelled' : 'restore.failed', failure.message, databaseId);
    } catch (error) {
      this.#ctx.catalogProblem(`Logging the ${cancelled ? 'cancelled' : 'failed'} restore of ${label}`, error);
    }
  }
}
