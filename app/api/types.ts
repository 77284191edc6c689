/**
 * Data shapes that cross the API. Plain JSON: no Dates, no class instances. The shapes a
 * request also carries are derived from their schemas in `schemas.ts`.
 */
import type { z } from 'zod';
import type { backupModeSchema, historyStatusFilters, retentionPolicySchema, scheduleSchema, scheduleSpecSchema, themeSettingSchema } from './schemas.ts';
import type { ApiErrorBody, EntryNote, ErrorCode } from './errors.ts';

/** SQLite's journal_mode, lower-cased, which decides the default backup mode. */
export type JournalMode = 'delete' | 'truncate' | 'persist' | 'memory' | 'wal' | 'off';

/** How a backup copies pages; see the engine's README section in the project README. */
export type BackupMode = z.infer<typeof backupModeSchema>;

/** `check` is a restore verifying its backup before it touches the target; `verify` checks the result. */
export type JobPhase = 'prepare' | 'check' | 'safety-copy' | 'copy' | 'finalize' | 'verify';

/** Which app, shell, data folder and runtimes answer: shown in Settings. */
export interface AppInfo {
  name: string;
  version: string;
  /** The shell hosting the core: the Electron app or the headless host. */
  shell: 'electron' | 'web';
  dataDir: string;
  sqliteVersion: string;
  nodeVersion: string;
  platform: string;
}

/**
 * The encryption schemes of SQLite3MultipleCiphers that Pagevault offers, by the name the
 * UI and `--cipher` use. SQLCipher 4 is what Signal Desktop and most apps use today.
 */
export const cipherNames = ['sqlcipher-4', 'sqlcipher-3', 'sqlcipher-2', 'sqlcipher-1', 'aes256cbc', 'aes128cbc', 'sqleet', 'chacha20', 'rc4', 'ascon128'] as const;
/** One of cipherNames. */
export type CipherName = (typeof cipherNames)[number];

/**
 * The key of an encrypted database: a passphrase, or a raw key written `x'<hex>'` (32
 * bytes for SQLCipher). Kept in the secret store, never in the catalog or a message.
 */
export interface SourceKey {
  key: string;
  kind: 'passphrase' | 'raw';
  cipher: CipherName;
}

/** What inspect found out about a database's encryption. */
export type EncryptionState =
  | { state: 'plain' }
  /** Opened with the key given: its cipher, in words ("SQLCipher 4"). */
  | { state: 'key-accepted'; cipher: CipherName; cipherLabel: string }
  /** Random bytes where the SQLite header should be: encrypted, and no key (or not that one) opens it. */
  | { state: 'key-needed' };

/** One table of an inspected database, with its row count when time allowed. */
export interface TableInfo {
  name: string;
  /** Null when counting was skipped because the time budget ran out. */
  rows: number | null;
}

/** What a database file is, read without writing to it: header facts, journal, tables, and whether another program holds it. */
export interface InspectResult {
  path: string;
  sizeBytes: number;
  modifiedAt: string;
  pageSize: number;
  pageCount: number;
  freePages: number;
  journalMode: JournalMode;
  encoding: string;
  userVersion: number;
  applicationId: number;
  sqliteVersionWritten: number;
  hasWal: boolean;
  walBytes: number;
  tables: TableInfo[];
  /** True when row counting stopped early to stay within its time budget. */
  rowCountsIncomplete: boolean;
  /**
   * True when another program holds the database exclusively (or left a recovery only it
   * may run): the facts then come from the file's header, as of its last checkpoint, and
   * the tables cannot be listed. Backups copy it without a lock.
   */
  heldByAnotherProgram: boolean;
  /** Absent in results of earlier versions: plain. */
  encryption?: EncryptionState;
}

/** Whether a backup opens, passes its checks and matches its manifest, and what failed if not. */
export interface VerifyResult {
  path: string;
  ok: boolean;
  check: 'quick_check' | 'integrity_check';
  /** Why the verdict is what it is, one line each; empty when all is well. */
  problems: string[];
  pageCount: number;
  sha256: string;
  /** Whether a manifest was found beside the file and compared. */
  manifestChecked: boolean;
  /**
   * What could not be checked, in words, when the file is encrypted and no key was given:
   * then only its SHA-256 (against the manifest) was, and `check` did not run.
   */
  notChecked?: string;
}

/** One progress report of an engine operation: SQLite's page counts of the latest step, and what they mean. */
export interface OperationProgress {
  phase: JobPhase;
  totalPages: number;
  remainingPages: number;
  bytesCopied: number;
  bytesPerSecond: number;
  /** How many times a write by another program started the copy over. */
  restarts: number;
  elapsedMs: number;
}

/** An operation's progress as the job that runs it reports it to the UIs. */
export interface JobProgress extends OperationProgress {
  jobId: string;
  kind: 'backup' | 'restore' | 'verify';
  /** The database the job is for, so a row finds its job's progress without looking at every job. */
  databaseId: number | null;
}

/** The last event of a job: its outcome, so a screen can stop showing its progress. */
export interface JobFinished {
  jobId: string;
  kind: 'backup' | 'restore' | 'verify';
  databaseId: number | null;
  label: string;
  ok: boolean;
  cancelled: boolean;
  /** The history entry the job made, when it made one. */
  backup: BackupRecord | null;
  error: ApiErrorBody | null;
  /** What a restore check found (kind 'verify' from restore.check). */
  check?: RestoreCheck;
  /** What a restore did (kind 'restore'). */
  restore?: RestoreSummary;
}

/** The outcome of checking a copy after it was written; skipped only when the user turned it off. */
export type VerificationVerdict = 'passed' | 'failed' | 'skipped';

/** The JSON file written beside every backup, enough to restore without the catalog. */
export interface BackupManifest {
  format: 'pagevault-backup';
  formatVersion: 1;
  /** The backup's file name, relative to the manifest's folder. */
  file: string;
  source: string;
  startedAt: string;
  finishedAt: string;
  mode: BackupMode;
  sourceJournalMode: JournalMode;
  pageSize: number;
  pageCount: number;
  bytes: number;
  /** Hex SHA-256 of the backup file, or null when verification was turned off. */
  sha256: string | null;
  sqliteVersion: string;
  restarts: number;
  verification: {
    verdict: VerificationVerdict;
    check: 'quick_check' | 'integrity_check' | null;
    problems: string[];
  };
  /** Present when another program held the database exclusively and it was copied without a lock. */
  heldCopy?: HeldCopy;
  /**
   * Present when the source was encrypted (SQLCipher…): the backup is too, with the same
   * key and cipher. Independent of `encryption`, which is the age layer at rest around it.
   */
  sourceEncryption?: {
    /** 'unknown' for a copy taken without the key (`keyed` false): its pages as they are. */
    cipher: CipherName | 'unknown';
    cipherLabel: string;
    /** Whether the copy was taken with the key (and checked inside with it); absent in manifests from before. */
    keyed?: boolean;
  };
  /**
   * Present when the backup is encrypted at rest with age: then `bytes` and `sha256` are
   * the encrypted file's, and these are of the database it holds.
   */
  encryption?: {
    format: 'age';
    /** The `age1…` public key it is encrypted to, or `scrypt` for a passphrase. */
    recipient: string;
    plaintextSha256: string | null;
    plaintextBytes: number;
  };
  /**
   * How the database file came to be: "cloned" on a copy-on-write file system (the backup
   * shares its unchanged blocks with the source), "copied" byte by byte. Absent in
   * manifests of Pagevault versions that only copied.
   */
  copyMethod?: CopyMethod;
}

/** Cloned (blocks shared with the source, on a copy-on-write file system) or copied. */
export type CopyMethod = 'cloned' | 'copied';

/** How a backup is encrypted at rest: to an age X25519 public key, or with a passphrase (age's scrypt recipient). */
export type BackupEncryption = { kind: 'x25519'; recipient: string } | { kind: 'passphrase'; passphrase: string; logN?: number };

/** A key that opens an encrypted backup: an age identity file's text, or a passphrase. */
export type AgeKeyInput = { kind: 'identity'; identity: string } | { kind: 'passphrase'; passphrase: string };

/**
 * The keys a read of a backup or database may need, of two kinds that can meet in one
 * file: `source` opens an encrypted (SQLCipher…) database, `age` decrypts a backup
 * encrypted at rest; a backup of an encrypted source encrypted with age needs both.
 */
export interface Keys {
  source?: SourceKey;
  age?: AgeKeyInput[];
  /**
   * A restore's: the key of the existing encrypted database it loads the backup into,
   * when it is not `source`. The target keeps its own key (and cipher); the pages are
   * re-encrypted as they are loaded.
   */
  target?: SourceKey;
}

/**
 * How a database that another program held exclusively was copied: its files were read
 * without any lock, checked to equal the files at one instant (as SQLite would find them
 * after a power cut then), and SQLite's own recovery turned them into the backup.
 */
export interface HeldCopy {
  /** The companion file the proof rested on: the WAL, or the rollback journal. */
  journal: 'wal' | 'rollback';
  /** How many copies it took until one was provably consistent (1 when the first was). */
  tries: number;
  /** Up to which commit the copy is consistent, in words ("WAL commit frame 1,234 of checkpoint 7"). */
  consistentUpTo: string;
}

/** What a finished backup answers: the file, its manifest, and how it was copied. */
export interface BackupResult {
  path: string;
  /** The manifest beside the backup, or null when none was asked for. */
  manifestPath: string | null;
  manifest: BackupManifest;
  durationMs: number;
  /** Leftover partial files of killed runs removed from the destination folder. */
  removedPartials: string[];
  /** What went wrong without spoiling the backup (a checkpoint helper's failed write-back), in words. */
  warnings: string[];
}

/** What a finished restore answers: what replaced what, the safety copy, and the check of the result. */
export interface RestoreResult {
  backup: string;
  target: string;
  /** The copy of the target taken before it was replaced, or null when turned off or the target was new. */
  safetyCopy: string | null;
  pageCount: number;
  durationMs: number;
  /**
   * What was checked of the restored pages. After a load into the target, the target as it
   * now is (its database file, counted and hashed). After a swap, which puts the backup's
   * file in the target's place, the backup (`path`), whose bytes the target holds but for
   * the two header bytes that say WAL.
   */
  verification: VerifyResult;
}

/**
 * How a database's backups are kept: `copies`, plain SQLite files (cloned where the backup
 * folder clones), or `versions`, its page vault, where each version stores only the pages
 * that changed.
 */
export type StorageKind = 'copies' | 'versions';

/** A history entry that is a version in a page vault: which vault, which version, what it added. */
export interface VaultVersionRef {
  /** The vault folder (`<backup folder>/<stem>.vault`). */
  vault: string;
  /** The version's number as `pagevault vault list` shows it. */
  id: number;
  /** Compressed bytes of the pages no earlier version had: what this version cost. */
  newBytes: number;
  /** True when its vault is encrypted with age (vault-store.ts), as the History lists it. */
  encrypted?: boolean;
}

/** A database registered with Pagevault, with what the list shows about it. */
export interface DatabaseSummary {
  id: number;
  path: string;
  /** The name the user gave it; the file name until then. */
  label: string;
  /** The folder its backups are written to. */
  destination: string;
  mode: BackupMode;
  /** Stepped mode tuning; null for the engine's defaults. */
  pagesPerStep: number | null;
  pauseMs: number | null;
  addedAt: string;
  /** From the file system at listing time; null when the file is missing. */
  sizeBytes: number | null;
  /** From the last inspection (at add time or after a backup). */
  journalMode: JournalMode;
  pageSize: number;
  lastBackup: BackupRecord | null;
  /** Copies or Versions, as chosen (databases from before the choice keep Copies). */
  storage: StorageKind;
  /** What Pagevault would choose for it now, from its size and whether its backup folder clones. */
  storageDefault: StorageKind;
  /** Why, in a sentence shown under the choice: what the chosen kind costs here. */
  storageReason: string;
}

/**
 * `skipped`: a scheduled run found the database unchanged; `missed`: scheduled runs that
 * could not happen (the window is startedAt..finishedAt); `interrupted`: Pagevault ended
 * while the backup ran (found at its next start; finishedAt is null); `deferred`: another
 * program held the database and kept writing, so no provably consistent copy could be
 * taken this time (not a fault: the next run tries again; `error` says why).
 */
export type BackupStatus = 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'missed' | 'interrupted' | 'deferred';

/** What started a backup, kept in the history so an entry says why it exists. */
export type BackupTrigger = 'manual' | 'schedule' | 'import' | 'before-restore';

/** One entry of the backup history. */
export interface BackupRecord {
  id: number;
  databaseId: number | null;
  /** The database's label when the entry was made (it outlives removal of the database). */
  databaseLabel: string;
  source: string;
  /** The backup file; null for a failed or cancelled run. */
  path: string | null;
  status: BackupStatus;
  /** Why the entry exists: Backup now, a schedule, before a restore, or imported from a folder. */
  trigger: BackupTrigger;
  mode: BackupMode;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  bytes: number | null;
  pageSize: number | null;
  pageCount: number | null;
  sha256: string | null;
  restarts: number;
  verification: VerificationVerdict;
  verificationProblems: string[];
  verifiedAt: string | null;
  /** Why it failed, or for skipped and missed entries, what happened. */
  error: EntryNote | null;
  /** False once the file has been found missing on disk. */
  fileExists: boolean;
  /** Pinned backups are never deleted by retention. */
  pinned: boolean;
  /** How a database another program held was copied without a lock; null for a normal backup. */
  heldCopy: HeldCopy | null;
  /** Whether the file was cloned (sharing blocks with the source) or copied; null when unknown or there is no file. */
  copyMethod: CopyMethod | null;
  /** What went wrong around a backup that still succeeded (BackupResult.warnings); empty for most. */
  warnings: string[];
  /** Set when the entry is a version in the database's vault (its path is then `<vault>#<id>`). */
  version: VaultVersionRef | null;
}

/** Which entries the History screen lists; derived from its schema so the two cannot drift. */
export type HistoryStatusFilter = (typeof historyStatusFilters)[number];

/** One page of the history, with the total so the screen can page through it. */
export interface HistoryPage {
  entries: BackupRecord[];
  /** How many entries match the filter in all. */
  total: number;
}

/** One point of the History chart. */
export interface HistoryPoint {
  at: string;
  bytes: number;
  durationMs: number;
}

/** What the database drawer shows: the summary, the file as inspected now, and its settings. */
export interface DatabaseDetails {
  database: DatabaseSummary;
  /** Null when the file cannot be read right now; `inspectError` says why. */
  inspect: InspectResult | null;
  inspectError: string | null;
  latestBackups: BackupRecord[];
}

/** Whether a queued job has started; a running one can report progress. */
export type JobState = 'queued' | 'running';

/** A job in the core's queue, as the UI lists it. */
export interface JobInfo {
  jobId: string;
  kind: 'backup' | 'restore' | 'verify';
  databaseId: number | null;
  label: string;
  state: JobState;
  queuedAt: string;
  /** The latest progress; null until the job reports. */
  progress: JobProgress | null;
}

/** The theme the user picked, or the system's; derived from its schema. */
export type ThemeSetting = z.infer<typeof themeSettingSchema>;

/** The app-wide preferences kept in the catalog, with the defaults new databases take. */
export interface Settings {
  /** Where new databases' backups go; each gets a subfolder named after it. */
  defaultBackupFolder: string;
  /** How many backups run at the same time. */
  concurrency: number;
  verifyAfterBackup: boolean;
  /** Failures always notify; successes only when this is on. */
  notifyOnSuccess: boolean;
  theme: ThemeSetting;
  /** Scheduled backups wait until this time (ISO); null when they run. */
  schedulesPausedUntil: string | null;
  /** Desktop app: closing the window keeps Pagevault running in the tray. */
  closeToTray: boolean;
  /** Desktop app: whether the user has been told that closing keeps it in the tray. */
  closeToTrayExplained: boolean;
  /** Desktop app: start Pagevault when the user logs in. */
  startAtLogin: boolean;
  /** Encryption at rest of backups, by database id and `default`; a database not named follows the default. */
  backupEncryption: Record<string, BackupEncryptionMode>;
}

/** How backups are encrypted at rest: not, with age to an X25519 identity Pagevault keeps, or with a passphrase. */
export type BackupEncryptionMode = 'none' | 'x25519' | 'passphrase';

/** The encryption setting of a database (or the default, `databaseId` null) as the settings show it. */
export interface BackupEncryptionInfo {
  databaseId: number | null;
  mode: BackupEncryptionMode;
  /** True when the database follows the default. */
  inherited: boolean;
  /** The `age1…` public key backups are encrypted to (x25519). */
  recipient: string | null;
  /** False when the key for the mode was removed from the store: backups then fail until it is chosen again. */
  keyStored: boolean;
  store: 'keychain' | 'key-file';
  /** Only in the answer that generated it: the identity to save as the recovery key, shown once. */
  recoveryKey: string | null;
}

/** What importing a folder of backups found: how many were new, known, or unreadable. */
export interface ImportResult {
  folder: string;
  imported: number;
  /** Manifests already in the history. */
  alreadyKnown: number;
  /** Manifests that could not be read, with why. */
  problems: string[];
}

/** Which part of the catalog changed, so a screen refetches only what it shows. */
export type CatalogTopic = 'databases' | 'history' | 'settings' | 'schedules' | 'retention';

/** Signs that another program is using a database right now. */
export interface DatabaseUsage {
  inUse: boolean;
  /** What was seen, one line each, most pressing first. */
  reasons: string[];
}

/** One table whose row count differs between a backup and the database it would replace; null where the table is missing. */
export interface TableDifference {
  name: string;
  backupRows: number | null;
  targetRows: number | null;
}

/** How a backup differs from the database it would replace, table by table. */
export interface TableComparison {
  /** Tables the backup has and the target lacks: the restore brings them back. */
  added: string[];
  /** Tables the target has and the backup lacks: the restore removes them. */
  removed: string[];
  /** Tables in both whose row counts differ. */
  changed: TableDifference[];
  /** How many tables are in both with the same row count. */
  unchanged: number;
}

/** A place a backup could be restored to, and what restoring there would mean. */
export interface RestoreTarget {
  path: string;
  exists: boolean;
  /** The registered database at this path, if there is one. */
  databaseId: number | null;
  label: string;
  sizeBytes: number | null;
  modifiedAt: string | null;
  journalMode: JournalMode | null;
  /** Null for a new file. */
  usage: DatabaseUsage | null;
  /** Null for a new file or when the target cannot be read. */
  comparison: TableComparison | null;
  /** Why this target cannot be used; null when it can. */
  problem: string | null;
  /** The code of `problem`, the one a restore into this target is refused with; null when it can be used. */
  problemCode: ErrorCode | null;
}

/** Step 2 of the restore wizard: what the backup is and whether it is sound. */
export interface RestoreCheck {
  backupPath: string;
  inspect: InspectResult;
  verification: VerifyResult;
  manifest: BackupManifest | null;
  /** The history entry of this file, when it is one. */
  entry: BackupRecord | null;
  /** How the entry was found: by the file's path, or by its SHA-256 (a copy, e.g. a dropped file). */
  entryMatchedBy: 'path' | 'checksum' | null;
  /** When the backup was taken: from its manifest, else the history, else the file's time. */
  takenAt: string;
  takenAtSource: 'manifest' | 'history' | 'file';
  /** The database the backup came from, when it is known and still exists. */
  origin: RestoreTarget | null;
}

/** What a finished restore did. */
export interface RestoreSummary {
  backupPath: string;
  target: string;
  databaseId: number | null;
  label: string;
  /** The copy of the target taken first; null when turned off or the target was new. */
  safetyCopy: string | null;
  /** The history entry of the safety copy (trigger 'before-restore'). */
  safetyCopyEntry: BackupRecord | null;
  pageCount: number;
  bytes: number;
  durationMs: number;
  /** Whether the restored database passed quick_check. */
  verified: boolean;
}

/** When a schedule runs: every N minutes, daily or weekly at a time, or a cron expression. */
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

/** A schedule as saved: its spec, whether it is on, and whether an unchanged database is skipped. */
export type Schedule = z.infer<typeof scheduleSchema>;

/** A database's schedule as the Schedules screen lists it. */
export interface ScheduleInfo {
  databaseId: number;
  label: string;
  schedule: Schedule;
  /** "Every weekday at 18:30". */
  description: string;
  /** The next five run times (ISO), whether or not the schedule is enabled or paused. */
  nextRuns: string[];
  /** The latest entry a scheduled run made (succeeded, failed, skipped or missed). */
  lastRun: BackupRecord | null;
  updatedAt: string;
}

/** What a schedule would do, before it is saved. */
export interface SchedulePreview {
  description: string;
  nextRuns: string[];
}

/** Which backups to keep (see `retentionPolicySchema` for the rules). */
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;

/** What a retention policy would do to the backups on disk now. */
export interface RetentionPreview {
  /** The backups it would delete, newest first. */
  deletions: BackupRecord[];
  /** Bytes those files take. */
  bytes: number;
  /** How many backups it keeps. */
  kept: number;
}

/**
 * One thing a database's backups keep on disk: a copy (a backup file) or a version in its
 * vault. `bytes` is what it costs: a copy's file size, a version's new compressed pages.
 */
export interface StorageItem {
  kind: 'copy' | 'version';
  /** The backup's History id for a copy; the version's number as the vault lists it. */
  id: number;
  createdAt: string;
  /** The copy's file, or the vault folder a version is in. */
  path: string;
  /** Null when a copy's file is missing. */
  bytes: number | null;
  /** True when a copy's file is not on disk (it costs nothing and is counted apart). */
  missing: boolean;
  /**
   * A copy cloned on a copy-on-write file system: it shares its unchanged blocks with the
   * source (and the other clones), so it costs at most `bytes`, often far less.
   */
  cloned: boolean;
  pinned: boolean;
  /** Whether the database's retention policy, applied now, would delete it. */
  retentionWouldDelete: boolean;
}

/** What a database's backups cost on disk, item by item, and what its retention would free. */
export interface StorageReport {
  databaseId: number;
  label: string;
  source: string;
  /** The source database file's size now, for comparison; null when it cannot be found. */
  sourceBytes: number | null;
  /** The vault at the database's vault folder, when one exists there. */
  vault: { path: string; bytes: number; versions: number } | null;
  /** Why the vault folder that exists could not be read (its versions are then not listed); null when all is well. */
  vaultProblem: string | null;
  /** Copies and versions, oldest first. */
  items: StorageItem[];
  /** The policy the marks are from; null when it keeps everything. */
  policy: RetentionPolicy | null;
  totals: {
    /** Copies' file sizes plus the vault file's size. */
    bytes: number;
    /** Bytes the policy would free now: the marked copies' sizes plus the marked versions' new bytes. */
    wouldFree: number;
    /** How many items the policy would delete. */
    wouldDelete: number;
    /** Copies whose files are missing. */
    missing: number;
    /** Bytes of cloned copies within `bytes`: shared with the source, so the real cost is lower. */
    clonedBytes: number;
    /**
     * True when `wouldFree` is an upper bound: a deleted version frees only those of its new
     * pages no kept version names, and a deleted clone only its blocks no other file shares.
     */
    wouldFreeIsUpperBound: boolean;
  };
}

/** After start-up or resume: scheduled runs that were missed and caught up (once each). */
export interface CatchUpSummary {
  /** How many scheduled runs were missed, over all schedules. */
  missed: number;
  /** The databases caught up. */
  labels: string[];
  reason: 'start' | 'resume';
  message: string;
}

/** A database of a well-known app found on this computer by `databases.discover`. */
export interface DiscoveredDatabase {
  /** The app that keeps it: "Firefox", "Chromium", "Zotero", ... */
  app: string;
  /** The app's profile or library it belongs to, by its readable name; null when the app has one. */
  profile: string | null;
  /** Absolute path, as found under the home folder. */
  path: string;
  sizeBytes: number;
  /** `encrypted`: the app encrypts it with a key it keeps, so Pagevault cannot read it. */
  format: 'sqlite' | 'encrypted';
  /** From the header (bytes 18/19); null when the file is encrypted. */
  journal: 'wal' | 'rollback' | null;
  /** Whether a program holds a lock on it right now; null where that cannot be told (only Linux says). */
  held: boolean | null;
  /** Already in Pagevault (same real path). */
  registered: boolean;
  /** "Firefox · default-release · places": the name it gets when added. */
  suggestedLabel: string;
  /** One line for the user when there is something to know (why it cannot be added, or how an encrypted one is). */
  note: string | null;
}

/** What `databases.discover` looked at and found. */
export interface DiscoveryResult {
  /** The home folder that was searched. */
  home: string;
  platform: string;
  /** False where whether an app holds a file cannot be told (every `held` is then null). */
  heldKnown: boolean;
  databases: DiscoveredDatabase[];
  /** Files at an app's database path that are not databases (a non-SQLite file, a named pipe), with why. */
  skipped: Array<{ path: string; reason: string }>;
}
