import { describe, expect, it } from 'vitest';
import type { DiscoveredDatabase } from '../../../app/api/index.ts';
import { addSelectedLabel, groupByApp, isSelectable } from './discovery-selectors.ts';

const found = (app: string, path: string, extra: Partial<DiscoveredDatabase> = {}): DiscoveredDatabase => ({
  app,
  profile: null,
  path,
  sizeBytes: 4096,
  format: 'sqlite',
  journal: 'wal',
  held: false,
  registered: false,
  suggestedLabel: `${app} · x`,
  note: null,
  ...extra,
});

describe('the discovery panel', () => {
  it('offers only SQLite files and encrypted ones (added with their key, or raw) that are not in Pagevault yet', () => {
    const added = new Set(['/h/just-added.db']);
    expect(isSelectable(found('Anki', '/h/a.anki2'), added)).toBe(true);
    expect(isSelectable(found('Anki', '/h/a.anki2', { held: true }), added)).toBe(true);
    expect(isSelectable(found('Anki', '/h/a.anki2', { registered: true }), added)).toBe(false);
    expect(isSelectable(found('Anki', '/h/just-added.db'), added)).toBe(false);
    expect(isSelectable(found('Signal', '/h/db.sqlite', { format: 'encrypted', journal: null }), added)).toBe(true);
    expect(isSelectable(found('Signal', '/h/db.sqlite', { format: 'encrypted', journal: null, registered: true }), added)).toBe(false);
  });

  it('groups by app in the order found', () => {
    const groups = groupByApp([found('Anki', '/1'), found('Firefox', '/2'), found('Firefox', '/3'), found('Zotero', '/4')]);
    expect(groups.map((g) => [g.app, g.databases.map((d) => d.path)])).toEqual([
      ['Anki', ['/1']],
      ['Firefox', ['/2', '/3']],
      ['Zotero', ['/4']],
    ]);
  });

  it('says how many are selected', () => {
    expect(addSelectedLabel(0)).toBe('Add selected');
    expect(addSelectedLabel(2)).toBe('Add selected (2)');
  });
});
