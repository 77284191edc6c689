/**
 * Keys for encrypted backups come from files, never from the command line, where other
 * users see them in `ps` and the shell keeps them in its history.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupEncryption } from '../api/types.ts';
import { parseIdentityText, parsePassphraseText, parseRecipient } from '../age/keys.ts';

/** A passphrase or identity file's text; refused when other users may read it, as ssh refuses such a key. */
export function readKeyFile(pathArg: string, what: string): string {
  const path = resolve(pathArg);
  let mode: number;
  let text: string;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new PagevaultError('INVALID_REQUEST', `Cannot read the ${what} ${path}: it is not a file`);
    if (stats.size > 64 * 1024) throw new PagevaultError('INVALID_REQUEST', `Cannot read the ${what} ${path}: at ${stats.size} bytes it is no key file`);
    mode = stats.mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof PagevaultError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new PagevaultError(code === 'ENOENT' ? 'NOT_FOUND' : 'PERMISSION_DENIED', `Cannot read the ${what} ${path}: ${code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new PagevaultError('INVALID_REQUEST', `Cannot use the ${what} ${path}: other users can read it (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path}`);
  }
  return text;
}

/** `--encrypt-to` or `--encrypt-passphrase-file` as the backup's encryption, checked before anything runs. */
export function backupEncryptionOf(values: { 'encrypt-to'?: string; 'encrypt-passphrase-file'?: string }): BackupEncryption | undefined {
  if (values['encrypt-to'] !== undefined) {
    parseRecipient(values['encrypt-to'], `--encrypt-to ${values['encrypt-to'].startsWith('AGE-SECRET-KEY-') ? '(the value given)' : values['encrypt-to']}`);
    return { kind: 'x25519', recipient: values['encrypt-to'].trim() };
  }
  const file = values['encrypt-passphrase-file'];
  if (file === undefined) return undefined;
  const what = 'passphrase file';
  return { kind: 'passphrase', passphrase: parsePassphraseText(readKeyFile(file, what), `The ${what} ${resolve(file)}`).toString('utf8') };
}

/** `--identity` or `--passphrase-file` as keys for an encrypted backup, each checked to be what it claims. */
export function backupKeysOf(values: { identity?: string; 'passphrase-file'?: string }): AgeKeyInput[] | undefined {
  if (values.identity !== undefined) {
    const text = readKeyFile(values.identity, 'identity file');
    parseIdentityText(text, `The identity file ${resolve(values.identity)}`);
    return [{ kind: 'identity', identity: text }];
  }
  const file = values['passphrase-file'];
  if (file === undefined) return undefined;
  const what = 'passphrase file';
  return [{ kind: 'passphrase', passphrase: parsePassphraseText(readKeyFile(file, what), `The ${what} ${resolve(file)}`).toString('utf8') }];
}
