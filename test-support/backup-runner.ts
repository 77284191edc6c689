// A separate process running a Pagevault core that backs up one database; prints "ready"
// once the copy is under way and its partial file is on disk, then runs until killed.
import { existsSync, readdirSync } from 'node:fs';
import { Core } from '../app/core/core.ts';

const [dataDir, databaseId] = process.argv.slice(2) as [string, string];
const core = new Core({ dataDir, shell: 'web' });
const outcome = await core.handle('backups.start', { databaseId: Number(databaseId) });
if (!outcome.ok) throw new Error(outcome.error.message);
const details = await core.handle('databases.details', { id: Number(databaseId) });
if (!details.ok) throw new Error(details.error.message);
const folder = (details.value as { database: { destination: string } }).database.destination;
let said = false;
core.events.on('job.progress', (progress) => {
  if (said || progress.phase !== 'copy') return;
  if (!existsSync(folder) || !readdirSync(folder).some((name) => name.endsWith('.pagevault-partial'))) return;
  said = true;
  process.stdout.write('ready\n');
});
core.events.on('job.finished', (finished) => process.stdout.write(`finished ${JSON.stringify(finished)}\n`));
setInterval(() => undefined, 1000);
