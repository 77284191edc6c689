// A process that adds a version to a vault (`backup SOURCE VAULT STEP`) or prunes one to
// its newest N versions (`prune VAULT N STEP`) or deletes one (`delete VAULT ID STEP`) and kills itself with SIGKILL at the named
// step (vault.ts's VaultStep), as a power cut or a crash would stop it there.
import { addVersion, deleteVersions, pruneVault, type VaultStep } from '../app/vault/vault.ts';
import { OperationContext, createCancelFlag } from '../app/engine/context.ts';

const [operation, ...args] = process.argv.slice(2);
const ctx = new OperationContext(createCancelFlag(), () => undefined);
const onStep = (step: VaultStep) => {
  if (step === args[2]) process.kill(process.pid, 'SIGKILL');
};
if (operation === 'backup') await addVersion(args[0]!, args[1]!, ctx, { onStep });
else if (operation === 'delete') deleteVersions(args[0]!, [Number(args[1])], ctx, { onStep });
else pruneVault(args[0]!, { keepLast: Number(args[1]), keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null }, ctx, { onStep });
process.stdout.write('finished\n');
