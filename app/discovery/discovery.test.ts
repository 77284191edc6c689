// Discovery against fake home folders holding real SQLite files where each app keeps
// them, on each platform's layout; real processes holding locks; a real Chromium.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { discoverDatabases, fileKeyOf, parseProcLocks } from './index.ts';
import type { DiscoveryResult, JournalMode } from '../api/types.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-discovery-'));
afterAll(() => {
  chmodAll(root);
  rmSync(root, { recursive: true, force: true });
});
const isRoot = process.getuid?.() === 0;
let n = 0;
const freshHome = () => {
  const dir = join(root, `home-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};

/** A real SQLite database at `path` (its folders made), in WAL or rollback-journal mode. */
function sqlite(path: string, journal: 'wal' | 'delete' = 'wal'): string {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma(`journal_mode = ${journal}`);
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  if (journal === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return path;
}
function file(path: string, content: string | Buffer): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}
function chmodAll(dir: string) {
  try {
    chmodSync(dir, 0o755);
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) chmodAll(join(dir, entry.name));
  } catch {
    // Already gone.
  }
}

/** Every file under `dir` with its mode, size and change time: what discovery must leave as it was. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const stats = lstatSync(path);
      out[relative(dir, path)] = `${stats.mode.toString(8)} ${stats.size} ${stats.mtimeMs} ${stats.ctimeMs}`;
      if (entry.isDirectory() && !entry.isSymbolicLink()) {
        try {
          walk(path);
        } catch {
          // An unreadable folder is part of the test.
        }
      }
    }
  };
  walk(dir);
  return out;
}

/** What the tests compare: one line per database found, with paths relative to the home. */
const rows = (result: DiscoveryResult, home: string) =>
  result.databases.map((d) => `${d.suggestedLabel} | ${relative(home, d.path)} | ${d.format} ${d.journal ?? '-'}${d.registered ? ' registered' : ''}`).sort();

describe('discovery on a Linux home', () => {
  const home = freshHome();
  const ff = join(home, '.mozilla', 'firefox');
  file(join(ff, 'profiles.ini'), '[General]\nStartWithLastProfile=1\n\n[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\nDefault=1\n\n[Install4F96D1932A9F858E]\nDefault=abcd1234.default-release\n');
  sqlite(join(ff, 'abcd1234.default-release', 'places.sqlite'));
  sqlite(join(ff, 'abcd1234.default-release', 'cookies.sqlite'));
  sqlite(join(ff, 'abcd1234.default-release', 'formhistory.sqlite'), 'delete');
  file(join(ff, 'abcd1234.default-release', 'places.sqlite-wal'), 'a leftover');
  sqlite(join(ff, 'abcd1234.default-release', 'storage', 'default', 'https+++example.org', 'ls', 'data.sqlite'));
  sqlite(join(ff, 'abcd1234.default-release', 'cache2', 'places.sqlite'));
  // Not listed in profiles.ini, and its places.sqlite is not SQLite at all.
  file(join(ff, 'wxyz9876.dev-edition', 'places.sqlite'), 'these are not the bookmarks you are looking for, just text long enough to be read as a header '.repeat(3));
  // Thunderbird with an absolute profile path.
  file(join(home, '.thunderbird', 'profiles.ini'), `[Profile0]\nName=work mail\nIsRelative=0\nPath=${join(home, 'Mail', 'tb-work')}\n`);
  sqlite(join(home, 'Mail', 'tb-work', 'global-messages-db.sqlite'));
  sqlite(join(home, 'Mail', 'tb-work', 'abook.sqlite'), 'delete');
  // Chromium: Local State names the profiles; caches and service workers are left out.
  const chromium = join(home, '.config', 'chromium');
  file(join(chromium, 'Local State'), JSON.stringify({ profile: { info_cache: { Default: { name: 'Ana' }, 'Profile 1': { name: 'Work' } } } }));
  sqlite(join(chromium, 'Default', 'History'), 'delete');
  sqlite(join(chromium, 'Default', 'Network', 'Cookies'), 'delete');
  sqlite(join(chromium, 'Default', 'Cache', 'Cache_Data', 'History'));
  sqlite(join(chromium, 'Default', 'Service Worker', 'Database', 'History'));
  sqlite(join(chromium, 'Profile 1', 'Web Data'), 'delete');
  sqlite(join(chromium, 'System Profile', 'History'), 'delete');
  execFileSync('mkfifo', [join(chromium, 'Profile 1', 'History')]);
  // An unreadable folder (for anyone but root) and a folder that loops.
  sqlite(join(home, '.config', 'google-chrome', 'Default', 'History'));
  chmodSync(join(home, '.config', 'google-chrome'), 0o000);
  symlinkSync(join(home, '.config', 'microsoft-edge'), join(home, '.config', 'microsoft-edge'));
  // Zotero in ~/Zotero, and a second data folder its prefs.js names.
  const zotero = sqlite(join(home, 'Zotero', 'zotero.sqlite'));
  file(join(home, '.zotero', 'zotero', 'x1y2z3.default', 'prefs.js'), `user_pref("extensions.zotero.useDataDir", true);\nuser_pref("extensions.zotero.dataDir", ${JSON.stringify(join(home, 'Research', 'Zotero data'))});\n`);
  sqlite(join(home, 'Research', 'Zotero data', 'zotero.sqlite'));
  sqlite(join(home, '.local', 'share', 'Anki2', 'User 1', 'collection.anki2'));
  sqlite(join(home, '.local', 'share', 'Anki2', 'addons21', 'collection.anki2'));
  sqlite(join(home, 'Calibre Library', 'metadata.db'), 'delete');
  file(join(home, '.config', 'calibre', 'gui.json'), JSON.stringify({ library_usage_stats: { [join(home, 'Books', 'Fiction')]: 3 } }));
  sqlite(join(home, 'Books', 'Fiction', 'metadata.db'), 'delete');
  sqlite(join(home, '.config', 'joplin-desktop', 'database.sqlite'));
  const dbeaver = join(home, '.local', 'share', 'DBeaverData', 'workspace6');
  sqlite(join(dbeaver, '.metadata', 'sample-database-sqlite-1', 'Chinook.db'), 'delete');
  sqlite(join(dbeaver, '.metadata', 'tmp', 'scratch.db'));
  file(join(dbeaver, 'General', 'notes.db'), 'not SQLite, and DBeaver did not say it was');
  sqlite(join(home, '.config', 'Code', 'User', 'globalStorage', 'state.vscdb'));
  file(join(home, '.config', 'Signal', 'sql', 'db.sqlite'), Buffer.alloc(8192, 0xa7));

  const env = { HOME: home };
  const registered = new Map<string, JournalMode>([[zotero, 'wal']]);

  it('finds each app\u2019s databases with readable names, and nothing from caches', async () => {
    const before = snapshot(home);
    const result = await discoverDatabases({ env, platform: 'linux', registered });
    expect(rows(result, home)).toEqual([
      'Anki · User 1 · collection | .local/share/Anki2/User 1/collection.anki2 | sqlite wal',
      'Calibre · Fiction · metadata | Books/Fiction/metadata.db | sqlite rollback',
      'Calibre · Calibre Library · metadata | Calibre Library/metadata.db | sqlite rollback',
      'Chromium · Ana · Cookies | .config/chromium/Default/Network/Cookies | sqlite rollback',
      'Chromium · Ana · History | .config/chromium/Default/History | sqlite rollback',
      'Chromium · Work · Web Data | .config/chromium/Profile 1/Web Data | sqlite rollback',
      'DBeaver · Chinook | .local/share/DBeaverData/workspace6/.metadata/sample-database-sqlite-1/Chinook.db | sqlite rollback',
      'Firefox · default-release · cookies | .mozilla/firefox/abcd1234.default-release/cookies.sqlite | sqlite wal',
      'Firefox · default-release · formhistory | .mozilla/firefox/abcd1234.default-release/formhistory.sqlite | sqlite rollback',
      'Firefox · default-release · places | .mozilla/firefox/abcd1234.default-release/places.sqlite | sqlite wal',
      // Root reads the folder whatever its mode says.
      'Google Chrome · Default · History | .config/google-chrome/Default/History | sqlite wal',
      'Joplin · database | .config/joplin-desktop/database.sqlite | sqlite wal',
      'Signal · db | .config/Signal/sql/db.sqlite | encrypted -',
      'Thunderbird · work mail · abook | Mail/tb-work/abook.sqlite | sqlite rollback',
      'Thunderbird · work mail · global-messages-db | Mail/tb-work/global-messages-db.sqlite | sqlite wal',
      'VS Code · state | .config/Code/User/globalStorage/state.vscdb | sqlite wal',
      'Zotero · zotero | Research/Zotero data/zotero.sqlite | sqlite wal',
      'Zotero · zotero | Zotero/zotero.sqlite | sqlite wal registered',
    ].filter((line) => isRoot || !line.startsWith('Google Chrome')).sort());
    expect(result.skipped.map((s) => `${relative(home, s.path)}: ${s.reason}`)).toEqual([
      '.config/chromium/Profile 1/History: it is a named pipe (FIFO), not a database file',
      '.mozilla/firefox/wxyz9876.dev-edition/places.sqlite: not a SQLite database (its header is not "SQLite format 3")',
    ]);
    const signal = result.databases.find((d) => d.app === 'Signal')!;
    expect(signal.note).toMatch(/encrypts this database \(SQLCipher 4\)\. Add it with its key .* or without it: its backups are then raw copies/);
    expect(result.databases.find((d) => d.app === 'Firefox')!.sizeBytes).toBeGreaterThan(0);
    expect(result.heldKnown).toBe(true);
    expect(result.databases.every((d) => d.held === false)).toBe(true);
    // Discovery only looked: no file made, no mode or content changed.
    expect(snapshot(home)).toEqual(before);
  });

  it('skips a folder it cannot read quietly', async (ctx) => {
    if (isRoot) ctx.skip('root reads a mode 000 folder all the same (the folder that loops covers root)');
    const result = await discoverDatabases({ env, platform: 'linux' });
    expect(result.skipped.some((s) => s.path.includes('google-chrome'))).toBe(false);
    expect(result.databases.some((d) => d.app === 'Google Chrome')).toBe(false);
    expect(result.databases.length).toBeGreaterThan(10);
  });

  it('refuses an environment that names no home folder, clearly', async () => {
    await expect(discoverDatabases({ env: {}, platform: 'linux' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'Cannot look for databases: the environment names no home folder (HOME is not set)' });
    await expect(discoverDatabases({ env: { HOME: 'relative/home' }, platform: 'darwin' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('discovery on macOS and Windows layouts', () => {
  it('finds the same apps where macOS keeps them', async () => {
    const home = freshHome();
    const support = join(home, 'Library', 'Application Support');
    file(join(support, 'Firefox', 'profiles.ini'), '[Profile0]\nName=default-release\nIsRelative=1\nPath=Profiles/q1w2e3r4.default-release\n');
    sqlite(join(support, 'Firefox', 'Profiles', 'q1w2e3r4.default-release', 'places.sqlite'));
    sqlite(join(support, 'Firefox', 'Profiles', 'zz99zz99.old', 'favicons.sqlite'), 'delete');
    sqlite(join(home, 'Library', 'Thunderbird', 'Profiles', 'k2k2k2k2.default', 'global-messages-db.sqlite'));
    sqlite(join(support, 'Google', 'Chrome', 'Default', 'History'), 'delete');
    sqlite(join(support, 'BraveSoftware', 'Brave-Browser', 'Profile 3', 'Login Data'), 'delete');
    sqlite(join(support, 'Anki2', 'Ana', 'collection.anki2'));
    sqlite(join(support, 'Code', 'User', 'globalStorage', 'state.vscdb'));
    sqlite(join(home, 'Library', 'DBeaverData', 'workspace6', '.metadata', 'sample-database-sqlite-1', 'Chinook.db'), 'delete');
    file(join(support, 'Signal', 'sql', 'db.sqlite'), Buffer.alloc(4096, 0x5c));
    // A Linux folder on a Mac is not where a Mac app keeps anything.
    sqlite(join(home, '.config', 'chromium', 'Default', 'History'));
    const result = await discoverDatabases({ env: { HOME: home }, platform: 'darwin' });
    expect(rows(result, home)).toEqual(
      [
        'Anki · Ana · collection | Library/Application Support/Anki2/Ana/collection.anki2 | sqlite wal',
        'Brave · Profile 3 · Login Data | Library/Application Support/BraveSoftware/Brave-Browser/Profile 3/Login Data | sqlite rollback',
        'DBeaver · Chinook | Library/DBeaverData/workspace6/.metadata/sample-database-sqlite-1/Chinook.db | sqlite rollback',
        'Firefox · default-release · places | Library/Application Support/Firefox/Profiles/q1w2e3r4.default-release/places.sqlite | sqlite wal',
        'Firefox · old · favicons | Library/Application Support/Firefox/Profiles/zz99zz99.old/favicons.sqlite | sqlite rollback',
        'Google Chrome · Default · History | Library/Application Support/Google/Chrome/Default/History | sqlite rollback',
        'Signal · db | Library/Application Support/Signal/sql/db.sqlite | encrypted -',
        'Thunderbird · default · global-messages-db | Library/Thunderbird/Profiles/k2k2k2k2.default/global-messages-db.sqlite | sqlite wal',
        'VS Code · state | Library/Application Support/Code/User/globalStorage/state.vscdb | sqlite wal',
      ].sort(),
    );
    // Only Linux tells which files an app holds; elsewhere it is unknown, not "no".
    expect(result.heldKnown).toBe(false);
    expect(result.databases.every((d) => d.held === null)).toBe(true);
  });

  it('finds them under APPDATA and LOCALAPPDATA on Windows, wherever those point', async () => {
    const home = freshHome();
    const roaming = join(home, 'Roaming elsewhere');
    const local = join(home, 'Local elsewhere');
    file(join(roaming, 'Mozilla', 'Firefox', 'profiles.ini'), '[Profile1]\nName=Ana\nIsRelative=1\nPath=Profiles\\a1b2c3d4.default-release\n');
    sqlite(join(roaming, 'Mozilla', 'Firefox', 'Profiles', 'a1b2c3d4.default-release', 'permissions.sqlite'), 'delete');
    sqlite(join(roaming, 'Mozilla', 'Firefox', 'Profiles', 'a1b2c3d4.default-release', 'content-prefs.sqlite'));
    sqlite(join(roaming, 'Thunderbird', 'Profiles', 'm3m3m3m3.default-release', 'history.sqlite'));
    file(join(local, 'Microsoft', 'Edge', 'User Data', 'Local State'), JSON.stringify({ profile: { info_cache: { 'Profile 2': { name: 'School' } } } }));
    sqlite(join(local, 'Microsoft', 'Edge', 'User Data', 'Profile 2', 'Network', 'Cookies'), 'delete');
    sqlite(join(local, 'Microsoft', 'Edge', 'User Data', 'Profile 2', 'Top Sites'), 'delete');
    sqlite(join(local, 'Chromium', 'User Data', 'Default', 'Shortcuts'), 'delete');
    sqlite(join(roaming, 'Anki2', 'User 1', 'collection.anki2'));
    sqlite(join(roaming, 'Zotero', 'Zotero', 'Profiles', 'p.default', 'unused.sqlite'));
    file(join(roaming, 'Zotero', 'Zotero', 'Profiles', 'p.default', 'prefs.js'), `user_pref("extensions.zotero.dataDir", ${JSON.stringify(join(home, 'D', 'Zotero'))});\n`);
    sqlite(join(home, 'D', 'Zotero', 'zotero.sqlite'));
    file(join(roaming, 'calibre', 'global.py.json'), JSON.stringify({ library_path: join(home, 'Calibre Bibliothek') }));
    sqlite(join(home, 'Calibre Bibliothek', 'metadata.db'), 'delete');
    sqlite(join(home, '.config', 'joplin-desktop', 'database.sqlite'));
    sqlite(join(roaming, 'DBeaverData', 'workspace6', 'General', 'local.sqlite'));
    const result = await discoverDatabases({ env: { USERPROFILE: home, APPDATA: roaming, LOCALAPPDATA: local }, platform: 'win32' });
    expect(rows(result, home)).toEqual(
      [
        'Anki · User 1 · collection | Roaming elsewhere/Anki2/User 1/collection.anki2 | sqlite wal',
        'Calibre · Calibre Bibliothek · metadata | Calibre Bibliothek/metadata.db | sqlite rollback',
        'Chromium · Default · Shortcuts | Local elsewhere/Chromium/User Data/Default/Shortcuts | sqlite rollback',
        'DBeaver · local | Roaming elsewhere/DBeaverData/workspace6/General/local.sqlite | sqlite wal',
        'Firefox · Ana · content-prefs | Roaming elsewhere/Mozilla/Firefox/Profiles/a1b2c3d4.default-release/content-prefs.sqlite | sqlite wal',
        'Firefox · Ana · permissions | Roaming elsewhere/Mozilla/Firefox/Profiles/a1b2c3d4.default-release/permissions.sqlite | sqlite rollback',
        'Joplin · database | .config/joplin-desktop/database.sqlite | sqlite wal',
        'Microsoft Edge · School · Cookies | Local elsewhere/Microsoft/Edge/User Data/Profile 2/Network/Cookies | sqlite rollback',
        'Microsoft Edge · School · Top Sites | Local elsewhere/Microsoft/Edge/User Data/Profile 2/Top Sites | sqlite rollback',
        'Thunderbird · default-release · history | Roaming elsewhere/Thunderbird/Profiles/m3m3m3m3.default-release/history.sqlite | sqlite wal',
        'Zotero · zotero | D/Zotero/zotero.sqlite | sqlite wal',
      ].sort(),
    );
  });
});

/** A separate Python process that holds `path` with locking_mode=EXCLUSIVE (as Zotero and Anki do) until told to let go. */
function holdWithPython(path: string): Promise<{ release(): Promise<void>; child: ChildProcess }> {
  const script = [
    'import sqlite3, sys',
    'db = sqlite3.connect(sys.argv[1], isolation_level=None)',
    "db.execute('PRAGMA locking_mode=EXCLUSIVE')",
    "db.execute('BEGIN IMMEDIATE'); db.execute('INSERT INTO t VALUES (2)'); db.execute('COMMIT')",
    "print('ready', flush=True)",
    'sys.stdin.readline()',
    "db.close(); print('released', flush=True)",
    'sys.stdin.readline()',
  ].join('\n');
  const child = spawn('python3', ['-c', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes(`${word}\n`)) resolve();
      };
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        check();
      });
      child.once('exit', (code) => reject(new Error(`python3 exited with ${code} before '${word}': ${output}`)));
      check();
    });
  return said('ready').then(() => ({
    child,
    release: () => {
      const released = said('released');
      child.stdin!.write('\n');
      return released;
    },
  }));
}

describe('whether an app holds a database now', () => {
  it('reads /proc/locks: devices in hex, inodes in decimal, waiting requests left out', () => {
    const held = parseProcLocks('1: POSIX  ADVISORY  WRITE 10136 fe:00:4245797 0 EOF\n2: FLOCK  ADVISORY  WRITE 77 103:2a:12 0 EOF\n2: -> FLOCK  ADVISORY  WRITE 78 08:01:99 0 EOF\n3: OFDLCK ADVISORY  READ  -1 00:2c:7 1073741826 1073742335\n');
    expect([...held]).toEqual(['254:0:4245797', '259:42:12', '0:44:7']);
    // glibc's dev_t: major 259, minor 42 → 0x1032a; a large minor spills into the high bits.
    expect(fileKeyOf(0x1032an, 12n)).toBe('259:42:12');
    expect(fileKeyOf((0x100n << 12n) | (1n << 8n) | 0x05n, 3n)).toBe('1:261:3');
  });

  it.skipIf(process.platform !== 'linux')('a database another process holds exclusively is held; once it lets go, it is not', async () => {
    const home = freshHome();
    const places = sqlite(join(home, '.mozilla', 'firefox', 'a.default', 'places.sqlite'));
    const collection = sqlite(join(home, '.local', 'share', 'Anki2', 'Ana', 'collection.anki2'), 'delete');
    const holder = await holdWithPython(collection);
    const walHolder = await holdWithPython(places);
    try {
      const before = snapshot(home);
      const heldOf = async () => {
        const result = await discoverDatabases({ env: { HOME: home }, platform: 'linux' });
        return Object.fromEntries(result.databases.map((d) => [d.app, d.held]));
      };
      expect(await heldOf()).toEqual({ Anki: true, Firefox: true });
      // Looking took no lock and made no file: the holder still has both to itself.
      expect(snapshot(home)).toEqual(before);
      await holder.release();
      expect(await heldOf()).toEqual({ Anki: false, Firefox: true });
      await walHolder.release();
      expect(await heldOf()).toEqual({ Anki: false, Firefox: false });
    } finally {
      holder.child.kill();
      walHolder.child.kill();
    }
    expect(new Database(collection, { readonly: true }).prepare('SELECT count(*) FROM t').pluck().get()).toBe(2);
  });
});

const chromiumBinary = '/usr/bin/chromium';
if (!existsSync(chromiumBinary)) console.log(`Skipping the real Chromium profile test: ${chromiumBinary} is not installed (apt-get install chromium)`);

describe.skipIf(!existsSync(chromiumBinary))('a real Chromium profile', () => {
  it('is found under Chromium and its profile name, held while Chromium runs', async () => {
    const home = freshHome();
    const server = createServer((_request, response) => response.end('<title>Pagevault test page</title><p>visited</p>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const browser = spawn(
      chromiumBinary,
      ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${join(home, '.config', 'chromium')}`, `http://127.0.0.1:${port}/`],
      // Its own process group, so its helper processes end with it.
      { env: { ...process.env, HOME: home }, stdio: 'ignore', detached: true },
    );
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    try {
      const history = join(home, '.config', 'chromium', 'Default', 'History');
      await expect.poll(() => existsSync(history), { timeout: 60_000, interval: 100 }).toBe(true);
      const look = () => discoverDatabases({ env: { HOME: home }, platform: 'linux' });
      // Chromium opens its databases one by one as it starts: wait for History held and the cookie store made.
      const ready = async () => {
        const { databases } = await look();
        return (databases.find((d) => d.path === history)?.held ?? false) && databases.some((d) => /Cookies$/.test(d.path));
      };
      await expect.poll(ready, { timeout: 60_000, interval: 200 }).toBe(true);
      const result = await look();
      const found = result.databases.filter((d) => d.app === 'Chromium');
      const names = found.map((d) => relative(join(home, '.config', 'chromium'), d.path));
      expect(names).toContain(join('Default', 'History'));
      expect(names.some((name) => /Cookies$/.test(name))).toBe(true);
      for (const d of found) {
        expect(d.format).toBe('sqlite');
        expect(d.profile).toBeTruthy();
        expect(d.suggestedLabel).toBe(`Chromium · ${d.profile} · ${d.path.split('/').at(-1)}`);
      }
      // Nothing of Chromium's caches, whatever it made.
      expect(found.every((d) => !/Cache|Service Worker/.test(d.path))).toBe(true);
    } finally {
      process.kill(-browser.pid!, 'SIGKILL');
      await exited;
      server.close();
    }
  });
});
