/**
 * The storage view's figures from a real core: real copies on disk (one of them cloned on a
 * btrfs loop mount where one can be made), a real vault at the database's vault folder made
 * by the vault itself, and retention's marks checked against what retention and a vault
 * prune actually delete.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MethodName, Params, Result, RetentionPolicy } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, jobFinished } from '../../test-support/core-calls.ts';
import { makeCowMount, unavailable, type CowMount } from '../../test-support/cow-mounts.ts';
import { vaultPrune } from '../engine/index.ts';
import { createCancelFlag, OperationContext } from '../engine/context.ts';
import { applyRetention } from '../retention/retention-policy.ts';
import { vaultFolderFor } from '../vault/location.ts';
import { addVersion } from '../vault/vault.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import { Core } from './core.ts';

const work = mkdtempSync(join(tmpdir(), 'pv-core-storage-'));
const core = new Core({ dataDir: join(work, 'data'), shell: 'web', timezone: 'UTC' });
const cowReason = unavailable('btrfs');
let mount: CowMount | undefined;
const others: Core[] = [];
beforeAll(() => {
  if (!cowReason) mount = makeCowMount('btrfs', work, 200);
});
afterAll(async () => {
  await core.close();
  for (const other of others) await other.close();
  mount?.remove();
  rmSync(work, { recursive: true, force: true });
});
const call = <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => callCore(core, method, params);
const none: RetentionPolicy = { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };
const DAY_MS = 86_400_000;

function chinookAt(path: string): string {
  copyFileSync(chinookFixture, path);
  return path;
}

async function backupNow(target: Core, databaseId: number) {
  return (await jobFinished(target, (await callCore(target, 'backups.start', { databaseId })).jobId)).backup!;
}

it('lists copies and vault versions with their bytes on disk, marks exactly what retention and a vault prune delete, and counts a missing copy as missing', async () => {
  const path = chinookAt(join(work, 'chinook.sqlite'));
  const database = await call('databases.add', { path });
  const copies = [];
  for (let i = 0; i < 4; i += 1) copies.push(await backupNow(core, database.id));
  await call('history.pin', { backupId: copies[0]!.id, pinned: true });
  const policy = { ...none, keepLast: 2 };
  await call('retention.set', { databaseId: database.id, policy });

  // Versions as the vault makes them, at the folder the app keeps them in, days apart.
  const vault = vaultFolderFor(path, database.destination);
  const ctx = new OperationContext(createCancelFlag(), () => undefined);
  for (let i = 0; i < 4; i += 1) {
    const db = new Database(path);
    db.prepare('INSERT INTO Genre (Name) VALUES (?)').run(`Genre ${i} ${'x'.repeat(2000)}`);
    db.close();
    await addVersion(path, vault, ctx, { now: new Date(Date.now() - (10 - i) * DAY_MS) });
  }
  // A kept copy's file removed behind Pagevault's back: counted as missing, not a crash.
  unlinkSync(copies[0]!.path!);

  const report = await call('storage.get', { databaseId: database.id });
  expect(report).toMatchObject({ databaseId: database.id, source: path, sourceBytes: statSync(path).size, policy, vaultProblem: null });
  expect(report.vault).toEqual({ path: vault, bytes: statSync(join(vault, VAULT_FILE)).size, versions: 4 });
  expect(report.items.map((item) => item.kind)).toEqual(['version', 'version', 'version', 'version', 'copy', 'copy', 'copy', 'copy']);

  const copyItems = report.items.filter((item) => item.kind === 'copy');
  expect(copyItems.map((item) => item.id)).toEqual(copies.map((copy) => copy.id));
  expect(copyItems[0]).toMatchObject({ missing: true, bytes: null, pinned: true, retentionWouldDelete: false });
  for (const [i, item] of copyItems.entries()) {
    if (i > 0) expect(item).toMatchObject({ missing: false, bytes: statSync(copies[i]!.path!).size, cloned: false });
  }
  // The copies retention deletes are exactly applyRetention's, and the same as its preview.
  const expectedCopies = applyRetention((await call('history.list', { databaseId: database.id })).entries, policy, new Date()).remove.map((b) => b.id);
  expect(expectedCopies).toEqual([copies[1]!.id]);
  expect(copyItems.filter((item) => item.retentionWouldDelete).map((item) => item.id)).toEqual(expectedCopies);
  expect((await call('retention.preview', { databaseId: database.id, policy })).deletions.map((b) => b.id)).toEqual(expectedCopies);

  const versionItems = report.items.filter((item) => item.kind === 'version');
  for (const item of versionItems) expect(item.bytes).toBeGreaterThan(0);
  const marked = versionItems.filter((item) => item.retentionWouldDelete);
  expect(marked.map((item) => item.id)).toEqual([1, 2]);

  expect(report.totals).toEqual({
    bytes: copyItems.slice(1).reduce((sum, item) => sum + item.bytes!, 0) + report.vault!.bytes,
    wouldFree: copyItems[1]!.bytes! + marked.reduce((sum, item) => sum + item.bytes!, 0),
    wouldDelete: 3,
    missing: 1,
    clonedBytes: 0,
    wouldFreeIsUpperBound: true,
  });
  // What a prune with the same policy really removes is what was marked.
  const pruned = await vaultPrune(vault, policy);
  expect(pruned.removed.map((version) => version.id)).toEqual([2, 1]);
});

it('answers an empty report for a database without backups, and a damaged vault as a problem beside the copies', async () => {
  const path = chinookAt(join(work, 'empty.sqlite'));
  const database = await call('databases.add', { path });
  const empty = await call('storage.get', { databaseId: database.id });
  expect(empty).toMatchObject({ items: [], vault: null, vaultProblem: null, policy: null });
  expect(empty.totals).toEqual({ bytes: 0, wouldFree: 0, wouldDelete: 0, missing: 0, clonedBytes: 0, wouldFreeIsUpperBound: false });

  const copy = await backupNow(core, database.id);
  const vault = vaultFolderFor(path, database.destination);
  mkdirSync(vault, { recursive: true });
  writeFileSync(join(vault, VAULT_FILE), 'not a vault at all, just text');
  const damaged = await call('storage.get', { databaseId: database.id });
  expect(damaged.vault).toBeNull();
  expect(damaged.vaultProblem).toContain(vault);
  expect(damaged.items).toMatchObject([{ kind: 'copy', id: copy.id, bytes: statSync(copy.path!).size, retentionWouldDelete: false }]);
});

it('refuses an unknown database with UNKNOWN_ID', async () => {
  const outcome = await core.handle('storage.get', { databaseId: 999_999 });
  expect(outcome).toMatchObject({ ok: false, error: { code: 'UNKNOWN_ID' } });
});

it('marks a copy cloned on a copy-on-write file system as sharing blocks, and counts it in the cloned bytes', async (ctx) => {
  if (cowReason) ctx.skip(cowReason);
  const base = join(mount!.dir, 'storage');
  mkdirSync(base, { recursive: true });
  const live = chinookAt(join(base, 'chinook.sqlite'));
  new Database(live).pragma('journal_mode = WAL');
  const cloning = new Core({ dataDir: join(base, 'data'), shell: 'web', timezone: 'UTC' });
  others.push(cloning);
  const { id } = await callCore(cloning, 'databases.add', { path: live });
  const copy = await backupNow(cloning, id);
  expect(copy.copyMethod).toBe('cloned');
  const report = await callCore(cloning, 'storage.get', { databaseId: id });
  const size = statSync(copy.path!).size;
  expect(report.items).toMatchObject([{ kind: 'copy', id: copy.id, cloned: true, bytes: size }]);
  expect(report.totals).toMatchObject({ bytes: size, clonedBytes: size });
});
