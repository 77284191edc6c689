/** Retention in the core: the preview, pinning, and deletion after the next successful backup. */
import { afterAll, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MethodName, Params, Result, RetentionPolicy } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { manifestPathOf } from '../engine/index.ts';
import { Core } from './core.ts';

const work = mkdtempSync(join(tmpdir(), 'pv-core-retention-'));
const core = new Core({ dataDir: join(work, 'data'), shell: 'web' });
afterAll(async () => {
  await core.close();
  rmSync(work, { recursive: true, force: true });
});
const call = <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => callCore(core, method, params);
const none: RetentionPolicy = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };

async function backupNow(databaseId: number): Promise<string> {
  const done = await jobFinished(core, (await call('backups.start', { databaseId })).jobId);
  return done.backup!.path!;
}

it('previews exactly what a policy deletes, never a pinned backup, and deletes it after the next backup', async () => {
  const path = join(work, 'chinook.sqlite');
  copyFileSync(chinookFixture, path);
  const { id } = await call('databases.add', { path });
  const files: string[] = [];
  // Within one second: names made from the same second get -2, -3, … and each is its own backup.
  for (let i = 0; i < 4; i += 1) files.push(await backupNow(id));
  expect(new Set(files).size).toBe(4);
  const keepTwo = { ...none, keepLast: 2 };
  const preview = await call('retention.preview', { databaseId: id, policy: keepTwo });
  expect(preview.deletions.map((b) => b.path)).toEqual([files[1], files[0]]);
  expect(preview.kept).toBe(2);
  expect(preview.bytes).toBe(preview.deletions.reduce((sum, b) => sum + b.bytes!, 0));
  expect(preview.bytes).toBeGreaterThan(1_000_000);

  const oldest = preview.deletions[1]!;
  expect((await call('history.pin', { backupId: oldest.id, pinned: true })).pinned).toBe(true);
  expect((await call('retention.preview', { databaseId: id, policy: keepTwo })).deletions.map((b) => b.path)).toEqual([files[1]]);

  expect(await call('retention.set', { databaseId: id, policy: keepTwo })).toEqual(keepTwo);
  expect(await call('retention.get', { databaseId: id })).toEqual(keepTwo);
  expect(existsSync(files[1]!)).toBe(true);
  const newest = await backupNow(id);
  // Retention runs after the backup has finished, one deletion after the other: wait for all of them.
  const deleted = [files[2]!, manifestPathOf(files[2]!), files[1]!, manifestPathOf(files[1]!)];
  await expect.poll(() => deleted.filter((path) => existsSync(path)), { timeout: 30_000 }).toEqual([]);
  expect(existsSync(files[0]!)).toBe(true);
  expect(existsSync(files[3]!) && existsSync(newest)).toBe(true);
  const history = await call('history.list', { databaseId: id });
  expect(history.entries.map((e) => e.path)).toEqual([newest, files[3], files[0]]);

  expect(await call('retention.set', { databaseId: id, policy: none })).toBeNull();
  expect(await call('retention.get', { databaseId: id })).toBeNull();
});

it('announces a saved policy as a retention change, not a schedules one', async () => {
  const path = join(work, 'announced.sqlite');
  copyFileSync(chinookFixture, path);
  const { id } = await call('databases.add', { path });
  const topics: unknown[] = [];
  const stop = core.events.onAny((event, payload) => {
    if (event === 'catalog.changed') topics.push((payload as { topic: string }).topic);
  });
  try {
    await call('retention.set', { databaseId: id, policy: { ...none, keepLast: 3 } });
  } finally {
    stop();
  }
  expect(topics).toEqual(['retention']);
});
