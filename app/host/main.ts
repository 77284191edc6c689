/**
 * `npm run web`: the headless host. Serves the UI and the API on 127.0.0.1 behind a
 * random access token printed at start-up. One host per data folder.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Core } from '../core/core.ts';
import { defaultDataDir } from '../core/data-dir.ts';
import { HostLock } from './host-lock.ts';
import { startHost } from './server.ts';

// package.json's engines (22.18.0): older Node crashes in better-sqlite3 without a word (22.12, 22.13).
const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
if (nodeMajor < 22 || (nodeMajor === 22 && nodeMinor < 18)) {
  console.error(`Pagevault needs Node.js 22.18.0 or newer, and this is Node.js ${process.version}: install Node 24 (the current LTS) and run it again.`);
  process.exit(1);
}

/** The environment variable that may hold the access token, out of sight of `ps`. */
const TOKEN_VARIABLE = 'PAGEVAULT_TOKEN';

const usage = `Usage: npm run web -- [--port N] [--data-dir DIR] [--token-file PATH | --token TOKEN] [--open]

  --port N           port on 127.0.0.1 (default 4733; 0 picks a free one)
  --data-dir DIR     where the catalog and default backups live (default ${defaultDataDir()})
  --token-file PATH  read the access token from PATH, a file only you may read (chmod 600)
  --token TOKEN      access token; other users of this computer can read it in \`ps\`:
                     prefer --token-file or the ${TOKEN_VARIABLE} environment variable
  --open             open the address in the default browser

Without --token-file, --token or ${TOKEN_VARIABLE}, a new random token is made each start.
Only one host may serve a data folder at a time.`;

/** Where the token comes from: --token, --token-file or PAGEVAULT_TOKEN (at most one of the options), else a new random one. */
function chooseToken(values: { token?: string; 'token-file'?: string }): string {
  if (values.token !== undefined && values['token-file'] !== undefined) usageError('Give --token or --token-file, not both');
  let token: string | undefined = values.token;
  let source = '--token';
  if (values['token-file'] !== undefined) {
    token = readTokenFile(values['token-file']);
    source = `the token in ${values['token-file']}`;
  } else if (token === undefined && process.env[TOKEN_VARIABLE] !== undefined) {
    token = process.env[TOKEN_VARIABLE].trim();
    source = TOKEN_VARIABLE;
  }
  // Processes the host starts (the checkpoint helper) have no use for it.
  delete process.env[TOKEN_VARIABLE];
  if (token === undefined) return randomBytes(24).toString('base64url');
  if (token.length < 16) usageError(`Expected ${source} to be at least 16 characters long`);
  if (/[\s\p{Cc}]/u.test(token)) usageError(`Expected ${source} to have no spaces or control characters`);
  return token;
}

/** The token in a file no one else may read; refuses a file readable by its group or others. */
function readTokenFile(path: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    console.error(`Cannot read the token from ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`);
    process.exit(2);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    console.error(`Cannot use the token in ${path}: other users can read it (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path} and start again`);
    process.exit(2);
  }
  return text.trim();
}

function usageError(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4733' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
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
  const token = chooseToken(values);
  const staticDir = findRendererDir();
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  let lock: HostLock;
  let core: Core;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Before the catalog is opened: a second host must not touch it, let alone schedule from it.
    lock = HostLock.acquire(dataDir);
    core = new Core({ dataDir, shell: 'web' });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  let host;
  try {
    host = await startHost({ core, staticDir, port, token });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(code === 'EADDRINUSE' ? `Port ${port} on 127.0.0.1 is in use; choose another with --port` : `Cannot start the host: ${(error as Error).message}`);
    process.exit(1);
  }
  lock.announce(host.url.replace(/#.*$/, ''));
  console.log(`Pagevault is running at ${host.url}`);
  console.log(`Data folder: ${core.options.dataDir}`);
  console.log('Press Ctrl+C to stop.');
  if (values.open) openInBrowser(host.url);
  // Scheduled backups run here, in the host, whether or not a browser is open.
  core.startScheduler();

  // Running backups are cancelled (their partial files removed) before the process ends,
  // whatever the host is still serving: the core is closed beside the host, not after it.
  const stop = () => {
    void Promise.allSettled([host.close(), core.close()])
      .then((results) => {
        for (const result of results) if (result.status === 'rejected') console.error('Pagevault host: could not stop cleanly', result.reason);
      })
      .finally(() => {
        lock.release();
        process.exit(0);
      });
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
