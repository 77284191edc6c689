/** How the UI words and rounds what the core reports: sizes, durations, times, outcomes; pure and tested on their own. */
import type { BackupRecord, BackupStatus, HeldCopy, StorageReport, VaultVersionRef } from '../../app/api/index.ts';

/** Shortens a long path in the middle, keeping the file name whole when it can. */
export function shortenMiddle(path: string, max = 60): string {
  if (path.length <= max) return path;
  const cut = path.lastIndexOf('/') >= 0 ? path.lastIndexOf('/') : path.lastIndexOf('\\');
  const tail = cut >= 0 ? path.slice(cut) : path.slice(-Math.floor(max / 2));
  if (tail.length >= max - 4) return `…${path.slice(-(max - 1))}`;
  const headLength = max - tail.length - 1;
  return `${path.slice(0, headLength)}…${tail}`;
}

/**
 * A backup file's name in two parts: what may be cut short (the database's name) and what
 * tells backups apart and says what the file is (its time, any `-2`, `-before-restore`, and
 * its extension: `.db`, `.db.age`). A name Pagevault did not give keeps its extension whole.
 */
export function backupNameParts(name: string): { head: string; tail: string } {
  const stamp = /-\d{8}-\d{6}(?:-\d+)?(?:-before-restore)?(?:-\d+)?(?:\.[^.]+)+$/.exec(name);
  const at = stamp ? stamp.index : name.indexOf('.', 1);
  return at > 0 ? { head: name.slice(0, at), tail: name.slice(at) } : { head: name, tail: '' };
}

const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (decimal units, as file managers show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** Done fraction of a job, 0..1, from SQLite's page counts: (pagecount − remaining) / pagecount. */
export function fractionDone(progress: { totalPages: number; remainingPages: number } | null | undefined): number {
  if (!progress || progress.totalPages <= 0) return 0;
  return Math.min(1, Math.max(0, (progress.totalPages - progress.remainingPages) / progress.totalPages));
}

/** Seconds left at the current rate; undefined while the rate is unknown. */
export function secondsLeft(progress: { totalPages: number; remainingPages: number; bytesCopied: number; bytesPerSecond: number }): number | undefined {
  const done = progress.totalPages - progress.remainingPages;
  if (progress.bytesPerSecond <= 0 || done <= 0) return undefined;
  const bytesPerPage = progress.bytesCopied / done;
  return (progress.remainingPages * bytesPerPage) / progress.bytesPerSecond;
}

/** 1500 → "1.5 s", 95_000 → "1 min 35 s", 7_200_000 → "2 h 0 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then the date. */
export function formatRelativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return then.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** 12_500_000 → "12.5 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '–';
}

/** One row of the restore check's table: a table's rows in the backup and in the target now. */
export interface ComparedTable {
  name: string;
  /** Undefined when the backup has no such table; null when it was not counted. */
  backupRows: number | null | undefined;
  targetRows: number | null | undefined;
  change: 'same' | 'differs' | 'added' | 'removed' | 'unknown';
}

/**
 * Merges the backup's tables with how the target differs: every table of either side, in
 * the backup's order, then the tables only the target has. Without a comparison (a new
 * file, or the target cannot be read) the target side is unknown.
 */
export function compareForDisplay(
  backup: ReadonlyArray<{ name: string; rows: number | null }>,
  comparison: { added: string[]; removed: string[]; changed: Array<{ name: string; targetRows: number | null }>; unchanged: number } | null,
): ComparedTable[] {
  if (!comparison) return backup.map((table) => ({ name: table.name, backupRows: table.rows, targetRows: undefined, change: 'unknown' }));
  const added = new Set(comparison.added);
  const changed = new Map(comparison.changed.map((table) => [table.name, table.targetRows]));
  const rows: ComparedTable[] = backup.map((table) => {
    if (added.has(table.name)) return { name: table.name, backupRows: table.rows, targetRows: undefined, change: 'added' };
    if (changed.has(table.name)) return { name: table.name, backupRows: table.rows, targetRows: changed.get(table.name), change: 'differs' };
    return { name: table.name, backupRows: table.rows, targetRows: table.rows, change: 'same' };
  });
  for (const name of comparison.removed) rows.push({ name, backupRows: undefined, targetRows: undefined, change: 'removed' });
  return rows;
}

/** "1 table differs, 1 comes back, 2 go away" — or that nothing differs. */
export function describeComparison(rows: readonly ComparedTable[]): string {
  const count = (change: ComparedTable['change']) => rows.filter((row) => row.change === change).length;
  const table = (n: number) => `${n} ${n === 1 ? 'table' : 'tables'}`;
  const parts: string[] = [];
  if (count('differs')) parts.push(`${table(count('differs'))} with different row counts`);
  if (count('added')) parts.push(`${table(count('added'))} the database no longer has`);
  if (count('removed')) parts.push(`${table(count('removed'))} added since, which the restore removes`);
  if (parts.length === 0) return 'Every table has the same number of rows as now.';
  return `The backup differs from the database now: ${parts.join('; ')}.`;
}

/** How a copy of a database another program held was taken, in a sentence (the app is not named: nothing says which held it). */
export function describeHeldCopy(held: HeldCopy): string {
  const tries = held.tries === 1 ? '1 try' : `${held.tries.toLocaleString()} tries`;
  return `Another program held this database, so Pagevault copied it without a lock and checked the copy: consistent up to ${held.consistentUpTo}; ${tries}.`;
}

/** The explanation of a cloned backup's badge: what sharing blocks means for the user's disk. */
export function describeClone(bytes: number | null): string {
  const size = bytes === null ? '' : ` of ${formatBytes(bytes)}`;
  return `Cloned on a copy-on-write file system: this backup${size} shares its blocks with the database it came from, so it took milliseconds and takes new space only for the blocks either of them changes later. It is a standalone file all the same.`;
}

/** What a version in a vault is and what it cost, for its badge's explanation. */
export function describeVersion(version: VaultVersionRef, bytes: number | null): string {
  const size = bytes === null ? '' : ` It restores to a database of ${formatBytes(bytes)}.`;
  return `Version ${version.id} in the vault ${version.vault}: it stored ${formatBytes(version.newBytes)} of new data, only the pages no earlier version had; every other page is shared with the versions around it.${size}`;
}

/** A version's name in a list: `<stem>.vault · version 2`. */
export function versionName(version: VaultVersionRef): string {
  return `${vaultName(version)} · version ${version.id}`;
}

/** The vault folder's own name (`<stem>.vault`) of a version. */
export function vaultName(version: Pick<VaultVersionRef, 'vault'>): string {
  return version.vault.split(/[\\/]/).pop() ?? version.vault;
}

/** The last part of a backup's path as a list shows it; a version (`<vault>#<id>`) as `<stem>.vault · version <id>`. */
export function backupName(path: string): string {
  const version = /^(.+\.vault)#(\d+)$/.exec(path);
  return version ? versionName({ vault: version[1]!, id: Number(version[2]), newBytes: 0 }) : (path.split(/[\\/]/).pop() ?? path);
}

/** How much an outcome asks of the user: `calm` is not a fault and needs nothing (a deferred run). */
export type OutcomeTone = 'good' | 'warn' | 'calm' | 'muted' | 'bad';

/**
 * How a run ended, in a few words: the Schedules screen's last run, and the Databases
 * screen's last backup when it is not a backup.
 */
export const runOutcome: Record<BackupStatus, { word: string; tone: OutcomeTone }> = {
  succeeded: { word: 'backed up', tone: 'good' },
  failed: { word: 'failed', tone: 'bad' },
  cancelled: { word: 'cancelled', tone: 'muted' },
  skipped: { word: 'skipped: unchanged', tone: 'muted' },
  missed: { word: 'missed; caught up', tone: 'warn' },
  interrupted: { word: 'interrupted', tone: 'bad' },
  deferred: { word: 'deferred: in use', tone: 'calm' },
};

/** What a safety copy taken before a restore is, where its verdict is `skipped`. */
export const HASHED_SAFETY_COPY = {
  word: 'hashed; not checked',
  tone: 'muted',
  detail:
    'A safety copy of the database as it was before the restore: hashed as it was written (its SHA-256 is in its manifest), not checked by SQLite, since its pages are the database as it was, damaged or not. Undo restore checks it against that SHA-256 before loading it.',
} as const;

/**
 * True for a safety copy taken before a restore that was only hashed: nothing failed or was
 * left out, so it is not "not verified" (a warning) but what it is.
 */
export function isHashedSafetyCopy(entry: Partial<Pick<BackupRecord, 'trigger' | 'sha256'>> & Pick<BackupRecord, 'status' | 'verification'>): boolean {
  return entry.status === 'succeeded' && entry.trigger === 'before-restore' && entry.verification === 'skipped' && typeof entry.sha256 === 'string';
}

/** The last-backup cell's few words: how the run ended, or for a backup, its verification. */
export function backupOutcome(backup: Pick<BackupRecord, 'status' | 'verification'> & Partial<Pick<BackupRecord, 'trigger' | 'sha256'>>): { word: string; tone: OutcomeTone } {
  if (backup.status !== 'succeeded') return runOutcome[backup.status];
  if (backup.verification === 'passed') return { word: 'verified', tone: 'good' };
  if (backup.verification === 'failed') return { word: 'verification failed', tone: 'bad' };
  if (isHashedSafetyCopy(backup)) return { word: HASHED_SAFETY_COPY.word, tone: HASHED_SAFETY_COPY.tone };
  return { word: 'not verified', tone: 'warn' };
}

/** "deferred: in use" → "Deferred: in use", for a badge that stands alone. */
export function capitalized(words: string): string {
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The Mantine colour of a tone; indigo for calm, so a deferred run never looks like a failure. */
export const toneColor: Record<OutcomeTone, string> = { good: 'teal', warn: 'yellow', calm: 'indigo', muted: 'gray', bad: 'red' };

/** The storage view's figures in words: what the backups take against the database, and what retention would free now. */
export function describeStorage(report: Pick<StorageReport, 'sourceBytes' | 'policy' | 'totals'>): { total: string; retention: string; notes: string[] } {
  const { totals } = report;
  const source = report.sourceBytes === null ? ' (the database itself cannot be found now)' : ` (the database itself is ${formatBytes(report.sourceBytes)})`;
  const total = `Backups take ${formatBytes(totals.bytes)} on disk${source}.`;
  const count = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'backup' : 'backups'}`;
  let retention: string;
  if (!report.policy) retention = 'No retention policy: every backup is kept.';
  else if (totals.wouldDelete === 0) retention = 'Retention would free nothing now: it keeps every backup there is.';
  else retention = `Retention would free ${totals.wouldFreeIsUpperBound ? 'up to ' : ''}${formatBytes(totals.wouldFree)} now, deleting ${count(totals.wouldDelete)}.`;
  const notes: string[] = [];
  if (totals.clonedBytes > 0) notes.push(`${formatBytes(totals.clonedBytes)} of that is in cloned copies, which share their unchanged blocks with the database, so they take less than their size.`);
  if (totals.missing > 0) notes.push(`${totals.missing === 1 ? '1 copy is' : `${totals.missing.toLocaleString()} copies are`} missing from disk and counted as nothing.`);
  if (totals.wouldFreeIsUpperBound && totals.wouldDelete > 0) notes.push('A deleted version frees only the pages no kept version still uses, and a clone only the blocks it does not share.');
  return { total, retention, notes };
}
