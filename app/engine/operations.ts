/** The operations the engine worker runs, by name, with their parameters and results. */
import type { ApiErrorBody } from '../api/errors.ts';
import type { BackupResult, DatabaseUsage, InspectResult, RestoreResult, VerifyResult } from '../api/types.ts';
import type { BackupOptions } from './backup.ts';
import type { EngineProgress } from './context.ts';
import type { InspectOptions } from './inspect.ts';
import type { PartialClaim } from './partial-file.ts';
import type { RestoreOptions } from './restore.ts';
import type { UsageOptions } from './usage.ts';
import type { VerifyOptions } from './verify.ts';
import type { AgeKeyInput, RetentionPolicy } from '../api/types.ts';
import type { VaultBackupResult, VaultDeleteResult, VaultEncryptionOptions, VaultPruneResult, VaultRestoreResult, VaultVerifyResult, VaultVersion } from '../vault/vault.ts';

/** The table of engine operations, by name: the worker, the pool and the callers all type against it. */
export interface Operations {
  inspect: { params: { path: string; options?: InspectOptions }; result: InspectResult };
  verify: { params: { path: string; options?: VerifyOptions }; result: VerifyResult };
  backup: { params: { source: string; destination: string; options?: BackupOptions }; result: BackupResult };
  restore: { params: { backup: string; target: string; options?: RestoreOptions }; result: RestoreResult };
  usage: { params: { path: string; options?: UsageOptions }; result: DatabaseUsage };
  vaultBackup: { params: { source: string; vault: string; options?: { busyTimeoutMs?: number } & VaultEncryptionOptions }; result: VaultBackupResult };
  vaultList: { params: { vault: string; keys?: AgeKeyInput[] }; result: { vault: string; versions: VaultVersion[]; bytes: number; encryptedTo?: string | null } };
  vaultRestore: { params: { vault: string; version: string; target: string; options?: RestoreOptions }; result: VaultRestoreResult };
  vaultVerify: { params: { vault: string; keys?: AgeKeyInput[] }; result: VaultVerifyResult };
  vaultPrune: { params: { vault: string; policy: RetentionPolicy; keep?: number[] }; result: VaultPruneResult };
  vaultDelete: { params: { vault: string; ids: number[] }; result: VaultDeleteResult };
}

/** The name of an engine operation, as the worker dispatches it. */
export type OperationName = keyof Operations;

/** The database files an operation reads, live ones included (see database-files.ts). */
export function databasesOf<O extends OperationName>(params: Operations[O]['params']): string[] {
  const p = params as Partial<{ path: string; source: string; backup: string; target: string }>;
  return [p.path, p.source, p.backup, p.target].filter((path): path is string => path !== undefined);
}

/** One operation for the engine worker to run, as the starting thread posts it. */
export interface WorkerInput<O extends OperationName = OperationName> {
  operation: O;
  params: Operations[O]['params'];
  cancelFlag: Int32Array;
  /** Descriptors of the operation's database files, opened by the starting thread (database-files.ts). */
  descriptors: Record<string, number>;
}

/**
 * Messages from the starting thread to an engine worker: run one operation (one at a
 * time), or end once what is left of the last one has drained.
 */
export type WorkerCommand = { type: 'run'; input: WorkerInput } | { type: 'end' };

/** Messages from the worker to the thread that started it. */
export type WorkerMessage =
  | { type: 'progress'; progress: EngineProgress }
  | { type: 'claim'; claim: PartialClaim }
  /** Open a database file for the worker, which waits on `answer` (database-files.ts). */
  | { type: 'open'; path: string; answer: Int32Array }
  | { type: 'result'; value: unknown }
  /** `reason` is the error's cause without its subject, for the core to word its own (PagevaultError.reason). */
  | { type: 'error'; error: ApiErrorBody; reason?: string };
