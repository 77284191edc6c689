#!/usr/bin/env node
// `npm start`: builds and opens the desktop app. The Electron binary is downloaded from
// Electron's release host on the first launch; where that fails, one paragraph says so
// and points to `npm run web`, the same app in a browser.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const electronDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;

/** Where the electron package looks for its binary (node_modules/electron/index.js). */
function binaryPath() {
  const pathFile = join(electronDir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (override) return join(override, name || 'electron');
  return name ? join(electronDir, 'dist', name) : undefined;
}

function fail(cause) {
  console.error(
    `Pagevault cannot open the desktop app: ${cause}. The same app runs in your browser: \`npm run web\` prints an address on 127.0.0.1 to open. ` +
      'To use an Electron binary you have elsewhere, set ELECTRON_OVERRIDE_DIST_PATH to its folder.',
  );
  process.exit(1);
}

let binary = binaryPath();
if (override && !existsSync(binary)) fail(`ELECTRON_OVERRIDE_DIST_PATH is ${override}, and there is no Electron binary at ${binary}`);
if (!binary || !existsSync(binary)) {
  console.log("Downloading the Electron binary from Electron's release host (once)…");
  const download = spawnSync(process.execPath, [join(electronDir, 'install.js')], { encoding: 'utf8' });
  binary = binaryPath();
  if (download.status !== 0 || !binary || !existsSync(binary)) {
    const reason = `${download.stderr ?? ''}\n${download.error?.message ?? ''}`.split('\n').map((line) => line.trim()).find((line) => line && !line.startsWith('at ')) ?? `exit code ${download.status}`;
    fail(`the Electron binary is not installed, and downloading it from Electron's release host (github.com, or ELECTRON_MIRROR) failed (${reason})`);
  }
}

const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) process.exit(build.status ?? 1);
// electron's own launcher: it passes signals on and exits with the app's code.
const app = spawnSync(process.execPath, [join(electronDir, 'cli.js'), '.', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(app.status ?? 1);
