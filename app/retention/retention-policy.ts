/**
 * Which backups a retention policy keeps, as restic's `forget` and Borg's `prune` do it:
 * keep the newest N, and the newest backup of each of the latest N hours, days, ISO weeks,
 * months and years (grandfather-father-son), counted in local time. On top of the
 * policy, pinned backups, the most recent verified backup and backups younger than the
 * minimum age are always kept. Pure: the caller deletes.
 */
import type { RetentionPolicy } from '../api/types.ts';

/** What retention needs to know of a backup. */
export interface RetentionCandidate {
  id: number;
  startedAt: string;
  pinned: boolean;
  verification: 'passed' | 'failed' | 'skipped';
}

/** Which rule of a policy kept a backup, so the UI can say why it stays. */
export type KeepReason = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'pinned' | 'latest verified' | 'too young';

/** What a policy does to a list of backups: each kept one with its reasons, and the ones to remove. */
export interface RetentionDecision<T> {
  keep: Array<{ backup: T; reasons: KeepReason[] }>;
  remove: T[];
}

type Bucket = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
const buckets: Array<[Bucket, keyof RetentionPolicy]> = [
  ['hourly', 'keepHourly'],
  ['daily', 'keepDaily'],
  ['weekly', 'keepWeekly'],
  ['monthly', 'keepMonthly'],
  ['yearly', 'keepYearly'],
];

const DAY_MS = 86_400_000;

/** True when the policy keeps only some backups (at least one count is set). */
export function keepsOnlySome(policy: RetentionPolicy | null): boolean {
  return !!policy && [policy.keepLast, ...buckets.map(([, key]) => policy[key])].some((value) => value !== null && value !== undefined);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(date: Date, timezone: string | undefined): { year: number; month: number; day: number; hour: number } {
  const key = timezone ?? '';
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
    formatters.set(key, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour) };
}

/** ISO 8601 week of a calendar date: "2026-W47". */
function isoWeek(year: number, month: number, day: number): string {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS + 1) / 7);
  return `${weekYear}-W${week}`;
}

function bucketOf(bucket: Bucket, date: Date, timezone: string | undefined): string {
  const { year, month, day, hour } = localParts(date, timezone);
  switch (bucket) {
    case 'hourly':
      return `${year}-${month}-${day} ${hour}`;
    case 'daily':
      return `${year}-${month}-${day}`;
    case 'weekly':
      return isoWeek(year, month, day);
    case 'monthly':
      return `${year}-${month}`;
    case 'yearly':
      return `${year}`;
  }
}

/** Decides, for backups of one database, which a policy keeps and which it removes. */
export function applyRetention<T extends RetentionCandidate>(backups: readonly T[], policy: RetentionPolicy | null, now: Date, timezone?: string): RetentionDecision<T> {
  const newestFirst = [...backups].sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || b.id - a.id);
  const reasons = new Map<number, KeepReason[]>();
  const keep = (backup: T, reason: KeepReason) => reasons.set(backup.id, [...(reasons.get(backup.id) ?? []), reason]);

  if (!policy || !keepsOnlySome(policy)) {
    return { keep: newestFirst.map((backup) => ({ backup, reasons: [] })), remove: [] };
  }
  newestFirst.slice(0, policy.keepLast ?? 0).forEach((backup) => keep(backup, 'last'));
  for (const [bucket, key] of buckets) {
    const wanted = policy[key] ?? 0;
    let lastKey: string | undefined;
    let kept = 0;
    for (const backup of newestFirst) {
      if (kept >= wanted) break;
      const current = bucketOf(bucket, new Date(backup.startedAt), timezone);
      if (current === lastKey) continue;
      lastKey = current;
      keep(backup, bucket);
      kept += 1;
    }
  }
  const latestVerified = newestFirst.find((backup) => backup.verification === 'passed');
  if (latestVerified) keep(latestVerified, 'latest verified');
  for (const backup of newestFirst) {
    if (backup.pinned) keep(backup, 'pinned');
    if (policy.minAgeDays && now.getTime() - Date.parse(backup.startedAt) < policy.minAgeDays * DAY_MS) keep(backup, 'too young');
  }
  return {
    keep: newestFirst.filter((backup) => reasons.has(backup.id)).map((backup) => ({ backup, reasons: reasons.get(backup.id)! })),
    remove: newestFirst.filter((backup) => !reasons.has(backup.id)),
  };
}
