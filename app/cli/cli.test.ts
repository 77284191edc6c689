// The pagevault command as a user runs it: its messages name the right operation and the
// flag that helps.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { caseFolders } from '../../test-support/unit.ts';

const cli = fileURLToPath(new URL('./main.ts', import.meta.url));
const { fresh } = caseFolders('pv-cli-');
const isRoot = process.getuid?.() === 0;
const pagevault = (...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status, stdout, stderr };
};
/** The command run as a user whose home folder is `home`. */
const pagevaultAt = (home: string, ...args: string[]) => {
  const { status, stdout, stderr } = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, HOME: home, XDG_CONFIG_HOME: '', XDG_DATA_HOME: '' } });
  return { status, stdout, stderr };
};
/** A home folder with a Firefox profile, an Anki collection and Signal's encrypted database. */
function fakeHome(): string {
  const home = fresh();
  const profile = join(home, '.mozilla', 'firefox', 'abcd1234.default-release');
  mkdirSync(profile, { recursive: true });
  makeDatabase(join(profile, 'places.sqlite'));
  makeDatabase(join(profile, 'cookies.sqlite'), { journalMode: 'delete' });
  mkdirSync(join(home, '.local', 'share', 'Anki2', 'User 1'), { recursive: true });
  makeDatabase(join(home, '.local', 'share', 'Anki2', 'User 1', 'collection.anki2'));
  mkdirSync(join(home, '.config', 'Signal', 'sql'), { recursive: true });
  writeFileSync(join(home, '.config', 'Signal', 'sql', 'db.sqlite'), Buffer.alloc(4096, 0x33));
  return home;
}

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
      expect(run.stderr).toContain(`is read-only (its file system is mounted read-only). The target was not touched. Restore without one with --no-safety-copy. [READ_ONLY]`);
      expect(readState(target)).toEqual(before);
      const without = pagevault('restore', join(media, 'backup.db'), target, '--no-safety-copy');
      expect(without.status).toBe(0);
      expect(readState(target).blobs).toBe(readState(join(dir, 'backup.db')).blobs);
    } finally {
      execFileSync('umount', [media]);
    }
  });

  it('discover prints what it found as a table, and makes no data folder just to look', () => {
    const home = fakeHome();
    const dataDir = join(home, 'pagevault-data');
    const run = pagevaultAt(home, 'discover', '--data-dir', dataDir);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^APP +PROFILE +FILE +SIZE +JOURNAL +HELD NOW +REGISTERED$/);
    expect(lines.slice(1, 5).map((line) => line.split(/ {2,}/))).toEqual([
      ['Anki', 'User 1', '~/.local/share/Anki2/User 1/collection.anki2', expect.stringMatching(/kB$/), 'wal', 'no', 'no'],
      ['Firefox', 'default-release', '~/.mozilla/firefox/abcd1234.default-release/cookies.sqlite', expect.stringMatching(/kB$/), 'rollback', 'no', 'no'],
      ['Firefox', 'default-release', '~/.mozilla/firefox/abcd1234.default-release/places.sqlite', expect.stringMatching(/kB$/), 'wal', 'no', 'no'],
      ['Signal', '', '~/.config/Signal/sql/db.sqlite', '4.1 kB', 'encrypted', 'no', 'no'].filter((cell, column) => column !== 1 || cell),
    ]);
    expect(run.stdout).toContain(`4 databases of known apps under ${home}`);
    expect(run.stdout).toMatch(/~\/\.config\/Signal\/sql\/db\.sqlite: Signal encrypts this database/);
    expect(existsSync(dataDir)).toBe(false);
    const empty = pagevaultAt(fresh(), 'discover', '--data-dir', dataDir);
    expect(empty.stdout).toMatch(/^No databases of known apps were found under \//);
  });

  it('discover --add adds every readable database not yet in Pagevault, under its suggested name', () => {
    const home = fakeHome();
    const dataDir = join(home, 'pagevault-data');
    const run = pagevaultAt(home, 'discover', '--add', '--json', '--data-dir', dataDir);
    expect(run.status).toBe(0);
    const { value } = JSON.parse(run.stdout) as { value: { added: Array<{ label: string }>; result: { databases: Array<{ app: string; registered: boolean }> } } };
    expect(value.added.map((a) => a.label).sort()).toEqual(['Anki · User 1 · collection', 'Firefox · default-release · cookies', 'Firefox · default-release · places']);
    expect(value.result.databases.map((d) => `${d.app} ${d.registered}`)).toEqual(['Anki true', 'Firefox true', 'Firefox true', 'Signal false']);
    const again = pagevaultAt(home, 'discover', '--add', '--data-dir', dataDir);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain('Added');
    expect(again.stdout.split('\n')[1]).toMatch(/ yes$/);
  });

  it('discover says which flags go with it', () => {
    expect(pagevault('--help').stdout).toContain('discover');
    expect(pagevault('inspect', '/x.db', '--add').stderr).toContain('--add goes with discover');
    expect(pagevault('discover', '/x').stderr).toContain(`'discover' takes no path, got 1`);
  });
});

describe('pagevault backup of a database another program holds', () => {
  it('copies it without a lock and says so, with the commit it is consistent up to', async () => {
    const { startExclusiveWriter } = await import('../../test-support/processes.ts');
    const dir = fresh();
    const source = join(dir, 'places.sqlite');
    makeDatabase(source, { journalMode: 'wal' });
    const writer = await startExclusiveWriter(source, 'wal');
    try {
      const { status, stdout } = pagevault('backup', source, join(dir, 'out.db'));
      expect(status).toBe(0);
      expect(stdout).toMatch(/Copied while another program held it \(WAL, consistent up to (WAL commit frame [\d,]+ of checkpoint [\d,]+|the last checkpoint[^;]*); [\d,]+ tr(y|ies)\)/);
      expect(readState(join(dir, 'out.db'))).toMatchObject({ integrity: 'ok' });
    } finally {
      await writer.stop();
    }
  });
});
