#!/usr/bin/env node
// `npx pagevault <command>`: the CLI, from the compiled build (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// package.json's engines. Older Node crashes without a word in better-sqlite3 (22.12, 22.13
// exit 139) or cannot run the sources' TypeScript (type stripping is on from 22.18).
const MINIMUM_NODE = '22.18.0';
const newer = (version, minimum) => {
  const [a, b] = [version, minimum].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};
if (!newer(process.versions.node, MINIMUM_NODE)) {
  console.error(`Pagevault needs Node.js ${MINIMUM_NODE} or newer, and this is Node.js ${process.version}: install Node 24 (the current LTS) and run it again.`);
  process.exit(1);
}

const cli = new URL('../dist/app/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('Pagevault is not built yet: run `npm run build` first.');
  process.exit(2);
}
await import(cli.href);
