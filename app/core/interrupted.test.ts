/**
 * A backup whose process is killed mid-copy is in the history as interrupted at the next
 * start, and its partial file is removed then, not at the next backup into that folder.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { hostname, tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore } from '../../test-support/core-calls.ts';
import { startScript } from '../../test-support/processes.ts';
import { Catalog } from '../catalog/index.ts';
import { Core, defaultSettings } from './core.ts';

describe('a backup killed mid-copy', () => {
  it('is recorded as interrupted by the next core, which removes its partial file at once', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pv-interrupted-'));
    const dataDir = join(work, 'data');
    const live = join(work, 'chinook.sqlite');
    copyFileSync(chinookFixture, live);
    const setup = new Core({ dataDir, shell: 'web' });
    // One page per step with a pause: the copy is still running when the process is killed.
    const { id, destination } = await callCore(setup, 'databases.add', { path: live });
    await callCore(setup, 'databases.update', { id, mode: 'stepped', pagesPerStep: 1, pauseMs: 200 });
    await setup.close();

    const runner = await startScript('./backup-runner.ts', [dataDir, String(id)]);
    const [partial] = readdirSync(destination).filter((name) => name.endsWith('.pagevault-partial'));
    expect(partial).toBeDefined();
    // Meanwhile, a core on the same data folder leaves a run of a live process alone.
    const onlooker = new Core({ dataDir, shell: 'web' });
    await onlooker.recovered;
    expect((await callCore(onlooker, 'history.list', {})).total).toBe(0);
    expect(existsSync(join(destination, partial!))).toBe(true);
    await onlooker.close();

    const exited = new Promise((resolve) => runner.child.once('exit', resolve));
    runner.child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(destination, partial!))).toBe(true);

    const core = new Core({ dataDir, shell: 'web' });
    try {
      const { entries, total } = await callCore(core, 'history.list', { status: 'interrupted' });
      expect(total).toBe(1);
      expect(entries[0]).toMatchObject({ databaseId: id, status: 'interrupted', trigger: 'manual', mode: 'stepped', path: null, finishedAt: null, error: { code: 'INTERRUPTED' } });
      expect(entries[0]!.error!.message).toContain(`Pagevault ended while this backup ran (started ${entries[0]!.startedAt}, process ${runner.child.pid})`);
      await core.recovered;
      expect(readdirSync(destination).filter((name) => /\.pagevault-(partial|owner)$/.test(name))).toEqual([]);
      expect((await callCore(core, 'databases.list', {}))[0]!.lastBackup).toMatchObject({ status: 'interrupted' });
    } finally {
      await core.close();
    }
    // Recorded once: the next start finds nothing left to record.
    const again = new Core({ dataDir, shell: 'web' });
    expect((await callCore(again, 'history.list', {})).total).toBe(1);
    await again.close();
  });

  it('from before the machine last booted is interrupted even when its process id is in use again', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pv-interrupted-')), 'data');
    await new Core({ dataDir, shell: 'web' }).close();
    const catalog = new Catalog(dataDir, defaultSettings(dataDir));
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 3_600_000).toISOString();
    // The parent process is alive: its id stands for a number reused since the reboot.
    catalog.runs.start({ databaseId: null, databaseLabel: 'notes', source: '/gone/notes.db', destination: join(dataDir, 'backups', 'notes'), mode: 'snapshot', trigger: 'schedule', startedAt: beforeBoot, pid: process.ppid, host: hostname(), instance: 'an earlier process' });
    const recent = { databaseId: null, databaseLabel: 'live', source: '/x/live.db', destination: join(dataDir, 'backups', 'live'), mode: 'snapshot' as const, trigger: 'manual' as const, startedAt: new Date().toISOString(), pid: process.ppid, host: hostname(), instance: 'a live process' };
    catalog.runs.start(recent);
    catalog.close();
    const core = new Core({ dataDir, shell: 'web' });
    try {
      await core.recovered;
      expect((await callCore(core, 'history.list', {})).entries).toMatchObject([{ databaseLabel: 'notes', status: 'interrupted', trigger: 'schedule', startedAt: beforeBoot }]);
    } finally {
      await core.close();
    }
  });

  it('of an earlier process with the same process id as this one (a container restarted) is interrupted', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'pv-interrupted-')), 'data');
    await new Core({ dataDir, shell: 'web' }).close();
    const catalog = new Catalog(dataDir, defaultSettings(dataDir));
    const startedAt = new Date().toISOString();
    catalog.runs.start({ databaseId: null, databaseLabel: 'zotero', source: '/x/zotero.sqlite', destination: join(dataDir, 'backups', 'zotero'), mode: 'snapshot', trigger: 'schedule', startedAt, pid: process.pid, host: hostname(), instance: 'the process before the restart' });
    catalog.close();
    const core = new Core({ dataDir, shell: 'web' });
    try {
      await core.recovered;
      expect((await callCore(core, 'history.list', {})).entries).toMatchObject([{ databaseLabel: 'zotero', status: 'interrupted', startedAt }]);
    } finally {
      await core.close();
    }
  });
});
