/** The `databases.*` methods: register, describe, configure and forget databases. */
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { Params } from '../api/index.ts';
import type { BackupMode, DatabaseDetails, DatabaseSummary, DiscoveryResult, JournalMode, SourceKey } from '../api/types.ts';
import { CATALOG_FILE_NAME, type DatabaseRow } from '../catalog/index.ts';
import { discoverDatabases, type DiscoveryOptions } from '../discovery/index.ts';
import * as engine from '../engine/index.ts';
import { folderClones } from '../engine/clone.ts';
import { fileSystemError } from '../engine/sqlite-errors.ts';
import { defaultStorage, storageReason } from './storage-choice.ts';
import type { CoreContext } from './context.ts';
import { withFileFacts } from './file-facts.ts';
import { copiesRaw, forgetSourceKey, saveRawCopies, saveSourceKey, sourceKeyOf } from './source-keys.ts';

/** The mode a database gets when it is added: snapshot for WAL, stepped for rollback journals. */
export function defaultModeFor(journalMode: JournalMode): BackupMode {
  return journalMode === 'wal' ? 'snapshot' : 'stepped';
}

/** The `databases.*` methods over the catalog and the engine; other parts use it to look a database up by id. */
export class Databases {
  readonly #ctx: CoreContext;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  /** Every registered database as the UI lists it; the files are looked at all at once, off this thread. */
  list(): Promise<DatabaseSummary[]> {
    return Promise.all(this.#ctx.catalog.databases.list().map((row) => this.summary(row)));
  }

  /**
   * The row as the UI shows it, with the file's current size and the latest backup. The
   * size comes from an asynchronous stat: one on a slow or hung disk holds up this row,
   * never the thread that serves the UI.
   */
  async summary(row: DatabaseRow): Promise<DatabaseSummary> {
    // Missing or unreadable: shown as such.
    const sizeBytes = await stat(row.path).then((stats) => stats.size, () => null);
    const [lastBackup = null] = await withFileFacts(this.#ctx.catalog.backups.latest(row.id, 1));
    const facts = { sizeBytes, clones: await destinationClones(row.path, row.destination) };
    return { ...row, sizeBytes, lastBackup, storageDefault: defaultStorage(facts), storageReason: storageReason(row.storage, facts) };
  }

  /** The row of `id`, or UNKNOWN_ID naming what was asked for. */
  get(id: number): DatabaseRow {
    const row = this.#ctx.catalog.databases.get(id);
    if (!row) throw new PagevaultError('UNKNOWN_ID', `There is no database with id ${id} in Pagevault; it may have been removed`);
    return row;
  }

  /**
   * Inspects `path` and registers it as `label` (the file name when none is given);
   * refuses anything that is not a readable SQLite database. An encrypted one needs its
   * `key`, which is checked by opening the database before anything is saved, and then
   * kept in the secret store, never in the catalog.
   */
  async add(rawPath: string, givenLabel?: string, givenKey?: Params<'databases.add'>['key'], withoutKey = false): Promise<DatabaseSummary> {
    const absolute = resolve(rawPath);
    const key: SourceKey | undefined = givenKey && {
      key: givenKey.key,
      kind: givenKey.kind ?? (/^x'[0-9a-fA-F]+'$/.test(givenKey.key) ? 'raw' : 'passphrase'),
      cipher: givenKey.cipher === undefined || givenKey.cipher === 'detect' ? 'sqlcipher-4' : givenKey.cipher,
    };
    const info = await engine.inspect(absolute, { rowCountBudgetMs: 0, keys: { source: key }, detectCipher: givenKey?.cipher === 'detect' }).catch((error: unknown) => {
      // Added without its key: what the files show without opening it (raw-copy.ts).
      if (withoutKey && !key && (error as { code?: string }).code === 'ENCRYPTED') return { ...engine.rawCopyFacts(absolute), encryption: { state: 'key-needed' as const } };
      throw error;
    });
    const path = await realpath(absolute);
    if (path === join(this.#ctx.dataDir, CATALOG_FILE_NAME)) {
      throw new PagevaultError('OWN_FILE', `Cannot add ${path}: it is Pagevault's own catalog`);
    }
    const existing = this.#ctx.catalog.databases.findByPath(path);
    if (existing) throw new PagevaultError('ALREADY_ADDED', `${path} is already in Pagevault as '${existing.label}'`);
    const label = givenLabel ?? (basename(path, extname(path)) || basename(path));
    const destination = this.#defaultDestination(label);
    const sizeBytes = await stat(path).then((stats) => stats.size, () => null);
    const row = this.#ctx.catalog.databases.insert({
      path,
      label,
      destination,
      // An encrypted database keeps Copies, with its key or without: the vault reads plain
      // pages only. Encryption at rest does not matter: a vault is encrypted with age too.
      storage:
        info.encryption && info.encryption.state !== 'plain' ? 'copies' : defaultStorage({ sizeBytes, clones: await destinationClones(path, destination) }),
      mode: defaultModeFor(info.journalMode),
      pagesPerStep: null,
      pauseMs: null,
      journalMode: info.journalMode,
      pageSize: info.pageSize,
      addedAt: new Date().toISOString(),
    });
    if (info.encryption?.state === 'key-accepted') {
      try {
        await saveSourceKey(this.#ctx.secrets, row.id, { ...key!, cipher: info.encryption.cipher });
      } catch (error) {
        // Without its key the database could not be backed up: it is not added.
        this.#ctx.catalog.databases.remove(row.id);
        throw error;
      }
    }
    if (info.encryption?.state === 'key-needed') {
      try {
        await saveRawCopies(this.#ctx.secrets, row.id);
      } catch (error) {
        this.#ctx.catalog.databases.remove(row.id);
        throw error;
      }
    }
    const how = info.encryption?.state === 'key-accepted' ? ` (encrypted, ${info.encryption.cipherLabel})` : info.encryption?.state === 'key-needed' ? ' (encrypted, without its key: backups are raw copies)' : '';
    this.#ctx.catalog.events.record('database.added', `Added ${path}${how}`, row.id);
    this.#ctx.changed('databases');
    return this.summary(row);
  }

  async update(params: Params<'databases.update'>): Promise<DatabaseSummary> {
    const row = this.get(params.id);
    const destination = params.destination === undefined ? undefined : await this.#checkDestination(row, params.destination).catch(atField('destination'));
    if (params.storage === 'versions' && ((await sourceKeyOf(this.#ctx.secrets, row.id)) || (await copiesRaw(this.#ctx.secrets, row.id)))) {
      throw new PagevaultError('NOT_SUPPORTED', `Cannot keep versions of ${row.path}: it is encrypted, and the vault keeps only plain databases; keep Copies`, {
        issues: [{ path: 'storage', message: 'An encrypted database keeps Copies' }],
      });
    }
    const updated = this.#ctx.catalog.databases.update(row.id, {
      label: params.label,
      destination,
      mode: params.mode,
      storage: params.storage,
      pagesPerStep: params.pagesPerStep,
      pauseMs: params.pauseMs,
    })!;
    this.#ctx.changed('databases');
    return this.summary(updated);
  }

  remove(id: number): { id: number; backupsKept: number; destination: string } {
    const row = this.get(id);
    if (this.#ctx.queue.has(backupKey(id))) {
      throw new PagevaultError('ALREADY_RUNNING', `Cannot remove '${row.label}' while its backup runs; cancel the backup first`);
    }
    const backupsKept = this.#ctx.catalog.backups.countFiles(id);
    this.#ctx.catalog.databases.remove(id);
    void forgetSourceKey(this.#ctx.secrets, id).catch((error: unknown) => console.error(`Pagevault: could not remove the key of database ${id} from the key store: ${(error as Error).message}`));
    this.#ctx.catalog.events.record('database.removed', `Removed ${row.path} from Pagevault; its ${backupsKept} backups stay in ${row.destination}`, id);
    this.#ctx.changed('databases');
    this.#ctx.changed('history');
    return { id, backupsKept, destination: row.destination };
  }

  /**
   * The row with a fresh look inside the file. A read: what inspect finds is shown, not
   * stored; the catalog learns a changed journal mode or page size from the next backup,
   * which is where it matters.
   */
  async details(id: number): Promise<DatabaseDetails> {
    const row = this.get(id);
    let inspect: DatabaseDetails['inspect'] = null;
    let inspectError: string | null = null;
    try {
      inspect = await engine.inspect(row.path, { keys: { source: await sourceKeyOf(this.#ctx.secrets, id) } });
    } catch (error) {
      inspectError = (error as Error).message;
    }
    const database = await this.summary(row);
    const current = inspect ? { ...database, journalMode: inspect.journalMode, pageSize: inspect.pageSize } : database;
    return { database: current, inspect, inspectError, latestBackups: await withFileFacts(this.#ctx.catalog.backups.latest(id, 5)) };
  }

  /**
   * The databases of well-known apps under the user's home folder, marked when they are
   * registered already. Registered files are not opened (see DiscoveryOptions.registered).
   */
  discover(options: Pick<DiscoveryOptions, 'env' | 'platform'> = {}): Promise<DiscoveryResult> {
    const registered = new Map(this.#ctx.catalog.databases.list().map((row) => [row.path, row.journalMode] as const));
    return discoverDatabases({ ...options, registered });
  }

  /** `<default folder>/<label>`, numbered when another database already uses that folder. */
  #defaultDestination(label: string): string {
    const root = this.#ctx.catalog.settings.get().defaultBackupFolder;
    const taken = new Set(this.#ctx.catalog.databases.list().map((row) => row.destination));
    // "Firefox · default-release · places" is the folder "Firefox - default-release - places".
    const safe = label.replace(/\s*·\s*/g, ' - ').replace(/[^\p{L}\p{N}._ -]+/gu, '_').trim() || 'database';
    let candidate = join(root, safe);
    for (let n = 2; taken.has(candidate); n += 1) candidate = join(root, `${safe}-${n}`);
    return candidate;
  }

  /** A backup folder must exist or be creatable, be writable, and not be the database itself. */
  async #checkDestination(row: DatabaseRow, raw: string): Promise<string> {
    const folder = resolve(raw);
    const subject = `Cannot use ${folder} as the backup folder of '${row.label}'`;
    if (folder === row.path) throw new PagevaultError('DEST_IS_SOURCE', `${subject}: it is the database file itself`);
    const existing = await stat(folder).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw new PagevaultError('NOT_A_FOLDER', `${subject}: it is a file, not a folder`);
    await ensureWritableFolder(folder, subject);
    return folder;
  }
}

/**
 * Rethrows a refusal of the field at `path` with that field among its issues, so a form
 * shows it under the field without reading the message.
 */
function atField(path: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof PagevaultError) || error.issues.length > 0) throw error;
    throw new PagevaultError(error.code, error.message, { cause: error.cause, reason: error.reason, issues: [{ path, message: error.message }] });
  };
}

/**
 * Creates `folder` when missing (private, 0700: it will hold copies of databases) and
 * checks it can be written; errors start with `subject`.
 */
export async function ensureWritableFolder(folder: string, subject: string): Promise<void> {
  if (!isAbsolute(folder)) throw new PagevaultError('INVALID_REQUEST', `${subject}: give a full path`);
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await access(folder, constants.W_OK);
  } catch (error) {
    throw fileSystemError(error, subject, { folder });
  }
}

/**
 * Whether backups of `source` into `destination` can be clones: both on one file system
 * that clones. Null while the folder does not exist (nothing is made just to find out).
 */
async function destinationClones(source: string, destination: string): Promise<boolean | null> {
  const [from, into] = await Promise.all([stat(source).catch(() => null), stat(destination).catch(() => null)]);
  if (!into?.isDirectory()) return null;
  if (!from || from.dev !== into.dev) return false;
  return folderClones(destination);
}

/** The job-queue key of a database's backup: one at a time per database. */
export function backupKey(databaseId: number): string {
  return `backup:${databaseId}`;
}
