// A restore runs SQLite's check of the backup once: the wizard's check passes on the
// backup and gives its SHA-256, or the backup's manifest records the check it passed when
// it was written and the file's SHA-256 then; the restore hashes the backup again and,
// when the hash is the same, the bytes are the ones that check passed on and it is not repeated.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backup, restore } from './index.ts';
import { startIdleConnection } from '../../test-support/processes.ts';
import { makeDatabase } from '../../test-support/databases.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-restore-checked-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a restore after a passed check of the same bytes', () => {
  it('runs quick_check on the backup again only when the backup no longer hashes to what the check saw', async () => {
    const target = join(root, 'target.db');
    makeDatabase(target, { journalMode: 'delete', bytes: 200_000 });
    const source = join(root, 'source.db');
    makeDatabase(source, { journalMode: 'delete', bytes: 400_000 });
    // A backup with damage only SQLite's check finds (page 3's b-tree type byte), and no
    // manifest: so what stops the restore below is quick_check, and nothing else.
    const bytes = readFileSync(source);
    bytes[2 * 4096] = 0x77;
    const damaged = join(root, 'damaged.db');
    writeFileSync(damaged, bytes);
    const targetBefore = sha256(target);

    // The file changed since the check saw it (another hash): the check runs, and refuses.
    await expect(restore(damaged, target, { safetyCopy: false, checkedSha256: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/failed verification.*the target was not touched/) });
    expect(sha256(target)).toBe(targetBefore);
    await expect(restore(damaged, target, { safetyCopy: false })).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
    expect(sha256(target)).toBe(targetBefore);

    // The hash the check saw: quick_check is not run a second time on the same bytes (so
    // the damage put there behind the check's back goes through, which only shows that it did not run).
    const result = await restore(damaged, target, { safetyCopy: false, checkedSha256: sha256(damaged) });
    expect(result.verification).toMatchObject({ ok: true, check: 'quick_check', pageCount: bytes.length / 4096, sha256: sha256(target) });
    expect(readFileSync(target)[2 * 4096]).toBe(0x77);
  });

  /**
   * A backup Pagevault wrote and checked, then damaged where only SQLite's check finds it
   * (page 3's b-tree type byte), its manifest's SHA-256 set to the damaged bytes' and its
   * verdict to `verdict`: whether the restore refuses it shows whether quick_check ran.
   */
  async function damagedBehindItsManifest(dir: string, verdict: 'passed' | 'skipped'): Promise<string> {
    mkdirSync(dir);
    const source = join(dir, 'source.db');
    makeDatabase(source, { journalMode: 'wal', bytes: 400_000 });
    const taken = (await backup(source, join(dir, 'backups') + '/')).path;
    const manifestPath = `${taken}.manifest.json`;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.verification).toMatchObject({ verdict: 'passed', check: 'quick_check' });
    const bytes = readFileSync(taken);
    bytes[2 * 4096] = 0x77;
    writeFileSync(taken, bytes);
    manifest.sha256 = sha256(taken);
    if (verdict === 'skipped') manifest.verification = { verdict: 'skipped', check: null, problems: [] };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    return taken;
  }

  for (const [how, open] of [['swapped in (nothing has the target open)', false], ['loaded into a target an app has open', true]] as const) {
    it(`takes a check the manifest records for the same bytes as done: ${how}`, async () => {
      const dir = mkdtempSync(join(root, 'recorded-'));
      const target = join(dir, 'target.db');
      makeDatabase(target, { journalMode: 'wal', bytes: 200_000 });
      const targetBefore = sha256(target);
      const app = open ? await startIdleConnection(target) : undefined;
      try {
        // A manifest that records no passed check: quick_check runs, and refuses.
        const unchecked = await damagedBehindItsManifest(join(dir, 'unchecked'), 'skipped');
        await expect(restore(unchecked, target)).rejects.toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/failed verification.*the target was not touched/) });
        expect(sha256(target)).toBe(targetBefore);

        // One that records a passed check of these very bytes: the check is not run again
        // (the damage goes through, which only shows that it did not run). A swap reads the
        // backup once, in its copy; a load hashes it first, to compare with the manifest.
        const recorded = await damagedBehindItsManifest(join(dir, 'recorded'), 'passed');
        const checks: number[] = [];
        const result = await restore(recorded, target, { onProgress: (p) => p.phase === 'check' && checks.push(p.remainingPages) });
        expect(result.verification).toMatchObject({ ok: true, check: 'quick_check' });
        if (!open) {
          expect(result.verification.manifestChecked).toBe(true);
          expect(checks.filter((left) => left < statSync(recorded).size / 4096)).toEqual([]);
          expect(readFileSync(target)[2 * 4096]).toBe(0x77);
        }
      } finally {
        await app?.stop();
      }
    });
  }
});
