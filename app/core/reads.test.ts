// Reads do not write: a method that only shows something leaves the catalog as it was,
// however often the UI asks (the details drawer asks again at every history change). And
// reads do not block: whether each backup file is still on disk is looked at with
// fs/promises, all at once, never with a synchronous call per row on the thread that
// serves the UI. Node creates an FSREQPROMISE resource for each fs/promises request (a
// synchronous existsSync creates none): counted with async_hooks.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { catalogPathOf } from '../catalog/index.ts';
import { Core } from './core.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { countingFileRequests } from '../../test-support/file-requests.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-core-reads-'));
const dataDir = join(dir, 'data');
const core = new Core({ dataDir, shell: 'web' });
afterAll(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's data_version seen from a connection of our own changes when any other connection commits to the catalog. */
function catalogWatcher() {
  const watcher = new Database(catalogPathOf(dataDir), { readonly: true, fileMustExist: true });
  const version = () => watcher.pragma('data_version', { simple: true }) as number;
  return { version, close: () => watcher.close() };
}

describe('databases.details', () => {
  it('shows a journal mode changed behind its back without writing it to the catalog', async () => {
    const path = join(dir, 'chinook.sqlite');
    copyFileSync(chinookFixture, path);
    const added = await callCore(core, 'databases.add', { path });
    const other = added.journalMode === 'wal' ? 'delete' : 'wal';
    const db = new Database(path);
    db.pragma(`journal_mode = ${other}`);
    db.close();

    const watcher = catalogWatcher();
    try {
      const before = watcher.version();
      const details = await callCore(core, 'databases.details', { id: added.id });
      expect(details.inspect?.journalMode).toBe(other);
      expect(details.database.journalMode).toBe(other);
      expect(watcher.version()).toBe(before);
    } finally {
      watcher.close();
    }
    const [listed] = await callCore(core, 'databases.list', {});
    expect(listed!.journalMode).toBe(added.journalMode);
  });
});

describe('history.list', () => {
  it('finds which backup files are gone with one asynchronous look per entry, all at once', async () => {
    const path = join(dir, 'listed.sqlite');
    copyFileSync(chinookFixture, path);
    const { id } = await callCore(core, 'databases.add', { path });
    const files: string[] = [];
    for (let i = 0; i < 5; i += 1) files.push((await jobFinished(core, (await callCore(core, 'backups.start', { databaseId: id })).jobId)).backup!.path!);
    rmSync(files[1]!);

    const { value: page, requests, beforeFirstAnswer } = await countingFileRequests(() => callCore(core, 'history.list', { databaseId: id }));
    expect(page.entries.map((entry) => [entry.path, entry.fileExists])).toEqual([...files].reverse().map((file) => [file, file !== files[1]]));
    expect(requests).toBeGreaterThanOrEqual(files.length);
    expect(beforeFirstAnswer).toBeGreaterThanOrEqual(files.length);
  });
});
