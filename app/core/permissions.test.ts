/** What Backup now writes is as private as the database it copies, in folders of Pagevault's own that only the user can open. */
import { expect, it } from 'vitest';
import { chmodSync, copyFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { coreCases } from '../../test-support/core-calls.ts';

const t = coreCases('pv-core-permissions-');
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

it('a 0600 database is backed up as 0600, with its manifest, into 0700 folders', async () => {
  const path = join(t.work, 'private.sqlite');
  copyFileSync(chinookFixture, path);
  chmodSync(path, 0o600);
  const { id } = await t.call('databases.add', { path });
  const done = await t.finished((await t.call('backups.start', { databaseId: id })).jobId);
  const backup = done.backup!.path!;
  expect(modeOf(backup)).toBe('600');
  expect(modeOf(`${backup}.manifest.json`)).toBe('600');
  expect(modeOf(dirname(backup))).toBe('700'); // <data>/backups/private
  expect(modeOf(dirname(dirname(backup)))).toBe('700'); // <data>/backups
});
