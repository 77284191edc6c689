/** What `pagevault` prints and how it exits, for outcomes built here from manifests. */
import { describe, expect, it } from 'vitest';
import type { BackupResult } from '../api/types.ts';
import { describeHeldCopy, exitCodeOfError, exitCodes, renderBackup } from './format.ts';

const result: BackupResult = {
  path: '/backups/places-20261201-103000.db',
  manifestPath: '/backups/places-20261201-103000.db.manifest.json',
  durationMs: 1_250,
  removedPartials: [],
  warnings: [],
  manifest: {
    format: 'pagevault-backup',
    formatVersion: 1,
    file: 'places-20261201-103000.db',
    source: '/home/ana/.mozilla/firefox/x.default/places.sqlite',
    startedAt: '2026-12-01T10:30:00.000Z',
    finishedAt: '2026-12-01T10:30:01.250Z',
    mode: 'snapshot',
    sourceJournalMode: 'wal',
    pageSize: 32768,
    pageCount: 2_160,
    bytes: 70_778_880,
    sha256: 'ab'.repeat(32),
    sqliteVersion: '3.50.4',
    restarts: 0,
    verification: { verdict: 'passed', check: 'quick_check', problems: [] },
  },
};

describe('pagevault backup output', () => {
  it('says a database another program held was copied without a lock, and how far the copy is consistent', () => {
    const held = { ...result, manifest: { ...result.manifest, heldCopy: { journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' } as const } };
    expect(renderBackup(held).split('\n')).toEqual([
      `Backed up ${result.manifest.source} to ${result.path}`,
      '  2,160 pages × 32768 bytes, snapshot mode, 0 restarts, 1.3 s',
      '  Copied while another program held it (WAL, consistent up to WAL commit frame 1,234 of checkpoint 7; 2 tries)',
      `  verification: passed, sha256 ${'ab'.repeat(32)}`,
    ]);
  });

  it('says a backup was cloned on a copy-on-write file system, and nothing of a copied one', () => {
    const cloned = { ...result, manifest: { ...result.manifest, copyMethod: 'cloned' as const } };
    expect(renderBackup(cloned).split('\n')[2]).toBe('  cloned: shares its unchanged blocks with the database (copy-on-write file system)');
    const copied = { ...result, manifest: { ...result.manifest, copyMethod: 'copied' as const } };
    expect(renderBackup(copied)).not.toMatch(/clone/);
  });

  it('names a rollback journal and a single try as such', () => {
    expect(describeHeldCopy({ journal: 'rollback', tries: 1, consistentUpTo: 'change counter 4,711' })).toBe(
      'Copied while another program held it (rollback journal, consistent up to change counter 4,711; 1 try)',
    );
  });

  it('says nothing of held copies for a normal backup', () => {
    expect(renderBackup(result)).not.toContain('another program');
  });

  it("prints each of the backup's warnings on a line of its own", () => {
    const warned = renderBackup({ ...result, warnings: ['the helper could not write x.db-wal back (EIO)'] }).split('\n');
    expect(warned.at(-1)).toBe('  warning: the helper could not write x.db-wal back (EIO)');
  });

  it('exits 75 (EX_TEMPFAIL) for a deferred backup, 1 for any other error', () => {
    expect(exitCodeOfError('DEFERRED')).toBe(75);
    expect(exitCodes.deferred).toBe(75);
    expect(exitCodeOfError('SOURCE_BUSY')).toBe(1);
    expect(exitCodeOfError('INTERNAL')).toBe(1);
  });
});
