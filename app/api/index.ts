/**
 * The Pagevault API, defined once: method names, request schemas, result and event
 * types. Both shells and the renderer derive from this file. It is a leaf: it imports
 * nothing from the rest of the core.
 */
import { z } from 'zod';
import type { ApiErrorBody } from './errors.js';
import type { EventName, MethodName } from './names.js';
import type { AppInfo, InspectResult, JobFinished, JobProgress, VerifyResult } from './types.js';

export * from './errors.js';
export * from './names.js';
export type * from './types.js';

const filePath = z.string().trim().min(1, 'A file path is required');

/** The runtime schema of every request's params. A missing entry is a compile error. */
export const requestSchemas = {
  'app.info': z.strictObject({}),
  'files.inspect': z.strictObject({ path: filePath }),
  'files.verify': z.strictObject({ path: filePath, full: z.boolean().optional() }),
} satisfies Record<MethodName, z.ZodType>;

/** What each method resolves to. */
export interface MethodResults {
  'app.info': AppInfo;
  'files.inspect': InspectResult;
  'files.verify': VerifyResult;
}

/** The payload of each push event. */
export interface EventPayloads {
  'job.progress': JobProgress;
  'job.finished': JobFinished;
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
