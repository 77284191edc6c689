/**
 * A cause reads the same whichever operation ran into it: choosing a backup folder
 * through the core and backing up into a folder through the engine name the same
 * condition with the same code in the same words. Real files, a real read-only mount.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { coreCases } from '../../test-support/core-calls.ts';
import * as engine from '../engine/index.ts';

const t = coreCases('pv-core-wording-');
const isRoot = process.getuid?.() === 0;

async function added(): Promise<{ id: number; path: string }> {
  const path = join(t.work, 'chinook.sqlite');
  copyFileSync(chinookFixture, path);
  const { id } = await t.call('databases.add', { path });
  return { id, path };
}

async function backupFailure(source: string, destination: string): Promise<{ code: string; message: string }> {
  return engine.backup(source, destination).then(
    () => { throw new Error(`backing up ${source} to ${destination} succeeded`); },
    (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
  );
}

describe('one wording per cause', () => {
  it.skipIf(!isRoot)('a folder on a read-only file system is READ_ONLY in the same words as a backup folder and as a backup destination', async () => {
    const { id, path } = await added();
    const mount = join(t.work, 'ro');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1M,ro', 'tmpfs', mount]);
    try {
      const cause = `the folder ${mount} is read-only (its file system is mounted read-only)`;
      expect(await t.failure('databases.update', { id, destination: mount })).toEqual({
        code: 'READ_ONLY',
        message: `Cannot use ${mount} as the backup folder of 'chinook': ${cause}`,
        issues: [{ path: 'destination', message: `Cannot use ${mount} as the backup folder of 'chinook': ${cause}` }],
      });
      expect(await backupFailure(path, join(mount, 'out.db'))).toEqual({ code: 'READ_ONLY', message: `Cannot back up ${path} to ${join(mount, 'out.db')}: ${cause}` });
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('a path through a file is worded the same as a backup folder (NOT_A_FOLDER) and as a backup destination', async () => {
    const { id, path } = await added();
    const blocker = join(t.work, 'blocker');
    writeFileSync(blocker, 'a file where a folder was expected');
    const folder = join(blocker, 'backups');
    expect(await t.failure('databases.update', { id, destination: folder })).toEqual({
      code: 'NOT_A_FOLDER',
      message: `Cannot use ${folder} as the backup folder of 'chinook': part of the path is a file, not a folder`,
      issues: [{ path: 'destination', message: `Cannot use ${folder} as the backup folder of 'chinook': part of the path is a file, not a folder` }],
    });
    // The destination may name a file, so it is not there (NOT_FOUND); the cause reads the same.
    expect(await backupFailure(path, `${folder}/`)).toEqual({
      code: 'NOT_FOUND',
      message: `Cannot back up ${path} to ${folder}: part of the path is a file, not a folder`,
    });
  });
});
