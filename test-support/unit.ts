/** What unit tests of app/ share: a folder per case, the failure a promise ends in, and the tools they need. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { PagevaultError } from '../app/api/errors.ts';

/**
 * A temp root for the calling file, removed after its last test (registers afterAll), and
 * `fresh(name)`, a new empty folder in it per call: cases never see each other's files.
 */
export function caseFolders(prefix: string): { root: string; fresh: (name?: string) => string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return {
    root,
    fresh: (name = 'case') => {
      const dir = join(root, `${name}-${(n += 1)}`);
      mkdirSync(dir);
      return dir;
    },
  };
}

/** The PagevaultError `promise` rejects with, as its code and message; fails the test when it resolves or throws anything else. */
export async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PagevaultError);
    return { code: (error as PagevaultError).code, message: (error as Error).message };
  }
  throw new Error('expected a failure');
}

/** Why the tests that check against Debian's age CLI are skipped here, or '' when it is installed. */
export const ageMissing = spawnSync('age', ['--version']).status !== 0 ? 'the age CLI is not installed (Debian package age)' : '';
