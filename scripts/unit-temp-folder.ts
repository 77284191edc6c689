// Vitest's globalSetup: the unit tests' temp folders go into one folder of this run's, and
// that folder goes at the end, whatever a test left there; the leftovers are named, so the
// test that left them can be fixed.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Caches, not leftovers: Node's compile cache, and Playwright's of a test that runs it. */
const CACHES = /^(node-compile-cache|playwright-transform-cache-\d+)$/;

/** Points TMPDIR (TEMP, TMP on Windows) of the test processes at a new folder; returns the teardown that removes it. */
export function useRunTempFolder(report: (line: string) => void): () => void {
  const outer = tmpdir();
  const dir = mkdtempSync(join(outer, 'pv-unit-run-'));
  process.env.NODE_COMPILE_CACHE ??= join(outer, 'node-compile-cache');
  const saved = { TMPDIR: process.env.TMPDIR, TEMP: process.env.TEMP, TMP: process.env.TMP };
  process.env.TMPDIR = process.env.TEMP = process.env.TMP = dir;
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    const left = readdirSync(dir).filter((name) => !CACHES.test(name));
    if (left.length > 0) report(`Left in the temp folder by the unit tests, removed now: ${left.join(', ')}`);
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Vitest calls this before the run, and what it returns after it. */
export default function setup(): () => void {
  return useRunTempFolder((line) => console.warn(line));
}
