/**
 * When a schedule runs, in plain functions: the slots between two times, the next runs,
 * a sentence for people, and validation. Calendar kinds become cron patterns evaluated
 * by croner in the local (or a given) time zone, which handles daylight-saving changes;
 * intervals count whole minutes from the schedule's anchor, in absolute time.
 */
import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import type { ScheduleProblem } from '../api/schemas.ts';
import type { ScheduleSpec } from '../api/types.ts';

const MINUTE_MS = 60_000;
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export type { ScheduleProblem };

function checkTime(time: string): ScheduleProblem | undefined {
  if (/^([01]\d|2[0-3]):[0-5]\d$/.test(time)) return undefined;
  return { field: 'time', message: `Expected a time as HH:MM (00:00 to 23:59), got '${time}'` };
}

/** The cron pattern of a calendar schedule; undefined for an interval. */
export function cronPatternOf(spec: ScheduleSpec): string | undefined {
  switch (spec.kind) {
    case 'interval':
      return undefined;
    case 'daily': {
      const [hour, minute] = spec.time.split(':').map(Number);
      return `${minute} ${hour} * * *`;
    }
    case 'weekly': {
      const [hour, minute] = spec.time.split(':').map(Number);
      return `${minute} ${hour} * * ${[...spec.days].sort((a, b) => a - b).join(',')}`;
    }
    case 'cron':
      return spec.expression.trim();
  }
}

/** Says what is wrong with `spec`, or undefined when it can be saved. */
export function checkSchedule(spec: ScheduleSpec): ScheduleProblem | undefined {
  switch (spec.kind) {
    case 'interval':
      if (!Number.isInteger(spec.everyMinutes)) return { field: 'everyMinutes', message: 'The interval is a whole number of minutes' };
      if (spec.everyMinutes < 1) return { field: 'everyMinutes', message: 'The interval is at least 1 minute' };
      if (spec.everyMinutes > 366 * 24 * 60) return { field: 'everyMinutes', message: 'The interval is at most a year' };
      return undefined;
    case 'weekly':
      if (spec.days.length === 0) return { field: 'days', message: 'Choose at least one day' };
      if (spec.days.some((day) => !Number.isInteger(day) || day < 0 || day > 6)) return { field: 'days', message: 'Days are 0 (Sunday) to 6 (Saturday)' };
      return checkTime(spec.time);
    case 'daily':
      return checkTime(spec.time);
    case 'cron': {
      const expression = spec.expression.trim();
      if (!expression) return { field: 'expression', message: 'Type a cron expression, for example 30 18 * * 1-5' };
      const fields = expression.split(/\s+/).length;
      if (fields < 5 || fields > 6) return { field: 'expression', message: `A cron expression has 5 fields (minute hour day month weekday) or 6 with seconds first; '${expression}' has ${fields}` };
      try {
        const cron = new Cron(expression, { paused: true });
        if (!cron.nextRun(new Date())) return { field: 'expression', message: `'${expression}' never runs` };
      } catch (error) {
        return { field: 'expression', message: `'${expression}' is not a valid cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}` };
      }
      return undefined;
    }
  }
}

/** The first `count` runs strictly after `after`. `anchor` is where interval slots start. */
export function nextRuns(spec: ScheduleSpec, anchor: Date, after: Date, count: number, timezone?: string): Date[] {
  const pattern = cronPatternOf(spec);
  if (pattern === undefined) {
    const step = (spec as { everyMinutes: number }).everyMinutes * MINUTE_MS;
    const first = Math.max(1, Math.floor((after.getTime() - anchor.getTime()) / step) + 1);
    return Array.from({ length: count }, (_, i) => new Date(anchor.getTime() + (first + i) * step));
  }
  return new Cron(pattern, { paused: true, timezone }).nextRuns(count, after);
}

/**
 * The slots in (from, to], at most `limit` of them (the count beyond is reported as
 * `more`), so a schedule that ran every minute during a month off is not enumerated whole.
 */
export function slotsBetween(spec: ScheduleSpec, anchor: Date, from: Date, to: Date, timezone?: string, limit = 1000): { slots: Date[]; more: boolean } {
  const slots: Date[] = [];
  let cursor = from;
  while (slots.length < limit) {
    const batch = nextRuns(spec, anchor, cursor, Math.min(100, limit - slots.length), timezone);
    for (const slot of batch) {
      if (slot.getTime() > to.getTime()) return { slots, more: false };
      slots.push(slot);
    }
    if (batch.length === 0) return { slots, more: false };
    cursor = batch.at(-1)!;
  }
  const [next] = nextRuns(spec, anchor, cursor, 1, timezone);
  return { slots, more: next !== undefined && next.getTime() <= to.getTime() };
}

const listOf = (names: string[]) => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

/** "18:30" as a 12-hour clock writes it ("06:30 PM", as en-US's two-digit time does), or unchanged. */
function clockTime(time: string, hour12: boolean): string {
  if (!hour12) return time;
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return `${String(hours % 12 || 12).padStart(2, '0')}:${String(minutes).padStart(2, '0')} ${hours < 12 ? 'AM' : 'PM'}`;
}

/**
 * "Every weekday at 18:30", "Every 2 hours", "At 03:15, only on Sunday". `hour12` writes
 * times on the 12-hour clock ("06:30 PM"): the reader's locale decides, which the core
 * does not know, so the caller says.
 */
export function describeSchedule(spec: ScheduleSpec, { hour12 = false }: { hour12?: boolean } = {}): string {
  if (spec.kind === 'daily' || spec.kind === 'weekly') spec = { ...spec, time: clockTime(spec.time, hour12) };
  switch (spec.kind) {
    case 'interval': {
      const n = spec.everyMinutes;
      if (n % (24 * 60) === 0) return n === 24 * 60 ? 'Every 24 hours' : `Every ${n / (24 * 60)} days`;
      if (n % 60 === 0) return n === 60 ? 'Every hour' : `Every ${n / 60} hours`;
      return n === 1 ? 'Every minute' : `Every ${n} minutes`;
    }
    case 'daily':
      return `Every day at ${spec.time}`;
    case 'weekly': {
      const days = [...new Set(spec.days)].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
      const key = [...days].sort().join(',');
      if (key === '0,1,2,3,4,5,6') return `Every day at ${spec.time}`;
      if (key === '1,2,3,4,5') return `Every weekday at ${spec.time}`;
      if (key === '0,6') return `Every Saturday and Sunday at ${spec.time}`;
      return `Every ${listOf(days.map((day) => dayNames[day]!))} at ${spec.time}`;
    }
    case 'cron':
      try {
        return cronstrue.toString(spec.expression.trim(), { use24HourTimeFormat: !hour12, verbose: false });
      } catch {
        return `Cron: ${spec.expression.trim()}`;
      }
  }
}
