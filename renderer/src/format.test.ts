import { describe, expect, it } from 'vitest';
import { backupOutcome, capitalized, runOutcome, compareForDisplay, describeClone, describeComparison, describeHeldCopy, describeStorage, formatBytes, formatDuration, formatRelativeTime, fractionDone, secondsLeft, shortenMiddle, backupNameParts } from './format.ts';

describe('shortenMiddle', () => {
  it('keeps short paths whole', () => expect(shortenMiddle('/a/b.db', 20)).toBe('/a/b.db'));
  it('cuts the middle and keeps the file name', () => {
    const short = shortenMiddle('/home/ana/.local/share/Zotero/profiles/abc123/zotero.sqlite', 40);
    expect(short.length).toBeLessThanOrEqual(40);
    expect(short).toMatch(/^\/home\/ana.*…\/zotero\.sqlite$/);
  });
  it('cuts a very long file name from the front', () => {
    const short = shortenMiddle(`/x/${'n'.repeat(80)}.db`, 30);
    expect(short.length).toBe(30);
    expect(short.startsWith('…')).toBe(true);
  });
});

describe('backupNameParts', () => {
  it.each([
    ['chinook-20261203-144307.db.age', 'chinook', '-20261203-144307.db.age'],
    ['a-long-database-name-20261203-144307-2.db', 'a-long-database-name', '-20261203-144307-2.db'],
    ['places-20261203-144307-before-restore.db', 'places', '-20261203-144307-before-restore.db'],
    ['places-20261203-144307-before-restore-2.db', 'places', '-20261203-144307-before-restore-2.db'],
    ['my.backup.sqlite', 'my', '.backup.sqlite'],
    ['.hidden', '.hidden', ''],
    ['noextension', 'noextension', ''],
  ])('%s: %s is cut, never %s', (name, head, tail) => {
    expect(backupNameParts(name)).toEqual({ head, tail });
    expect(head + tail).toBe(name);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [999, '999 bytes'],
    [1536, '1.5 KB'],
    [1_048_576, '1.0 MB'],
    [215_000_000, '215 MB'],
    [-1, '–'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));
});

describe('progress', () => {
  it('is (pagecount − remaining) / pagecount, clamped', () => {
    expect(fractionDone({ totalPages: 200, remainingPages: 50 })).toBe(0.75);
    expect(fractionDone({ totalPages: 0, remainingPages: 0 })).toBe(0);
    expect(fractionDone(null)).toBe(0);
    expect(fractionDone({ totalPages: 100, remainingPages: 120 })).toBe(0);
  });
  it('estimates the time left from the rate', () => {
    expect(secondsLeft({ totalPages: 100, remainingPages: 50, bytesCopied: 50 * 4096, bytesPerSecond: 4096 * 10 })).toBe(5);
    expect(secondsLeft({ totalPages: 100, remainingPages: 100, bytesCopied: 0, bytesPerSecond: 0 })).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250 ms'],
    [1500, '1.5 s'],
    [42_000, '42 s'],
    [95_000, '1 min 35 s'],
    [7_260_000, '2 h 1 min'],
    [-5, '–'],
  ])('%d → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('formatRelativeTime', () => {
  const now = new Date('2026-11-20T12:00:00Z');
  it.each([
    ['2026-11-20T11:59:30Z', 'just now'],
    ['2026-11-20T11:55:00Z', '5 min ago'],
    ['2026-11-20T09:00:00Z', '3 h ago'],
    ['2026-11-19T11:00:00Z', 'yesterday'],
    ['2026-11-16T12:00:00Z', '4 days ago'],
  ])('%s → %s', (iso, text) => expect(formatRelativeTime(iso, now)).toBe(text));
  it('gives the date after a week', () => expect(formatRelativeTime('2026-10-01T12:00:00Z', now)).toMatch(/2026/));
});

describe('compareForDisplay', () => {
  const backup = [
    { name: 'Album', rows: 347 },
    { name: 'InvoiceLine', rows: 2240 },
    { name: 'Old', rows: 3 },
  ];

  it('lists every table of both sides with what the restore changes', () => {
    const rows = compareForDisplay(backup, { added: ['Old'], removed: ['New'], changed: [{ name: 'InvoiceLine', targetRows: 0 }], unchanged: 1 });
    expect(rows).toEqual([
      { name: 'Album', backupRows: 347, targetRows: 347, change: 'same' },
      { name: 'InvoiceLine', backupRows: 2240, targetRows: 0, change: 'differs' },
      { name: 'Old', backupRows: 3, targetRows: undefined, change: 'added' },
      { name: 'New', backupRows: undefined, targetRows: undefined, change: 'removed' },
    ]);
    expect(describeComparison(rows)).toBe(
      'The backup differs from the database now: 1 table with different row counts; 1 table the database no longer has; 1 table added since, which the restore removes.',
    );
  });

  it('marks the target side unknown without a comparison, and says when nothing differs', () => {
    expect(compareForDisplay(backup, null).every((row) => row.change === 'unknown' && row.targetRows === undefined)).toBe(true);
    const same = compareForDisplay(backup.slice(0, 1), { added: [], removed: [], changed: [], unchanged: 1 });
    expect(describeComparison(same)).toBe('Every table has the same number of rows as now.');
  });
});

describe('cloned backups', () => {
  it('explain that the backup shares its blocks and is still a file of its own', () => {
    expect(describeClone(2_500_000)).toBe(
      'Cloned on a copy-on-write file system: this backup of 2.5 MB shares its blocks with the database it came from, so it took milliseconds and takes new space only for the blocks either of them changes later. It is a standalone file all the same.',
    );
    expect(describeClone(null)).toMatch(/^Cloned on a copy-on-write file system: this backup shares/);
  });
});

describe('held copies and deferred runs', () => {
  it('explains a copy taken without a lock, without naming the program that held the database', () => {
    expect(describeHeldCopy({ journal: 'wal', tries: 2, consistentUpTo: 'WAL commit frame 1,234 of checkpoint 7' })).toBe(
      'Another program held this database, so Pagevault copied it without a lock and checked the copy: consistent up to WAL commit frame 1,234 of checkpoint 7; 2 tries.',
    );
    expect(describeHeldCopy({ journal: 'rollback', tries: 1, consistentUpTo: 'change counter 12' })).toMatch(/; 1 try\.$/);
  });

  it.each([
    [{ status: 'deferred', verification: 'skipped' }, 'deferred: in use', 'calm'],
    [{ status: 'failed', verification: 'skipped' }, 'failed', 'bad'],
    [{ status: 'skipped', verification: 'skipped' }, 'skipped: unchanged', 'muted'],
    [{ status: 'interrupted', verification: 'skipped' }, 'interrupted', 'bad'],
    [{ status: 'succeeded', verification: 'passed' }, 'verified', 'good'],
    [{ status: 'succeeded', verification: 'skipped' }, 'not verified', 'warn'],
    // A safety copy is only hashed on purpose (Undo restore checks it): no warning, what it is.
    [{ status: 'succeeded', verification: 'skipped', trigger: 'before-restore', sha256: 'ab'.repeat(32) }, 'hashed; not checked', 'muted'],
    [{ status: 'succeeded', verification: 'skipped', trigger: 'before-restore', sha256: null }, 'not verified', 'warn'],
    [{ status: 'succeeded', verification: 'skipped', trigger: 'manual', sha256: 'ab'.repeat(32) }, 'not verified', 'warn'],
  ] as const)('names the outcome of %o: %s', (backup, word, tone) => {
    expect(backupOutcome(backup)).toEqual({ word, tone });
  });

  it('words a run the same on every screen, capitalised where it stands alone', () => {
    expect(capitalized(runOutcome.deferred.word)).toBe('Deferred: in use');
    expect(capitalized(runOutcome.succeeded.word)).toBe('Backed up');
    expect(backupOutcome({ status: 'missed', verification: 'skipped' })).toBe(runOutcome.missed);
  });
});

describe('describeStorage', () => {
  const totals = { bytes: 12_500_000, wouldFree: 4_000_000, wouldDelete: 3, missing: 0, clonedBytes: 0, wouldFreeIsUpperBound: false };
  const policy = { keepLast: 2, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, minAgeDays: null };
  it('says the total against the database and what retention frees', () => {
    expect(describeStorage({ sourceBytes: 1_000_000, policy, totals })).toEqual({
      total: 'Backups take 12.5 MB on disk (the database itself is 1.0 MB).',
      retention: 'Retention would free 4.0 MB now, deleting 3 backups.',
      notes: [],
    });
  });
  it('says "up to" when versions or clones are deleted, and names clones and missing copies', () => {
    const words = describeStorage({ sourceBytes: null, policy, totals: { ...totals, wouldDelete: 1, wouldFreeIsUpperBound: true, clonedBytes: 2_000_000, missing: 1 } });
    expect(words.total).toBe('Backups take 12.5 MB on disk (the database itself cannot be found now).');
    expect(words.retention).toBe('Retention would free up to 4.0 MB now, deleting 1 backup.');
    expect(words.notes).toHaveLength(3);
    expect(words.notes[1]).toBe('1 copy is missing from disk and counted as nothing.');
  });
  it('says when there is no policy, or it deletes nothing', () => {
    expect(describeStorage({ sourceBytes: 5, policy: null, totals }).retention).toBe('No retention policy: every backup is kept.');
    expect(describeStorage({ sourceBytes: 5, policy, totals: { ...totals, wouldDelete: 0, wouldFree: 0 } }).retention).toBe('Retention would free nothing now: it keeps every backup there is.');
  });
});
