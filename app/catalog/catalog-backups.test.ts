/**
 * A damaged catalog is never replaced: start-up refuses it, byte for byte unchanged, and
 * names the newest automatic catalog backup and the command that restores it. Automatic
 * backups come after a burst of writes, not on each, are kept five deep, owner-only.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { Core, defaultSettings } from '../core/core.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore } from '../../test-support/core-calls.ts';
import { startScript } from '../../test-support/processes.ts';
import { Catalog, CatalogBackups, listCatalogBackups, restoreCatalogBackup } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-catalog-backups-'));
let caseNumber = 0;
const newCase = () => {
  caseNumber += 1;
  const work = join(root, `case-${caseNumber}`);
  mkdirSync(work);
  return { work, dataDir: join(work, 'data'), catalog: join(work, 'data', 'catalog.sqlite') };
};
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A data folder whose catalog knows a database with a schedule and 300 history entries, closed cleanly. */
async function populated(): Promise<ReturnType<typeof newCase> & { databasePath: string }> {
  const c = newCase();
  const databasePath = join(c.work, 'chinook.sqlite');
  copyFileSync(chinookFixture, databasePath);
  const core = new Core({ dataDir: c.dataDir, shell: 'web' });
  const added = await callCore(core, 'databases.add', { path: databasePath });
  await callCore(core, 'schedules.set', { databaseId: added.id, schedule: { spec: { kind: 'daily', time: '18:30' }, enabled: true, skipIfUnchanged: true } });
  await core.close();
  // Enough history for the catalog to span many pages, as a catalog in use does.
  const db = new Database(c.catalog);
  const insert = db.prepare(
    "INSERT INTO backups (database_id, database_label, source, path, status, trigger, mode, started_at, verification, error_message) VALUES (?, 'chinook', ?, NULL, 'failed', 'manual', 'stepped', ?, 'skipped', ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < 300; i += 1) insert.run(added.id, databasePath, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), 'x'.repeat(400));
  })();
  db.close();
  // A clean shutdown of a core takes the automatic backup that restores all of this.
  const again = new Core({ dataDir: c.dataDir, shell: 'web' });
  await callCore(again, 'settings.update', { concurrency: 3 });
  await again.close();
  return { ...c, databasePath };
}

function startFailure(dataDir: string): PagevaultError {
  try {
    new Core({ dataDir, shell: 'web' });
  } catch (error) {
    return error as PagevaultError;
  }
  throw new Error('the core started on a damaged catalog');
}

const damages: Array<{ kind: string; damage: (catalog: string) => void; says: RegExp }> = [
  { kind: 'empty (0 bytes)', damage: (catalog) => writeFileSync(catalog, ''), says: /the file is empty \(0 bytes\)/ },
  { kind: 'not SQLite', damage: (catalog) => writeFileSync(catalog, 'this is not a database\n'.repeat(100)), says: /the file is not a SQLite database \(it starts with 'this is not a da', text\)/ },
  {
    kind: 'truncated',
    damage: (catalog) => truncateSync(catalog, Math.floor(statSync(catalog).size / 4096 / 2) * 4096),
    says: /the file is truncated: its header says \d+ pages of 4096 bytes \(\d+ bytes\), the file has \d+/,
  },
  {
    kind: 'partly corrupt (quick_check fails)',
    damage: (catalog) => {
      const db = new Database(catalog, { readonly: true });
      const root = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'backups_by_time'").pluck().get() as number;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.close();
      // Garbage over an index page and the table's last page; page 1 and the header stay sound.
      const fd = openSync(catalog, 'r+');
      for (const page of [root, pages]) writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, (page - 1) * 4096);
      closeSync(fd);
    },
    says: /the file is damaged: SQLite('s quick_check found| reports)/,
  },
];

describe('a damaged catalog', () => {
  for (const { kind, damage, says } of damages) {
    it(`${kind}: start-up is refused, the file is unchanged, and the newest catalog backup restores everything`, async () => {
      const c = await populated();
      const [newest] = listCatalogBackups(c.dataDir);
      expect(newest).toBeDefined();
      damage(c.catalog);
      const before = sha256(c.catalog);
      const entriesBefore = readdirSync(c.dataDir).sort();

      const error = startFailure(c.dataDir);
      expect(error).toBeInstanceOf(PagevaultError);
      expect(error.code).toBe('CATALOG_DAMAGED');
      expect(error.message).toMatch(says);
      expect(error.message).toContain(`Cannot open the Pagevault catalog ${c.catalog}: `);
      expect(error.message).toContain(`newest automatic catalog backup, ${newest!.path} (taken ${newest!.takenAt})`);
      expect(error.message).toContain(`pagevault catalog restore --data-dir ${c.dataDir}`);
      // Nothing was written: not the file, not a file beside it. A second try says the same.
      expect(sha256(c.catalog)).toBe(before);
      expect(readdirSync(c.dataDir).sort()).toEqual(entriesBefore);
      expect(startFailure(c.dataDir).code).toBe('CATALOG_DAMAGED');
      expect(sha256(c.catalog)).toBe(before);

      const restored = restoreCatalogBackup(c.dataDir);
      expect(restored.from).toBe(newest!.path);
      expect(restored.keptAs).toMatch(/catalog\.sqlite\.damaged-\d{8}-\d{6}$/);
      expect(sha256(restored.keptAs!)).toBe(before);
      const core = new Core({ dataDir: c.dataDir, shell: 'web' });
      try {
        const [database] = await callCore(core, 'databases.list', {});
        expect(database).toMatchObject({ path: c.databasePath, label: 'chinook' });
        expect((await callCore(core, 'history.list', {})).total).toBe(300);
        expect(await callCore(core, 'schedules.list', {})).toMatchObject([{ description: expect.stringContaining('18:30') }]);
        expect((await callCore(core, 'settings.get', {})).concurrency).toBe(3);
      } finally {
        await core.close();
      }
    });
  }

  it('a missing catalog whose automatic backups are there is not made anew: start-up says how to restore it', async () => {
    const c = await populated();
    const backupsBefore = readdirSync(join(c.dataDir, 'catalog-backups')).sort();
    rmSync(c.catalog);
    for (const suffix of ['-wal', '-shm']) rmSync(c.catalog + suffix, { force: true });
    const error = startFailure(c.dataDir);
    expect(error.code).toBe('CATALOG_DAMAGED');
    expect(error.message).toContain(`Cannot open the Pagevault catalog ${c.catalog}: the file is missing, yet ${join(c.dataDir, 'catalog-backups')} holds automatic backups of it`);
    expect(error.message).toContain(`pagevault catalog restore --data-dir ${c.dataDir}`);
    expect(existsSync(c.catalog)).toBe(false);
    expect(readdirSync(join(c.dataDir, 'catalog-backups')).sort()).toEqual(backupsBefore);
    expect(restoreCatalogBackup(c.dataDir).keptAs).toBeNull();
    const core = new Core({ dataDir: c.dataDir, shell: 'web' });
    try {
      expect((await callCore(core, 'history.list', {})).total).toBe(300);
    } finally {
      await core.close();
    }
  });

  it('without any catalog backup, says so and what to do instead', () => {
    const c = newCase();
    mkdirSync(c.dataDir);
    writeFileSync(c.catalog, '');
    const error = startFailure(c.dataDir);
    expect(error.code).toBe('CATALOG_DAMAGED');
    expect(error.message).toContain(`There is no automatic catalog backup in ${join(c.dataDir, 'catalog-backups')}; move the file away to start with an empty catalog`);
    expect(statSync(c.catalog).size).toBe(0);
  });
});

describe('restoring a catalog backup', () => {
  it('is refused while a Pagevault has the catalog open, and changes nothing', async () => {
    const c = await populated();
    const core = new Core({ dataDir: c.dataDir, shell: 'web' });
    try {
      const before = sha256(c.catalog);
      let error: PagevaultError | undefined;
      try {
        restoreCatalogBackup(c.dataDir);
      } catch (caught) {
        error = caught as PagevaultError;
      }
      expect(error?.code).toBe('CATALOG_BUSY');
      expect(error?.message).toContain(`Cannot restore the Pagevault catalog ${c.catalog} from ${listCatalogBackups(c.dataDir)[0]!.path}: the catalog is open in another program`);
      expect(sha256(c.catalog)).toBe(before);
      expect(readdirSync(c.dataDir).some((name) => name.includes('damaged'))).toBe(false);
    } finally {
      await core.close();
    }
  });

  it('verifies the backup first: a damaged one is refused and the catalog stays', async () => {
    const c = await populated();
    writeFileSync(c.catalog, '');
    const bad = join(c.work, 'catalog-20260101-000000.sqlite');
    writeFileSync(bad, 'SQLite format 3\0 but nothing after it');
    expect(() => restoreCatalogBackup(c.dataDir, { from: bad })).toThrow(/the file is truncated/);
    const other = join(c.work, 'other.sqlite');
    copyFileSync(chinookFixture, other);
    expect(() => restoreCatalogBackup(c.dataDir, { from: other })).toThrow(/it is a SQLite database but not a Pagevault catalog/);
    expect(statSync(c.catalog).size).toBe(0);
  });

  it('runs from the command line: pagevault catalog restore --data-dir DIR', async () => {
    const c = await populated();
    writeFileSync(c.catalog, 'garbage');
    const cli = join(import.meta.dirname, '..', 'cli', 'main.ts');
    const run = spawnSync(process.execPath, [cli, 'catalog', 'restore', '--data-dir', c.dataDir], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Restored the Pagevault catalog ${c.catalog} from ${listCatalogBackups(c.dataDir)[0]!.path}`);
    expect(run.stdout).toMatch(/the catalog it replaced is kept as .*catalog\.sqlite\.damaged-\d{8}-\d{6}/);
    const core = new Core({ dataDir: c.dataDir, shell: 'web' });
    expect(await callCore(core, 'databases.list', {})).toHaveLength(1);
    await core.close();
    const usage = spawnSync(process.execPath, [cli, 'catalog', 'mend', '--data-dir', c.dataDir], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });

  it('from the command line, is refused while a Pagevault holds the data folder, even one that has not opened the catalog yet', async () => {
    const c = await populated();
    writeFileSync(c.catalog, 'garbage');
    const holder = await startScript('./folder-holder.ts', [c.dataDir]);
    try {
      const cli = join(import.meta.dirname, '..', 'cli', 'main.ts');
      const run = spawnSync(process.execPath, [cli, 'catalog', 'restore', '--data-dir', c.dataDir], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Cannot restore the Pagevault catalog in ${c.dataDir}: the Pagevault desktop app (pid ${holder.child.pid}) is using it`);
      expect(run.stderr).toContain('[CATALOG_BUSY]');
      expect(readFileSync(c.catalog, 'utf8')).toBe('garbage');
      expect(readdirSync(c.dataDir).some((name) => name.includes('damaged'))).toBe(false);
    } finally {
      await holder.stop();
    }
  });
});

describe('automatic catalog backups', () => {
  it('come once a burst of writes has ended, not on every write, owner-only, five kept', async () => {
    const c = newCase();
    const catalog = new Catalog(c.dataDir, defaultSettings(c.dataDir));
    let now = Date.parse('2026-11-20T08:00:00Z');
    const backups = new CatalogBackups(catalog.connection, c.dataDir, { checkMs: 0, quietMs: 3000, maxDelayMs: 60_000, now: () => new Date(now) });
    const folder = join(c.dataDir, 'catalog-backups');
    // A new catalog has no backup yet: it gets one once quiet.
    now += 3000;
    await backups.check();
    expect(listCatalogBackups(c.dataDir)).toHaveLength(1);

    const burst = async (writes: number) => {
      for (let i = 0; i < writes; i += 1) {
        catalog.events.record('test', `write ${i}`);
        now += 1000;
        await backups.check();
      }
    };
    await burst(10);
    expect(listCatalogBackups(c.dataDir)).toHaveLength(1);
    now += 3000;
    await backups.check();
    expect(listCatalogBackups(c.dataDir)).toHaveLength(2);
    // Quiet again: nothing new to back up.
    now += 60_000;
    await backups.check();
    expect(listCatalogBackups(c.dataDir)).toHaveLength(2);
    // A catalog written every second for over a minute is backed up all the same.
    await burst(61);
    expect(listCatalogBackups(c.dataDir)).toHaveLength(3);

    for (let i = 0; i < 4; i += 1) {
      catalog.events.record('test', `more ${i}`);
      await backups.check();
      now += 3000;
      await backups.check();
      now += 7000;
    }
    const kept = listCatalogBackups(c.dataDir);
    expect(kept).toHaveLength(5);
    expect(kept[0]!.path).toBe(join(folder, 'catalog-20261120-080250.sqlite'));
    expect(readdirSync(folder).sort()).toEqual(kept.map((file) => file.path.slice(folder.length + 1)).sort());
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    for (const file of kept) expect(statSync(file.path).mode & 0o777).toBe(0o600);
    // Each is a standalone, sound catalog holding the writes before it.
    const newest = new Database(kept[0]!.path, { readonly: true });
    expect(newest.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(newest.prepare("SELECT count(*) FROM events WHERE kind = 'test'").pluck().get()).toBe(75);
    newest.close();
    await backups.close();
    catalog.close();
    expect(existsSync(join(folder, 'catalog-20261120-080250.sqlite.partial'))).toBe(false);
  });

  it('two taken in the same second are two files: the first is kept as it was, the second listed as the newer', async () => {
    const c = newCase();
    const catalog = new Catalog(c.dataDir, defaultSettings(c.dataDir));
    const now = new Date('2026-11-20T08:00:00.250Z');
    const backups = new CatalogBackups(catalog.connection, c.dataDir, { checkMs: 0, now: () => now });
    const folder = join(c.dataDir, 'catalog-backups');
    const first = await backups.backUpNow();
    const firstBytes = readFileSync(first.path);
    catalog.events.record('test', 'between the two');
    const second = await backups.backUpNow();
    const third = await backups.backUpNow();
    expect([first.path, second.path, third.path]).toEqual(['', '-2', '-3'].map((nth) => join(folder, `catalog-20261120-080000${nth}.sqlite`)));
    expect(readFileSync(first.path).equals(firstBytes)).toBe(true);
    expect(listCatalogBackups(c.dataDir).map((file) => file.path)).toEqual([third.path, second.path, first.path]);
    expect(listCatalogBackups(c.dataDir).every((file) => file.takenAt === '2026-11-20T08:00:00Z')).toBe(true);
    const count = (path: string) => {
      const db = new Database(path, { readonly: true });
      const n = db.prepare("SELECT count(*) FROM events WHERE kind = 'test'").pluck().get();
      db.close();
      return n;
    };
    expect([count(first.path), count(second.path)]).toEqual([0, 1]);
    // The first of that second gone (pruned, say): the next is numbered past the others, and sorts as the newest.
    rmSync(first.path);
    const fourth = await backups.backUpNow();
    expect(fourth.path).toBe(join(folder, 'catalog-20261120-080000-4.sqlite'));
    expect(listCatalogBackups(c.dataDir)[0]!.path).toBe(fourth.path);
    await backups.close();
    catalog.close();
  });

  it('at a clean shutdown, a core backs up what changed since the last catalog backup', async () => {
    const c = await populated();
    const core = new Core({ dataDir: c.dataDir, shell: 'web' });
    await callCore(core, 'settings.update', { concurrency: 5 });
    await core.close();
    const [newest] = listCatalogBackups(c.dataDir);
    const db = new Database(newest!.path, { readonly: true });
    expect(JSON.parse(db.prepare("SELECT value FROM settings WHERE key = 'concurrency'").pluck().get() as string)).toBe(5);
    db.close();
  });

  it('a backup that cannot be written is reported, tried again a minute later, not at every check', async () => {
    const c = newCase();
    const catalog = new Catalog(c.dataDir, defaultSettings(c.dataDir));
    // A file where the folder of catalog backups goes: writing into it fails (ENOTDIR).
    const blocker = join(c.dataDir, 'catalog-backups');
    writeFileSync(blocker, 'not a folder');
    let now = Date.parse('2026-11-20T08:00:00Z');
    const failures: PagevaultError[] = [];
    const backups = new CatalogBackups(catalog.connection, c.dataDir, { checkMs: 0, now: () => new Date(now), failed: (error) => failures.push(error) });
    for (let second = 0; second < 62; second += 1) {
      now += 1000;
      await backups.check();
    }
    expect(failures).toHaveLength(1);
    expect(failures[0]!.code).toBe('NOT_A_FOLDER');
    expect(failures[0]!.message).toContain(`Cannot use ${blocker} as a Pagevault folder: it is a file, not a folder`);
    expect(backups.pending).toBe(true);
    rmSync(blocker);
    now += 2000;
    await backups.check();
    expect(failures).toHaveLength(1);
    expect(listCatalogBackups(c.dataDir)).toHaveLength(1);
    expect(backups.pending).toBe(false);
    await backups.close();
    catalog.close();
  });
});
