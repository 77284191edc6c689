// A restore's safety copy is the target as it is: hashed (as it is written, or the target's
// own file when the restore swaps files), not checked by SQLite before the restore (undo
// checks it when it restores it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, restore, verify } from './index.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { makeCowMount, unavailable, type CowKind, type CowMount } from '../../test-support/cow-mounts.ts';
import { startIdleConnection } from '../../test-support/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-safety-'));
let n = 0;
const fresh = (parent = root) => {
  const dir = join(parent, `case-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The root page of the table `name`, from sqlite_schema. */
function rootPage(path: string, name: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(name));
  } finally {
    db.close();
  }
}

/** Damages the target's table pairs_b (its root page's type byte made garbage) and returns the damaged bytes. */
async function damage(target: string): Promise<Buffer> {
  const page = rootPage(target, 'pairs_b');
  const fd = openSync(target, 'r+');
  writeSync(fd, Buffer.from([0x77]), 0, 1, (page - 1) * 4096);
  closeSync(fd);
  expect((await verify(target)).ok).toBe(false);
  return readFileSync(target);
}

describe('the safety copy of a restore', () => {
  it('of a WAL target whose table fails quick_check, which an app has open: the backup is loaded, and the safety copy names the damaged file\'s SHA-256, unchecked', async () => {
    const dir = fresh();
    const target = join(dir, 'target.db');
    makeDatabase(target, { journalMode: 'wal', bytes: 2e6 });
    const taken = await backup(target, join(dir, 'backups') + '/');
    const damaged = await damage(target);

    // An open connection keeps the restore from swapping files (restore-swap.ts).
    const app = await startIdleConnection(target);
    const result = await restore(taken.path, target).finally(() => app.stop());
    expect(readState(target)).toEqual({ ...readState(taken.path), journalMode: 'wal' });
    // The loaded pages reached the file at the app's last close, after the restore's hash of it (restore.ts).
    expect(result.verification).toMatchObject({ ok: true });
    expect(result.safetyCopy).not.toBeNull();
    // The damaged bytes, as a standalone rollback-journal file (header bytes 18 and 19).
    const copy = readFileSync(result.safetyCopy!);
    expect(copy.subarray(18, 20)).toEqual(Buffer.from([1, 1]));
    expect(Buffer.concat([copy.subarray(0, 18), damaged.subarray(18, 20), copy.subarray(20)]).equals(damaged)).toBe(true);
    const manifest = JSON.parse(readFileSync(`${result.safetyCopy}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ sha256: sha256(result.safetyCopy!), verification: { verdict: 'skipped' } });
    // Undo checks it then: its damage is found, and the restored target is left as it is.
    const restored = sha256(target);
    await expect(restore(result.safetyCopy!, target, { safetyCopy: false })).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    expect(sha256(target)).toBe(restored);
  });

  it('of a damaged WAL target nothing has open: the target\'s own file is the safety copy, its pages as they were', async () => {
    const dir = fresh();
    const target = join(dir, 'target.db');
    makeDatabase(target, { journalMode: 'wal', bytes: 2e6 });
    const taken = await backup(target, join(dir, 'backups') + '/');
    const damaged = await damage(target);

    const result = await restore(taken.path, target);
    expect(readState(target)).toEqual({ ...readState(taken.path), journalMode: 'wal' });
    // Every page as it was; in the header, the journal switched to rollback mode (bytes 18
    // and 19) by one write (the change counter, bytes 24-27, and its copy at 92-95).
    const copy = readFileSync(result.safetyCopy!);
    expect(copy.subarray(18, 20)).toEqual(Buffer.from([1, 1]));
    const header = (bytes: Buffer) => Buffer.concat([bytes.subarray(0, 18), bytes.subarray(20, 24), bytes.subarray(28, 92), bytes.subarray(96)]);
    expect(header(copy).equals(header(damaged))).toBe(true);
    expect(copy.readUInt32BE(24)).toBe(damaged.readUInt32BE(24) + 1);
    const manifest = JSON.parse(readFileSync(`${result.safetyCopy}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ sha256: sha256(result.safetyCopy!), verification: { verdict: 'skipped' } });
    const restored = sha256(target);
    await expect(restore(result.safetyCopy!, target, { safetyCopy: false })).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    expect(sha256(target)).toBe(restored);
  });

  it('of a sound WAL target: undo restores it, checked against the SHA-256 it was written with', async () => {
    const dir = fresh();
    const target = join(dir, 'target.db');
    makeDatabase(target, { journalMode: 'wal', bytes: 2e6 });
    const taken = await backup(target, join(dir, 'backups') + '/');
    const live = new Database(target);
    live.exec("UPDATE pairs_a SET v = 'changed'");
    live.close();
    const before = readState(target);
    const result = await restore(taken.path, target);
    const manifest = JSON.parse(readFileSync(`${result.safetyCopy}.manifest.json`, 'utf8'));
    expect(manifest.sha256).toBe(sha256(result.safetyCopy!));
    expect(await verify(result.safetyCopy!)).toMatchObject({ ok: true, manifestChecked: true });
    await restore(result.safetyCopy!, target, { safetyCopy: false });
    expect(readState(target)).toEqual(before);
  });
});

for (const kind of ['btrfs', 'xfs'] as CowKind[]) {
  describe(`the safety copy of a restore on a ${kind} loop mount`, () => {
    const reason = unavailable(kind);
    let mount: CowMount | undefined;
    beforeAll(() => {
      if (reason) return;
      const parent = join(root, kind);
      mkdirSync(parent);
      mount = makeCowMount(kind, parent);
    });
    afterAll(() => mount?.remove());

    it('of a damaged target an app has open is a clone, read once for its SHA-256 and not checked, and the backup is loaded', async (ctx) => {
      if (reason) ctx.skip(reason);
      const dir = fresh(mount!.dir);
      const target = join(dir, 'target.db');
      makeDatabase(target, { journalMode: 'wal', bytes: 2e6 });
      const taken = await backup(target, join(dir, 'backups') + '/');
      await damage(target);
      // An app's open connection: the restore loads into the target, and its safety copy is written (cloned).
      const app = await startIdleConnection(target);
      const result = await restore(taken.path, target).finally(() => app.stop());
      expect(readState(target)).toEqual({ ...readState(taken.path), journalMode: 'wal' });
      const manifest = JSON.parse(readFileSync(`${result.safetyCopy}.manifest.json`, 'utf8'));
      expect(manifest).toMatchObject({ copyMethod: 'cloned', sha256: sha256(result.safetyCopy!), verification: { verdict: 'skipped' } });
    });
  });
}
