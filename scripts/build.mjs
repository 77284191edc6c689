#!/usr/bin/env node
// `npm run build`: the renderer, the preload and the Node code into dist/, then a stamp of
// the sources it built from (dist/.sources.sha256). `--if-changed` (npm run web) builds
// only when the sources differ from that stamp; npm test always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Everything the three builds read, relative to the project folder.
const SOURCES = ['app', 'electron', 'renderer', 'package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.node.json', 'tsconfig.web.json', 'vite.config.ts', 'vite.preload.config.ts'];
const STAMP = join('dist', '.sources.sha256');
// What the builds make that `npm run web` and `npm start` need: a stamp without them is stale.
const OUTPUTS = ['dist/renderer/index.html', 'dist/electron/preload.cjs', 'dist/electron/main.js', 'dist/app/host/main.js', 'dist/app/cli/main.js'];

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => files(join(path, entry.name)));
}

/** One hash over every source file's path and content. */
function sourcesHash() {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap(files)) hash.update(`${file}\0`).update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const ifChanged = process.argv.includes('--if-changed');
const before = sourcesHash();
if (ifChanged && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === before && OUTPUTS.every((output) => existsSync(output))) {
  console.log('dist/ is up to date with the sources: not rebuilt (npm run build rebuilds it anyway).');
  process.exit(0);
}
// A build that fails halfway leaves no stamp: the next --if-changed builds again.
rmSync(STAMP, { force: true });
for (const step of ['build:renderer', 'build:preload', 'build:node']) {
  const result = spawnSync('npm', ['run', step, '--silent'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// Stamped with the sources as they were when the build began: an edit during the build
// makes the next --if-changed build again.
mkdirSync('dist', { recursive: true });
writeFileSync(STAMP, `${before}\n`);
