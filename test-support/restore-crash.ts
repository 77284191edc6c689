// A process that restores BACKUP into the WAL database TARGET by swapping files
// (restore-swap.ts), the safety copy going to SAFETY_DIR, and kills itself with SIGKILL at
// the named step (SwapStep), as a crash or a power cut would stop it there. With `probe`
// for STEP it runs to the end and prints, at each step before the rename, whether another
// process sees TARGET's EXCLUSIVE lock held (lock-probe.py): "linked held", ….
//
//   node restore-crash.ts BACKUP TARGET SAFETY_DIR STEP|probe
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFileSync, statSync } from 'node:fs';
import { OperationContext, createCancelFlag } from '../app/engine/context.ts';
import { restoreBySwap, type SwapStep } from '../app/engine/restore-swap.ts';

const [backup, target, safetyCopyDir, step] = process.argv.slice(2) as [string, string, string, SwapStep | 'probe'];
const ctx = new OperationContext(createCancelFlag(), () => undefined);
const backupSha256 = createHash('sha256').update(readFileSync(backup)).digest('hex');
const pageSize = readFileSync(backup).readUInt16BE(16) || 65536;
const plan = { backup, backupSha256, pageSize, pageCount: statSync(backup).size / pageSize, target, safetyCopyDir, subject: `Cannot restore ${backup} into ${target}` };
const probe = fileURLToPath(new URL('./lock-probe.py', import.meta.url));
const swapped = await restoreBySwap(plan, ctx, undefined, (reached) => {
  if (reached === step) process.kill(process.pid, 'SIGKILL');
  if (step === 'probe' && reached !== 'renamed') process.stdout.write(`${reached} ${execFileSync('python3', [probe, target], { encoding: 'utf8' }).trim()}\n`);
});
process.stdout.write(swapped ? 'finished\n' : 'not swapped\n');
