// The pagevault command as a user runs it: its messages name the right operation and the
// flag that helps.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase, readState } from '../../test-support/databases.ts';

const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'pv-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
let n = 0;
const fresh = () => {
  const dir = join(root, `case-${(n += 1)}`);
  mkdirSync(dir);
  return dir;
};
const pagevault = (...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status, stdout, stderr };
};

describe('pagevault', () => {
  it('backup onto an existing file names the flag that replaces it', () => {
    const dir = fresh();
    makeDatabase(join(dir, 'small.db'));
    writeFileSync(join(dir, 'taken.db'), 'mine');
    const run = pagevault('backup', join(dir, 'small.db'), join(dir, 'taken.db'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`the file already exists (pass --force to replace it) [DEST_EXISTS]`);
    expect(run.stderr).not.toContain('overwrite');
    expect(readFileSync(join(dir, 'taken.db'), 'utf8')).toBe('mine');
  });

  it('--help documents every exit code, a deferred backup included', () => {
    const help = pagevault('--help');
    expect(help.status).toBe(0);
    const section = help.stdout.slice(help.stdout.indexOf('Exit codes:')).split('\n').map((line) => line.trim());
    expect(section.slice(0, 5)).toEqual([
      'Exit codes:',
      '0   done',
      '1   failed (the message says why and what to do)',
      '2   usage error',
      '75  deferred: another program held the database and kept writing while it was copied,',
    ]);
  });

  it('restore errors say restore, not back up or verify', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'notes.txt'), 'not a database at all, just some words');
    const bad = pagevault('restore', join(dir, 'notes.txt'), join(dir, 'target.db'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^pagevault: Cannot restore from ${join(dir, 'notes.txt')}: `));
    makeDatabase(join(dir, 'good.db'));
    const missing = pagevault('restore', join(dir, 'good.db'), join(dir, 'no-such-folder', 'target.db'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`Cannot restore ${join(dir, 'good.db')} to ${join(dir, 'no-such-folder', 'target.db')}: the folder`);
    expect(`${bad.stderr}${missing.stderr}`).not.toMatch(/Cannot (back up|verify)/);
  });

  it.skipIf(!isRoot)('a restore from read-only media says the safety copy failed and how to restore without one', () => {
    const dir = fresh();
    const media = join(dir, 'media');
    mkdirSync(media);
    makeDatabase(join(dir, 'backup.db'), { journalMode: 'delete' }); // as every Pagevault backup is
    const target = join(dir, 'target.db');
    makeDatabase(target, { bytes: 200_000 });
    const before = readState(target);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8M', 'tmpfs', media]);
    try {
      copyFileSync(join(dir, 'backup.db'), join(media, 'backup.db'));
      execFileSync('mount', ['-o', 'remount,ro', media]);
      const run = pagevault('restore', join(media, 'backup.db'), target);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`Cannot take the safety copy of ${target} to ${media}/`);
      expect(run.stderr).toContain(`is on a read-only file system. The target was not touched. Restore without one with --no-safety-copy. [READ_ONLY]`);
      expect(readState(target)).toEqual(before);
      const without = pagevault('restore', join(media, 'backup.db'), target, '--no-safety-copy');
      expect(without.status).toBe(0);
      expect(readState(target).blobs).toBe(readState(join(dir, 'backup.db')).blobs);
    } finally {
      execFileSync('umount', [media]);
    }
  });
});
