import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from './core.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-core-'));
const core = new Core({ dataDir: join(dir, 'data'), shell: 'web' });
afterAll(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Core.handle', () => {
  it('refuses an unknown method without throwing', async () => {
    expect(await core.handle('files.delete', {})).toEqual({ ok: false, error: { code: 'UNKNOWN_METHOD', message: "Unknown API method 'files.delete'" } });
  });

  it('validates params against the method schema and names the field', async () => {
    const outcome = await core.handle('files.inspect', { path: 42 });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.code).toBe('INVALID_REQUEST');
      expect(outcome.error.message).toContain('path');
    }
    expect(await core.handle('files.inspect', { path: '/x', extra: true })).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('inspects a real database through the engine worker', async () => {
    const copy = join(dir, 'chinook.db');
    copyFileSync(chinookFixture, copy);
    const outcome = await core.handle('files.inspect', { path: copy });
    expect(outcome).toMatchObject({ ok: true, value: { pageSize: 4096, journalMode: 'delete' } });
    if (outcome.ok) expect((outcome.value as { tables: Array<{ name: string; rows: number }> }).tables).toContainEqual({ name: 'Track', rows: 3503 });
  });

  it('answers a text file with NOT_A_DATABASE naming the file', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello world\n');
    expect(await core.handle('files.inspect', { path: text })).toEqual({
      ok: false,
      error: { code: 'NOT_A_DATABASE', message: `Cannot inspect ${text}: the file is not a SQLite database (it is a text file starting with 'hello world')` },
    });
  });
});

describe('Core.call', () => {
  it('resolves with the typed result of the method, no cast needed', async () => {
    const settings = await core.call('settings.get', {});
    expect(settings.concurrency).toBe(2);
    const databases = await core.call('databases.list', {});
    expect(databases).toEqual([]);
  });

  it('rejects with the PagevaultError the request answered', async () => {
    const text = join(dir, 'call-notes.txt');
    writeFileSync(text, 'hello world\n');
    await expect(core.call('files.inspect', { path: text })).rejects.toMatchObject({ name: 'PagevaultError', code: 'NOT_A_DATABASE' });
    await expect(core.call('backups.start', { databaseId: 999 })).rejects.toMatchObject({ code: 'UNKNOWN_ID' });
  });

  it('makes a misspelt method or a wrong param a compile error (tsc checks this file)', async () => {
    // @ts-expect-error: there is no method 'databases.lst'.
    await expect(core.call('databases.lst', {})).rejects.toMatchObject({ code: 'UNKNOWN_METHOD' });
    // @ts-expect-error: `pinned` is a boolean.
    await expect(core.call('history.pin', { backupId: 1, pinned: 'yes' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    // @ts-expect-error: a settings result has no `colour`.
    expect((await core.call('settings.get', {})).colour).toBeUndefined();
  });
});
