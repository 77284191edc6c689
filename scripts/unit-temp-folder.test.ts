// The unit run's temp folder: whatever a test leaves there is named and removed at the end.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRunTempFolder } from './unit-temp-folder.ts';

describe('the unit run temp folder', () => {
  it('gives the tests a folder of their own and removes what they left, naming it', () => {
    const before = process.env.TMPDIR;
    const lines: string[] = [];
    const teardown = useRunTempFolder((line) => lines.push(line));
    const runDir = tmpdir();
    expect(runDir).not.toBe(before);
    const leaked = mkdtempSync(join(tmpdir(), 'pv-leaky-'));
    writeFileSync(join(leaked, 'catalog.sqlite'), 'x');
    mkdirSync(join(runDir, 'node-compile-cache'));
    teardown();
    expect(existsSync(runDir)).toBe(false);
    expect(process.env.TMPDIR).toBe(before);
    expect(lines).toEqual([`Left in the temp folder by the unit tests, removed now: ${leaked.slice(runDir.length + 1)}`]);
  });

  it('says nothing when the tests left nothing', () => {
    const lines: string[] = [];
    const teardown = useRunTempFolder((line) => lines.push(line));
    const runDir = tmpdir();
    teardown();
    expect(existsSync(runDir)).toBe(false);
    expect(lines).toEqual([]);
  });
});
