/** The catalog on its own: migrations, refusing a newer catalog, and a large history. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { Catalog, CATALOG_FILE_NAME, CATALOG_VERSION, type NewBackup } from './index.ts';
import { migrations } from './migrations.ts';
import { defaultSettings } from '../core/core.ts';

const defaults = defaultSettings('/data');
const dirs: string[] = [];
const dir = () => {
  dirs.push(mkdtempSync(join(tmpdir(), 'pv-catalog-')));
  return dirs.at(-1)!;
};
afterAll(() => dirs.forEach((path) => rmSync(path, { recursive: true, force: true })));

function entry(overrides: Partial<NewBackup>): NewBackup {
  return {
    databaseId: null,
    databaseLabel: 'db',
    source: '/data/db.sqlite',
    path: null,
    status: 'succeeded',
    trigger: 'manual',
    mode: 'snapshot',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    bytes: 4096,
    pageSize: 4096,
    pageCount: 1,
    sha256: null,
    restarts: 0,
    verification: 'passed',
    verificationProblems: [],
    verifiedAt: null,
    error: null,
    ...overrides,
  };
}

describe('catalog', () => {
  it('creates the schema at the current version, marked as a Pagevault catalog', () => {
    const dataDir = dir();
    new Catalog(dataDir, defaults).close();
    const db = new Database(join(dataDir, CATALOG_FILE_NAME), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(CATALOG_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(0x50564c54);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates a version 1 catalog to the current version and keeps its history', () => {
    const dataDir = dir();
    const path = join(dataDir, CATALOG_FILE_NAME);
    const v1 = new Database(path);
    v1.pragma('application_id = 0x50564c54');
    v1.exec(migrations[0]!);
    v1.pragma('user_version = 1');
    v1.prepare("INSERT INTO databases (path, label, destination, mode, journal_mode, page_size, added_at) VALUES ('/d/a.db', 'a', '/b', 'snapshot', 'wal', 4096, '2026-01-01T00:00:00Z')").run();
    v1.prepare(
      "INSERT INTO backups (database_id, database_label, source, path, status, trigger, mode, started_at, verification) VALUES (1, 'a', '/d/a.db', '/b/a-1.db', 'succeeded', 'manual', 'snapshot', '2026-01-02T00:00:00Z', 'passed')",
    ).run();
    v1.close();
    const catalog = new Catalog(dataDir, defaults);
    const [migrated] = catalog.backups.list().entries;
    expect(migrated).toMatchObject({ path: '/b/a-1.db', status: 'succeeded', pinned: false, databaseId: 1 });
    expect(catalog.backups.insert(entry({ databaseId: 1, status: 'skipped', path: null })).status).toBe('skipped');
    expect(catalog.schedules.list()).toEqual([]);
    catalog.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(CATALOG_VERSION);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('migrates a version 3 catalog keeping every row, then records deferred runs and held copies', () => {
    const dataDir = dir();
    const path = join(dataDir, CATALOG_FILE_NAME);
    const v3 = new Database(path);
    v3.pragma('application_id = 0x50564c54');
    migrations.slice(0, 3).forEach((script) => v3.exec(script));
    v3.pragma('user_version = 3');
    v3.prepare("INSERT INTO databases (path, label, destination, mode, journal_mode, page_size, added_at) VALUES ('/d/a.db', 'a', '/b', 'snapshot', 'wal', 4096, '2026-01-01T00:00:00Z')").run();
    const statuses = ['succeeded', 'failed', 'cancelled', 'skipped', 'missed', 'interrupted'] as const;
    const insert = v3.prepare(
      `INSERT INTO backups (database_id, database_label, source, path, status, trigger, mode, started_at, verification, error_code, error_message, pinned, change_mark)
       VALUES (1, 'a', '/d/a.db', @path, @status, 'manual', 'snapshot', @startedAt, 'skipped', @code, @message, @pinned, @mark)`,
    );
    statuses.forEach((status, i) =>
      insert.run({
        status,
        path: status === 'succeeded' ? '/b/a-1.db' : null,
        startedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
        code: status === 'succeeded' ? null : status.toUpperCase(),
        message: status === 'succeeded' ? null : `why ${status}`,
        pinned: status === 'succeeded' ? 1 : 0,
        mark: status === 'succeeded' ? 'mark-1' : null,
      }),
    );
    v3.close();

    const catalog = new Catalog(dataDir, defaults);
    const { entries, total } = catalog.backups.list();
    expect(total).toBe(statuses.length);
    expect(entries.map((e) => e.status).reverse()).toEqual([...statuses]);
    expect(entries.every((e) => e.heldCopy === null)).toBe(true);
    expect(entries.every((e) => e.warnings.length === 0)).toBe(true);
    expect(entries.find((e) => e.status === 'failed')!.error).toEqual({ code: 'FAILED', message: 'why failed' });
    const succeeded = entries.find((e) => e.status === 'succeeded')!;
    expect(succeeded).toMatchObject({ path: '/b/a-1.db', pinned: true });
    expect(catalog.backups.changeMarkOf(succeeded.id)).toBe('mark-1');

    const heldCopy = { journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' } as const;
    const held = catalog.backups.insert(entry({ databaseId: 1, path: '/b/a-2.db', heldCopy, startedAt: '2026-02-01T00:00:00.000Z' }));
    expect(catalog.backups.get(held.id)!.heldCopy).toEqual(heldCopy);
    // A backup that succeeded with warnings keeps them with its entry (migration 6).
    const warnings = ["The checkpoint helper could not write /data/db.sqlite-wal back to disk ahead of its checkpoint (EIO); SQLite's own checkpoint writes it instead"];
    const warned = catalog.backups.insert(entry({ databaseId: 1, path: '/b/a-3.db', warnings, startedAt: '2026-02-01T12:00:00.000Z' }));
    expect(catalog.backups.get(warned.id)!.warnings).toEqual(warnings);
    expect(held.warnings).toEqual([]);
    const deferred = catalog.backups.insert(
      entry({ databaseId: 1, status: 'deferred', verification: 'skipped', error: { code: 'DEFERRED', message: 'Deferred: another program kept writing' }, startedAt: '2026-02-02T00:00:00.000Z' }),
    );
    expect(deferred).toMatchObject({ status: 'deferred', heldCopy: null, error: { code: 'DEFERRED' } });
    expect(catalog.backups.list({ status: 'deferred' }).entries.map((e) => e.id)).toEqual([deferred.id]);
    catalog.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(CATALOG_VERSION);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('refuses a catalog from a newer Pagevault and leaves it byte for byte as it was', () => {
    const dataDir = dir();
    new Catalog(dataDir, defaults).close();
    const path = join(dataDir, CATALOG_FILE_NAME);
    const db = new Database(path);
    db.pragma(`user_version = ${CATALOG_VERSION + 1}`);
    db.pragma('journal_mode = DELETE');
    db.close();
    const before = createHash('sha256').update(readFileSync(path)).digest('hex');
    let error: unknown;
    try {
      new Catalog(dataDir, defaults);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PagevaultError);
    expect((error as PagevaultError).code).toBe('CATALOG_TOO_NEW');
    expect((error as PagevaultError).message).toContain(`${path}: it was written by a newer Pagevault (catalog version ${CATALOG_VERSION + 1}`);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(before);
  });

  it("refuses another program's database as the catalog", () => {
    const dataDir = dir();
    const db = new Database(join(dataDir, CATALOG_FILE_NAME));
    db.exec('CREATE TABLE notes (body TEXT)');
    db.close();
    expect(() => new Catalog(dataDir, defaults)).toThrow(/holds another program's database/);
  });

  it('lists and filters 10,000 history entries a page at a time', () => {
    const catalog = new Catalog(dir(), defaults);
    const database = catalog.databases.insert({ path: '/data/db.sqlite', label: 'db', destination: '/b', mode: 'snapshot', pagesPerStep: null, pauseMs: null, journalMode: 'wal', pageSize: 4096, addedAt: '2026-01-01T00:00:00Z' });
    const statuses = ['succeeded', 'succeeded', 'failed', 'cancelled'] as const;
    catalog.connection.transaction(() => {
      for (let i = 0; i < 10_000; i += 1) {
        const status = statuses[i % 4]!;
        catalog.backups.insert(
          entry({
            databaseId: i % 2 === 0 ? database.id : null,
            status,
            path: status === 'succeeded' ? `/b/db-${i}.db` : null,
            verification: status !== 'succeeded' ? 'skipped' : i % 8 === 0 ? 'passed' : 'skipped',
            startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
          }),
        );
      }
    })();
    const page = catalog.backups.list({ limit: 50, offset: 100 });
    expect(page.total).toBe(10_000);
    expect(page.entries).toHaveLength(50);
    expect(page.entries[0]!.startedAt).toBe(new Date(Date.UTC(2026, 0, 1) + 9_899 * 60_000).toISOString());
    expect(catalog.backups.list({ status: 'failed' }).total).toBe(2_500);
    expect(catalog.backups.list({ status: 'verified' }).total).toBe(1_250);
    expect(catalog.backups.list({ status: 'unverified' }).total).toBe(3_750);
    expect(catalog.backups.list({ databaseId: database.id }).total).toBe(5_000);
    expect(catalog.backups.list({ databaseId: database.id, status: 'cancelled' }).total).toBe(0);
    // The filtered, paged query is served from an index, not a scan of the table.
    const plan = catalog.connection.prepare("EXPLAIN QUERY PLAN SELECT id FROM backups WHERE database_id = 1 ORDER BY started_at DESC, id DESC LIMIT 50").all() as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join(' ')).toContain('backups_by_database');
    const series = catalog.backups.series(database.id, 10);
    expect(series).toHaveLength(10);
    expect(series[0]!.at < series[9]!.at).toBe(true);
    catalog.close();
  });
});
