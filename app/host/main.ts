/**
 * `npm run web`: the headless host. Serves the UI and the API on 127.0.0.1 behind a
 * random access token printed at start-up.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Core } from '../core/core.ts';
import { defaultDataDir } from '../core/data-dir.ts';
import { startHost } from './server.ts';

// package.json's engines (22.18.0): older Node crashes in better-sqlite3 without a word (22.12, 22.13).
const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
if (nodeMajor < 22 || (nodeMajor === 22 && nodeMinor < 18)) {
  console.error(`Pagevault needs Node.js 22.18.0 or newer, and this is Node.js ${process.version}: install Node 24 (the current LTS) and run it again.`);
  process.exit(1);
}

const usage = `Usage: npm run web -- [--port N] [--data-dir DIR] [--token TOKEN] [--open]

  --port N         port on 127.0.0.1 (default 4733; 0 picks a free one)
  --data-dir DIR   where the catalog and default backups live (default ${defaultDataDir()})
  --token TOKEN    access token (default: a new random one each start)
  --open           open the address in the default browser`;

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4733' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        open: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Expected --port to be a whole number from 0 to 65535, got '${values.port}'\n\n${usage}`);
    process.exit(2);
  }
  if (values.token !== undefined && values.token.length < 16) {
    console.error('Expected --token to be at least 16 characters long');
    process.exit(2);
  }
  const staticDir = findRendererDir();
  let core: Core;
  try {
    core = new Core({ dataDir: resolve(values['data-dir'] ?? defaultDataDir()), shell: 'web' });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  let host;
  try {
    host = await startHost({ core, staticDir, port, token: values.token ?? randomBytes(24).toString('base64url') });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(code === 'EADDRINUSE' ? `Port ${port} on 127.0.0.1 is in use; choose another with --port` : `Cannot start the host: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`Pagevault is running at ${host.url}`);
  console.log(`Data folder: ${core.options.dataDir}`);
  console.log('Press Ctrl+C to stop.');
  if (values.open) openInBrowser(host.url);
  // Scheduled backups run here, in the host, whether or not a browser is open.
  core.startScheduler();

  // Running backups are cancelled (their partial files removed) before the process ends.
  const stop = () => {
    void host
      .close()
      .then(() => core.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** dist/renderer, from either the compiled host (dist/app/host) or the sources (app/host). */
function findRendererDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', '..', 'dist', 'renderer'), join(here, '..', '..', 'renderer')]) {
    if (existsSync(join(candidate, 'index.html'))) return resolve(candidate);
  }
  console.error('The UI is not built: run `npm run build` first (npm run web does this for you).');
  process.exit(1);
}

function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  spawn(command, [url], { detached: true, stdio: 'ignore' }).on('error', () => console.log('Open the address above in a browser.')).unref();
}

await main();
