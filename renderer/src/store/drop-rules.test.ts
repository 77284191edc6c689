import { describe, expect, it } from 'vitest';
import { judgeDrop, type DroppedItem } from './drop-rules.ts';

describe('judgeDrop', () => {
  it.each([
    { name: 'a .db file', items: [{ name: 'chinook-20261120-101500.db', kind: 'file' as const }], ok: true },
    { name: 'a .sqlite file', items: [{ name: 'places.sqlite', kind: 'file' as const }], ok: true },
    { name: 'upper-case .SQLITE3', items: [{ name: 'A.SQLITE3', kind: 'file' as const }], ok: true },
    { name: 'a .db3 file', items: [{ name: 'x.db3', kind: 'file' as const }], ok: true },
    { name: 'an encrypted backup (.db.age)', items: [{ name: 'chinook-20261201-101500.db.age', kind: 'file' as const }], ok: true },
  ])('accepts $name', ({ items, ok }) => {
    expect(judgeDrop(items).ok).toBe(ok);
  });

  it.each([
    { name: 'nothing', items: [], says: 'Nothing to restore' },
    { name: 'two files', items: [{ name: 'a.db', kind: 'file' as const }, { name: 'b.db', kind: 'file' as const }], says: '2 items were dropped' },
    { name: 'a folder', items: [{ name: 'backups.db', kind: 'directory' as const }], says: 'backups.db is a folder' },
    { name: 'an image', items: [{ name: 'holiday.png', kind: 'file' as const }], says: 'holiday.png is not a database backup' },
    { name: 'a name without extension', items: [{ name: 'README', kind: 'file' as const }], says: 'README is not a database backup' },
    { name: 'a dot file', items: [{ name: '.db', kind: 'file' as const }], says: 'is not a database backup' },
  ])('refuses $name and says what was expected', ({ items, says }) => {
    const verdict = judgeDrop<DroppedItem>(items);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) {
      expect(verdict.message).toContain(says);
      expect(verdict.message).toContain('.sqlite');
    }
  });
});
