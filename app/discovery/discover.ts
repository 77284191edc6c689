/**
 * `discoverDatabases`: finds the SQLite databases of well-known apps under the user's home
 * folder. Only looks: every file is read with a plain non-blocking read of its first 100
 * bytes (never a SQLite connection), so discovery takes no lock, creates no -shm or
 * -journal and changes no mode, even on the files of an app that runs right now.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { DiscoveredDatabase, DiscoveryResult, JournalMode } from '../api/types.ts';
import { isHeld, readHeldFiles } from './held-files.ts';
import { isThrowaway, knownAppCandidates, type Candidate, type UserFolders } from './known-apps.ts';
import { readHead } from './quiet-files.ts';

/** What discovery may be told instead of the real machine, so tests can point it at a made-up home folder and platform. */
export interface DiscoveryOptions {
  /** Where the user's folders are named (HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, APPDATA, LOCALAPPDATA); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Whose layout to search; process.platform by default. */
  platform?: NodeJS.Platform;
  /**
   * Databases already in Pagevault, by real path, with the journal mode the catalog knows.
   * Those are not opened at all: closing a descriptor of a file drops every lock this
   * process holds on it, and a backup of it may be running here.
   */
  registered?: ReadonlyMap<string, JournalMode>;
  /** How many files are looked at at once (default 8). */
  concurrency?: number;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const LABEL_LENGTH = 80;

/** The user's folders from `env`, with each platform's defaults; INVALID_REQUEST when no home folder is named. */
export function userFolders(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): UserFolders {
  const layout = platform === 'darwin' || platform === 'win32' ? platform : 'linux';
  const home = (layout === 'win32' ? env.USERPROFILE || env.HOME : env.HOME)?.trim();
  if (!home || !isAbsolute(home)) {
    const variable = layout === 'win32' ? 'USERPROFILE' : 'HOME';
    throw new PagevaultError('INVALID_REQUEST', `Cannot look for databases: the environment names no home folder (${variable} is ${home ? `'${home}', not a full path` : 'not set'})`);
  }
  const absolute = (value: string | undefined, fallback: string) => (value && isAbsolute(value) ? value : fallback);
  return {
    platform: layout,
    home,
    config: absolute(env.XDG_CONFIG_HOME, join(home, '.config')),
    data: absolute(env.XDG_DATA_HOME, join(home, '.local', 'share')),
    appSupport: join(home, 'Library', 'Application Support'),
    appData: absolute(env.APPDATA, join(home, 'AppData', 'Roaming')),
    localAppData: absolute(env.LOCALAPPDATA, join(home, 'AppData', 'Local')),
  };
}

/** "Firefox · default-release · places", at most as long as a label may be. */
export function suggestedLabel(app: string, profile: string | null, path: string): string {
  const file = basename(path, extname(path)) || basename(path);
  const label = [app, profile, file].filter(Boolean).join(' · ');
  return label.length <= LABEL_LENGTH ? label : `${label.slice(0, LABEL_LENGTH - 1)}…`;
}

/** Looks for the databases of well-known apps; what it found, sorted by app, profile and file. */
export async function discoverDatabases(options: DiscoveryOptions = {}): Promise<DiscoveryResult> {
  const platform = options.platform ?? process.platform;
  const folders = userFolders(options.env ?? process.env, platform);
  const registered = options.registered ?? new Map<string, JournalMode>();
  const [candidates, held] = await Promise.all([knownAppCandidates(folders), readHeldFiles(platform)]);

  const seen = new Set<string>();
  const unique = candidates.filter((candidate) => {
    if (seen.has(candidate.path)) return false;
    seen.add(candidate.path);
    const inside = relative(folders.home, candidate.path);
    return inside.startsWith('..') || isAbsolute(inside) || !isThrowaway(folders.home, candidate.path);
  });

  const databases: DiscoveredDatabase[] = [];
  const skipped: DiscoveryResult['skipped'] = [];
  await eachLimited(unique, options.concurrency ?? 8, async (candidate) => {
    const outcome = await look(candidate, registered, held);
    if (outcome === undefined) return;
    if ('reason' in outcome) skipped.push(outcome);
    else databases.push(outcome);
  });

  // Two names for one file (a profile listed twice, a symbolic link): the first one stays.
  const byRealPath = new Map<string, DiscoveredDatabase>();
  for (const found of databases.sort(compare)) {
    const real = await realpath(found.path).catch(() => found.path);
    if (!byRealPath.has(real)) byRealPath.set(real, found);
  }
  return {
    home: folders.home,
    platform: folders.platform,
    heldKnown: held !== null,
    databases: [...byRealPath.values()],
    skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)),
  };
}

async function look(candidate: Candidate, registered: ReadonlyMap<string, JournalMode>, held: Set<string> | null): Promise<DiscoveredDatabase | { path: string; reason: string } | undefined> {
  const { app, profile, path } = candidate;
  const base = { app, profile, path, suggestedLabel: suggestedLabel(app, profile, path), note: null };
  const heldNow = async () => (held === null ? null : isHeld(path, held));
  // Missing is the usual case (most apps are not installed); a folder on the way that
  // cannot be read is passed over as quietly. A file that is there but unreadable is said.
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return undefined;
  const known = registered.get(real);
  if (known !== undefined) {
    const stats = await stat(real).catch(() => undefined);
    if (!stats?.isFile()) return undefined;
    // An encrypted file added (with its key or without) is still shown as encrypted.
    return { ...base, sizeBytes: stats.size, format: candidate.encrypted ? 'encrypted' : 'sqlite', journal: known === 'wal' ? 'wal' : 'rollback', held: await heldNow(), registered: true };
  }
  const head = await readHead(path, 100);
  if (head.ok === 'missing') return undefined;
  if (head.ok === false) return candidate.searched ? undefined : { path, reason: head.reason };
  const isSqlite = head.bytes.length >= 100 && head.bytes.subarray(0, 16).equals(SQLITE_MAGIC);
  if (isSqlite) {
    const wal = head.bytes[18] === 2 && head.bytes[19] === 2;
    return { ...base, sizeBytes: head.size, format: 'sqlite', journal: wal ? 'wal' : 'rollback', held: await heldNow(), registered: false };
  }
  if (candidate.encrypted && head.size > 0) {
    return { ...base, sizeBytes: head.size, format: 'encrypted', journal: null, held: await heldNow(), registered: false, note: candidate.encrypted };
  }
  if (candidate.searched) return undefined;
  return { path, reason: head.size === 0 ? 'the file is empty' : head.size < 100 ? 'the file is too short to be a SQLite database' : 'not a SQLite database (its header is not "SQLite format 3")' };
}

const compare = (a: DiscoveredDatabase, b: DiscoveredDatabase) => a.app.localeCompare(b.app) || (a.profile ?? '').localeCompare(b.profile ?? '') || a.path.localeCompare(b.path);

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await work(items[(next += 1) - 1]!);
  });
  await Promise.all(lanes);
}
