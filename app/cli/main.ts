/**
 * `pagevault <command>`: backup, restore, verify and inspect from a terminal. A progress
 * bar on a TTY; `--json` prints one JSON object per line. Exit codes: see `exitCodes`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PagevaultError } from '../api/errors.ts';
import { cipherNames, type BackupMode, type RetentionPolicy, type SourceKey } from '../api/types.ts';
import { restoreCatalogBackup } from '../catalog/catalog-backups.ts';
import { defaultDataDir } from '../core/data-dir.ts';
import * as engine from '../engine/index.ts';
import { isCipherName, parseKey } from '../engine/connection.ts';
import type { EngineProgress } from '../engine/index.ts';
import { HostLock } from '../host/host-lock.ts';
import { keepsOnlySome } from '../retention/retention-policy.ts';
import { discover } from './discover.ts';
import { backupEncryptionOf, backupKeysOf } from './key-files.ts';
import { exitCodeOfError, formatProgressLine, renderBackup, renderDiscovery, renderInspect, renderVaultBackup, renderVaultDelete, renderVaultList, renderVaultPrune, renderVaultVerify, renderVerify } from './format.ts';

const usage = `Usage: pagevault <command> [options]

Commands:
  backup <source> <dest-file-or-dir>  Back up a live database (a folder gets <name>-YYYYMMDD-HHMMSS.db)
  backup <source> --vault <dir>       Add a version to the page vault in <dir> (made on first use); a version
                                      stores only the pages no earlier version has, compressed
                                      --encrypt-to / --encrypt-passphrase-file make a new vault encrypted;
                                      an encrypted vault takes --identity F or --passphrase-file F
      --mode snapshot|stepped|compact   default: snapshot for WAL databases, stepped otherwise
      --force                           replace an existing destination file
      --no-verify                       skip quick_check and SHA-256 of the copy
      --encrypt-to RECIPIENT            encrypt it with age to this public key (age1…): <name>.db.age
      --encrypt-passphrase-file F       encrypt it with age to the passphrase in F (age's scrypt)
  restore <backup> <target>           Load a backup into a database (a safety copy is taken first)
      --no-safety-copy                  do not copy the current target first
  verify <file>                       quick_check, SHA-256 and manifest comparison
      --full                            integrity_check instead of quick_check
      --identity F                      restore, verify, inspect: an age identity file (AGE-SECRET-KEY-1…) for a .age backup
      --passphrase-file F               restore, verify, inspect: the passphrase of a .age backup, in F
                                        (key files must be readable by you only: chmod 600)
  vault list <dir>                    The versions in a vault: number, time, pages, new data each added
                                      (with --identity / --passphrase-file, also checks that the key opens it)
  vault restore <dir> <version> <target>
                                      Write a version (its number, or latest) to a new file, or load it into a
                                      database (a safety copy is taken first, as restore does)
      --no-safety-copy                  do not copy the current target first
  vault verify <dir>                  Check every page of every version against its SHA-256; names what is damaged
                                      (an encrypted vault: its keyed hash, with --identity F or --passphrase-file F;
                                      without the key, only that every page is stored, and it says so)
      --identity F --passphrase-file F  vault restore, verify, list, backup --vault: the key of an encrypted vault
  vault prune <dir>                   Delete the versions a retention policy drops, and the pages only they had
                                      (needs no key, encrypted or not: it reads only page ids)
      --keep-last N --keep-hourly N --keep-daily N --keep-weekly N --keep-monthly N --keep-yearly N
      --min-age-days N                  as retention keeps copies; the newest version is always kept
      --keep ID                         keep version ID whatever the rules (repeat it; the app passes its pins)
  vault delete <dir> <version>        Delete one version (its number, or latest) and the pages no other version has
                                      (needs no key; the vault's other versions are untouched)
  inspect <file>                      What the file is: pages, journal mode, tables and rows

Encrypted databases (backup, restore, verify, inspect):
  --key-file F  the file holding the database's passphrase, or its raw key as x'<hex>'
                (only you may read it: chmod 600); never give a key on the command line
  --cipher NAME when it is not SQLCipher 4: ${cipherNames.join(', ')}
  --raw         backup, restore: without the key, copy its encrypted pages as they are (to a new
                file, for restore); consistent, but only its SHA-256 can be checked
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
  vault: -1,
} as const;
const vaultCommands: Record<string, number> = { list: 1, restore: 3, verify: 1, prune: 1, delete: 2 };
const retentionFlags = {
  'keep-last': 'keepLast',
  'keep-hourly': 'keepHourly',
  'keep-daily': 'keepDaily',
  'keep-weekly': 'keepWeekly',
  'keep-monthly': 'keepMonthly',
  'keep-yearly': 'keepYearly',
  'min-age-days': 'minAgeDays',
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
        'encrypt-to': { type: 'string' },
        'encrypt-passphrase-file': { type: 'string' },
        identity: { type: 'string' },
        'passphrase-file': { type: 'string' },
        'data-dir': { type: 'string' },
        from: { type: 'string' },
        add: { type: 'boolean', default: false },
        'key-file': { type: 'string' },
        cipher: { type: 'string' },
        raw: { type: 'boolean', default: false },
        vault: { type: 'string' },
        keep: { type: 'string', multiple: true },
        ...(Object.fromEntries(Object.keys(retentionFlags).map((flag) => [flag, { type: 'string' }])) as Record<keyof typeof retentionFlags, { type: 'string' }>),
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
  const vaultCommand = command === 'vault' ? args[0] : undefined;
  if (command === 'vault' && (vaultCommand === undefined || !(vaultCommand in vaultCommands))) return usageError(`Unknown vault command '${vaultCommand ?? ''}'; expected list, restore, verify, prune or delete`);
  if (vaultCommand !== undefined && args.length - 1 !== vaultCommands[vaultCommand]) {
    const takes = ({ 3: 'a vault folder, a version and a target', 2: 'a vault folder and a version' } as Record<number, string>)[vaultCommands[vaultCommand]!] ?? 'a vault folder';
    return usageError(`'vault ${vaultCommand}' takes ${takes}, got ${args.length - 1} path${args.length === 2 ? '' : 's'}`);
  }
  if (values.vault !== undefined && command !== 'backup') return usageError('--vault goes with backup');
  const expected = command === 'backup' && values.vault !== undefined ? 1 : commands[command];
  if (command !== 'vault' && args.length !== expected) {
    if (command === 'backup' && values.vault !== undefined) return usageError(`'backup --vault' takes the source only, got ${args.length} paths`);
    return usageError(commands[command] === 0 ? `'${command}' takes no path, got ${args.length}` : `'${command}' takes ${commands[command]} path${commands[command] > 1 ? 's' : ''}, got ${args.length}`);
  }
  if (command === 'catalog' && args[0] !== 'restore') return usageError(`Unknown catalog command '${args[0]}'; did you mean 'catalog restore'?`);
  if (command !== 'catalog' && values.from !== undefined) return usageError('--from goes with catalog restore');
  if (command !== 'catalog' && command !== 'discover' && values['data-dir'] !== undefined) return usageError('--data-dir goes with catalog restore and discover');
  if (command !== 'discover' && values.add) return usageError('--add goes with discover');
  const policy: RetentionPolicy = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };
  for (const [flag, key] of Object.entries(retentionFlags) as Array<[keyof typeof retentionFlags, keyof RetentionPolicy]>) {
    const given = values[flag];
    if (given === undefined) continue;
    if (vaultCommand !== 'prune') return usageError(`--${flag} goes with vault prune`);
    if (!/^\d+$/.test(given) || (key !== 'minAgeDays' && Number(given) < 1)) return usageError(`Expected --${flag} to be a whole number from ${key === 'minAgeDays' ? 0 : 1} and up, got '${given}'`);
    policy[key] = Number(given);
  }
  const keep: number[] = [];
  for (const given of values.keep ?? []) {
    if (vaultCommand !== 'prune') return usageError('--keep goes with vault prune');
    if (!/^\d+$/.test(given) || Number(given) < 1) return usageError(`Expected --keep to be a version number as listed (1 and up), got '${given}'`);
    keep.push(Number(given));
  }
  if (vaultCommand === 'delete' && !/^(\d+|latest)$/.test(args[2]!)) return usageError(`Expected the version to delete as listed (a number) or latest, got '${args[2]}'`);
  if (vaultCommand === 'prune' && !keepsOnlySome(policy)) return usageError('vault prune needs at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly');
  if (values.mode !== undefined && values.vault !== undefined) return usageError('--mode goes with a backup to a file or folder; a vault reads the source itself');
  const mode = values.mode;
  if (mode !== undefined && (command !== 'backup' || !['snapshot', 'stepped', 'compact'].includes(mode))) {
    return usageError(command !== 'backup' ? '--mode goes with backup' : `Expected --mode to be snapshot, stepped or compact, got '${mode}'`);
  }

  const keyCommands: readonly string[] = ['backup', 'restore', 'verify', 'inspect'];
  if ((values['key-file'] !== undefined || values.cipher !== undefined) && !keyCommands.includes(command)) return usageError('--key-file and --cipher go with backup, restore, verify and inspect');
  if (values.cipher !== undefined && values['key-file'] === undefined) return usageError('--cipher goes with --key-file');
  if (values.cipher !== undefined && !isCipherName(values.cipher)) return usageError(`Expected --cipher to be one of ${cipherNames.join(', ')}, got '${values.cipher}'`);
  if (values.raw && command !== 'backup' && command !== 'restore') return usageError('--raw goes with backup and restore');
  if (values.raw && values['key-file'] !== undefined) return usageError('Give --key-file or --raw, not both: --raw is the copy without the key');
  if (values.raw && values.vault !== undefined) return usageError('--raw goes with a backup to a file or folder, not with --vault');
  // A vault keeps plain databases only (an encrypted source's key would be ignored); its own encryption is age's, below.
  if (values.vault !== undefined && values['key-file'] !== undefined) return usageError('--key-file goes with a backup to a file or folder, not with --vault: a vault keeps only plain databases');
  let key: SourceKey | undefined;
  if (values['key-file'] !== undefined) {
    const read = readSourceKeyFile(values['key-file'], values.cipher as SourceKey['cipher'] | undefined);
    if (typeof read === 'string') {
      console.error(`pagevault: ${read}`);
      return 2;
    }
    key = read;
  }
  if (values['encrypt-to'] !== undefined && values['encrypt-passphrase-file'] !== undefined) return usageError('Give --encrypt-to or --encrypt-passphrase-file, not both');
  if (command !== 'backup' && (values['encrypt-to'] !== undefined || values['encrypt-passphrase-file'] !== undefined)) return usageError('--encrypt-to and --encrypt-passphrase-file go with backup');
  if (values.identity !== undefined && values['passphrase-file'] !== undefined) return usageError('Give --identity or --passphrase-file, not both');
  const takesAgeKeys = command === 'restore' || command === 'verify' || command === 'inspect' || (command === 'backup' && values.vault !== undefined) || (vaultCommand !== undefined && vaultCommand !== 'prune' && vaultCommand !== 'delete');
  if ((vaultCommand === 'prune' || vaultCommand === 'delete') && (values.identity !== undefined || values['passphrase-file'] !== undefined)) return usageError(`vault ${vaultCommand} needs no key, even for an encrypted vault: it reads only page ids; run it without --identity and --passphrase-file`);
  if (!takesAgeKeys && (values.identity !== undefined || values['passphrase-file'] !== undefined)) return usageError('--identity and --passphrase-file go with restore, verify, inspect, backup --vault and vault list, restore and verify');

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
        if (values.vault !== undefined) {
          const encryption = backupEncryptionOf(values);
          const keys = backupKeysOf(values);
          const result = await engine.vaultBackup(args[0]!, values.vault, { ...run, ...(encryption && { encryption }), ...(keys && { keys }) });
          value = result;
          text = renderVaultBackup(result);
          break;
        }
        const encryption = backupEncryptionOf(values);
        const result = await engine.backup(args[0]!, args[1]!, { ...run, mode: mode as BackupMode | undefined, overwrite: values.force, verify: !values['no-verify'], key, raw: values.raw, ...(encryption && { encryption }) });
        value = result;
        text = renderBackup(result);
        break;
      }
      case 'restore': {
        const result = await engine.restore(args[0]!, args[1]!, { ...run, safetyCopy: !values['no-safety-copy'], safetyCopyAdvice: 'Restore without one with --no-safety-copy', keys: { source: key, age: backupKeysOf(values) }, raw: values.raw });
        value = result;
        const checked = result.verification.notChecked ? `written as it is; ${result.verification.notChecked}` : 'verified';
        text = `Restored ${result.backup} into ${result.target} (${result.pageCount.toLocaleString('en-US')} pages, ${checked})${result.safetyCopy ? `\n  the previous database was saved as ${result.safetyCopy}` : ''}`;
        break;
      }
      case 'verify': {
        const result = await engine.verify(args[0]!, { ...run, full: values.full, keys: { source: key, age: backupKeysOf(values) } });
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
      case 'vault': {
        const dir = args[1]!;
        if (vaultCommand === 'list') {
          const keys = backupKeysOf(values);
          const result = await engine.vaultList(dir, { ...run, ...(keys && { keys }) });
          value = result;
          text = renderVaultList(result);
        } else if (vaultCommand === 'restore') {
          const keys = backupKeysOf(values);
          const result = await engine.vaultRestore(dir, args[2]!, args[3]!, { ...run, safetyCopy: !values['no-safety-copy'], safetyCopyAdvice: 'Restore without one with --no-safety-copy', ...(keys && { keys: { age: keys } }) });
          value = result;
          text = `Restored version ${result.version.id} (${result.version.createdAt}) of ${result.vault} into ${result.target} (${result.version.pageCount.toLocaleString('en-US')} pages, each checked against its ${result.encrypted ? 'keyed hash' : 'SHA-256'})${result.safetyCopy ? `\n  the previous database was saved as ${result.safetyCopy}` : ''}`;
        } else if (vaultCommand === 'verify') {
          const keys = backupKeysOf(values);
          const result = await engine.vaultVerify(dir, { ...run, ...(keys && { keys }) });
          clearLine();
          if (json) out({ type: 'result', command: 'vault verify', value: result });
          else console.log(renderVaultVerify(result));
          return result.ok ? 0 : 1;
        } else if (vaultCommand === 'delete') {
          const spec = args[2]!;
          const id = spec === 'latest' ? (await engine.vaultList(dir, run)).versions.at(-1)?.id : Number(spec);
          if (id === undefined) throw new PagevaultError('NOT_FOUND', `Cannot delete the latest version of ${resolve(dir)}: the vault has no versions`);
          const result = await engine.vaultDelete(dir, [id], run);
          value = result;
          text = renderVaultDelete(result);
        } else {
          const result = await engine.vaultPrune(dir, policy, { ...run, keep });
          value = result;
          text = renderVaultPrune(result);
        }
        break;
      }
      case 'inspect': {
        const result = await engine.inspect(args[0]!, { ...run, keys: { source: key, age: backupKeysOf(values) } });
        value = result;
        text = renderInspect(result);
        break;
      }
    }
    clearLine();
    if (json) out({ type: 'result', command: vaultCommand ? `vault ${vaultCommand}` : command, value });
    else console.log(text);
    return 0;
  } catch (error) {
    clearLine();
    const body = error instanceof PagevaultError ? error.toBody() : { code: 'INTERNAL', message: String((error as Error)?.message ?? error) };
    if (command === 'backup' && body.code === 'DEST_EXISTS' && !values.force) body.message += ' (pass --force to replace it)';
    if (body.code === 'ENCRYPTED' && !key && !values.raw) body.message += ` (pass its key with --key-file, or --raw to ${command === 'restore' ? 'write it into a new file as it is' : 'copy its encrypted pages as they are'}, which Pagevault cannot check inside)`;
    if (body.code === 'KEY_NEEDED') body.message += ' (pass --identity FILE or --passphrase-file FILE)';
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
function readSourceKeyFile(path: string, cipher: SourceKey['cipher'] | undefined): SourceKey | string {
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
  if (text.includes('\0')) return `Cannot use the key in ${path}: it holds a NUL character, which no SQLite key can; write the passphrase, or the raw key as x'<hex>'`;
  return parseKey(text, cipher);
}

function usageError(message: string): number {
  console.error(`pagevault: ${message}\n\n${usage}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
