// A separate process that claims a partial for a destination, as a backup does, prints
// the claim into a file, says "ready" and keeps it until it is killed: a backup that is still writing, or (killed
// with SIGKILL) one that died half-way.
import { writeFileSync } from 'node:fs';
import { claimPartial } from '../app/engine/partial-file.ts';

const [destination, claimFile] = process.argv.slice(2);
const claim = await claimPartial(destination!);
writeFileSync(claim.path, 'half a copy');
writeFileSync(claimFile!, JSON.stringify(claim));
process.stdout.write('ready\n');
setInterval(() => undefined, 1000);
