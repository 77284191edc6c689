/**
 * A backup that was cloned says so in the History, and so does one that was copied:
 * a real core, its catalog and a real btrfs loop mount (skipped with the reason where
 * none can be made), with the database and its backup folder on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BackupManifest } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { makeCowMount, unavailable, type CowMount } from '../../test-support/cow-mounts.ts';
import { Core } from './core.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-core-clones-'));
const reason = unavailable('btrfs');
let mount: CowMount | undefined;
const cores: Core[] = [];
beforeAll(() => {
  if (!reason) mount = makeCowMount('btrfs', root, 200);
});
afterAll(async () => {
  for (const core of cores) await core.close();
  mount?.remove();
  rmSync(root, { recursive: true, force: true });
});

/** A core whose data folder (and so its backup folders) and WAL database are under `base`. */
function coreIn(base: string) {
  const dataDir = join(base, 'data');
  const live = join(base, 'chinook.sqlite');
  mkdirSync(base, { recursive: true });
  copyFileSync(chinookFixture, live);
  new Database(live).pragma('journal_mode = WAL');
  const core = new Core({ dataDir, shell: 'web', timezone: 'UTC' });
  cores.push(core);
  return { core, live };
}

async function backUp(core: Core, path: string) {
  const { id } = await callCore(core, 'databases.add', { path });
  const job = await callCore(core, 'backups.start', { databaseId: id });
  return (await jobFinished(core, job.jobId)).backup!;
}

describe('how a backup was made, in the History', () => {
  it('a backup on a file system that clones is in the History as cloned, and its manifest says so', async (ctx) => {
    if (reason) ctx.skip(reason);
    const { core, live } = coreIn(join(mount!.dir, 'cloning'));
    const entry = await backUp(core, live);
    expect(entry).toMatchObject({ status: 'succeeded', copyMethod: 'cloned', verification: 'passed' });
    const [listed] = (await callCore(core, 'history.list', {})).entries;
    expect(listed).toMatchObject({ id: entry.id, copyMethod: 'cloned' });
    expect((JSON.parse(readFileSync(`${entry.path}.manifest.json`, 'utf8')) as BackupManifest).copyMethod).toBe('cloned');
  });

  it('a backup where nothing clones is in the History as copied; an imported manifest keeps what it says, and a made-up word is not taken', async () => {
    const { core, live } = coreIn(join(root, 'plain'));
    const entry = await backUp(core, live);
    expect(entry).toMatchObject({ status: 'succeeded', copyMethod: 'copied' });

    const folder = join(root, 'imported');
    mkdirSync(folder);
    const manifest = JSON.parse(readFileSync(`${entry.path}.manifest.json`, 'utf8')) as BackupManifest;
    for (const [name, copyMethod] of [['chinook-20261130-090000.db', 'cloned'], ['chinook-20261130-100000.db', 'reflinked']] as const) {
      copyFileSync(entry.path!, join(folder, name));
      writeFileSync(join(folder, `${name}.manifest.json`), JSON.stringify({ ...manifest, file: name, copyMethod }));
    }
    await callCore(core, 'history.import', { folder });
    const entries = (await callCore(core, 'history.list', {})).entries;
    expect(entries.find((e) => e.path?.endsWith('090000.db'))?.copyMethod).toBe('cloned');
    expect(entries.find((e) => e.path?.endsWith('100000.db'))?.copyMethod).toBe(null);
  });
});
