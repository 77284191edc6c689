/**
 * A Versions database through the core, with a real vault, the real engine and a real
 * writer: Backup now adds versions to `<backup folder>/<stem>.vault`, the History lists
 * them with the new data each added, the restore flow restores a version (verify, safety
 * copy, undo), verify names a damaged page by version, retention prunes the vault, and a
 * folder at the vault's path that is not this database's vault is refused, nothing written.
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chinookFixture, chinookRowCounts } from '../../scripts/fixtures.ts';
import { coreCases, integrityOf, rowCounts } from '../../test-support/core-calls.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { makeEncryptedDatabase } from '../../test-support/encrypted-databases.ts';
import { startWriter } from '../../test-support/processes.ts';
import { restoreCatalogBackup } from '../catalog/catalog-backups.ts';
import { vaultFolderFor } from '../vault/location.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import type { JobFinished } from '../api/index.ts';
import type { Clock } from '../scheduler/scheduler.ts';
import { Core } from './core.ts';
import { defaultStorage, storageReason, VERSIONS_FROM_BYTES } from './storage-choice.ts';

const t = coreCases('pv-core-versions-');
const { call, failure, finished } = t;

/** A registered Chinook copy kept as Versions. */
async function chinookAsVersions(): Promise<{ live: string; id: number; vault: string }> {
  const live = join(t.work, 'chinook.sqlite');
  copyFileSync(chinookFixture, live);
  const added = await call('databases.add', { path: live });
  const updated = await call('databases.update', { id: added.id, storage: 'versions' });
  expect(updated.storage).toBe('versions');
  expect(updated.storageReason).toMatch(/^Versions: each version stores only the pages that changed/);
  return { live, id: added.id, vault: vaultFolderFor(live, updated.destination) };
}

async function backupNow(databaseId: number) {
  const done = await finished((await call('backups.start', { databaseId })).jobId);
  expect(done.error).toBeNull();
  return done.backup!;
}

function deleteInvoiceLines(path: string): void {
  const db = new Database(path);
  db.exec('DELETE FROM InvoiceLine');
  db.close();
}

describe('choosing Copies or Versions', () => {
  it.each([
    { name: 'a folder that clones keeps Copies, whatever the size', facts: { sizeBytes: 10 * VERSIONS_FROM_BYTES, clones: true }, expected: 'copies' },
    { name: 'a small database keeps Copies', facts: { sizeBytes: VERSIONS_FROM_BYTES - 1, clones: false }, expected: 'copies' },
    { name: 'a large database where nothing clones gets Versions', facts: { sizeBytes: VERSIONS_FROM_BYTES, clones: false }, expected: 'versions' },
    { name: 'a folder not made yet counts as not cloning', facts: { sizeBytes: VERSIONS_FROM_BYTES, clones: null }, expected: 'versions' },
    { name: 'a missing file keeps Copies', facts: { sizeBytes: null, clones: false }, expected: 'copies' },
  ] as const)('$name', ({ facts, expected }) => {
    expect(defaultStorage(facts)).toBe(expected);
  });

  it('says why in words: a clone shares blocks, a copy costs the full size, a version the changed pages', () => {
    expect(storageReason('copies', { sizeBytes: 1, clones: true })).toMatch(/^Copies: this backup folder clones .* so each copy shares unchanged blocks\.$/);
    expect(storageReason('copies', { sizeBytes: 5 * 1024 ** 3, clones: false })).toContain("costs the database's full size (5.0 GB)");
    expect(storageReason('versions', { sizeBytes: 1, clones: false })).toMatch(/^Versions: each version stores only the pages that changed/);
  });

  it('a small new database gets Copies, and the list says so with the default and the reason', async () => {
    const live = join(t.work, 'chinook.sqlite');
    copyFileSync(chinookFixture, live);
    const added = await call('databases.add', { path: live });
    expect(added).toMatchObject({ storage: 'copies', storageDefault: 'copies' });
    expect(added.storageReason).toMatch(/^Copies: /);
    const [listed] = await call('databases.list', {});
    expect(listed).toMatchObject({ storage: 'copies', storageDefault: 'copies' });
    expect((await call('databases.details', { id: added.id })).database.storageReason).toBe(added.storageReason);
  });

  it('an encrypted database keeps Copies: Versions is refused under the field, changing nothing', async () => {
    const path = join(t.work, 'secret.sqlite');
    makeEncryptedDatabase(path, 'a passphrase for the vault test');
    const added = await call('databases.add', { path, key: { key: 'a passphrase for the vault test' } });
    expect(added.storage).toBe('copies');
    const refused = await failure('databases.update', { id: added.id, storage: 'versions' });
    expect(refused).toMatchObject({ code: 'NOT_SUPPORTED', message: `Cannot keep versions of ${added.path}: it is encrypted, and the vault keeps only plain databases; keep Copies` });
    expect((await call('databases.details', { id: added.id })).database.storage).toBe('copies');
  });

  it('refuses a storage kind that is neither, changing nothing', async () => {
    const live = join(t.work, 'chinook.sqlite');
    copyFileSync(chinookFixture, live);
    const added = await call('databases.add', { path: live });
    expect((await failure('databases.update', { id: added.id, storage: 'zip' })).code).toBe('INVALID_REQUEST');
    expect((await call('databases.details', { id: added.id })).database.storage).toBe('copies');
  });
});

describe('a Versions database', () => {
  it('Backup now adds versions under a running writer; the History lists each with its new data', async () => {
    const live = join(t.work, 'pairs.db');
    makeDatabase(live, { bytes: 512 * 1024 });
    const { id, destination } = await call('databases.add', { path: live });
    await call('databases.update', { id, storage: 'versions' });
    const writer = await startWriter(live, 2);
    let first;
    try {
      const progress: Array<{ total: number; remaining: number }> = [];
      const job = await call('backups.start', { databaseId: id });
      const off = t.core.events.on('job.progress', (p) => p.jobId === job.jobId && progress.push({ total: p.totalPages, remaining: p.remainingPages }));
      const done = await finished(job.jobId);
      off();
      expect(done.error).toBeNull();
      // The bar is fed page counts and ends full (how many ticks between depends on the machine's speed).
      expect(progress.at(-1)).toMatchObject({ remaining: 0, total: expect.any(Number) });
      expect(progress.at(-1)!.total).toBeGreaterThan(0);
      first = done.backup!;
    } finally {
      await writer.stop();
    }
    const second = await backupNow(id);
    const vault = vaultFolderFor(live, destination);
    expect(first).toMatchObject({ status: 'succeeded', path: `${vault}#1`, version: { vault, id: 1 }, fileExists: true });
    expect(second).toMatchObject({ path: `${vault}#2`, version: { vault, id: 2 } });
    expect(first.version!.newBytes).toBeGreaterThan(0);
    // The writer's rows since the first version are a few pages: the second costs far less.
    expect(second.version!.newBytes).toBeLessThan(first.version!.newBytes);
    // No copy was written beside the vault.
    expect(readdirSync(destination)).toEqual([`pairs.vault`]);
    const history = await call('history.list', { databaseId: id });
    expect(history.entries.map((e) => e.version?.id)).toEqual([2, 1]);
  });

  it('a scheduled run with skip-if-unchanged skips when nothing changed since the latest version', async () => {
    const { live, id } = await chinookAsVersions();
    await backupNow(id);
    await call('schedules.set', { databaseId: id, schedule: { spec: { kind: 'daily', time: '18:30' }, enabled: true, skipIfUnchanged: true } });
    // Reopened days later on a clock whose timers never fire: the catch-up run is the only one.
    const clock: Clock = { now: () => new Date(Date.now() + 3 * 86_400_000), setTimer: () => () => undefined };
    await t.core.close();
    const reopened = new Core({ dataDir: join(t.work, 'data'), shell: 'web', clock, timezone: 'UTC' });
    try {
      const run = new Promise<JobFinished>((resolve) => reopened.events.on('job.finished', resolve));
      reopened.startScheduler();
      expect((await run).backup).toMatchObject({ status: 'skipped', trigger: 'schedule', error: { code: 'UNCHANGED' } });
      expect(rowCounts(live)).toEqual(chinookRowCounts);
    } finally {
      await reopened.close();
    }
  });

  it('restores version 1 through the restore flow: checked, safety copy, undo', async () => {
    const { live, id, vault } = await chinookAsVersions();
    await backupNow(id);
    deleteInvoiceLines(live);
    await backupNow(id);

    const check = await finished((await call('restore.check', { backupPath: `${vault}#1` })).jobId);
    expect(check.error).toBeNull();
    expect(check.check).toMatchObject({ backupPath: `${vault}#1`, verification: { ok: true }, entry: { version: { id: 1 } }, origin: { path: live } });
    const target = await call('restore.target', { backupPath: `${vault}#1`, targetPath: live });
    expect(target.comparison?.changed).toEqual([expect.objectContaining({ name: 'InvoiceLine', targetRows: 0 })]);

    const done = await finished((await call('restore.start', { backupPath: `${vault}#1`, targetPath: live, safetyCopy: true })).jobId);
    expect(done.error).toBeNull();
    expect(rowCounts(live)).toEqual(chinookRowCounts);
    expect(integrityOf(live)).toBe('ok');
    const safety = done.restore!.safetyCopyEntry!;
    expect(rowCounts(safety.path!).InvoiceLine).toBe(0);
    const undone = await finished((await call('restore.start', { backupPath: safety.path!, targetPath: live, safetyCopy: true })).jobId);
    expect(undone.ok).toBe(true);
    expect(rowCounts(live).InvoiceLine).toBe(0);
  });

  it('refuses a vault file as a restore target: restoring into it would replace every version', async () => {
    const { id, vault } = await chinookAsVersions();
    await backupNow(id);
    const into = join(vault, VAULT_FILE);
    const target = await call('restore.target', { backupPath: `${vault}#1`, targetPath: into });
    expect(target).toMatchObject({ problemCode: 'OWN_FILE', problem: expect.stringContaining(vault) });
    expect(await failure('restore.start', { backupPath: `${vault}#1`, targetPath: into, safetyCopy: true })).toMatchObject({ code: 'OWN_FILE', message: expect.stringContaining(into) });
    expect((await import('../engine/index.ts').then((engine) => engine.vaultList(vault))).versions.map((v) => v.id)).toEqual([1]);
  });

  it('a database of the user’s own that is named vault.sqlite, outside a vault, is a restore target like any other', async () => {
    const { id, vault } = await chinookAsVersions();
    await backupNow(id);
    const own = join(t.work, 'passwords', VAULT_FILE);
    mkdirSync(join(t.work, 'passwords'));
    copyFileSync(chinookFixture, own);
    const target = await call('restore.target', { backupPath: `${vault}#1`, targetPath: own });
    expect(target).toMatchObject({ exists: true, problem: null, problemCode: null });
  });

  it('a Versions database with encryption at rest (the default) backs up into an encrypted vault; History shows Encrypted, verify and the restore flow open it with the key store, the safety copy is encrypted too', async () => {
    const { live, id, vault } = await chinookAsVersions();
    const { recipient } = await call('encryption.set', { databaseId: null, mode: 'x25519' });
    await backupNow(id);
    deleteInvoiceLines(live);
    const second = await backupNow(id);
    expect(second).toMatchObject({ status: 'succeeded', verification: 'passed', verificationProblems: [], version: { id: 2 } });
    const store = new Database(join(vault, VAULT_FILE), { readonly: true });
    expect(store.prepare("SELECT value FROM meta WHERE key = 'recipient'").pluck().get()).toBe(recipient);
    store.close();
    const history = await call('history.list', { databaseId: id });
    expect(history.entries.map((entry) => [entry.version?.id, entry.version?.encrypted])).toEqual([
      [2, true],
      [1, true],
    ]);
    expect((await call('history.verify', { backupId: second.id })).verification).toBe('passed');

    const check = await finished((await call('restore.check', { backupPath: `${vault}#1` })).jobId);
    expect(check.error).toBeNull();
    const done = await finished((await call('restore.start', { backupPath: `${vault}#1`, targetPath: live, safetyCopy: true })).jobId);
    expect(done.error).toBeNull();
    expect(rowCounts(live)).toEqual(chinookRowCounts);
    expect(done.restore!.safetyCopyEntry!.path).toMatch(/\.db\.age$/);
  });

  it('a plain vault is not encrypted afterwards: with encryption at rest turned on, the backup is refused saying what to do, nothing written; and the reverse', async () => {
    const { live, id, vault } = await chinookAsVersions();
    await backupNow(id);
    const before = readFileSync(join(vault, VAULT_FILE));
    await call('encryption.set', { databaseId: id, mode: 'x25519' });
    const refused = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(refused.error).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('this vault was made without encryption; choose a new backup folder or turn encryption off') });
    expect(refused.error!.message).toContain(live);
    expect(readFileSync(join(vault, VAULT_FILE)).equals(before)).toBe(true);

    const other = join(t.work, 'other.sqlite');
    copyFileSync(chinookFixture, other);
    const added = await call('databases.add', { path: other });
    await call('databases.update', { id: added.id, storage: 'versions' });
    await call('encryption.set', { databaseId: added.id, mode: 'x25519' });
    await backupNow(added.id);
    await call('encryption.set', { databaseId: added.id, mode: 'none' });
    const plain = await finished((await call('backups.start', { databaseId: added.id })).jobId);
    expect(plain.error).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('this vault is encrypted (to age1') });
  });

  it('Versions and encryption at rest go together: either can be chosen with the other set', async () => {
    const { id } = await chinookAsVersions();
    expect((await call('encryption.set', { databaseId: id, mode: 'x25519' })).mode).toBe('x25519');
    await call('databases.update', { id, storage: 'copies' });
    expect((await call('databases.update', { id, storage: 'versions' })).storage).toBe('versions');
  });

  it('with encryption at rest as the default, a large new database where nothing clones still gets Versions', async () => {
    await call('encryption.set', { databaseId: null, mode: 'x25519' });
    const big = join(t.work, 'big.sqlite');
    makeDatabase(big, { journalMode: 'delete', bytes: VERSIONS_FROM_BYTES + (1 << 20) });
    const added = await call('databases.add', { path: big });
    expect(added.storage).toBe(added.storageDefault);
  });

  it('verify from the History names a damaged page by version and page number', async () => {
    const { id, vault } = await chinookAsVersions();
    const entry = await backupNow(id);
    // Verified after it was added, as a copy is (the setting is on by default).
    expect(entry).toMatchObject({ verification: 'passed', verificationProblems: [] });
    expect((await call('history.verify', { backupId: entry.id })).verification).toBe('passed');
    // Flip one byte inside a stored block's data.
    const db = new Database(join(vault, VAULT_FILE));
    const row = db.prepare('SELECT id, data FROM block ORDER BY id LIMIT 1').get() as { id: number; data: Buffer };
    row.data[Math.floor(row.data.length / 2)]! ^= 0xff;
    db.prepare('UPDATE block SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const verified = await call('history.verify', { backupId: entry.id });
    expect(verified.verification).toBe('failed');
    expect(verified.verificationProblems[0]).toMatch(/^version 1, page \d+: stored page \d+/);
  });

  it('a version that fails its check after backup is a failed backup: said so, and retention leaves the older versions', async () => {
    const { id, vault } = await chinookAsVersions();
    await call('retention.set', { databaseId: id, policy: { keepLast: 1, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null } });
    const first = await backupNow(id);
    expect(first.verification).toBe('passed');
    // A stored page goes bad; the next version, nothing having changed, names the same pages.
    const db = new Database(join(vault, VAULT_FILE));
    const row = db.prepare('SELECT id, data FROM block ORDER BY id LIMIT 1').get() as { id: number; data: Buffer };
    row.data[Math.floor(row.data.length / 2)]! ^= 0xff;
    db.prepare('UPDATE block SET data = ? WHERE id = ?').run(row.data, row.id);
    db.close();
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok).toBe(false);
    expect(done.error).toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/^Version 2 of .* was added to the vault .* but failed verification: version 2, page \d+: stored page \d+/) });
    expect(done.backup).toMatchObject({ verification: 'failed', version: { id: 2 } });
    // Retention runs after a successful backup only: version 1, taken before the damage, stays.
    expect((await call('history.list', { databaseId: id })).entries.map((entry) => entry.version?.id)).toEqual([2, 1]);
  });

  it('retention keeps the last two versions: the vault is pruned and the History shows the others gone', async () => {
    const { live, id, vault } = await chinookAsVersions();
    await call('retention.set', { databaseId: id, policy: { keepLast: 2, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null } });
    for (let i = 0; i < 3; i += 1) {
      const db = new Database(live);
      db.prepare('UPDATE Artist SET Name = ? WHERE ArtistId = 1').run(`Artist ${i}`);
      db.close();
      await backupNow(id);
    }
    await expect.poll(async () => (await call('history.list', { databaseId: id })).entries.map((e) => e.version?.id)).toEqual([3, 2]);
    const listed = await import('../engine/index.ts').then((engine) => engine.vaultList(vault));
    expect(listed.versions.map((v) => v.id)).toEqual([2, 3]);
  });

  it('refuses a folder at the vault path that is not a vault, and a vault of another database, writing nothing', async () => {
    const { live, id, vault } = await chinookAsVersions();
    mkdirSync(vault, { recursive: true });
    writeFileSync(join(vault, 'notes.txt'), 'mine');
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.error?.code).toBe('NOT_A_DATABASE');
    expect(done.error?.message).toContain(`the folder ${vault} is not a Pagevault vault`);
    expect(readdirSync(vault)).toEqual(['notes.txt']);

    // A vault made of another database at that path.
    const other = join(t.work, 'other', 'chinook.sqlite');
    mkdirSync(join(t.work, 'other'));
    copyFileSync(chinookFixture, other);
    const { rmSync } = await import('node:fs');
    rmSync(vault, { recursive: true });
    const engine = await import('../engine/index.ts');
    await engine.vaultBackup(other, vault);
    const before = readFileSync(join(vault, VAULT_FILE));
    const refused = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(refused.error?.code).toBe('DEST_EXISTS');
    expect(refused.error?.message).toContain(`holds versions of ${other}, not of ${live}`);
    expect(readFileSync(join(vault, VAULT_FILE)).equals(before)).toBe(true);
  });

  it('Import from folder lists the versions of a vault found there', async () => {
    const { id, vault } = await chinookAsVersions();
    await backupNow(id);
    await backupNow(id);
    const fresh = t.another(join(t.work, 'data2'));
    const result = await fresh.call('history.import', { folder: join(vault, '..') });
    expect(result).toMatchObject({ imported: 2, problems: [] });
    expect(existsSync(vault)).toBe(true);
  });

  it('after a catalog restore, the versions taken since that catalog backup are listed again when Pagevault starts, once', async () => {
    const { id, live } = await chinookAsVersions();
    await backupNow(id);
    // Kept aside: the backup taken as the core closes may have the same name (they are named to the second).
    const before = join(t.work, 'catalog-before.sqlite');
    copyFileSync((await t.core.backUpCatalog()).path, before);
    deleteInvoiceLines(live);
    const second = await backupNow(id);
    // Closing backs the catalog up again: the one put back is named.
    await t.core.close();
    restoreCatalogBackup(join(t.work, 'data'), { from: before });
    const restarted = t.another(join(t.work, 'data'));
    await restarted.recovered;
    const versionsListed = async () => {
      const page = await restarted.call('history.list', { databaseId: id });
      return page.entries.filter((entry) => entry.version).map((entry) => entry.version!.id).sort();
    };
    expect(await versionsListed()).toEqual([1, 2]);
    const listed = (await restarted.call('history.list', { databaseId: id })).entries.find((entry) => entry.version?.id === 2)!;
    expect(listed).toMatchObject({ databaseId: id, trigger: 'import', status: 'succeeded', bytes: second.bytes });
    // Known from now on: a second start lists nothing twice.
    await restarted.close();
    const again = t.another(join(t.work, 'data'));
    await again.recovered;
    expect((await again.call('history.list', { databaseId: id })).entries.filter((entry) => entry.version)).toHaveLength(2);
  });
});

describe('a version deleted or pinned by hand', () => {
  const keepLastOne = { keepLast: 1, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };

  function renameArtist(live: string, name: string): void {
    const db = new Database(live);
    db.prepare('UPDATE Artist SET Name = ? WHERE ArtistId = 1').run(name);
    db.close();
  }

  /** Backs up and keeps the live file's bytes as they were (a rollback-journal database: the file is the snapshot). */
  async function backupKeeping(id: number, live: string, snapshots: Map<number, Buffer>) {
    const backup = await backupNow(id);
    snapshots.set(backup.version!.id, readFileSync(live));
    return backup;
  }

  async function restoredBytes(vault: string, version: number): Promise<Buffer> {
    const target = join(t.work, `restored-${version}-${Math.random().toString(36).slice(2)}.db`);
    const engine = await import('../engine/index.ts');
    await engine.vaultRestore(vault, String(version), target);
    return readFileSync(target);
  }

  it('Delete on a middle version removes it from the vault and the History; the others restore page-exact and verify passes', async () => {
    const { live, id, vault } = await chinookAsVersions();
    const snapshots = new Map<number, Buffer>();
    await backupKeeping(id, live, snapshots);
    deleteInvoiceLines(live);
    const middle = await backupKeeping(id, live, snapshots);
    renameArtist(live, 'After the middle one');
    await backupKeeping(id, live, snapshots);

    const { deleted } = await call('history.delete', { backupId: middle.id });
    expect(deleted).toEqual([`${vault}#2`]);
    const history = await call('history.list', { databaseId: id });
    expect(history.entries.map((entry) => entry.version?.id)).toEqual([3, 1]);
    const engine = await import('../engine/index.ts');
    expect((await engine.vaultList(vault)).versions.map((version) => version.id)).toEqual([1, 3]);
    for (const version of [1, 3]) expect((await restoredBytes(vault, version)).equals(snapshots.get(version)!)).toBe(true);
    const verified = await call('history.verify', { backupId: history.entries[0]!.id });
    expect(verified).toMatchObject({ verification: 'passed', verificationProblems: [] });
    expect((await engine.vaultVerify(vault)).problems).toEqual([]);
    // Deleted once, the entry is gone: a second Delete names it unknown.
    expect((await failure('history.delete', { backupId: middle.id })).code).toBe('UNKNOWN_ID');
  });

  it('Delete on the newest version keeps the vault consistent: the next backup stores only what changed and restores exactly', async () => {
    const { live, id, vault } = await chinookAsVersions();
    const snapshots = new Map<number, Buffer>();
    const first = await backupKeeping(id, live, snapshots);
    renameArtist(live, 'In the newest one');
    const newest = await backupKeeping(id, live, snapshots);
    await call('history.delete', { backupId: newest.id });
    renameArtist(live, 'After the newest one went');
    const next = await backupKeeping(id, live, snapshots);
    expect(next.version!.id).toBe(3);
    // One row changed since version 1: a few pages, nothing like the first version's full size.
    expect(next.version!.newBytes).toBeLessThan(first.version!.newBytes / 20);
    for (const version of [1, 3]) expect((await restoredBytes(vault, version)).equals(snapshots.get(version)!)).toBe(true);
    const engine = await import('../engine/index.ts');
    expect((await engine.vaultVerify(vault)).problems).toEqual([]);
    expect((await call('history.list', { databaseId: id })).entries.map((entry) => entry.version?.id)).toEqual([3, 1]);
  });

  it('a pinned version is kept by retention whatever its rules, and restores; unpinned, the next retention run deletes it', async () => {
    const { live, id, vault } = await chinookAsVersions();
    const snapshots = new Map<number, Buffer>();
    const first = await backupKeeping(id, live, snapshots);
    const pinned = await call('history.pin', { backupId: first.id, pinned: true });
    expect(pinned).toMatchObject({ pinned: true, version: { id: 1 } });
    await call('retention.set', { databaseId: id, policy: keepLastOne });
    expect((await call('retention.preview', { databaseId: id, policy: keepLastOne })).deletions).toEqual([]);
    for (const name of ['Second', 'Third']) {
      renameArtist(live, name);
      await backupKeeping(id, live, snapshots);
    }
    await expect.poll(async () => (await call('history.list', { databaseId: id })).entries.map((entry) => entry.version?.id)).toEqual([3, 1]);
    const engine = await import('../engine/index.ts');
    expect((await engine.vaultList(vault)).versions.map((version) => version.id)).toEqual([1, 3]);
    expect((await restoredBytes(vault, 1)).equals(snapshots.get(1)!)).toBe(true);

    await call('history.pin', { backupId: first.id, pinned: false });
    renameArtist(live, 'Fourth');
    await backupKeeping(id, live, snapshots);
    await expect.poll(async () => (await call('history.list', { databaseId: id })).entries.map((entry) => entry.version?.id)).toEqual([4]);
    expect((await engine.vaultList(vault)).versions.map((version) => version.id)).toEqual([4]);
  });
});
