/**
 * Where well-known apps keep their SQLite databases on Linux, macOS and Windows, and how
 * to tell their profiles' readable names. Each app turns the user's folders into the
 * database files it may have; discover.ts then looks at each.
 */
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import { listEntries, listFolders, readText } from './quiet-files.ts';

/** The user's folders as the environment names them, with each platform's defaults filled in. */
export interface UserFolders {
  platform: 'linux' | 'darwin' | 'win32';
  home: string;
  /** Linux: XDG_CONFIG_HOME or ~/.config. */
  config: string;
  /** Linux: XDG_DATA_HOME or ~/.local/share. */
  data: string;
  /** macOS: ~/Library/Application Support. */
  appSupport: string;
  /** Windows: APPDATA (roaming) and LOCALAPPDATA. */
  appData: string;
  localAppData: string;
}

/** A file where an app keeps a database. */
export interface Candidate {
  app: string;
  profile: string | null;
  path: string;
  /** Set when the app encrypts this file: the line that tells the user it is added with its key, or without it for raw copies. */
  encrypted?: string;
  /** Found by searching a folder rather than by a known name: left out quietly unless it is SQLite. */
  searched?: boolean;
}

/** Folders that only hold caches or throwaway files; nothing under them is worth a backup. */
const THROWAWAY = /^(cache|caches|cache2|cachestorage|code cache|gpucache|dawncache|grshadercache|shadercache|service worker|crashpad|crash reports|storage|tmp|temp|\.tmp|logs?)$/i;

/** True when `path` lies under a cache or temporary folder below `root`. */
export function isThrowaway(root: string, path: string): boolean {
  return relative(root, path)
    .split(sep)
    .slice(0, -1)
    .some((segment) => THROWAWAY.test(segment));
}

/** The folder names under `root` that look like profiles, with their readable names. */
type ProfileList = Array<{ dir: string; name: string }>;

const MOZILLA_FILES = ['places.sqlite', 'cookies.sqlite', 'formhistory.sqlite', 'permissions.sqlite', 'favicons.sqlite', 'content-prefs.sqlite'];
const THUNDERBIRD_FILES = [...MOZILLA_FILES, 'global-messages-db.sqlite', 'abook.sqlite', 'history.sqlite'];
const CHROMIUM_FILES = ['History', 'Cookies', join('Network', 'Cookies'), 'Favicons', 'Web Data', 'Login Data', 'Top Sites', 'Shortcuts'];

/** The profiles a Mozilla app's profiles.ini lists, plus any profile folder beside it that it does not. */
async function mozillaProfiles(root: string, subfolder: string | null): Promise<ProfileList> {
  const profiles: ProfileList = [];
  const seen = new Set<string>();
  const ini = await readText(join(root, 'profiles.ini'), 256 * 1024);
  if (ini) {
    for (const section of parseIni(ini)) {
      if (!/^Profile\d+$/i.test(section.name) || !section.values.Path) continue;
      const path = section.values.Path.replaceAll('/', sep).replaceAll('\\', sep);
      const dir = section.values.IsRelative === '0' && isAbsolute(path) ? path : join(root, path);
      if (seen.has(dir)) continue;
      seen.add(dir);
      profiles.push({ dir, name: section.values.Name || mozillaFolderName(dir) });
    }
  }
  const parent = subfolder ? join(root, subfolder) : root;
  for (const name of await listFolders(parent)) {
    const dir = join(parent, name);
    if (seen.has(dir) || THROWAWAY.test(name) || /^(crash reports|pending pings|profile groups)$/i.test(name)) continue;
    seen.add(dir);
    profiles.push({ dir, name: mozillaFolderName(dir) });
  }
  return profiles;
}

/** "abcd1234.default-release" is the profile "default-release". */
function mozillaFolderName(dir: string): string {
  return basename(dir).replace(/^[a-z0-9]{8}\./i, '');
}

/** Sections of an INI file with their key=value pairs. */
export function parseIni(text: string): Array<{ name: string; values: Record<string, string> }> {
  const sections: Array<{ name: string; values: Record<string, string> }> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) sections.push({ name: header[1]!, values: {} });
    else if (sections.length > 0 && line.includes('=') && !line.startsWith(';') && !line.startsWith('#')) {
      const at = line.indexOf('=');
      sections.at(-1)!.values[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return sections;
}

async function mozillaApp(app: string, roots: Array<{ root: string; subfolder: string | null }>, files: string[]): Promise<Candidate[]> {
  const found: Candidate[] = [];
  for (const { root, subfolder } of roots) {
    for (const profile of await mozillaProfiles(root, subfolder)) {
      for (const file of files) found.push({ app, profile: profile.name, path: join(profile.dir, file) });
    }
  }
  return found;
}

/** Chromium-family profiles: `Default` and `Profile N`, named as the browser's Local State names them. */
async function chromiumApp(app: string, root: string): Promise<Candidate[]> {
  const names = new Map<string, string>();
  const localState = await readText(join(root, 'Local State'));
  if (localState) {
    try {
      const cache = (JSON.parse(localState) as { profile?: { info_cache?: Record<string, { name?: unknown }> } }).profile?.info_cache ?? {};
      for (const [dir, info] of Object.entries(cache)) if (typeof info?.name === 'string' && info.name.trim()) names.set(dir, info.name.trim());
    } catch {
      // A Local State the browser is rewriting: the folder names will do.
    }
  }
  const found: Candidate[] = [];
  for (const dir of await listFolders(root)) {
    if (dir !== 'Default' && !/^Profile \d+$/.test(dir)) continue;
    for (const file of CHROMIUM_FILES) found.push({ app, profile: names.get(dir) ?? dir, path: join(root, dir, file) });
  }
  return found;
}

/** Zotero's data folder: ~/Zotero, or the one its profile's prefs.js names. */
async function zoteroApp(folders: UserFolders): Promise<Candidate[]> {
  const profileRoot = {
    linux: join(folders.home, '.zotero', 'zotero'),
    darwin: join(folders.appSupport, 'Zotero', 'Profiles'),
    win32: join(folders.appData, 'Zotero', 'Zotero', 'Profiles'),
  }[folders.platform];
  const dataDirs = new Set([join(folders.home, 'Zotero')]);
  for (const profile of await listFolders(profileRoot)) {
    const prefs = await readText(join(profileRoot, profile, 'prefs.js'));
    const match = prefs && /user_pref\(\s*"extensions\.zotero\.dataDir"\s*,\s*("(?:[^"\\]|\\.)*")\s*\)/.exec(prefs);
    if (!match) continue;
    try {
      const dir = JSON.parse(match[1]!) as string;
      if (dir && isAbsolute(dir)) dataDirs.add(dir);
    } catch {
      // An unreadable preference: the default folder stays.
    }
  }
  return [...dataDirs].flatMap((dir) => [
    { app: 'Zotero', profile: null, path: join(dir, 'zotero.sqlite') },
    { app: 'Zotero', profile: null, path: join(dir, 'better-bibtex.sqlite') },
  ]);
}

async function ankiApp(folders: UserFolders): Promise<Candidate[]> {
  const root = join({ linux: folders.data, darwin: folders.appSupport, win32: folders.appData }[folders.platform], 'Anki2');
  const found: Candidate[] = [];
  for (const profile of await listFolders(root)) {
    if (profile === 'addons21' || THROWAWAY.test(profile)) continue;
    found.push({ app: 'Anki', profile, path: join(root, profile, 'collection.anki2') });
  }
  return found;
}

/** ~/Calibre Library and the libraries calibre's settings have used. */
async function calibreApp(folders: UserFolders): Promise<Candidate[]> {
  const config = { linux: join(folders.config, 'calibre'), darwin: join(folders.home, 'Library', 'Preferences', 'calibre'), win32: join(folders.appData, 'calibre') }[folders.platform];
  const libraries = new Set([join(folders.home, 'Calibre Library')]);
  for (const file of ['global.py.json', 'gui.json']) {
    const text = await readText(join(config, file));
    if (!text) continue;
    try {
      const settings = JSON.parse(text) as { library_path?: unknown; library_usage_stats?: unknown };
      if (typeof settings.library_path === 'string') libraries.add(settings.library_path);
      if (settings.library_usage_stats && typeof settings.library_usage_stats === 'object') for (const path of Object.keys(settings.library_usage_stats)) libraries.add(path);
    } catch {
      // Not JSON (being rewritten): the default library stays.
    }
  }
  return [...libraries].filter((dir) => isAbsolute(dir)).map((dir) => ({ app: 'Calibre', profile: basename(dir), path: join(dir, 'metadata.db') }));
}

/** SQLite files DBeaver keeps in its workspace (its sample database, local connections' files), a few levels deep. */
async function dbeaverApp(folders: UserFolders): Promise<Candidate[]> {
  const root = join({ linux: folders.data, darwin: join(folders.home, 'Library'), win32: folders.appData }[folders.platform], 'DBeaverData', 'workspace6');
  const found: Candidate[] = [];
  let budget = 2000; // entries looked at, so a huge workspace cannot make a scan endless
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await listEntries(dir)) {
      if ((budget -= 1) < 0) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 5 && !THROWAWAY.test(entry.name) && entry.name !== '.plugins') await walk(path, depth + 1);
      } else if (entry.isFile() && /\.(db|sqlite|sqlite3|db3)$/i.test(entry.name)) {
        found.push({ app: 'DBeaver', profile: null, path, searched: true });
      }
    }
  };
  await walk(root, 0);
  return found;
}

const SIGNAL_NOTE = 'Signal encrypts this database (SQLCipher 4). Add it with its key (Signal keeps it in its config.json, or sealed in the system keychain), or without it: its backups are then raw copies that Pagevault cannot check inside.';

/** Every known app's candidate files under `folders`. */
export async function knownAppCandidates(folders: UserFolders): Promise<Candidate[]> {
  const { platform, home, config, appSupport, appData, localAppData } = folders;
  const byPlatform = <T>(choice: Record<UserFolders['platform'], T>): T => choice[platform];
  const firefoxRoots = byPlatform({
    linux: [
      { root: join(home, '.mozilla', 'firefox'), subfolder: null },
      { root: join(config, 'mozilla', 'firefox'), subfolder: null },
      { root: join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'), subfolder: null },
      { root: join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'), subfolder: null },
    ],
    darwin: [{ root: join(appSupport, 'Firefox'), subfolder: 'Profiles' }],
    win32: [{ root: join(appData, 'Mozilla', 'Firefox'), subfolder: 'Profiles' }],
  });
  const thunderbirdRoots = byPlatform({
    linux: [
      { root: join(home, '.thunderbird'), subfolder: null },
      { root: join(home, '.var', 'app', 'org.mozilla.Thunderbird', '.thunderbird'), subfolder: null },
    ],
    darwin: [{ root: join(home, 'Library', 'Thunderbird'), subfolder: 'Profiles' }],
    win32: [{ root: join(appData, 'Thunderbird'), subfolder: 'Profiles' }],
  });
  const chromiumRoots: Array<[string, string]> = byPlatform({
    linux: [
      ['Chromium', join(config, 'chromium')],
      ['Google Chrome', join(config, 'google-chrome')],
      ['Microsoft Edge', join(config, 'microsoft-edge')],
      ['Brave', join(config, 'BraveSoftware', 'Brave-Browser')],
    ],
    darwin: [
      ['Chromium', join(appSupport, 'Chromium')],
      ['Google Chrome', join(appSupport, 'Google', 'Chrome')],
      ['Microsoft Edge', join(appSupport, 'Microsoft Edge')],
      ['Brave', join(appSupport, 'BraveSoftware', 'Brave-Browser')],
    ],
    win32: [
      ['Chromium', join(localAppData, 'Chromium', 'User Data')],
      ['Google Chrome', join(localAppData, 'Google', 'Chrome', 'User Data')],
      ['Microsoft Edge', join(localAppData, 'Microsoft', 'Edge', 'User Data')],
      ['Brave', join(localAppData, 'BraveSoftware', 'Brave-Browser', 'User Data')],
    ],
  });
  // Electron apps keep their data in the same place: ~/.config, Application Support, APPDATA.
  const electronData = byPlatform({ linux: config, darwin: appSupport, win32: appData });
  const single: Candidate[] = [
    // Joplin uses ~/.config on every platform.
    { app: 'Joplin', profile: null, path: join(home, '.config', 'joplin-desktop', 'database.sqlite') },
    { app: 'VS Code', profile: null, path: join(electronData, 'Code', 'User', 'globalStorage', 'state.vscdb') },
    { app: 'VSCodium', profile: null, path: join(electronData, 'VSCodium', 'User', 'globalStorage', 'state.vscdb') },
    { app: 'Signal', profile: null, path: join(electronData, 'Signal', 'sql', 'db.sqlite'), encrypted: SIGNAL_NOTE },
  ];
  const groups = await Promise.all([
    mozillaApp('Firefox', firefoxRoots, MOZILLA_FILES),
    mozillaApp('Thunderbird', thunderbirdRoots, THUNDERBIRD_FILES),
    ...chromiumRoots.map(([app, root]) => chromiumApp(app, root)),
    zoteroApp(folders),
    ankiApp(folders),
    calibreApp(folders),
    dbeaverApp(folders),
  ]);
  return [...groups.flat(), ...single];
}
