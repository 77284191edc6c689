/**
 * The Pagevault API, defined once: method names, request schemas, result and event
 * types. Both shells and the renderer derive from this file. It is a leaf: it imports
 * nothing from the rest of the core.
 */
import { z } from 'zod';
import type { ApiErrorBody } from './errors.js';
import type { EventName, MethodName } from './names.js';
import type {
  AppInfo,
  BackupRecord,
  CatalogTopic,
  DatabaseDetails,
  DatabaseSummary,
  HistoryPage,
  HistoryPoint,
  ImportResult,
  InspectResult,
  JobFinished,
  JobInfo,
  JobProgress,
  RestoreTarget,
  Settings,
  VerifyResult,
} from './types.js';

export * from './errors.js';
export * from './names.js';
export type * from './types.js';

const filePath = z.string().trim().min(1, 'A file path is required');
const id = z.number().int().positive();
const backupMode = z.enum(['snapshot', 'stepped', 'compact']);

/** Limits the UI shows next to the fields they apply to. */
export const limits = {
  labelLength: 80,
  concurrency: { min: 1, max: 8 },
  pagesPerStep: { min: 1, max: 1_000_000 },
  pauseMs: { min: 0, max: 10_000 },
  historyPageSize: { max: 500 },
  /** The largest file the browser shell accepts dropped onto its window. */
  stagedFileBytes: 8 * 1024 ** 3,
} as const;

export const historyStatusFilters = ['all', 'succeeded', 'failed', 'cancelled', 'verified', 'unverified'] as const;

/** What the file dialog is for: databases to add, a folder, a backup to restore, a new database file. */
export const pickPurposes = ['databases', 'folder', 'backup', 'new-database'] as const;
export type PickPurpose = (typeof pickPurposes)[number];

/** The runtime schema of every request's params. A missing entry is a compile error. */
export const requestSchemas = {
  'app.info': z.strictObject({}),
  'files.inspect': z.strictObject({ path: filePath }),
  'files.verify': z.strictObject({ path: filePath, full: z.boolean().optional() }),
  'files.reveal': z.strictObject({ path: filePath }),
  'files.pick': z.strictObject({ purpose: z.enum(pickPurposes) }),
  'databases.list': z.strictObject({}),
  'databases.add': z.strictObject({ path: filePath }),
  'databases.update': z.strictObject({
    id,
    label: z.string().trim().min(1, 'A name is required').max(limits.labelLength, `A name has at most ${limits.labelLength} characters`).optional(),
    destination: filePath.optional(),
    mode: backupMode.optional(),
    pagesPerStep: z.number().int().min(limits.pagesPerStep.min).max(limits.pagesPerStep.max).nullable().optional(),
    pauseMs: z.number().int().min(limits.pauseMs.min).max(limits.pauseMs.max).nullable().optional(),
  }),
  'databases.remove': z.strictObject({ id }),
  'databases.details': z.strictObject({ id }),
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
  'restore.check': z.strictObject({ backupPath: filePath }),
  'restore.target': z.strictObject({ backupPath: filePath, targetPath: filePath }),
  'restore.start': z.strictObject({
    backupPath: filePath,
    targetPath: filePath,
    /** Take a backup of the target first; turning it off is the user's explicit choice. */
    safetyCopy: z.boolean(),
    /** The user saw that another program uses the target and chose to go ahead. */
    proceedWhileInUse: z.boolean().optional(),
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
    theme: z.enum(['system', 'light', 'dark']).optional(),
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
  'backups.start': JobInfo;
  'backups.startAll': { started: JobInfo[]; refused: Array<{ databaseId: number; message: string }> };
  'jobs.list': JobInfo[];
  'jobs.cancel': { cancelled: boolean };
  'history.list': HistoryPage;
  'history.series': { points: HistoryPoint[] };
  'history.verify': BackupRecord;
  'history.delete': { deleted: string[] };
  'history.import': ImportResult;
  /** Queues the check (kind 'verify'); its job.finished carries `check`. */
  'restore.check': JobInfo;
  'restore.target': RestoreTarget;
  /** Queues the restore; its job.finished carries `restore`. */
  'restore.start': JobInfo;
  'settings.get': Settings;
  'settings.update': Settings;
}

/** The payload of each push event. */
export interface EventPayloads {
  'job.progress': JobProgress;
  'job.finished': JobFinished;
  /** The whole queue, whenever a job is queued, starts or ends. */
  'jobs.changed': JobInfo[];
  /** Something in the catalog changed; listeners reload what they show of `topic`. */
  'catalog.changed': { topic: CatalogTopic };
}

// Compile-time checks that the maps above cover exactly the names in names.ts.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _methodsComplete: Exact<keyof MethodResults, MethodName> = true;
const _eventsComplete: Exact<keyof EventPayloads, EventName> = true;
void _methodsComplete;
void _eventsComplete;

export type Params<M extends MethodName> = z.input<(typeof requestSchemas)[M]>;
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
