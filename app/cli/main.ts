/**
 * `pagevault <command>`: backup, restore, verify and inspect from a terminal. A progress
 * bar on a TTY; `--json` prints one JSON object per line. Exit codes: see `exitCodes`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PagevaultError } from '../api/errors.ts';
import { cipherNames, type BackupMode, type SourceKey } from '../api/types.ts';
import { restoreCatalogBackup } from '../catalog/catalog-backups.ts';
import { defaultDataDir } from '../core/data-dir.ts';
import * as engine from '../engine/index.ts';
import { isCipherName, parseKey } from '../engine/connection.ts';
import type { EngineProgress } from '../engine/index.ts';
import { HostLock } from '../host/host-lock.ts';
import { discover } from './discover.ts';
import { exitCodeOfError, formatProgressLine, renderBackup, renderDiscovery, renderInspect, renderVerify } from './format.ts';

const usage = `Usage: pagevault <command> [options]

Commands:
  backup <source> <dest-file-or-dir>  Back up a live database (a folder gets <name>-YYYYMMDD-HHMMSS.db)
      --mode snapshot|stepped|compact   default: snapshot for WAL databases, stepped otherwise
      --force                           replace an existing destination file
      --no-verify                       skip quick_check and SHA-256 of the copy
  restore <backup> <target>           Load a backup into a database (a safety copy is taken first)
      --no-safety-copy                  do not copy the current target first
  verify <file>                       quick_check, SHA-256 and manifest comparison
      --full                            integrity_check instead of quick_check
  inspect <file>                      What the file is: pages, journal mode, tables and rows

Encrypted databases (backup, restore, verify, inspect):
  --key-file F  the file holding the database's passphrase, or its raw key as x'<hex>'
                (only you may read it: chmod 600); never give a key on the command line
  --cipher NAME when it is not SQLCipher 4: ${cipherNames.join(', ')}
  catalog restore                     Put an automatic catalog backup in place of a damaged catalog
      --data-dir DIR                    the data folder (default: the platform's)
      --from FILE                       this backup instead of the newest in <data dir>/catalog-backups
  discover                            Find the databases of known apps (Firefox, Chromium, Zotero, Anki, ...)
                                      under your home folder; only looks, never opens them with SQLite
      --add                             add every one found that is readable and not yet in Pagevault,
                                        under its suggested name ("Firefox · default-release · places")
      --data-dir DIR                    the data folder whose catalog says what is registered

Options for every command:
  --json        one JSON object per line: progress, then result or error
  -h, --help    this text

Exit codes:
  0   done
  1   failed (the message says why and what to do)
  2   usage error
  75  deferred: another program held the database and kept writing while it was copied,
      so no consistent copy could be made this time; nothing is wrong, run it again later`;


const commands = {
  backup: 2,
  restore: 2,
  verify: 1,
  inspect: 1,
  catalog: 1,
  discover: 0,
} as const;
type Command = keyof typeof commands;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        mode: { type: 'string' },
        force: { type: 'boolean', default: false },
        'no-verify': { type: 'boolean', default: false },
        'no-safety-copy': { type: 'boolean', default: false },
        full: { type: 'boolean', default: false },
        'data-dir': { type: 'string' },
        from: { type: 'string' },
        add: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        cipher: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const [name, ...args] = positionals;
  if (!(name! in commands)) return usageError(`Unknown command '${name}'`);
  const command = name as Command;
  if (args.length !== commands[command]) {
    return usageError(commands[command] === 0 ? `'${command}' takes no path, got ${args.length}` : `'${command}' takes ${commands[command]} path${commands[command] > 1 ? 's' : ''}, got ${args.length}`);
  }
  if (command === 'catalog' && args[0] !== 'restore') return usageError(`Unknown catalog command '${args[0]}'; did you mean 'catalog restore'?`);
  if (command !== 'catalog' && values.from !== undefined) return usageError('--from goes with catalog restore');
  if (command !== 'catalog' && command !== 'discover' && values['data-dir'] !== undefined) return usageError('--data-dir goes with catalog restore and discover');
  if (command !== 'discover' && values.add) return usageError('--add goes with discover');
  const mode = values.mode;
  if (mode !== undefined && (command !== 'backup' || !['snapshot', 'stepped', 'compact'].includes(mode))) {
    return usageError(command !== 'backup' ? '--mode goes with backup' : `Expected --mode to be snapshot, stepped or compact, got '${mode}'`);
  }

  const keyCommands: readonly string[] = ['backup', 'restore', 'verify', 'inspect'];
  if ((values['key-file'] !== undefined || values.cipher !== undefined) && !keyCommands.includes(command)) return usageError('--key-file and --cipher go with backup, restore, verify and inspect');
  if (values.cipher !== undefined && values['key-file'] === undefined) return usageError('--cipher goes with --key-file');
  if (values.cipher !== undefined && !isCipherName(values.cipher)) return usageError(`Expected --cipher to be one of ${cipherNames.join(', ')}, got '${values.cipher}'`);
  let key: SourceKey | undefined;
  if (values['key-file'] !== undefined) {
    const read = readKeyFile(values['key-file'], values.cipher as SourceKey['cipher'] | undefined);
    if (typeof read === 'string') {
      console.error(`pagevault: ${read}`);
      return 2;
    }
    key = read;
  }

  const json = values.json;
  const out = (object: unknown) => process.stdout.write(`${JSON.stringify(object)}\n`);
  const tty = !json && process.stderr.isTTY;
  let lastLine = '';
  const onProgress = (progress: EngineProgress) => {
    if (json) out({ type: 'progress', ...progress });
    else if (tty) {
      lastLine = formatProgressLine(progress, process.stderr.columns ?? 80);
      process.stderr.write(`\r${lastLine}\x1b[K`);
    }
  };
  const clearLine = () => {
    if (tty && lastLine) process.stderr.write('\r\x1b[K');
  };

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const run = { onProgress, signal: controller.signal };

  try {
    let value: unknown;
    let text: string;
    switch (command) {
      case 'backup': {
        const result = await engine.backup(args[0]!, args[1]!, { ...run, mode: mode as BackupMode | undefined, overwrite: values.force, verify: !values['no-verify'], key });
        value = result;
        text = renderBackup(result);
        break;
      }
      case 'restore': {
        const result = await engine.restore(args[0]!, args[1]!, { ...run, safetyCopy: !values['no-safety-copy'], safetyCopyAdvice: 'Restore without one with --no-safety-copy', key });
        value = result;
        text = `Restored ${result.backup} into ${result.target} (${result.pageCount.toLocaleString('en-US')} pages, verified)${result.safetyCopy ? `\n  the previous database was saved as ${result.safetyCopy}` : ''}`;
        break;
      }
      case 'verify': {
        const result = await engine.verify(args[0]!, { ...run, full: values.full, key });
        value = result;
        text = renderVerify(result);
        clearLine();
        if (json) out({ type: 'result', command, value });
        else console.log(text);
        return result.ok ? 0 : 1;
      }
      case 'catalog': {
        const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
        // Held as a running Pagevault holds it, the data folder keeps any Pagevault from
        // starting on the catalog between the check that none has it open and the rename.
        const lock = existsSync(dataDir)
          ? HostLock.acquire(dataDir, 'catalog restore', (owner) => new PagevaultError('CATALOG_BUSY', `Cannot restore the Pagevault catalog in ${dataDir}: ${owner} is using it; quit it (desktop app, or npm run web) and try again`))
          : undefined;
        let result;
        try {
          result = restoreCatalogBackup(dataDir, { from: values.from });
        } finally {
          lock?.release();
        }
        value = result;
        text = `Restored the Pagevault catalog ${result.catalog} from ${result.from}${result.takenAt ? ` (taken ${result.takenAt})` : ''}`;
        if (result.keptAs) text += `\n  the catalog it replaced is kept as ${result.keptAs}`;
        break;
      }
      case 'discover': {
        const found = await discover(values['data-dir'] ?? defaultDataDir(), values.add);
        value = found;
        text = renderDiscovery(found.result, found.added, found.failed);
        if (found.failed.length > 0) {
          if (json) out({ type: 'result', command, value });
          else console.log(text);
          return 1;
        }
        break;
      }
      case 'inspect': {
        const result = await engine.inspect(args[0]!, { ...run, key });
        value = result;
        text = renderInspect(result);
        break;
      }
    }
    clearLine();
    if (json) out({ type: 'result', command, value });
    else console.log(text);
    return 0;
  } catch (error) {
    clearLine();
    const body = error instanceof PagevaultError ? error.toBody() : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    if (command === 'backup' && body.code === 'DEST_EXISTS' && !values.force) body.message += ' (pass --force to replace it)';
    if (body.code === 'ENCRYPTED' && !key) body.message += ' (pass its key with --key-file)';
    if (json) out({ type: 'error', ...body });
    else console.error(`pagevault: ${body.message} [${body.code}]`);
    return exitCodeOfError(body.code);
  }
}

/**
 * The key in `path`, or why it cannot be used. A key file others may read is refused, as
 * ssh refuses such a private key: the key would no longer be secret. The key itself is
 * never part of a message.
 */
function readKeyFile(path: string, cipher: SourceKey['cipher'] | undefined): SourceKey | string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return `Cannot read the key from ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    return `Cannot use the key in ${path}: other users can read it (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path} and try again`;
  }
  if (text.replace(/\r?\n$/, '').length === 0) return `Cannot use the key in ${path}: the file is empty`;
  return parseKey(text, cipher);
}

function usageError(message: string): number {
  console.error(`pagevault: ${message}\n\n${usage}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
