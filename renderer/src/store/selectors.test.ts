import { describe, expect, it } from 'vitest';
import { formatBytes, screenFromHash, shortenMiddle } from './selectors.ts';

describe('screenFromHash', () => {
  it.each([
    ['#/history', 'history'],
    ['#/settings?x=1', 'settings'],
    ['#restore', 'restore'],
    ['', 'databases'],
    ['#/nowhere', 'databases'],
  ])('%s → %s', (hash, screen) => expect(screenFromHash(hash)).toBe(screen));
});

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
