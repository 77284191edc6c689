/**
 * Which files some process holds a lock on right now, from Linux's /proc/locks. SQLite
 * takes POSIX record locks on a database (and on its -shm in WAL mode), and an app that
 * keeps its database open exclusively holds them for as long as it runs. Reading
 * /proc/locks takes no lock and opens nothing beside the databases.
 */
import { readFile, stat } from 'node:fs/promises';

/** A file's identity as /proc/locks names it: `major:minor:inode`, numbers in decimal. */
export type FileKey = string;

/**
 * The files `text` (the contents of /proc/locks) lists a held lock on. Lines of a
 * waiting request (`->`) are not held locks and are left out.
 */
export function parseProcLocks(text: string): Set<FileKey> {
  const held = new Set<FileKey>();
  for (const line of text.split('\n')) {
    if (line.includes('->')) continue;
    // "1: POSIX  ADVISORY  WRITE 10136 fe:00:4245797 0 EOF": the device is hex, the inode decimal.
    const match = /\s([0-9a-f]+):([0-9a-f]+):(\d+)\s/i.exec(`${line} `);
    if (match) held.add(`${parseInt(match[1]!, 16)}:${parseInt(match[2]!, 16)}:${match[3]}`);
  }
  return held;
}

/** The key of a file from its `stat` (bigint, so large device numbers split exactly as glibc does). */
export function fileKeyOf(dev: bigint, ino: bigint): FileKey {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}:${ino}`;
}

/** The locks held now, or null where that cannot be told (not Linux, or /proc/locks unreadable). */
export async function readHeldFiles(platform: NodeJS.Platform): Promise<Set<FileKey> | null> {
  if (platform !== 'linux' || process.platform !== 'linux') return null;
  try {
    return parseProcLocks(await readFile('/proc/locks', 'utf8'));
  } catch {
    return null;
  }
}

/** Whether `path` (or its -shm, which WAL connections lock while open) is in `held`; by stat only. */
export async function isHeld(path: string, held: Set<FileKey>): Promise<boolean> {
  for (const candidate of [path, `${path}-shm`]) {
    const stats = await stat(candidate, { bigint: true }).catch(() => undefined);
    if (stats?.isFile() && held.has(fileKeyOf(stats.dev, stats.ino))) return true;
  }
  return false;
}
