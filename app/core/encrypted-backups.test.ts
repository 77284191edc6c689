/**
 * Encrypted backups through the core: the setting and its recovery key, Backup now
 * writing .db.age, History verify and import, the restore wizard with a kept key or one
 * typed in, and a key removed from the key store failing the backup instead of writing
 * a plain one.
 */
import { describe, expect, it, vi } from 'vitest';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { coreCases } from '../../test-support/core-calls.ts';
import { generateAgeIdentity } from '../age/keys.ts';
import { ageMissing } from '../../test-support/unit.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const t = coreCases('pv-core-age-');
const { call, failure, finished } = t;
if (ageMissing) console.log(`skipping the age CLI checks of encrypted backups in the core: ${ageMissing}`);

function chinookCopy(name = 'chinook.sqlite'): string {
  const path = join(t.work, name);
  copyFileSync(chinookFixture, path);
  return path;
}

describe('encrypted backups in the core', () => {
  it('the default x25519 setting shows the recovery key once; Backup now writes .db.age, which age -d opens with it, History verifies it and import finds it', async () => {
    const { id, destination } = await call('databases.add', { path: chinookCopy() });
    const set = await call('encryption.set', { databaseId: null, mode: 'x25519' });
    expect(set.recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    expect(set.recipient).toMatch(/^age1/);
    const again = await call('encryption.get', { databaseId: id });
    expect(again).toMatchObject({ mode: 'x25519', inherited: true, recipient: set.recipient, keyStored: true, recoveryKey: null });

    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok, done.error?.message).toBe(true);
    const path = done.backup!.path!;
    expect(path).toMatch(/chinook-\d{8}-\d{6}\.db\.age$/);
    expect(readdirSync(destination).sort()).toEqual([path.split('/').pop(), `${path.split('/').pop()}.manifest.json`].sort());
    if (!ageMissing) {
      writeFileSync(join(t.work, 'recovery.txt'), `${set.recoveryKey}\n`, { mode: 0o600 });
      execFileSync('age', ['-d', '-i', join(t.work, 'recovery.txt'), '-o', join(t.work, 'plain.db'), path]);
      expect(execFileSync('sqlite3', [join(t.work, 'plain.db'), 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim()).toBe('ok');
    }
    expect((await call('history.verify', { backupId: done.backup!.id })).verification).toBe('passed');
    expect(await call('history.import', { folder: destination })).toMatchObject({ imported: 0, alreadyKnown: 1, problems: [] });
    await call('history.delete', { backupId: done.backup!.id });
    expect(readdirSync(destination)).toEqual([]);
  });

  it('a passphrase per database; its backup is checked and restored in the wizard with the kept passphrase, and a file from elsewhere asks for its key', async () => {
    const source = chinookCopy('store.sqlite');
    const { id } = await call('databases.add', { path: source });
    await call('encryption.set', { databaseId: id, mode: 'passphrase', passphrase: 'correct horse battery' });
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok, done.error?.message).toBe(true);
    const path = done.backup!.path!;
    const checked = await finished((await call('restore.check', { backupPath: path })).jobId);
    expect(checked.ok, checked.error?.message).toBe(true);
    expect(checked.check?.entryMatchedBy).toBe('path');
    expect(checked.check?.inspect.tables.length).toBeGreaterThan(5);

    const foreign = generateAgeIdentity();
    const restored = join(t.work, 'restored.db');
    copyFileSync(path, join(t.work, 'dropped.db.age'));
    await call('encryption.set', { databaseId: id, mode: 'x25519' }); // the passphrase stays kept, the mode changes
    const noKeyFile = join(t.work, 'foreign.db.age');
    if (!ageMissing) {
      execFileSync('age', ['-e', '-r', foreign.recipient, '-o', noKeyFile, source]);
      const asks = await finished((await call('restore.check', { backupPath: noKeyFile })).jobId);
      expect(asks.ok).toBe(false);
      expect(asks.error?.code).toBe('KEY_NEEDED');
      expect(asks.error?.message).toContain(noKeyFile);
      const typed = await finished((await call('restore.check', { backupPath: noKeyFile, key: { kind: 'identity', identity: foreign.identity } })).jobId);
      expect(typed.ok, typed.error?.message).toBe(true);
      const job = await call('restore.start', { backupPath: noKeyFile, targetPath: restored, safetyCopy: true });
      const result = await finished(job.jobId);
      expect(result.ok, result.error?.message).toBe(true);
      expect(execFileSync('sqlite3', [restored, 'SELECT count(*) FROM Artist'], { encoding: 'utf8' }).trim()).toBe('275');
    }
  });

  it('the wizard decrypts an encrypted backup once for its steps: choosing a target reuses what the check read (the key is gone by then), and a changed file is read again', async () => {
    const { id } = await call('databases.add', { path: chinookCopy('once.sqlite') });
    await call('encryption.set', { databaseId: id, mode: 'x25519' });
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok, done.error?.message).toBe(true);
    const path = done.backup!.path!;
    const checked = await finished((await call('restore.check', { backupPath: path })).jobId);
    expect(checked.ok, checked.error?.message).toBe(true);
    // Without the key nothing could decrypt it again: what follows comes from the check.
    await t.core.secrets.delete(`age-identity:${id}`);
    const target = await call('restore.target', { backupPath: path, targetPath: join(t.work, 'once.sqlite') });
    expect(target).toMatchObject({ problem: null, comparison: { added: [], removed: [], changed: [] } });
    expect(target.comparison!.unchanged).toBe(checked.check!.inspect.tables.length);
    // The same bytes written again are another version of the file: read again, and now no key opens it.
    copyFileSync(path, `${path}.copy`);
    copyFileSync(`${path}.copy`, path);
    rmSync(`${path}.copy`);
    const error = await failure('restore.target', { backupPath: path, targetPath: join(t.work, 'once.sqlite') });
    expect(error.code).toBe('KEY_NEEDED');
    expect(error.message).toContain(path);
  });

  it('a key removed from the key store fails the backup with KEY_NEEDED naming the database, and writes nothing', async () => {
    const { id, destination } = await call('databases.add', { path: chinookCopy('gone.sqlite') });
    await call('encryption.set', { databaseId: id, mode: 'x25519' });
    await t.core.secrets.delete(`age-identity:${id}`);
    expect((await call('encryption.get', { databaseId: id })).keyStored).toBe(false);
    const done = await finished((await call('backups.start', { databaseId: id })).jobId);
    expect(done.ok).toBe(false);
    expect(done.error?.code).toBe('KEY_NEEDED');
    expect(done.error?.message).toContain("'gone'");
    expect(existsSync(destination) ? readdirSync(destination) : []).toEqual([]);
    const error = await failure('encryption.set', { databaseId: id, mode: 'passphrase' });
    expect(error.message).toMatch(/Give the passphrase/);
    rmSync(join(t.work, 'gone.sqlite'));
  });
});
