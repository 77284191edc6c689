/** Which backups each kind of retention policy keeps, table-driven, with the protections. */
import { describe, expect, it } from 'vitest';
import type { RetentionPolicy } from '../api/types.ts';
import { applyRetention, type RetentionCandidate } from './retention-policy.ts';

const none: RetentionPolicy = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };
const now = new Date('2026-11-20T12:00:00Z');

/** Backups at the given UTC times, ids in order; all unverified and unpinned unless marked. */
function backups(times: string[], marks: Record<number, Partial<RetentionCandidate>> = {}): RetentionCandidate[] {
  return times.map((startedAt, i) => ({ id: i + 1, startedAt, pinned: false, verification: 'skipped' as const, ...marks[i + 1] }));
}

/** Every 6 hours for 10 days, newest first: ids 1 (2026-11-20 06:00) … 40. */
const sixHourly = backups(Array.from({ length: 40 }, (_, i) => new Date(Date.parse('2026-11-20T06:00:00Z') - i * 6 * 3_600_000).toISOString()));
/** One a day on the 1st and 15th for two years, newest first. */
const twiceMonthly = backups(
  Array.from({ length: 48 }, (_, i) => {
    const month = 10 - Math.floor(i / 2);
    const date = new Date(Date.UTC(2026, month, i % 2 === 0 ? 15 : 1, 3));
    return date.toISOString();
  }),
);

const keptIds = (input: RetentionCandidate[], policy: RetentionPolicy) => applyRetention(input, policy, now, 'UTC').keep.map((k) => k.backup.id);

describe('applyRetention', () => {
  it.each<{ name: string; input: RetentionCandidate[]; policy: RetentionPolicy; kept: number[] }>([
    { name: 'no limits keeps everything', input: sixHourly.slice(0, 5), policy: none, kept: [1, 2, 3, 4, 5] },
    { name: 'keep last 3', input: sixHourly, policy: { ...none, keepLast: 3 }, kept: [1, 2, 3] },
    { name: 'keep hourly 2 keeps the newest of the 2 latest hours', input: sixHourly, policy: { ...none, keepHourly: 2 }, kept: [1, 2] },
    { name: 'keep daily 3 keeps the newest of each of the 3 latest days', input: sixHourly, policy: { ...none, keepDaily: 3 }, kept: [1, 3, 7] },
    { name: 'keep weekly 2 uses ISO weeks (Monday to Sunday)', input: sixHourly, policy: { ...none, keepWeekly: 2 }, kept: [1, 19] },
    { name: 'keep monthly 3', input: twiceMonthly, policy: { ...none, keepMonthly: 3 }, kept: [1, 3, 5] },
    { name: 'keep yearly 2', input: twiceMonthly, policy: { ...none, keepYearly: 2 }, kept: [1, 23] },
    { name: 'rules combine (last 1 + daily 2 + monthly 2)', input: twiceMonthly, policy: { ...none, keepLast: 1, keepDaily: 2, keepMonthly: 2 }, kept: [1, 2, 3] },
    { name: 'more buckets than backups keeps them all', input: sixHourly.slice(0, 3), policy: { ...none, keepYearly: 10 }, kept: [1] },
    { name: 'a minimum age keeps everything younger', input: sixHourly, policy: { ...none, keepLast: 1, minAgeDays: 2 }, kept: [1, 2, 3, 4, 5, 6, 7] },
  ])('$name', ({ input, policy, kept }) => {
    expect(keptIds(input, policy)).toEqual(kept);
  });

  it('never deletes a pinned backup', () => {
    const input = backups(['2026-11-20T10:00:00Z', '2026-11-19T10:00:00Z', '2026-11-18T10:00:00Z'], { 3: { pinned: true } });
    const decision = applyRetention(input, { ...none, keepLast: 1 }, now, 'UTC');
    expect(decision.remove.map((b) => b.id)).toEqual([2]);
    expect(decision.keep.find((k) => k.backup.id === 3)?.reasons).toEqual(['pinned']);
  });

  it('never deletes the most recent verified backup, even when newer ones are not verified', () => {
    const input = backups(['2026-11-20T10:00:00Z', '2026-11-19T10:00:00Z', '2026-11-18T10:00:00Z', '2026-11-17T10:00:00Z'], { 2: { verification: 'passed' }, 4: { verification: 'passed' } });
    const decision = applyRetention(input, { ...none, keepLast: 1 }, now, 'UTC');
    expect(decision.keep.map((k) => [k.backup.id, k.reasons])).toEqual([
      [1, ['last']],
      [2, ['latest verified']],
    ]);
    expect(decision.remove.map((b) => b.id)).toEqual([3, 4]);
  });

  it('counts days in the given time zone', () => {
    // 23:30 and 00:30 UTC are the same day in New York.
    const input = backups(['2026-11-20T00:30:00Z', '2026-11-19T23:30:00Z']);
    expect(applyRetention(input, { ...none, keepDaily: 5 }, now, 'UTC').keep).toHaveLength(2);
    expect(applyRetention(input, { ...none, keepDaily: 5 }, now, 'America/New_York').keep).toHaveLength(1);
  });
});
