/** An encrypted database added without its key: its backups are raw copies, recorded with what could not be checked. */
import { expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { coreCases } from '../../test-support/core-calls.ts';
import { makeEncryptedDatabase, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';
import { join } from 'node:path';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const t = coreCases('pv-core-raw-');
const passphrase = 'a key Pagevault never sees';

it('added without its key, it backs up while a writer process commits: a raw copy, its warning in the History, verified by its SHA-256', async () => {
  const path = join(t.work, 'signal.sqlite');
  makeEncryptedDatabase(path, passphrase, { bytes: 1_000_000 });
  expect(await t.failure('databases.add', { path, key: { key: passphrase }, withoutKey: true })).toMatchObject({ code: 'INVALID_REQUEST' });
  const added = await t.call('databases.add', { path, withoutKey: true });
  // Its header is encrypted; with no app running there is no -wal to tell WAL mode by, and
  // the copy looks again for one each time (raw-copy.ts).
  expect(added).toMatchObject({ journalMode: 'delete', mode: 'stepped' });
  expect(JSON.parse((await t.core.secrets.get(`source-key:${added.id}`))!.toString())).toEqual({ raw: true });

  const writer = await startEncryptedWriter(path, passphrase);
  let done;
  try {
    done = await t.finished((await t.call('backups.start', { databaseId: added.id })).jobId);
  } finally {
    await writer.stop();
  }
  expect(done.error).toBeNull();
  const backup = done.backup!;
  expect(backup.status).toBe('succeeded');
  expect(backup.warnings).toEqual([`${path} was copied without its key: its encrypted pages were copied as they are, so integrity_check could not run on the copy and only its SHA-256 is recorded`]);
  expect(readFileSync(backup.path!).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
  const copy = pairsOf(backup.path!, passphrase);
  expect(copy).toMatchObject({ torn: 0, integrity: 'ok' });
  expect(copy.a).toBe(copy.b);

  const verified = await t.call('history.verify', { backupId: backup.id });
  expect(verified.verification).toBe('passed');
  expect(verified.warnings).toEqual(backup.warnings);
});

it('a plain database added with withoutKey is added as any plain one', async () => {
  const path = join(t.work, 'plain.sqlite');
  const { makeDatabase } = await import('../../test-support/databases.ts');
  makeDatabase(path, { journalMode: 'delete', bytes: 50_000 });
  const added = await t.call('databases.add', { path, withoutKey: true });
  expect(added.journalMode).toBe('delete');
  expect(await t.core.secrets.get(`source-key:${added.id}`)).toBeUndefined();
});

it('a large one added without its key keeps Copies, and cannot be switched to Versions: the vault cannot read its pages', async () => {
  const path = join(t.work, 'large.sqlite');
  // Above VERSIONS_FROM_BYTES, where a plain database of this size gets Versions.
  makeEncryptedDatabase(path, passphrase, { bytes: 66 * 1024 * 1024 });
  const added = await t.call('databases.add', { path, withoutKey: true });
  expect(added.storage).toBe('copies');

  const refused = await t.failure('databases.update', { id: added.id, storage: 'versions' });
  expect(refused).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining(path) });
  expect((await t.call('databases.list', {})).find((row) => row.id === added.id)?.storage).toBe('copies');
});
