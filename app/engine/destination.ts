/**
 * Where a backup goes: a file the user named, or a folder in which the file is named
 * `<name>-YYYYMMDD-HHMMSS[-label].db` (local time), with `-2`, `-3`, … on a collision.
 * Every refusal (the source itself, an existing file, an unwritable folder) is made here,
 * before anything is written.
 */
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import { AGE_SUFFIX } from './age-files.ts';
import { fileSystemError } from './sqlite-errors.ts';

/** `<stem>-YYYYMMDD-HHMMSS[-label].db` in local time. */
export function backupFileName(source: string, now: Date, label?: string): string {
  const ext = extname(source);
  const stem = basename(source, ext) || 'database';
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stem}-${stamp}${label ? `-${label}` : ''}.db`;
}

/** What of the backup options names the destination. */
export interface DestinationOptions {
  overwrite?: boolean;
  label?: string;
  now?: Date;
  action?: string;
  /** Set for an encrypted backup: a folder gets `<name>.db.age`. */
  encryption?: unknown;
}

/**
 * Turns the user's destination into a file path: a folder (existing, or given with a
 * trailing separator) gets a timestamped name in it. Refuses the source itself, its
 * companion files, an existing file without overwrite, and an unwritable folder.
 */
export async function resolveDestination(source: string, destinationArg: string, options: DestinationOptions): Promise<string> {
  const cannot = `Cannot ${options.action ?? 'back up'} ${source}`;
  const raw = resolve(destinationArg);
  const wantsFolder = destinationArg.endsWith('/') || destinationArg.endsWith(sep);
  const existing = await stat(raw).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fileSystemError(error, `${cannot} to ${raw}`);
  });

  let destination: string;
  if (existing?.isDirectory() || wantsFolder) {
    // A folder Pagevault makes is private: it holds copies of databases.
    if (!existing) await mkdir(raw, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw fileSystemError(error, `${cannot}: cannot create the folder ${raw}`);
    });
    const now = options.now ?? new Date();
    const name = backupFileName(source, now, options.label) + (options.encryption ? AGE_SUFFIX : '');
    destination = join(raw, name);
    for (let n = 2; await pathExists(destination); n += 1) destination = join(raw, name.replace(/\.db(\.age)?$/, `-${n}.db$1`));
  } else {
    destination = raw;
  }

  const folder = dirname(destination);
  const folderStats = await stat(folder).catch(() => undefined);
  if (!folderStats?.isDirectory()) {
    throw new PagevaultError('NOT_FOUND', `${cannot} to ${destination}: the folder ${folder} does not exist`);
  }
  const realSource = await realpath(source);
  const realDestination = join(await realpath(folder), basename(destination));
  const sourceStats = await stat(realSource);
  const destinationStats = await stat(destination).catch(() => undefined);
  const companions = ['', '-wal', '-shm', '-journal'].map((suffix) => realSource + suffix);
  if (companions.includes(realDestination) || (destinationStats && destinationStats.ino === sourceStats.ino && destinationStats.dev === sourceStats.dev)) {
    throw new PagevaultError('DEST_IS_SOURCE', `${cannot} to ${destination}: the destination is the database itself (or one of its -wal, -shm, -journal files)`);
  }
  if (destinationStats?.isDirectory()) {
    throw new PagevaultError('IS_A_DIRECTORY', `${cannot} to ${destination}: a folder has that name`);
  }
  if (destinationStats && !options.overwrite) {
    throw new PagevaultError('DEST_EXISTS', `${cannot} to ${destination}: the file already exists`);
  }
  try {
    await access(folder, constants.W_OK);
  } catch (error) {
    throw fileSystemError(error, `${cannot} to ${destination}`, { folder });
  }
  return destination;
}

/** Whether anything (a file, a folder, a dangling name) answers to `path`. */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
