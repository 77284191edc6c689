/**
 * The Pagevault API, defined once: method names, request schemas, result and event
 * types. Both shells and the renderer derive from this file. It is a leaf: it imports
 * nothing from the rest of the core.
 */
import { z } from 'zod';
import { cipherNames } from './types.ts';
import type { ApiErrorBody } from './errors.ts';
import type { EventName, MethodName } from './names.ts';
import { limits } from './limits.ts';
import { backupModeSchema, historyStatusFilters, retentionPolicySchema, scheduleSchema, scheduleSpecSchema, themeSettingSchema, type ScheduleProblem } from './schemas.ts';
import type {
  AppInfo,
  BackupRecord,
  CatalogTopic,
  DatabaseDetails,
  DatabaseSummary,
  DiscoveryResult,
  HistoryPage,
  HistoryPoint,
  ImportResult,
  InspectResult,
  JobFinished,
  JobInfo,
  JobProgress,
  CatchUpSummary,
  RestoreTarget,
  RetentionPolicy,
  RetentionPreview,
  ScheduleInfo,
  SchedulePreview,
  Settings,
  StorageReport,
  BackupEncryptionInfo,
  VerifyResult,
} from './types.ts';

export * from './errors.ts';
export * from './names.ts';
export * from './limits.ts';
export * from './schemas.ts';
export type * from './types.ts';

const filePath = z.string().trim().min(1, 'A file path is required');
const id = z.number().int().positive();
const backupMode = backupModeSchema;
const sourceKey = z.strictObject({
  key: z.string().min(1, 'The key is empty'),
  kind: z.enum(['passphrase', 'raw']).optional(),
  cipher: z.union([z.enum(cipherNames), z.literal('detect')]).optional(),
});

const label = z.string().trim().min(1, 'A name is required').max(limits.labelLength, `A name has at most ${limits.labelLength} characters`);

/** A key for an encrypted (.age) backup the user gives: an age identity file's text, or a passphrase. */
export const ageKeySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('identity'), identity: z.string().min(1, 'Paste the identity (AGE-SECRET-KEY-1…)').max(64 * 1024) }),
  z.strictObject({ kind: z.literal('passphrase'), passphrase: z.string().min(1, 'Type the passphrase').max(1024) }),
]);

/** What the file dialog is for: databases to add, a folder, a backup to restore, a new database file. */
export const pickPurposes = ['databases', 'folder', 'backup', 'new-database'] as const;
/** What a file dialog is opened for, so the shell can title it and filter its files. */
export type PickPurpose = (typeof pickPurposes)[number];

/** The runtime schema of every request's params. A missing entry is a compile error. */
export const requestSchemas = {
  'app.info': z.strictObject({}),
  'files.inspect': z.strictObject({ path: filePath }),
  'files.verify': z.strictObject({ path: filePath, full: z.boolean().optional(), key: ageKeySchema.optional() }),
  'files.reveal': z.strictObject({ path: filePath }),
  'files.pick': z.strictObject({ purpose: z.enum(pickPurposes) }),
  'databases.list': z.strictObject({}),
  /** `label` names it from the start (as a found database's suggested name); the file name otherwise. */
  /**
   * `key`: an encrypted database's passphrase or raw key (`x'<hex>'`); `kind` is read from
   * its form when not given, `cipher` is SQLCipher 4 unless given, or found by 'detect'.
   */
  'databases.add': z
    .strictObject({
      path: filePath,
      label: label.optional(),
      key: sourceKey.optional(),
      /** An encrypted database added without its key: its backups are raw copies, checked by their SHA-256 only. */
      withoutKey: z.literal(true).optional(),
    })
    .refine((params) => !(params.key && params.withoutKey), { message: 'Give a key or withoutKey, not both', path: ['withoutKey'] }),
  'databases.update': z.strictObject({
    id,
    label: label.optional(),
    destination: filePath.optional(),
    mode: backupMode.optional(),
    /** Copies (plain SQLite files) or Versions (the page vault in `<destination>/<stem>.vault`). */
    storage: z.enum(['copies', 'versions']).optional(),
    pagesPerStep: z.number().int().min(limits.pagesPerStep.min).max(limits.pagesPerStep.max).nullable().optional(),
    pauseMs: z.number().int().min(limits.pauseMs.min).max(limits.pauseMs.max).nullable().optional(),
  }),
  'databases.remove': z.strictObject({ id }),
  'databases.details': z.strictObject({ id }),
  'databases.discover': z.strictObject({}),
  'backups.start': z.strictObject({ databaseId: id }),
  'backups.startAll': z.strictObject({}),
  'jobs.list': z.strictObject({}),
  'jobs.cancel': z.strictObject({ jobId: z.string().min(1) }),
  'history.list': z.strictObject({
    databaseId: id.optional(),
    status: z.enum(historyStatusFilters).optional(),
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(limits.historyPageSize.max).optional(),
  }),
  'history.series': z.strictObject({ databaseId: id, limit: z.number().int().min(1).max(1000).optional() }),
  'history.verify': z.strictObject({ backupId: id, full: z.boolean().optional() }),
  'history.delete': z.strictObject({ backupId: id }),
  'history.import': z.strictObject({ folder: filePath }),
  'history.pin': z.strictObject({ backupId: id, pinned: z.boolean() }),
  /** `hour12`: the reader's clock, for each schedule's sentence, as in `schedules.preview`. */
  'schedules.list': z.strictObject({ hour12: z.boolean().optional() }),
  /** `hour12`: the reader's clock, for the sentence's times (the time field and next runs follow the locale too). */
  'schedules.preview': z.strictObject({ spec: scheduleSpecSchema, hour12: z.boolean().optional() }),
  'schedules.set': z.strictObject({ databaseId: id, schedule: scheduleSchema }),
  'schedules.remove': z.strictObject({ databaseId: id }),
  'schedules.pause': z.strictObject({ until: z.iso.datetime().nullable() }),
  'retention.get': z.strictObject({ databaseId: id }),
  'retention.preview': z.strictObject({ databaseId: id, policy: retentionPolicySchema.nullable() }),
  'retention.set': z.strictObject({ databaseId: id, policy: retentionPolicySchema.nullable() }),
  /** What a database's copies and versions cost on disk, and what its retention policy would free now. */
  'storage.get': z.strictObject({ databaseId: id }),
  /**
   * `key` opens an encrypted (.age) backup whose key Pagevault does not keep; `sourceKey`
   * opens a backup of an encrypted database none of whose kept keys opens.
   */
  'restore.check': z.strictObject({ backupPath: filePath, key: ageKeySchema.optional(), sourceKey: sourceKey.optional() }),
  'restore.target': z.strictObject({ backupPath: filePath, targetPath: filePath }),
  'restore.start': z.strictObject({
    backupPath: filePath,
    targetPath: filePath,
    /** Take a backup of the target first; turning it off is the user's explicit choice. */
    safetyCopy: z.boolean(),
    /** The user saw that another program uses the target and chose to go ahead. */
    proceedWhileInUse: z.boolean().optional(),
    key: ageKeySchema.optional(),
    sourceKey: sourceKey.optional(),
  }),
  'settings.get': z.strictObject({}),
  'settings.update': z.strictObject({
    defaultBackupFolder: filePath.optional(),
    concurrency: z
      .number()
      .int()
      .min(limits.concurrency.min, `Concurrency is a number from ${limits.concurrency.min} to ${limits.concurrency.max}`)
      .max(limits.concurrency.max, `Concurrency is a number from ${limits.concurrency.min} to ${limits.concurrency.max}`)
      .optional(),
    verifyAfterBackup: z.boolean().optional(),
    notifyOnSuccess: z.boolean().optional(),
    theme: themeSettingSchema.optional(),
    closeToTray: z.boolean().optional(),
    closeToTrayExplained: z.boolean().optional(),
    startAtLogin: z.boolean().optional(),
  }),
  /** `databaseId` null: the default for databases without their own choice. */
  'encryption.get': z.strictObject({ databaseId: id.nullable() }),
  'encryption.set': z.strictObject({
    databaseId: id.nullable(),
    mode: z.enum(['inherit', 'none', 'x25519', 'passphrase']),
    /** For `passphrase`: a new passphrase (kept in the key store); omitted keeps the one stored. */
    passphrase: z.string().min(8, 'A backup passphrase has at least 8 characters').max(1024).optional(),
    /** For `x25519`: generate a new identity even when one is kept (older backups then need the old recovery key). */
    newIdentity: z.boolean().optional(),
  }),
} satisfies Record<MethodName, z.ZodType>;

/** What each method resolves to. */
export interface MethodResults {
  'app.info': AppInfo;
  'files.inspect': InspectResult;
  'files.verify': VerifyResult;
  'files.reveal': { revealed: true };
  /** The chosen paths; empty when the dialog was dismissed. */
  'files.pick': { paths: string[] };
  'databases.list': DatabaseSummary[];
  'databases.add': DatabaseSummary;
  'databases.update': DatabaseSummary;
  'databases.remove': { id: number; backupsKept: number; destination: string };
  'databases.details': DatabaseDetails;
  /** The databases of well-known apps under the user's home folder; only looks, never opens them with SQLite. */
  'databases.discover': DiscoveryResult;
  'backups.start': JobInfo;
  'backups.startAll': { started: JobInfo[]; refused: Array<{ databaseId: number; message: string }> };
  'jobs.list': JobInfo[];
  'jobs.cancel': { cancelled: boolean };
  'history.list': HistoryPage;
  'history.series': { points: HistoryPoint[] };
  'history.verify': BackupRecord;
  'history.delete': { deleted: string[] };
  'history.import': ImportResult;
  'history.pin': BackupRecord;
  'schedules.list': ScheduleInfo[];
  /** `problem` names the field that is wrong; then there are no runs to show. */
  'schedules.preview': SchedulePreview & { problem: ScheduleProblem | null };
  'schedules.set': ScheduleInfo;
  'schedules.remove': { removed: boolean };
  'schedules.pause': Settings;
  'retention.get': RetentionPolicy | null;
  'retention.preview': RetentionPreview;
  /** The stored policy; null when it keeps everything. */
  'retention.set': RetentionPolicy | null;
  'storage.get': StorageReport;
  /** Queues the check (kind 'verify'); its job.finished carries `check`. */
  'restore.check': JobInfo;
  'restore.target': RestoreTarget;
  /** Queues the restore; its job.finished carries `restore`. */
  'restore.start': JobInfo;
  'settings.get': Settings;
  'settings.update': Settings;
  'encryption.get': BackupEncryptionInfo;
  /** `recoveryKey` is set when an identity was generated: show it once, to be saved. */
  'encryption.set': BackupEncryptionInfo;
}

/** The payload of each push event. */
export interface EventPayloads {
  'job.progress': JobProgress;
  'job.finished': JobFinished;
  /** The whole queue, whenever a job is queued, starts or ends. */
  'jobs.changed': JobInfo[];
  /** Something in the catalog changed; listeners reload what they show of `topic`. */
  'catalog.changed': { topic: CatalogTopic };
  /**
   * Pagevault could not read or write its catalog outside a request (a schedule slot, the
   * end of a job, an automatic catalog backup); what it could not record, and why. It
   * tries again by itself.
   */
  'catalog.problem': ApiErrorBody;
  /** Scheduled runs were missed (computer off or asleep) and have been caught up. */
  'schedules.caughtUp': CatchUpSummary;
}

// Compile-time checks that the maps above cover exactly the names in names.ts.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _methodsComplete: Exact<keyof MethodResults, MethodName> = true;
const _eventsComplete: Exact<keyof EventPayloads, EventName> = true;
void _methodsComplete;
void _eventsComplete;

/** The params a caller sends for method M, before the schema's defaults are filled in. */
export type Params<M extends MethodName> = z.input<(typeof requestSchemas)[M]>;
/** What method M answers when it succeeds. */
export type Result<M extends MethodName> = MethodResults[M];

/** How every result crosses a process boundary: never as a thrown exception. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ApiErrorBody };

/** The object the Electron preload exposes as `window.pagevault`: one function per method. */
export type PagevaultBridge = {
  [M in MethodName]: (params: Params<M>) => Promise<Outcome<Result<M>>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** The path of a file dropped onto the window (Electron's webUtils.getPathForFile). */
  pathForFile(file: File): string;
};

/** A message on the host's WebSocket, client to server. */
export interface WireRequest {
  id: number;
  method: string;
  params: unknown;
}

/** A message on the host's WebSocket, server to client. */
export type WireMessage =
  | { type: 'response'; id: number; outcome: Outcome<unknown> }
  | { type: 'event'; event: EventName; payload: unknown };
