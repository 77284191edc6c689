/**
 * File access for discovery: asynchronous, never blocking, never writing. A folder that
 * cannot be read is simply not searched. A path that is not a regular file (a named
 * pipe, a socket, a device) is never opened: opening a named pipe for reading waits for
 * a writer, forever if none comes. Every open is also non-blocking and checked again
 * afterwards, in case the file changed between the stat and the open.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const READ_NONBLOCKING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a path that is not a regular file is, in words; undefined for a regular file. */
export function kindOf(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** The start of a file as read without blocking: its bytes and size, why it could not be read, or that it is not there. */
export type Head = { ok: true; bytes: Buffer; size: number } | { ok: false; reason: string } | { ok: 'missing' };

/** The first `length` bytes of the regular file `path`, or why it cannot be read (missing when it is not there). */
export async function readHead(path: string, length: number): Promise<Head> {
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: 'missing' };
    return { ok: false, reason: unreadable(error) };
  }
  const kind = kindOf(stats);
  if (kind) return { ok: false, reason: `it is ${kind}, not a database file` };
  let handle;
  try {
    handle = await open(path, READ_NONBLOCKING);
  } catch (error) {
    return { ok: false, reason: unreadable(error) };
  }
  try {
    const opened = await handle.stat();
    const kindNow = kindOf(opened);
    if (kindNow) return { ok: false, reason: `it is ${kindNow}, not a database file` };
    const buffer = Buffer.alloc(Math.min(length, opened.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { ok: true, bytes: buffer.subarray(0, bytesRead), size: opened.size };
  } catch (error) {
    return { ok: false, reason: unreadable(error) };
  } finally {
    await handle.close();
  }
}

/** A small text file an app keeps its settings in (profiles.ini, Local State, prefs.js); undefined when it cannot be read. */
export async function readText(path: string, maxBytes = 4 * 1024 * 1024): Promise<string | undefined> {
  const head = await readHead(path, maxBytes);
  return head.ok === true ? head.bytes.toString('utf8') : undefined;
}

/** The sub-folders of `dir` (following symbolic links); empty when it is missing or unreadable. */
export async function listFolders(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const names = await Promise.all(
    entries.map(async (entry) => {
      if (entry.isDirectory()) return entry.name;
      if (!entry.isSymbolicLink()) return undefined;
      const target = await stat(join(dir, entry.name)).catch(() => undefined);
      return target?.isDirectory() ? entry.name : undefined;
    }),
  );
  return names.filter((name): name is string => name !== undefined).sort();
}

/** The entries of `dir` with their types, not following links; empty when it is missing or unreadable. */
export async function listEntries(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch(() => []);
}

function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'its path loops through symbolic links';
  return `it cannot be read (${(error as Error).message})`;
}
