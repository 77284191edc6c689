import { describe, expect, it } from 'vitest';
import { screenFromHash } from './screens.ts';

describe('screenFromHash', () => {
  it.each([
    ['#/history', 'history'],
    ['#/settings?x=1', 'settings'],
    ['#restore', 'restore'],
    ['', 'databases'],
    ['#/nowhere', 'databases'],
  ])('%s → %s', (hash, screen) => expect(screenFromHash(hash)).toBe(screen));
});
