/**
 * The engine's worker thread: runs operations one at a time, as the starting thread posts
 * them, and reports progress, so the thread hosting the UI or the API never blocks on
 * SQLite. It lives on between operations (index.ts reuses it: starting a thread and
 * loading the engine's modules costs more than a cloned backup), each operation starting
 * from the same state as in a new thread: its own descriptors, no probe results kept.
 */
import { parentPort } from 'node:worker_threads';
import { PagevaultError } from '../api/errors.ts';
import { OperationContext } from './context.ts';
import { forgetCloneProbes } from './clone.ts';
import { useProvidedDescriptors } from './database-files.ts';
import type { OperationName, Operations, WorkerCommand, WorkerInput, WorkerMessage } from './operations.ts';
import type { PartialClaim } from './partial-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';

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
  vaultList: async (p) => (await import('../vault/vault.ts')).listVersions(p.vault, { keys: p.keys }),
  vaultRestore: async (p, ctx) => (await import('../vault/vault.ts')).restoreVersion(p.vault, p.version, p.target, ctx, p.options, onClaim),
  vaultVerify: async (p, ctx) => (await import('../vault/vault.ts')).verifyVault(p.vault, ctx, { keys: p.keys }),
  vaultPrune: async (p, ctx) => (await import('../vault/vault.ts')).pruneVault(p.vault, p.policy, ctx, { keep: p.keep }),
  vaultDelete: async (p, ctx) => (await import('../vault/vault.ts')).deleteVersions(p.vault, p.ids, ctx),
};

async function runOne(input: WorkerInput): Promise<void> {
  useProvidedDescriptors(input.descriptors, (path, answer) => post({ type: 'open', path, answer }));
  // A file system may be unmounted and another mounted under the same device number
  // between two operations: each finds out afresh whether its destination clones.
  forgetCloneProbes();
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
  } finally {
    // The starting thread closes these once the operation has answered.
    useProvidedDescriptors({}, (path, answer) => post({ type: 'open', path, answer }));
  }
}

const onCommand = (command: WorkerCommand) => {
  if (command?.type === 'run') void runOne(command.input);
  // Listening no more, the thread ends as soon as what the last operation left has drained.
  else if (command?.type === 'end') parentPort!.off('message', onCommand);
};
parentPort!.on('message', onCommand);
