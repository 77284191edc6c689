#!/usr/bin/env node
// `npx pagevault <command>`: the CLI, from the compiled build (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/app/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  console.error('Pagevault is not built yet: run `npm run build` first.');
  process.exit(2);
}
await import(cli.href);
