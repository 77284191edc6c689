// A process that adds a version to a vault (`backup SOURCE VAULT STEP [KEY_FILE]`, an
// encrypted vault to the age identity in KEY_FILE when given), prunes one to its newest N
// versions (`prune VAULT N STEP`) or deletes one (`delete VAULT ID STEP`), and kills
// itself with SIGKILL at the named step (vault.ts's VaultStep), as a power cut or a crash
// would stop it there.
import { addVersion, deleteVersions, pruneVault, type VaultStep } from '../app/vault/vault.ts';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { OperationContext, createCancelFlag } from '../app/engine/context.ts';

const [operation, ...args] = process.argv.slice(2);
const identity = operation === 'backup' && args[3] ? readFileSync(args[3], 'utf8') : undefined;
const identityToRecipient = (text: string) => execFileSync('age-keygen', ['-y'], { input: text, encoding: 'utf8' }).trim();
const ctx = new OperationContext(createCancelFlag(), () => undefined);
const onStep = (step: VaultStep) => {
  if (step === args[2]) process.kill(process.pid, 'SIGKILL');
};
if (operation === 'backup') await addVersion(args[0]!, args[1]!, ctx, { onStep, ...(identity && { encryption: { kind: 'x25519' as const, recipient: identityToRecipient(identity) }, keys: [{ kind: 'identity' as const, identity }] }) });
else if (operation === 'delete') deleteVersions(args[0]!, [Number(args[1])], ctx, { onStep });
else pruneVault(args[0]!, { keepLast: Number(args[1]), keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null }, ctx, { onStep });
process.stdout.write('finished\n');
