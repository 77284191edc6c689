// A restore into a WAL database nothing has open swaps files: the backup's copy is renamed
// over the target and the target's own file is kept as the safety copy. One that any
// connection has open is loaded into, as before, and the connection sees the restored data.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, restore, verify } from './index.ts';
import { OperationContext, createCancelFlag, raiseCancelFlag } from './context.ts';
import { restoreBySwap, type SwapStep } from './restore-swap.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startIdleConnection, startWalBacklog } from '../../test-support/processes.ts';
import { caseFolders } from '../../test-support/unit.ts';

const { root, fresh } = caseFolders('pv-swap-');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A WAL target whose pairs_a rows were changed after `backup` was taken of it. */
async function changedSinceBackup(dir: string): Promise<{ target: string; taken: string; before: ReturnType<typeof readState> }> {
  const target = join(dir, 'target.db');
  makeDatabase(target, { journalMode: 'wal', bytes: 2e6 });
  const taken = (await backup(target, join(dir, 'backups') + '/')).path;
  const live = new Database(target);
  live.exec("UPDATE pairs_a SET v = 'changed'; DELETE FROM pairs_b WHERE k > 50");
  live.close();
  return { target, taken, before: readState(target) };
}

/** Bytes 18 and 19 of a database header: 1 rollback journal, 2 WAL. */
const formatBytes = (path: string) => [...readFileSync(path).subarray(18, 20)];

describe('a restore into a WAL database nothing has open', () => {
  it('swaps the backup in and keeps the target\'s own file as the safety copy, checked by undo', async () => {
    const dir = fresh();
    const { target, taken, before } = await changedSinceBackup(dir);
    const { ino, mode } = statSync(target);

    const result = await restore(taken, target);
    // The restored target: the backup's rows, still a WAL database, nothing left beside it.
    expect(readdirSync(dir).sort()).toEqual(['backups', 'target.db']);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(formatBytes(target)).toEqual([2, 2]);
    const restored = readFileSync(target);
    const backupBytes = readFileSync(taken);
    expect(Buffer.concat([restored.subarray(0, 18), backupBytes.subarray(18, 20), restored.subarray(20)]).equals(backupBytes)).toBe(true);
    expect(result.verification).toMatchObject({ ok: true, path: taken, sha256: sha256(taken) });
    expect(statSync(target).mode).toBe(mode);
    // The safety copy is the target's file itself, with a manifest naming its SHA-256.
    expect(statSync(result.safetyCopy!)).toMatchObject({ ino, nlink: 1 });
    expect(readState(result.safetyCopy!)).toEqual({ ...before, journalMode: 'delete' });
    const manifest = JSON.parse(readFileSync(`${result.safetyCopy}.manifest.json`, 'utf8'));
    expect(manifest).toMatchObject({ sha256: sha256(result.safetyCopy!), source: target, verification: { verdict: 'skipped' } });
    expect(await verify(result.safetyCopy!)).toMatchObject({ ok: true, manifestChecked: true });

    // Undo: the safety copy restored the same way gives the target back.
    await restore(result.safetyCopy!, target, { safetyCopy: false });
    expect(readState(target)).toEqual(before);
    expect(formatBytes(target)).toEqual([2, 2]);
  });

  it('keeps the target\'s group and permission bits, so the restored file is readable by no one new', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    // A group other than this process's own (as root: any; otherwise the load keeps it, same inode).
    const group = process.getuid?.() === 0 ? 4242 : statSync(target).gid;
    chownSync(target, statSync(target).uid, group);
    chmodSync(target, 0o640);
    await restore(taken, target);
    expect(statSync(target)).toMatchObject({ gid: group, mode: expect.any(Number) });
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
  });

  it('after its app was killed with commits still in the -wal: the safety copy holds them', async () => {
    const dir = fresh();
    const { target, taken, before } = await changedSinceBackup(dir);
    const app = await startWalBacklog(target, 50);
    app.child.kill('SIGKILL');
    await new Promise((resolve) => app.child.once('exit', resolve));
    expect(statSync(`${target}-wal`).size).toBeGreaterThan(0);
    const { ino } = statSync(target);
    const result = await restore(taken, target);
    expect(statSync(result.safetyCopy!).ino).toBe(ino);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(readState(result.safetyCopy!)).toMatchObject({ a: before.a + 50, b: before.b + 50, integrity: 'ok', journalMode: 'delete' });
  });

  it('follows a symbolic link: the file it names is replaced, the link stays', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const link = join(dir, 'link.db');
    symlinkSync(target, link);
    const result = await restore(taken, link);
    expect(readlinkSync(link)).toBe(target);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(result.safetyCopy).not.toBeNull();
  });

  it('without a safety copy: the old file is gone, nothing is kept', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const result = await restore(taken, target, { safetyCopy: false });
    expect(result.safetyCopy).toBeNull();
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(readdirSync(join(dir, 'backups')).filter((name) => name.includes('before-restore'))).toEqual([]);
  });
});

describe('a swap after the wizard\'s check of the same backup', () => {
  /** The restore's progress in the check phase: whether anything was read there (a hash pass over the backup). */
  const checkPhase = async (taken: string, target: string, checkedSha256: string) => {
    const checks: number[] = [];
    const result = await restore(taken, target, { checkedSha256, onProgress: (p) => p.phase === 'check' && checks.push(p.remainingPages / Math.max(p.totalPages, 1)) });
    return { result, readInCheck: checks.some((left) => left < 1) };
  };

  it('reads the backup once: the copy is hashed against the SHA-256 the check passed, and no check pass comes first', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const { ino } = statSync(target);
    const { result, readInCheck } = await checkPhase(taken, target, (await verify(taken)).sha256);
    expect(readInCheck).toBe(false);
    expect(statSync(result.safetyCopy!).ino).toBe(ino);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(result.verification).toMatchObject({ ok: true, check: 'quick_check', path: taken, sha256: sha256(taken), manifestChecked: true });
  });

  it('a backup that no longer hashes to what the check saw is checked again, then restored', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    // No manifest to disagree first: the copy's own hash finds the difference.
    rmSync(`${taken}.manifest.json`);
    const { result, readInCheck } = await checkPhase(taken, target, 'f'.repeat(64));
    expect(readInCheck).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['backups', 'target.db']);
    expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    expect(result.verification).toMatchObject({ ok: true, path: taken, sha256: sha256(taken) });
    expect(readdirSync(join(dir, 'backups')).filter((name) => name.includes('pagevault'))).toEqual([]);
  });

  it('a target an app has open: loaded in place after the check runs again', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const { ino } = statSync(target);
    const app = await startIdleConnection(target, 'pairs_b');
    const { result } = await checkPhase(taken, target, (await verify(taken)).sha256);
    expect(statSync(target).ino).toBe(ino);
    expect(statSync(result.safetyCopy!).ino).not.toBe(ino);
    expect(JSON.parse(await app.stop())).toEqual({ count: readState(taken).b });
  });
});

describe('a restore the swap leaves to the load', () => {
  it('a WAL target another process has open: loaded in place, and that connection reads the restored rows', async () => {
    const dir = fresh();
    const { target, taken, before } = await changedSinceBackup(dir);
    const { ino } = statSync(target);
    const app = await startIdleConnection(target, 'pairs_b');
    const result = await restore(taken, target);
    expect(statSync(target).ino).toBe(ino);
    expect(statSync(result.safetyCopy!).ino).not.toBe(ino);
    expect(readState(result.safetyCopy!)).toEqual({ ...before, journalMode: 'delete' });
    // The app's connection, open through the restore, reads the backup's 100 rows.
    expect(JSON.parse(await app.stop())).toEqual({ count: readState(taken).b });
  });

  it('a target with a second hard link: loaded in place, so both names show the restored database', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const other = join(dir, 'other-name.db');
    linkSync(target, other);
    await restore(taken, target);
    expect(statSync(target).ino).toBe(statSync(other).ino);
    expect(readState(other)).toEqual({ ...readState(taken), journalMode: 'wal' });
  });

  it('a safety copy folder on another file system: the safety copy is written, the target loaded in place', async (ctx) => {
    const elsewhere = '/dev/shm';
    if (!existsSync(elsewhere) || statSync(elsewhere).dev === statSync(root).dev) ctx.skip(`${elsewhere} is not another file system here`);
    const dir = fresh();
    const { target, taken, before } = await changedSinceBackup(dir);
    const { ino } = statSync(target);
    const safetyDir = mkdtempSync(join(elsewhere, 'pv-swap-safety-'));
    try {
      const result = await restore(taken, target, { safetyCopyDir: safetyDir });
      expect(statSync(target).ino).toBe(ino);
      expect(readState(result.safetyCopy!)).toEqual({ ...before, journalMode: 'delete' });
      expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
    } finally {
      rmSync(safetyDir, { recursive: true, force: true });
    }
  });
});

describe('a swap that fails before the rename', () => {
  /** Everything a failed swap must leave as it was: the rows, WAL mode, the folders' files. */
  async function failedSwap(change: (plan: Parameters<typeof restoreBySwap>[0], cancel: () => void) => void): Promise<unknown> {
    const dir = fresh();
    const { target, taken, before } = await changedSinceBackup(dir);
    const { ino } = statSync(target);
    const backups = readdirSync(join(dir, 'backups')).sort();
    const beside = readdirSync(dir).sort();
    const plan = { backup: taken, backupSha256: sha256(taken), pageSize: 4096, pageCount: statSync(taken).size / 4096, target, safetyCopyDir: join(dir, 'backups'), subject: `Cannot restore ${taken} into ${target}` };
    const flag = createCancelFlag();
    const ctx = new OperationContext(flag, () => undefined);
    change(plan, () => raiseCancelFlag(flag));
    const failure = await restoreBySwap(plan, ctx).then(() => undefined, (error: unknown) => error);
    // The empty -wal this test's reader made went at the checkpoint, as at SQLite's last close; nothing else changed.
    expect(readdirSync(dir).sort()).toEqual(beside.filter((name) => name !== 'target.db-wal'));
    expect(readState(target)).toEqual(before);
    expect(formatBytes(target)).toEqual([2, 2]);
    expect(statSync(target)).toMatchObject({ ino, nlink: 1 });
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(backups);
    return failure;
  }

  it('a backup that no longer hashes to what its check passed: VERIFY_FAILED, the target as it was', async () => {
    const failure = await failedSwap((plan) => (plan.backupSha256 = '0'.repeat(64)));
    expect(failure).toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringContaining('the backup changed after it was checked') });
  });

  it('cancelled: CANCELLED, the target as it was', async () => {
    const failure = await failedSwap((_plan, cancel) => cancel());
    expect(failure).toMatchObject({ code: 'CANCELLED' });
  });
});


describe('a swap killed at each of its steps', () => {
  const crashScript = fileURLToPath(new URL('../../test-support/restore-crash.ts', import.meta.url));

  it('holds the target\'s EXCLUSIVE lock, as another process sees it, at every step up to the rename', async () => {
    const dir = fresh();
    const { target, taken } = await changedSinceBackup(dir);
    const run = spawnSync(process.execPath, [crashScript, taken, target, join(dir, 'backups'), 'probe'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['held held', 'linked held', 'copied held', 'manifested held', 'named held', 'finished']);
  });

  for (const step of ['held', 'linked', 'copied', 'manifested', 'named', 'renamed'] as SwapStep[]) {
    it(`killed once ${step}: the target opens as it was or as restored, the old database is kept, and the next restore swaps`, async () => {
      const dir = fresh();
      const { target, taken, before } = await changedSinceBackup(dir);
      const backups = join(dir, 'backups');
      const killed = spawnSync(process.execPath, [crashScript, taken, target, backups, step], { encoding: 'utf8' });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');

      // The app opens its database (read and write, as it would) and finds it whole, in WAL mode.
      const app = new Database(target);
      expect(app.pragma('integrity_check', { simple: true })).toBe('ok');
      app.close();
      const now = readState(target);
      const safetyCopies = readdirSync(backups).filter((name) => name.endsWith('-before-restore.db')).map((name) => join(backups, name));
      if (step === 'renamed') {
        // Restored: the old database is the safety copy, with its manifest.
        expect(now).toEqual({ ...readState(taken), journalMode: 'wal' });
        expect(safetyCopies).toHaveLength(1);
        expect(readState(safetyCopies[0]!)).toEqual({ ...before, journalMode: 'delete' });
        expect(JSON.parse(readFileSync(`${safetyCopies[0]}.manifest.json`, 'utf8')).sha256).toBe(sha256(safetyCopies[0]!));
      } else {
        // Not restored: the target is the old database; a safety copy's name, if linked, is the same file.
        expect(now).toEqual(before);
        for (const copy of safetyCopies) expect(statSync(copy).ino).toBe(statSync(target).ino);
      }

      // The next restore removes what the killed one left beside the target, and swaps;
      // killed in the moment between naming the safety copy and the rename, the target
      // has that second name, so the next restore loads into it instead.
      const { ino } = statSync(target);
      const again = await restore(taken, target);
      expect(readState(target)).toEqual({ ...readState(taken), journalMode: 'wal' });
      if (step === 'named') expect(statSync(again.safetyCopy!).ino).not.toBe(ino);
      else expect(statSync(again.safetyCopy!).ino).toBe(ino);
      expect(readdirSync(dir).filter((name) => name.includes('pagevault'))).toEqual([]);
    });
  }
});
