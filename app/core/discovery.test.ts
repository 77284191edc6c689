// databases.discover through the core: found databases are marked once registered (by
// real path, through a symbolic link too), and databases.add names them as suggested.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from './core.ts';
import { callCore } from '../../test-support/core-calls.ts';
import { makeDatabase } from '../../test-support/databases.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-core-discovery-'));
const home = join(dir, 'home');
const profile = join(home, '.mozilla', 'firefox', 'abcd1234.default-release');
mkdirSync(profile, { recursive: true });
makeDatabase(join(profile, 'places.sqlite'));
makeDatabase(join(profile, 'cookies.sqlite'), { journalMode: 'delete' });
const core = new Core({ dataDir: join(dir, 'data'), shell: 'web', discovery: { env: { HOME: home }, platform: 'linux' } });
afterAll(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('databases.discover', () => {
  it('finds, adds under the suggested name, and marks what is registered', async () => {
    const first = await callCore(core, 'databases.discover', {});
    expect(first.home).toBe(home);
    expect(first.databases.map((d) => [d.suggestedLabel, d.journal, d.registered])).toEqual([
      ['Firefox · default-release · cookies', 'rollback', false],
      ['Firefox · default-release · places', 'wal', false],
    ]);
    const places = first.databases[1]!;
    const added = await callCore(core, 'databases.add', { path: places.path, label: places.suggestedLabel });
    expect(added.label).toBe('Firefox · default-release · places');
    expect(added.destination).toBe(join(dir, 'data', 'backups', 'Firefox - default-release - places'));
    // Registered through a symbolic link: still the same file.
    const link = join(dir, 'cookies-link.sqlite');
    symlinkSync(first.databases[0]!.path, link);
    await callCore(core, 'databases.add', { path: link });
    const again = await callCore(core, 'databases.discover', {});
    expect(again.databases.map((d) => [d.suggestedLabel, d.journal, d.registered])).toEqual([
      ['Firefox · default-release · cookies', 'rollback', true],
      ['Firefox · default-release · places', 'wal', true],
    ]);
  });

  it('refuses a label that is too long or empty, and adds nothing', async () => {
    const before = await callCore(core, 'databases.list', {});
    const path = join(home, 'other.db');
    makeDatabase(path);
    for (const label of ['x'.repeat(81), '   ']) {
      const outcome = await core.handle('databases.add', { path, label });
      expect(outcome).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
    expect(await callCore(core, 'databases.list', {})).toEqual(before);
  });

  it('takes no params', async () => {
    expect(await core.handle('databases.discover', { home: '/etc' })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });
});
