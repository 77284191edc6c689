// A process that uses a private temporary folder (app/engine/private-folder.ts) the way
// Pagevault does, and is killed with SIGKILL while it holds it, as a crash would stop it:
//   make PREFIX          makes a folder of that kind, writes a file into it, prints its path, is killed
//   hold PREFIX          makes one, prints its path, and removes it when its stdin ends
//   decrypt FILE KEY     decrypts the .age FILE with the identity in KEY (as verify does); `kill` after: is killed holding it
//   version VAULT ID KEY writes version ID of the encrypted vault out for the restore wizard; `kill` after: is killed holding it
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptToTemporary } from '../app/engine/age-files.ts';
import { makePrivateFolder, type PrivateFolderPrefix } from '../app/engine/private-folder.ts';
import { VersionFiles } from '../app/core/versions.ts';
import { endIdleWorkers } from '../app/engine/index.ts';
import { versionPath } from '../app/vault/version-path.ts';

const [operation, ...args] = process.argv.slice(2);
const killed = () => process.kill(process.pid, 'SIGKILL');
if (operation === 'make') {
  const folder = makePrivateFolder(args[0] as PrivateFolderPrefix);
  writeFileSync(join(folder.path, 'plain.db'), 'plain');
  process.stdout.write(`${folder.path}\n`);
  killed();
} else if (operation === 'hold') {
  const folder = makePrivateFolder(args[0] as PrivateFolderPrefix);
  process.stdout.write(`${folder.path}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => folder.remove());
} else if (operation === 'decrypt') {
  const copy = await decryptToTemporary(args[0]!, [{ kind: 'identity', identity: readFileSync(args[1]!, 'utf8') }], undefined, `Cannot verify ${args[0]}`);
  if (args[2] === 'kill') killed();
  await copy.remove();
} else if (operation === 'version') {
  const identity = readFileSync(args[2]!, 'utf8');
  const files = new VersionFiles(async () => [{ kind: 'identity', identity }]);
  await files.fileOf(versionPath(args[0]!, Number(args[1])));
  if (args[3] === 'kill') killed();
  await files.close();
  await endIdleWorkers();
}
