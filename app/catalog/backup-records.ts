/** The `backups` table: every backup run, succeeded or not, newest first. */
import type { EntryNote } from '../api/errors.ts';
import type { BackupManifest, BackupRecord, VaultVersionRef, BackupStatus, CopyMethod, HeldCopy, HistoryPoint, HistoryStatusFilter, VerificationVerdict } from '../api/types.ts';
import { vaultOfVersionPath } from '../vault/version-path.ts';
import type { CatalogConnection } from './catalog.ts';

/** A new history entry; `changeMark` is the source's state when a successful backup began. */
export type NewBackup = Omit<BackupRecord, 'id' | 'fileExists' | 'pinned' | 'heldCopy' | 'copyMethod' | 'warnings' | 'version'> & {
  version?: VaultVersionRef | null;
  pinned?: boolean;
  changeMark?: string | null;
  heldCopy?: HeldCopy | null;
  copyMethod?: CopyMethod | null;
  warnings?: string[];
};

/** A row as SQLite returns it: problems and the held copy as JSON text, the error in two columns. */
type BackupRow = Omit<BackupRecord, 'verificationProblems' | 'error' | 'fileExists' | 'pinned' | 'heldCopy' | 'warnings' | 'version'> & {
  vaultVersion: number | null;
  newBytes: number | null;
  verificationProblems: string;
  warnings: string;
  pinned: number;
  /** Written only from an EntryNote, so it holds one of its codes. */
  errorCode: EntryNote['code'] | null;
  errorMessage: string | null;
  heldCopy: string | null;
};

/** The history entry of a successful backup, from its manifest. */
export function entryFromManifest(
  manifest: BackupManifest,
  entry: Pick<NewBackup, 'databaseId' | 'databaseLabel' | 'path' | 'trigger' | 'startedAt' | 'durationMs'>,
): NewBackup {
  return {
    ...entry,
    source: manifest.source,
    status: 'succeeded',
    mode: manifest.mode,
    finishedAt: manifest.finishedAt,
    bytes: manifest.bytes,
    pageSize: manifest.pageSize,
    pageCount: manifest.pageCount,
    sha256: manifest.sha256,
    restarts: manifest.restarts,
    verification: manifest.verification.verdict,
    verificationProblems: manifest.verification.problems,
    verifiedAt: manifest.verification.verdict === 'skipped' ? null : manifest.finishedAt,
    error: null,
    heldCopy: manifest.heldCopy ? { journal: manifest.heldCopy.journal, tries: manifest.heldCopy.tries, consistentUpTo: manifest.heldCopy.consistentUpTo } : null,
    // A manifest from a folder may say anything: only the two words Pagevault writes are taken.
    copyMethod: manifest.copyMethod === 'cloned' || manifest.copyMethod === 'copied' ? manifest.copyMethod : null,
  };
}

/**
 * A history entry with no file: a failed, cancelled or deferred run, a skipped one (the
 * database was unchanged) or missed scheduled runs (the window is startedAt..finishedAt).
 */
export function entryWithoutFile(
  entry: Pick<NewBackup, 'databaseId' | 'databaseLabel' | 'source' | 'status' | 'trigger' | 'mode' | 'startedAt' | 'finishedAt' | 'durationMs' | 'error'>,
): NewBackup {
  return {
    ...entry,
    path: null,
    bytes: null,
    pageSize: null,
    pageCount: null,
    sha256: null,
    restarts: 0,
    verification: 'skipped',
    verificationProblems: [],
    verifiedAt: null,
  };
}

const columns = `id, database_id AS databaseId, database_label AS databaseLabel, source, path, status, trigger, mode,
  started_at AS startedAt, finished_at AS finishedAt, duration_ms AS durationMs, bytes, page_size AS pageSize,
  page_count AS pageCount, sha256, restarts, verification, verification_problems AS verificationProblems,
  verified_at AS verifiedAt, error_code AS errorCode, error_message AS errorMessage, pinned, held_copy AS heldCopy,
  copy_method AS copyMethod, warnings, vault_version AS vaultVersion, new_bytes AS newBytes`;

const statusCondition: Record<HistoryStatusFilter, string> = {
  all: '1',
  succeeded: "status = 'succeeded'",
  failed: "status = 'failed'",
  cancelled: "status = 'cancelled'",
  skipped: "status = 'skipped'",
  missed: "status = 'missed'",
  interrupted: "status = 'interrupted'",
  deferred: "status = 'deferred'",
  verified: "status = 'succeeded' AND verification = 'passed'",
  unverified: "status = 'succeeded' AND verification <> 'passed'",
};

/** How the history is filtered and paged. */
export interface HistoryQuery {
  databaseId?: number;
  status?: HistoryStatusFilter;
  offset?: number;
  limit?: number;
}

/** The backup history in the catalog: one row per backup made, imported, missed or failed, queried by the History screen and retention. */
export class BackupRecords {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  #toRecord = (row: BackupRow): BackupRecord => {
    const { errorCode, errorMessage, verificationProblems, pinned, heldCopy, warnings, vaultVersion, newBytes, ...rest } = row;
    return {
      ...rest,
      version: vaultVersion === null || rest.path === null ? null : { vault: vaultOfVersionPath(rest.path), id: vaultVersion, newBytes: newBytes ?? 0 },
      pinned: pinned === 1,
      heldCopy: heldCopy === null ? null : (JSON.parse(heldCopy) as HeldCopy),
      verificationProblems: JSON.parse(verificationProblems) as string[],
      warnings: JSON.parse(warnings) as string[],
      error: errorCode ? { code: errorCode, message: errorMessage ?? '' } : null,
      // Whether it has a file at all: the catalog never looks on disk (a look per row would
      // block the thread that serves the UI); the core does, asynchronously (core/file-facts.ts).
      fileExists: row.path !== null,
    };
  };

  insert(record: NewBackup): BackupRecord {
    const info = this.#db
      .prepare(
        `INSERT INTO backups (database_id, database_label, source, path, status, trigger, mode, started_at, finished_at,
           duration_ms, bytes, page_size, page_count, sha256, restarts, verification, verification_problems, verified_at,
           error_code, error_message, pinned, change_mark, held_copy, copy_method, warnings, vault_version, new_bytes)
         VALUES (@databaseId, @databaseLabel, @source, @path, @status, @trigger, @mode, @startedAt, @finishedAt,
           @durationMs, @bytes, @pageSize, @pageCount, @sha256, @restarts, @verification, @verificationProblems, @verifiedAt,
           @errorCode, @errorMessage, @pinned, @changeMark, @heldCopy, @copyMethod, @warnings, @vaultVersion, @newBytes)`,
      )
      .run({
        ...record,
        vaultVersion: record.version?.id ?? null,
        newBytes: record.version?.newBytes ?? null,
        pinned: record.pinned ? 1 : 0,
        changeMark: record.changeMark ?? null,
        heldCopy: record.heldCopy ? JSON.stringify(record.heldCopy) : null,
        copyMethod: record.copyMethod ?? null,
        warnings: JSON.stringify(record.warnings ?? []),
        verificationProblems: JSON.stringify(record.verificationProblems),
        errorCode: record.error?.code ?? null,
        errorMessage: record.error?.message ?? null,
      });
    return this.get(Number(info.lastInsertRowid))!;
  }

  get(id: number): BackupRecord | undefined {
    const row = this.#db.prepare(`SELECT ${columns} FROM backups WHERE id = ?`).get(id) as BackupRow | undefined;
    return row && this.#toRecord(row);
  }

  /** True when a history entry already points at `path`. */
  hasPath(path: string): boolean {
    return this.#db.prepare('SELECT 1 FROM backups WHERE path = ?').get(path) !== undefined;
  }

  /** The history entry of the backup file `path`, if there is one. */
  findByPath(path: string): BackupRecord | undefined {
    const row = this.#db.prepare(`SELECT ${columns} FROM backups WHERE path = ?`).get(path) as BackupRow | undefined;
    return row && this.#toRecord(row);
  }

  /** The newest succeeded entry whose file had this SHA-256 (a copy of a known backup). */
  findBySha256(sha256: string): BackupRecord | undefined {
    const row = this.#db
      .prepare(`SELECT ${columns} FROM backups WHERE sha256 = ? AND status = 'succeeded' ORDER BY started_at DESC, id DESC LIMIT 1`)
      .get(sha256) as BackupRow | undefined;
    return row && this.#toRecord(row);
  }

  /** One page of the history, newest first, with the number of matching entries. */
  list(query: HistoryQuery = {}): { entries: BackupRecord[]; total: number } {
    const where = [statusCondition[query.status ?? 'all']];
    const params: Record<string, number> = { limit: query.limit ?? 50, offset: query.offset ?? 0 };
    if (query.databaseId !== undefined) {
      where.push('database_id = @databaseId');
      params.databaseId = query.databaseId;
    }
    const condition = where.join(' AND ');
    const rows = this.#db.prepare(`SELECT ${columns} FROM backups WHERE ${condition} ORDER BY started_at DESC, id DESC LIMIT @limit OFFSET @offset`).all(params) as BackupRow[];
    const { total } = this.#db.prepare(`SELECT count(*) AS total FROM backups WHERE ${condition}`).get(params) as { total: number };
    return { entries: rows.map(this.#toRecord), total };
  }

  /** The latest `limit` backups of a database, newest first. */
  latest(databaseId: number, limit: number, status?: BackupStatus): BackupRecord[] {
    const rows = this.#db
      .prepare(`SELECT ${columns} FROM backups WHERE database_id = ? ${status ? 'AND status = ?' : ''} ORDER BY started_at DESC, id DESC LIMIT ?`)
      .all(...(status ? [databaseId, status, limit] : [databaseId, limit])) as BackupRow[];
    return rows.map(this.#toRecord);
  }

  /** Size and duration of the latest successful backups, oldest first, for a chart. */
  series(databaseId: number, limit: number): HistoryPoint[] {
    const rows = this.#db
      .prepare(
        `SELECT started_at AS at, bytes, duration_ms AS durationMs FROM backups
         WHERE database_id = ? AND status = 'succeeded' ORDER BY started_at DESC, id DESC LIMIT ?`,
      )
      .all(databaseId, limit) as HistoryPoint[];
    return rows.reverse();
  }

  /** How many entries with a file on disk belong to a database. */
  countFiles(databaseId: number): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM backups WHERE database_id = ? AND path IS NOT NULL').get(databaseId) as { n: number }).n;
  }

  setVerification(id: number, verdict: VerificationVerdict, problems: string[], at: string): BackupRecord | undefined {
    this.#db.prepare('UPDATE backups SET verification = ?, verification_problems = ?, verified_at = ? WHERE id = ?').run(verdict, JSON.stringify(problems), at, id);
    return this.get(id);
  }

  /**
   * The succeeded backups of a database that have a file, newest first: what retention
   * works on; `page` reads a few at a time.
   */
  withFiles(databaseId: number, page?: { offset: number; limit: number }): BackupRecord[] {
    const rows = this.#db
      .prepare(`SELECT ${columns} FROM backups WHERE database_id = ? AND status = 'succeeded' AND path IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`)
      .all(databaseId, page?.limit ?? -1, page?.offset ?? 0) as BackupRow[];
    return rows.map(this.#toRecord);
  }

  /** The change mark recorded with a backup, if one was. */
  changeMarkOf(backupId: number): string | null {
    const row = this.#db.prepare('SELECT change_mark AS mark FROM backups WHERE id = ?').get(backupId) as { mark: string | null } | undefined;
    return row?.mark ?? null;
  }

  /** The latest entry of a database made by `trigger`. */
  latestByTrigger(databaseId: number, trigger: BackupRecord['trigger']): BackupRecord | undefined {
    const row = this.#db
      .prepare(`SELECT ${columns} FROM backups WHERE database_id = ? AND trigger = ? ORDER BY started_at DESC, id DESC LIMIT 1`)
      .get(databaseId, trigger) as BackupRow | undefined;
    return row && this.#toRecord(row);
  }

  setPinned(id: number, pinned: boolean): BackupRecord | undefined {
    this.#db.prepare('UPDATE backups SET pinned = ? WHERE id = ?').run(pinned ? 1 : 0, id);
    return this.get(id);
  }

  remove(id: number): boolean {
    return this.#db.prepare('DELETE FROM backups WHERE id = ?').run(id).changes > 0;
  }
}
