/** The schedule editor's form, to and from the API's ScheduleSpec; and run times for people. */
import type { RetentionPolicy, ScheduleSpec } from '../../../app/api/index.ts';

export interface ScheduleForm {
  kind: ScheduleSpec['kind'];
  /** The interval in `intervalUnit`s. */
  intervalValue: number | '';
  intervalUnit: 'minutes' | 'hours';
  time: string;
  /** 0 = Sunday … 6 = Saturday. */
  days: number[];
  expression: string;
}

export const defaultScheduleForm: ScheduleForm = { kind: 'daily', intervalValue: 4, intervalUnit: 'hours', time: '18:30', days: [1, 2, 3, 4, 5], expression: '0 18 * * 1-5' };

export function formFromSpec(spec: ScheduleSpec): ScheduleForm {
  switch (spec.kind) {
    case 'interval':
      return spec.everyMinutes % 60 === 0
        ? { ...defaultScheduleForm, kind: 'interval', intervalValue: spec.everyMinutes / 60, intervalUnit: 'hours' }
        : { ...defaultScheduleForm, kind: 'interval', intervalValue: spec.everyMinutes, intervalUnit: 'minutes' };
    case 'daily':
      return { ...defaultScheduleForm, kind: 'daily', time: spec.time };
    case 'weekly':
      return { ...defaultScheduleForm, kind: 'weekly', days: [...spec.days], time: spec.time };
    case 'cron':
      return { ...defaultScheduleForm, kind: 'cron', expression: spec.expression };
  }
}

/** The spec the form describes; an empty interval becomes 0 so the core names the field. */
export function specFromForm(form: ScheduleForm): ScheduleSpec {
  switch (form.kind) {
    case 'interval': {
      const value = form.intervalValue === '' ? 0 : form.intervalValue;
      return { kind: 'interval', everyMinutes: Math.round(form.intervalUnit === 'hours' ? value * 60 : value) };
    }
    case 'daily':
      return { kind: 'daily', time: form.time };
    case 'weekly':
      return { kind: 'weekly', days: [...form.days].sort((a, b) => a - b), time: form.time };
    case 'cron':
      return { kind: 'cron', expression: form.expression.trim() };
  }
}

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** Whether `locale` (the user's by default) writes times on the 12-hour clock, as its time field does. */
export function usesHour12(locale?: string): boolean {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hour12 ?? false;
}

/**
 * "Today at 18:30", "Tomorrow at 06:00 AM", "Mon 23 Nov at 18:30" (seconds when not
 * zero), in the clock of `locale` (the user's by default): the same 12- or 24-hour clock
 * as the browser's own time field beside it.
 */
export function formatRunTime(iso: string, now: Date = new Date(), locale?: string): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: at.getSeconds() ? '2-digit' : undefined });
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  if (sameDay(at, now)) return `Today at ${time}`;
  if (sameDay(at, tomorrow)) return `Tomorrow at ${time}`;
  const day = at.toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'short', year: at.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
  return `${day} at ${time}`;
}

export const emptyPolicy: RetentionPolicy = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };

/** "Keeps the last 10, 7 daily and 4 weekly backups" — or that it keeps everything. */
export function describePolicy(policy: RetentionPolicy | null): string {
  if (!policy) return 'Keeps every backup';
  const parts: string[] = [];
  if (policy.keepLast) parts.push(policy.keepLast === 1 ? 'the latest' : `the latest ${policy.keepLast}`);
  const buckets: Array<[number | null, string]> = [
    [policy.keepHourly, 'hourly'],
    [policy.keepDaily, 'daily'],
    [policy.keepWeekly, 'weekly'],
    [policy.keepMonthly, 'monthly'],
    [policy.keepYearly, 'yearly'],
  ];
  for (const [count, name] of buckets) if (count) parts.push(`${count} ${name}`);
  if (parts.length === 0) return 'Keeps every backup';
  const young = policy.minAgeDays ? `, and all from the last ${policy.minAgeDays} ${policy.minAgeDays === 1 ? 'day' : 'days'}` : '';
  if (parts.length === 1 && policy.keepLast === 1) return `Keeps only the latest backup${young}`;
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `Keeps ${list} backups${young}`;
}
