/**
 * The engine's worker thread: runs one operation and reports progress, so the thread
 * hosting the UI or the API never blocks on SQLite.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PagevaultError } from '../api/errors.ts';
import { OperationContext } from './context.ts';
import { useProvidedDescriptors } from './database-files.ts';
import type { OperationName, Operations, WorkerInput, WorkerMessage } from './operations.ts';
import type { PartialClaim } from './partial-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const onClaim = (claim: PartialClaim) => post({ type: 'claim', claim });

// Each operation loads only its own modules: an inspect need not load the backup code.
const operations: { [O in OperationName]: (params: Operations[O]['params'], ctx: OperationContext) => Promise<Operations[O]['result']> } = {
  inspect: async (p) => (await import('./inspect.ts')).inspectFile(p.path, p.options),
  verify: async (p, ctx) => (await import('./verify.ts')).verifyFile(p.path, ctx, p.options),
  backup: async (p, ctx) => (await import('./backup.ts')).backupDatabase(p.source, p.destination, ctx, p.options, onClaim),
  restore: async (p, ctx) => (await import('./restore.ts')).restoreDatabase(p.backup, p.target, ctx, p.options, onClaim),
  usage: async (p) => (await import('./usage.ts')).probeUsage(p.path, p.options),
  vaultBackup: async (p, ctx) => (await import('../vault/vault.ts')).addVersion(p.source, p.vault, ctx, p.options, onClaim),
  vaultList: async (p) => (await import('../vault/vault.ts')).listVersions(p.vault),
  vaultRestore: async (p, ctx) => (await import('../vault/vault.ts')).restoreVersion(p.vault, p.version, p.target, ctx, p.options, onClaim),
  vaultVerify: async (p, ctx) => (await import('../vault/vault.ts')).verifyVault(p.vault, ctx),
  vaultPrune: async (p, ctx) => (await import('../vault/vault.ts')).pruneVault(p.vault, p.policy, ctx),
};

async function main(): Promise<void> {
  useProvidedDescriptors(input.descriptors, (path, answer) => post({ type: 'open', path, answer }));
  const ctx = new OperationContext(input.cancelFlag, (progress) => post({ type: 'progress', progress }));
  try {
    const run = operations[input.operation] as (params: unknown, ctx: OperationContext) => Promise<unknown>;
    const value = await run(input.params, ctx);
    ctx.flush();
    post({ type: 'result', value });
  } catch (error) {
    ctx.flush();
    const wrapped = error instanceof PagevaultError ? error : toPagevaultError(error, `Pagevault ${input.operation} failed`);
    post({ type: 'error', error: wrapped.toBody(), ...(wrapped.reason === undefined ? {} : { reason: wrapped.reason }) });
  }
}

void main();
