/**
 * The engine's worker thread: runs one operation and reports progress, so the thread
 * hosting the UI or the API never blocks on SQLite.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PagevaultError } from '../api/errors.ts';
import { backupDatabase } from './backup.ts';
import { OperationContext } from './context.ts';
import { useProvidedDescriptors } from './database-files.ts';
import { inspectFile } from './inspect.ts';
import type { OperationName, Operations, WorkerInput, WorkerMessage } from './operations.ts';
import type { PartialClaim } from './partial-file.ts';
import { restoreDatabase } from './restore.ts';
import { toPagevaultError } from './sqlite-errors.ts';
import { probeUsage } from './usage.ts';
import { verifyFile } from './verify.ts';

const input = workerData as WorkerInput;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const onClaim = (claim: PartialClaim) => post({ type: 'claim', claim });

const operations: { [O in OperationName]: (params: Operations[O]['params'], ctx: OperationContext) => Promise<Operations[O]['result']> } = {
  inspect: (p) => inspectFile(p.path, p.options),
  verify: (p, ctx) => verifyFile(p.path, ctx, p.options),
  backup: (p, ctx) => backupDatabase(p.source, p.destination, ctx, p.options, onClaim),
  restore: (p, ctx) => restoreDatabase(p.backup, p.target, ctx, p.options, onClaim),
  usage: (p) => probeUsage(p.path, p.options),
};

async function main(): Promise<void> {
  useProvidedDescriptors(input.descriptors);
  const ctx = new OperationContext(input.cancelFlag, (progress) => post({ type: 'progress', progress }));
  try {
    const run = operations[input.operation] as (params: unknown, ctx: OperationContext) => Promise<unknown>;
    post({ type: 'result', value: await run(input.params, ctx) });
  } catch (error) {
    const wrapped = error instanceof PagevaultError ? error : toPagevaultError(error, `Pagevault ${input.operation} failed`);
    post({ type: 'error', error: wrapped.toBody() });
  }
}

void main();
