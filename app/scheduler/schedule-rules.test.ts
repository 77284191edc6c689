/** Next runs of every schedule kind across daylight-saving changes, sentences and validation. */
import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../api/types.ts';
import { checkSchedule, describeSchedule, nextRuns, slotsBetween } from './schedule-rules.ts';

const tz = 'America/New_York';
/** Local wall-clock time in New York, "2026-03-09 02:30". */
const local = (date: Date) => {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
};
const anchor = new Date('2026-01-01T00:00:00Z');

describe('next runs across daylight-saving changes (America/New_York)', () => {
  // Spring forward: 2026-03-08 02:00 → 03:00. Fall back: 2026-11-01 02:00 → 01:00.
  it.each<{ name: string; spec: ScheduleSpec; after: string; expected: string[] }>([
    {
      name: 'daily at a time that does not exist on the spring-forward day runs when the gap ends',
      spec: { kind: 'daily', time: '02:30' },
      after: '2026-03-07T12:00:00Z',
      expected: ['2026-03-08 03:00', '2026-03-09 02:30', '2026-03-10 02:30'],
    },
    {
      name: 'daily at a time that happens twice on the fall-back day runs once',
      spec: { kind: 'daily', time: '01:30' },
      after: '2026-10-31T12:00:00Z',
      expected: ['2026-11-01 01:30', '2026-11-02 01:30', '2026-11-03 01:30'],
    },
    {
      name: 'weekly keeps its local time on both sides of the change',
      spec: { kind: 'weekly', days: [1, 5], time: '18:30' },
      after: '2026-03-04T00:00:00Z',
      expected: ['2026-03-06 18:30', '2026-03-09 18:30', '2026-03-13 18:30'],
    },
    {
      name: 'cron keeps its local time on both sides of the change',
      spec: { kind: 'cron', expression: '0 9 * * *' },
      after: '2026-10-31T00:00:00Z',
      expected: ['2026-10-31 09:00', '2026-11-01 09:00', '2026-11-02 09:00'],
    },
    {
      name: 'cron with seconds',
      spec: { kind: 'cron', expression: '*/20 * * * * *' },
      after: '2026-03-08T06:59:30Z',
      expected: ['2026-03-08 01:59', '2026-03-08 03:00', '2026-03-08 03:00'],
    },
  ])('$name', ({ spec, after, expected }) => {
    expect(nextRuns(spec, anchor, new Date(after), expected.length, tz).map(local)).toEqual(expected);
  });

  it('an interval counts absolute time: every hour gives 25 runs on the fall-back day and 23 on the spring-forward day', () => {
    const hourly: ScheduleSpec = { kind: 'interval', everyMinutes: 60 };
    const fallBackDay = slotsBetween(hourly, anchor, new Date('2026-11-01T04:00:00Z'), new Date('2026-11-02T05:00:00Z'), tz).slots;
    expect(fallBackDay).toHaveLength(25);
    expect(fallBackDay.filter((slot) => local(slot).endsWith('01:00'))).toHaveLength(2);
    const springDay = slotsBetween(hourly, anchor, new Date('2026-03-08T05:00:00Z'), new Date('2026-03-09T04:00:00Z'), tz).slots;
    expect(springDay).toHaveLength(23);
  });

  it('an interval runs at anchor + k × interval, after the given time', () => {
    const runs = nextRuns({ kind: 'interval', everyMinutes: 90 }, new Date('2026-11-20T10:00:00Z'), new Date('2026-11-20T12:00:00Z'), 3);
    expect(runs.map((d) => d.toISOString())).toEqual(['2026-11-20T13:00:00.000Z', '2026-11-20T14:30:00.000Z', '2026-11-20T16:00:00.000Z']);
  });

  it('counts at most `limit` slots and says there were more', () => {
    const { slots, more } = slotsBetween({ kind: 'interval', everyMinutes: 1 }, anchor, anchor, new Date('2026-02-01T00:00:00Z'), undefined, 500);
    expect(slots).toHaveLength(500);
    expect(more).toBe(true);
  });
});

describe('describeSchedule', () => {
  it.each<[ScheduleSpec, string]>([
    [{ kind: 'interval', everyMinutes: 1 }, 'Every minute'],
    [{ kind: 'interval', everyMinutes: 15 }, 'Every 15 minutes'],
    [{ kind: 'interval', everyMinutes: 60 }, 'Every hour'],
    [{ kind: 'interval', everyMinutes: 180 }, 'Every 3 hours'],
    [{ kind: 'interval', everyMinutes: 2880 }, 'Every 2 days'],
    [{ kind: 'daily', time: '09:00' }, 'Every day at 09:00'],
    [{ kind: 'weekly', days: [5, 1, 2, 3, 4], time: '18:30' }, 'Every weekday at 18:30'],
    [{ kind: 'weekly', days: [0, 6], time: '10:00' }, 'Every Saturday and Sunday at 10:00'],
    [{ kind: 'weekly', days: [5, 1, 3], time: '07:15' }, 'Every Monday, Wednesday and Friday at 07:15'],
    [{ kind: 'weekly', days: [0], time: '03:00' }, 'Every Sunday at 03:00'],
    [{ kind: 'cron', expression: '30 18 * * 1-5' }, 'At 18:30, Monday through Friday'],
  ])('%j → %s', (spec, sentence) => {
    expect(describeSchedule(spec)).toBe(sentence);
  });

  it.each<[ScheduleSpec, string]>([
    [{ kind: 'daily', time: '18:30' }, 'Every day at 06:30 PM'],
    [{ kind: 'daily', time: '00:05' }, 'Every day at 12:05 AM'],
    [{ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '12:00' }, 'Every weekday at 12:00 PM'],
    [{ kind: 'cron', expression: '30 18 * * 1-5' }, 'At 06:30 PM, Monday through Friday'],
    [{ kind: 'interval', everyMinutes: 60 }, 'Every hour'],
  ])('on the 12-hour clock, %j → %s', (spec, sentence) => {
    expect(describeSchedule(spec, { hour12: true })).toBe(sentence);
  });
});

describe('checkSchedule', () => {
  it.each<[ScheduleSpec, string, string]>([
    [{ kind: 'interval', everyMinutes: 0 }, 'everyMinutes', 'at least 1 minute'],
    [{ kind: 'daily', time: '24:00' }, 'time', 'Expected a time as HH:MM'],
    [{ kind: 'weekly', days: [], time: '10:00' }, 'days', 'Choose at least one day'],
    [{ kind: 'cron', expression: '61 * * * *' }, 'expression', 'Invalid value for minute: 61'],
    [{ kind: 'cron', expression: '0 0 31 2 *' }, 'expression', 'never runs'],
    [{ kind: 'cron', expression: '* * *' }, 'expression', 'has 3'],
    [{ kind: 'cron', expression: '' }, 'expression', 'Type a cron expression'],
  ])('refuses %j at the field %s', (spec, field, message) => {
    const problem = checkSchedule(spec);
    expect(problem?.field).toBe(field);
    expect(problem?.message).toContain(message);
  });

  it('accepts good schedules', () => {
    expect(checkSchedule({ kind: 'cron', expression: '*/5 * * * * *' })).toBeUndefined();
    expect(checkSchedule({ kind: 'weekly', days: [1], time: '00:00' })).toBeUndefined();
  });
});
