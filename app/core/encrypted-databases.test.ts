/** Adding an encrypted database with its key, backing it up while its app writes, and what happens when the key is gone. */
import { expect, it, vi } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreCases } from '../../test-support/core-calls.ts';
import { makeEncryptedDatabase, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';
import { KEY_FILE_NAME } from '../secrets/secret-store.ts';

// Each SQLCipher 4 key costs 256,000 PBKDF2 rounds and each age passphrase an scrypt at 2^18:
// a test of a dozen keyed opens needs minutes on a loaded 2-core machine, not the default minute.
vi.setConfig({ testTimeout: 300_000 });

const t = coreCases('pv-core-encrypted-');
const passphrase = 'signal desktop passphrase 7f3a';

/** Every file of the data folder but the key file that holds `needle`'s bytes. */
function catalogFilesHolding(needle: string): string[] {
  const dataDir = join(t.work, 'data');
  return readdirSync(dataDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== KEY_FILE_NAME)
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => readFileSync(path).includes(Buffer.from(needle)));
}

it('an encrypted database is refused without its key and with a wrong one, added with the right one, its key kept in the key file only', async () => {
  const path = join(t.work, 'db.sqlite');
  makeEncryptedDatabase(path, passphrase);
  expect(await t.failure('databases.add', { path })).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining(`Cannot inspect ${path}`) });
  const wrong = await t.failure('databases.add', { path, key: { key: 'not it' } });
  expect(wrong).toEqual({ code: 'WRONG_KEY', message: `Cannot inspect ${path}: the key does not open it as SQLCipher 4; check the key and the cipher (or use Detect)` });
  expect(await t.call('databases.list', {})).toEqual([]);
  expect(await t.core.secrets.get('source-key:1')).toBeUndefined();

  const added = await t.call('databases.add', { path, key: { key: passphrase } });
  const details = await t.call('databases.details', { id: added.id });
  expect(details.inspect?.encryption).toEqual({ state: 'key-accepted', cipher: 'sqlcipher-4', cipherLabel: 'SQLCipher 4' });
  expect(details.inspect?.tables.find((table) => table.name === 'pairs_a')?.rows).toBe(100);
  expect(JSON.parse((await t.core.secrets.get(`source-key:${added.id}`))!.toString())).toEqual({ key: passphrase, cipher: 'sqlcipher-4', kind: 'passphrase' });
  expect(catalogFilesHolding(passphrase)).toEqual([]);

  await t.call('databases.remove', { id: added.id });
  await expect.poll(() => t.core.secrets.get(`source-key:${added.id}`)).toBeUndefined();
});

it('Detect finds the cipher of a wxSQLite3 AES-256 database and keeps it with the key', async () => {
  const path = join(t.work, 'aes.sqlite');
  makeEncryptedDatabase(path, passphrase, { cipher: 'aes256cbc', journalMode: 'delete' });
  const added = await t.call('databases.add', { path, key: { key: passphrase, cipher: 'detect' } });
  expect(JSON.parse((await t.core.secrets.get(`source-key:${added.id}`))!.toString())).toMatchObject({ cipher: 'aes256cbc' });
  const other = join(t.work, 'other.sqlite');
  makeEncryptedDatabase(other, passphrase, { journalMode: 'delete' });
  expect(await t.failure('databases.add', { path: other, key: { key: 'nope', cipher: 'detect' } })).toMatchObject({
    code: 'WRONG_KEY',
    message: expect.stringContaining(`Cannot inspect ${other}: the key opens it with none of the ciphers Pagevault knows (SQLCipher 4, SQLCipher 3,`),
  });
  expect((await t.call('databases.list', {})).map((row) => row.path)).toEqual([path]);
});

it('Backup now of an encrypted database while a writer process commits: encrypted with the same key, verified with it, recorded', async () => {
  const path = join(t.work, 'live.sqlite');
  makeEncryptedDatabase(path, passphrase, { bytes: 2_000_000 });
  const { id } = await t.call('databases.add', { path, key: { key: passphrase } });
  const writer = await startEncryptedWriter(path, passphrase);
  let done;
  try {
    done = await t.finished((await t.call('backups.start', { databaseId: id })).jobId);
  } finally {
    await writer.stop();
  }
  expect(done.error).toBeNull();
  const backup = done.backup!;
  expect(backup.status).toBe('succeeded');
  expect(readFileSync(backup.path!).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
  const copy = pairsOf(backup.path!, passphrase);
  expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
  expect(copy.a).toBe(copy.b);
  const verified = await t.call('history.verify', { backupId: backup.id, full: true });
  expect(verified.verification).toBe('passed');
});

it('a key removed from the key store: the backup fails saying so, naming the file, and writes nothing', async () => {
  const path = join(t.work, 'gone.sqlite');
  makeEncryptedDatabase(path, passphrase, { journalMode: 'delete' });
  const added = await t.call('databases.add', { path, key: { key: passphrase } });
  await t.core.secrets.delete(`source-key:${added.id}`);
  const done = await t.finished((await t.call('backups.start', { databaseId: added.id })).jobId);
  expect(done.error).toEqual({ code: 'ENCRYPTED', message: `Cannot back up ${path}: 'gone' is encrypted and its key is no longer in Pagevault's key file; remove the database and add it again with its key` });
  expect(existsSync(added.destination) ? readdirSync(added.destination) : []).toEqual([]);
});

it('an encrypted database its app holds exclusively in rollback-journal mode: Backup now with the kept key copies it without a lock, encrypted, whole pairs; the drawer says its backups go on', async () => {
  const path = join(t.work, 'held.sqlite');
  makeEncryptedDatabase(path, passphrase, { journalMode: 'delete', bytes: 500_000 });
  const { id } = await t.call('databases.add', { path, key: { key: passphrase } });
  // A rollback-journal copy is proven between two commits, in the 30 tries the core allows:
  // the writer leaves 20 ms between them, so a loaded machine still meets a gap.
  const writer = await startEncryptedWriter(path, passphrase, 20, 'exclusive');
  let done;
  let details;
  let commits: number;
  try {
    done = await t.finished((await t.call('backups.start', { databaseId: id })).jobId);
    details = await t.call('databases.details', { id });
  } finally {
    commits = (JSON.parse(await writer.stop()) as { commits: number }).commits;
  }
  expect(done.error).toBeNull();
  const backup = done.backup!;
  expect(backup).toMatchObject({ status: 'succeeded', heldCopy: { journal: 'rollback' } });
  expect(readFileSync(backup.path!).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
  const copy = pairsOf(backup.path!, passphrase);
  expect(copy).toMatchObject({ torn: 0, integrity: 'ok', journalMode: 'delete' });
  expect(copy.a).toBe(copy.b);
  expect(copy.a).toBeLessThanOrEqual(100 + commits);
  expect(details.inspectError).toContain('another program holds this encrypted database exclusively');
  expect(details.inspectError).toContain('Its backups are taken all the same, without a lock');
});
