import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../../../app/api/index.ts';
import { defaultScheduleForm, describePolicy, emptyPolicy, formatRunTime, formFromSpec, specFromForm } from './schedule-form.ts';

describe('schedule form', () => {
  it.each<ScheduleSpec>([
    { kind: 'interval', everyMinutes: 240 },
    { kind: 'interval', everyMinutes: 45 },
    { kind: 'daily', time: '06:15' },
    { kind: 'weekly', days: [1, 3, 5], time: '18:30' },
    { kind: 'cron', expression: '*/10 * * * *' },
  ])('round-trips %j', (spec) => {
    expect(specFromForm(formFromSpec(spec))).toEqual(spec);
  });

  it('shows whole hours in hours, and an emptied interval as 0 so the core names the field', () => {
    expect(formFromSpec({ kind: 'interval', everyMinutes: 120 })).toMatchObject({ intervalValue: 2, intervalUnit: 'hours' });
    expect(specFromForm({ ...defaultScheduleForm, kind: 'interval', intervalValue: '' })).toEqual({ kind: 'interval', everyMinutes: 0 });
  });

  it('says when runs are, relative to today', () => {
    const now = new Date(2026, 10, 20, 9, 0);
    expect(formatRunTime(new Date(2026, 10, 20, 18, 30).toISOString(), now, 'en-GB')).toBe('Today at 18:30');
    expect(formatRunTime(new Date(2026, 10, 21, 6, 0).toISOString(), now, 'en-GB')).toBe('Tomorrow at 06:00');
    expect(formatRunTime(new Date(2026, 10, 20, 18, 30, 15).toISOString(), now, 'en-GB')).toBe('Today at 18:30:15');
    expect(formatRunTime(new Date(2026, 10, 23, 7, 5).toISOString(), now, 'en-GB')).toMatch(/^Mon.* at 07:05$/);
  });

  it('uses the 12-hour clock where the locale does, as the time field does', () => {
    const now = new Date(2026, 10, 20, 9, 0);
    expect(formatRunTime(new Date(2026, 10, 20, 18, 30).toISOString(), now, 'en-US')).toBe('Today at 06:30 PM');
  });

  it('describes retention policies', () => {
    expect(describePolicy(null)).toBe('Keeps every backup');
    expect(describePolicy(emptyPolicy)).toBe('Keeps every backup');
    expect(describePolicy({ ...emptyPolicy, keepLast: 10, keepDaily: 7, keepWeekly: 4, minAgeDays: 2 })).toBe('Keeps the latest 10, 7 daily and 4 weekly backups, and all from the last 2 days');
    expect(describePolicy({ ...emptyPolicy, keepLast: 1 })).toBe('Keeps only the latest backup');
    expect(describePolicy({ ...emptyPolicy, keepMonthly: 12 })).toBe('Keeps 12 monthly backups');
  });
});
