// A restore runs SQLite's check of the backup once: the wizard's check passes on the
// backup and gives its SHA-256; the restore hashes the backup again and, when the hash is
// the same, the bytes are the ones that check passed on and its check is not repeated.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restore } from './index.ts';
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
});
