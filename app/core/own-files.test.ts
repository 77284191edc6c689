/**
 * The files Pagevault itself keeps open with SQLite's locks, its catalog and its host
 * lock, are refused by every engine operation: reading one would close a descriptor of
 * it afterwards, which drops every lock the process holds on it.
 */
import { expect, it } from 'vitest';
import { join } from 'node:path';
import { coreCases } from '../../test-support/core-calls.ts';
import { restoreCatalogBackup } from '../catalog/index.ts';
import { HostLock } from '../host/host-lock.ts';

const t = coreCases('pv-core-own-files-');

it('inspect, verify and add of the catalog or its -wal/-shm are refused, and the catalog stays locked', async () => {
  const catalog = join(t.work, 'data', 'catalog.sqlite');
  await t.call('settings.update', { concurrency: 3 }); // the catalog has its -wal and -shm now
  await t.core.backUpCatalog();
  for (const [method, path] of [['files.inspect', catalog], ['files.verify', `${catalog}-shm`], ['files.inspect', `${catalog}-wal`], ['databases.add', catalog]] as const) {
    const failure = await t.failure(method, { path });
    expect(failure.code).toBe('OWN_FILE');
    expect(failure.message).toContain("it is Pagevault's own catalog, which Pagevault keeps open");
  }
  // The core's hold on its catalog is intact: a catalog restore still sees it open.
  expect(() => restoreCatalogBackup(join(t.work, 'data'))).toThrow(expect.objectContaining({ code: 'CATALOG_BUSY' }));
  expect((await t.call('settings.get', {})).concurrency).toBe(3);
});

it('the host lock is refused too, and a second host still cannot take the folder', async () => {
  const dataDir = join(t.work, 'data');
  const lock = HostLock.acquire(dataDir);
  try {
    const failure = await t.failure('files.inspect', { path: join(dataDir, 'host.lock') });
    expect(failure.message).toContain('it is the lock that keeps a second Pagevault off this data folder');
    expect(() => HostLock.acquire(dataDir)).toThrow(expect.objectContaining({ code: 'ALREADY_RUNNING' }));
  } finally {
    lock.release();
  }
});
