/**
 * The zod schemas of the data shapes that are also types (schedules, retention, modes,
 * filters): `types.ts` derives those types from here with `z.infer`, so one edit changes
 * both. A leaf like the rest of `app/api`: imports only zod and the limits.
 */
import { z } from 'zod';

/** How a backup copies pages; see the engine's README section in the project README. */
export const backupModeSchema = z.enum(['snapshot', 'stepped', 'compact']);

/** The theme the user chose; `system` follows the operating system's. */
export const themeSettingSchema = z.enum(['system', 'light', 'dark']);

/** What the History can be filtered by: a status, or whether the backup was verified. */
export const historyStatusFilters = ['all', 'succeeded', 'failed', 'cancelled', 'skipped', 'missed', 'interrupted', 'deferred', 'verified', 'unverified'] as const;

/**
 * When a schedule runs. The schema checks only the shape: whether the values make a
 * schedule (an interval of at least a minute, a real time, a cron expression croner
 * reads) is `checkSchedule`'s to say in `app/scheduler/schedule-rules.ts`, which names
 * the field, so `schedules.preview` can answer a wrong value at its field.
 */
export const scheduleSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('interval'), everyMinutes: z.number() }),
  /** `time` is local 'HH:MM'. */
  z.strictObject({ kind: z.literal('daily'), time: z.string().max(20) }),
  /** `days`: 0 = Sunday … 6 = Saturday. */
  z.strictObject({ kind: z.literal('weekly'), days: z.array(z.number()).max(7), time: z.string().max(20) }),
  /** Five fields, or six with seconds first (croner syntax). */
  z.strictObject({ kind: z.literal('cron'), expression: z.string().max(200) }),
]);

/** Which field of a schedule is wrong, and why; `checkSchedule` answers with it. */
export interface ScheduleProblem {
  field: 'everyMinutes' | 'time' | 'days' | 'expression';
  message: string;
}

/** A database's schedule: when, whether it runs, and whether an unchanged database is copied again. */
export const scheduleSchema = z.strictObject({
  spec: scheduleSpecSchema,
  enabled: z.boolean(),
  /** Do not copy a database that has not changed since its last successful backup. */
  skipIfUnchanged: z.boolean(),
});

const keepCount = z.number().int().min(1, 'Keep at least 1, or leave the field empty').max(100_000).nullable();

/**
 * Which backups to keep; the rest are deleted after each successful backup. Null counts
 * do not apply; with every count null nothing is deleted. Pinned backups and the most
 * recent verified backup are always kept, and so is anything younger than `minAgeDays`.
 */
export const retentionPolicySchema = z.strictObject({
  keepLast: keepCount,
  keepHourly: keepCount,
  keepDaily: keepCount,
  keepWeekly: keepCount,
  keepMonthly: keepCount,
  keepYearly: keepCount,
  minAgeDays: z.number().int().min(0).max(36_500).nullable(),
});
