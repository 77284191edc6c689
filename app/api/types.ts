/** Data shapes that cross the API. Plain JSON: no Dates, no class instances. */

export type JournalMode = 'delete' | 'truncate' | 'persist' | 'memory' | 'wal' | 'off';

/** How a backup copies pages; see the engine's README section in the project README. */
export type BackupMode = 'snapshot' | 'stepped' | 'compact';

export type JobPhase = 'prepare' | 'safety-copy' | 'copy' | 'finalize' | 'verify';

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

export interface TableInfo {
  name: string;
  /** Null when counting was skipped because the time budget ran out. */
  rows: number | null;
}

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
}

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
}

export interface JobProgress {
  jobId: string;
  kind: 'backup' | 'restore' | 'verify';
  phase: JobPhase;
  totalPages: number;
  remainingPages: number;
  bytesCopied: number;
  bytesPerSecond: number;
  restarts: number;
  elapsedMs: number;
}

export interface JobFinished {
  jobId: string;
  kind: 'backup' | 'restore' | 'verify';
  ok: boolean;
  error?: { code: string; message: string };
}

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
}

export interface BackupResult {
  path: string;
  /** The manifest beside the backup, or null when none was asked for. */
  manifestPath: string | null;
  manifest: BackupManifest;
  durationMs: number;
  /** Leftover partial files of killed runs removed from the destination folder. */
  removedPartials: string[];
}

export interface RestoreResult {
  backup: string;
  target: string;
  /** The copy of the target taken before it was replaced, or null when turned off or the target was new. */
  safetyCopy: string | null;
  pageCount: number;
  durationMs: number;
  verification: VerifyResult;
}
