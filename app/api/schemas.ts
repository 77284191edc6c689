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

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Expected a time as HH:MM (00:00 to 23:59)');

/** When a schedule runs; the core checks cron expressions and says which field is wrong. */
export const scheduleSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('interval'), everyMinutes: z.number().int().min(1, 'The interval is at least 1 minute').max(366 * 24 * 60, 'The interval is at most a year') }),
  /** `time` is local 'HH:MM'. */
  z.strictObject({ kind: z.literal('daily'), time: hhmm }),
  /** `days`: 0 = Sunday … 6 = Saturday. */
  z.strictObject({ kind: z.literal('weekly'), days: z.array(z.number().int().min(0).max(6)).min(1, 'Choose at least one day').max(7), time: hhmm }),
  /** Five fields, or six with seconds first (croner syntax). */
  z.strictObject({ kind: z.literal('cron'), expression: z.string().max(200) }),
]);

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
