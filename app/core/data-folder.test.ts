/**
 * Pagevault's own folder: created owner-only, its catalog files 0600, a folder the user
 * chose with other content left as it was; and every check that protects the catalog
 * holds through a symlinked data folder (real paths are compared).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { callCore, failureOf, jobFinished } from '../../test-support/core-calls.ts';
import { Core } from './core.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-data-folder-'));
let caseNumber = 0;
const newWork = () => {
  caseNumber += 1;
  const work = join(root, `case-${caseNumber}`);
  mkdirSync(work);
  return work;
};
const modeOf = (path: string) => statSync(path).mode & 0o777;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('permissions', () => {
  it('creates the data folder 0700 and the catalog with its -wal and -shm 0600', async () => {
    const dataDir = join(newWork(), 'new', 'data');
    const core = new Core({ dataDir, shell: 'web' });
    try {
      await callCore(core, 'settings.update', { concurrency: 3 });
      expect(modeOf(dataDir)).toBe(0o700);
      for (const file of ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm']) expect(modeOf(join(dataDir, file))).toBe(0o600);
    } finally {
      await core.close();
    }
    expect(modeOf(join(dataDir, 'catalog-backups'))).toBe(0o700);
  });

  it("tightens a folder that holds only Pagevault's files, and its catalog", async () => {
    const dataDir = join(newWork(), 'data');
    await new Core({ dataDir, shell: 'web' }).close();
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'catalog.sqlite'), 0o644);
    await new Core({ dataDir, shell: 'web' }).close();
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'catalog.sqlite'))).toBe(0o600);
  });

  it('leaves the permissions of a folder the user chose that holds other files', async () => {
    const dataDir = join(newWork(), 'shared');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine\n');
    await new Core({ dataDir, shell: 'web' }).close();
    expect(modeOf(dataDir)).toBe(0o755);
    expect(modeOf(join(dataDir, 'catalog.sqlite'))).toBe(0o600);
  });
});

describe('a symlinked data folder', () => {
  /** A data folder reached through a symlink, with a registered database backed up once. */
  async function throughSymlink() {
    const work = newWork();
    const realDir = join(work, 'real-data');
    const linked = join(work, 'linked-data');
    mkdirSync(realDir);
    symlinkSync(realDir, linked);
    const live = join(work, 'chinook.sqlite');
    copyFileSync(chinookFixture, live);
    const core = new Core({ dataDir: linked, shell: 'web' });
    const { id } = await callCore(core, 'databases.add', { path: live });
    const job = await callCore(core, 'backups.start', { databaseId: id });
    const done = await jobFinished(core, job.jobId);
    expect(done.ok).toBe(true);
    return { work, core, linked, realDir, backup: done.backup!.path! };
  }

  it('refuses to register the catalog, or to restore over it or its companions, by the linked path', async () => {
    const { core, linked, backup } = await throughSymlink();
    try {
      const catalog = join(linked, 'catalog.sqlite');
      const before = sha256(catalog);
      expect(await failureOf(core, 'databases.add', { path: catalog })).toMatchObject({ code: 'OWN_FILE', message: expect.stringContaining("it is Pagevault's own catalog") });
      expect((await callCore(core, 'restore.target', { backupPath: backup, targetPath: catalog })).problem).toContain("is Pagevault's own catalog");
      expect(await failureOf(core, 'restore.start', { backupPath: backup, targetPath: catalog, safetyCopy: true, proceedWhileInUse: true })).toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining("is Pagevault's own catalog"),
      });
      // A file that does not exist yet, by a path through the link.
      expect((await callCore(core, 'restore.target', { backupPath: backup, targetPath: join(linked, 'catalog.sqlite-journal') })).problem).toContain("belongs to Pagevault's own catalog");
      const catalogBackup = join(linked, 'catalog-backups', 'catalog-20260101-000000.sqlite');
      expect((await callCore(core, 'restore.target', { backupPath: backup, targetPath: catalogBackup })).problem).toContain("Pagevault's own catalog backups");
      expect(sha256(catalog)).toBe(before);
      expect(existsSync(join(linked, 'catalog.sqlite-journal'))).toBe(false);
      expect((await callCore(core, 'databases.list', {})).map((row) => row.path)).not.toContain(catalog);
    } finally {
      await core.close();
    }
  });

  it("refuses restores into, and backups into, Pagevault's own folders by the linked path", async () => {
    const { core, linked, backup } = await throughSymlink();
    try {
      const target = (path: string) => callCore(core, 'restore.target', { backupPath: backup, targetPath: path }).then((t) => t.problem);
      expect(await target(join(linked, 'restored.db'))).toContain("it is in Pagevault's data folder, beside the catalog");
      expect(await target(join(linked, 'staging', 'x.db'))).toContain("Pagevault's staging folder");
      expect(await target(join(linked, 'backups', 'elsewhere', 'restored.db'))).toBe('the folder ' + join(linked, 'backups', 'elsewhere') + ' does not exist');

      const [database] = await callCore(core, 'databases.list', {});
      for (const [folder, says] of [
        [linked, "it is Pagevault's data folder, beside the catalog"],
        [join(linked, 'staging'), "it is in Pagevault's staging folder, whose files are removed after a day"],
        [join(linked, 'catalog-backups'), "it is in the folder of Pagevault's own catalog backups"],
      ] as const) {
        await callCore(core, 'databases.update', { id: database!.id, destination: folder });
        const job = await callCore(core, 'backups.start', { databaseId: database!.id });
        const done = await jobFinished(core, job.jobId);
        expect(done).toMatchObject({ ok: false, error: { code: 'OWN_FILE' } });
        expect(done.error!.message).toContain(`into ${folder}: ${says}`);
      }
      expect(readdirSync(linked).filter((name) => name.endsWith('.db'))).toEqual([]);
    } finally {
      await core.close();
    }
  });
});
