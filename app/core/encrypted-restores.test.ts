/**
 * The restore wizard's methods with encrypted databases: the kept key opens the backup and
 * the target, the comparison counts both, the restore loads into the live encrypted target
 * while its app writes, and Undo restores the safety copy. A backup no kept key opens asks
 * for its key.
 */
import { expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { coreCases } from '../../test-support/core-calls.ts';
import { makeEncryptedDatabase, openWithKey, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';

const t = coreCases('pv-core-encrypted-restore-');
const passphrase = 'signal desktop passphrase 7f3a';
// Every keyed open derives the key (SQLCipher 4: PBKDF2, 256,000 rounds), a second or more
// on a loaded machine, and a check, a comparison and a restore open the files many times.
const slow = { timeout: 600_000 };

function tablesOf(path: string, key: string): string[] {
  const db = openWithKey(path, key, 'sqlcipher-4', true);
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

it('check, compare, restore into the live encrypted database while its app writes, and undo, all with the kept key', slow, async () => {
  const path = join(t.work, 'signal.sqlite');
  makeEncryptedDatabase(path, passphrase, { bytes: 1_000_000 });
  const { id } = await t.call('databases.add', { path, key: { key: passphrase } });
  const backup = (await t.finished((await t.call('backups.start', { databaseId: id })).jobId)).backup!;
  // Since the backup: a table the restore takes away.
  const db = openWithKey(path, passphrase);
  db.exec("CREATE TABLE since (note TEXT); INSERT INTO since VALUES ('after the backup')");
  db.close();

  const checked = (await t.finished((await t.call('restore.check', { backupPath: backup.path! })).jobId)).check!;
  expect(checked.inspect.encryption).toMatchObject({ state: 'key-accepted', cipher: 'sqlcipher-4' });
  expect(checked.inspect.tables).toEqual([{ name: 'blobs', rows: 250 }, { name: 'pairs_a', rows: 100 }, { name: 'pairs_b', rows: 100 }]);
  expect(checked.verification.ok).toBe(true);
  expect(checked.origin?.comparison).toEqual({ added: [], removed: ['since'], changed: [], unchanged: 3 });

  // An app committing every 2 ms: the load takes its lock between two commits. One that
  // never lets go is refused after the busy timeout (TARGET_BUSY), the target unchanged.
  const writer = await startEncryptedWriter(path, passphrase, 2);
  let restored;
  let undone;
  try {
    const target = await t.call('restore.target', { backupPath: backup.path!, targetPath: path });
    expect(target.problem).toBeNull();
    expect(target.comparison?.removed).toEqual(['since']);
    restored = await t.finished((await t.call('restore.start', { backupPath: backup.path!, targetPath: path, safetyCopy: true, proceedWhileInUse: true })).jobId);
    expect(restored.error).toBeNull();
    expect(tablesOf(path, passphrase)).not.toContain('since');
    // The app goes on writing into the restored database.
    const after = pairsOf(path, passphrase).a;
    await expect.poll(() => pairsOf(path, passphrase).a).toBeGreaterThan(after);
    const safetyCopy = restored.restore!.safetyCopyEntry!;
    expect(safetyCopy.trigger).toBe('before-restore');
    // Undo: the safety copy restored the same way.
    undone = await t.finished((await t.call('restore.start', { backupPath: safetyCopy.path!, targetPath: path, safetyCopy: false, proceedWhileInUse: true })).jobId);
  } finally {
    await writer.stop();
  }
  expect(undone.error).toBeNull();
  expect(tablesOf(path, passphrase)).toContain('since');
  expect(pairsOf(path, passphrase)).toMatchObject({ torn: 0, integrity: 'ok' });
});

it('a copy of a backup from elsewhere is opened with the kept key that fits; one no kept key opens asks for the key, and takes it typed', slow, async () => {
  const path = join(t.work, 'kept.sqlite');
  makeEncryptedDatabase(path, passphrase, { journalMode: 'delete' });
  const { id } = await t.call('databases.add', { path, key: { key: passphrase } });
  const backup = (await t.finished((await t.call('backups.start', { databaseId: id })).jobId)).backup!;
  const dropped = join(t.work, 'dropped.db');
  copyFileSync(backup.path!, dropped);
  const found = await t.finished((await t.call('restore.check', { backupPath: dropped })).jobId);
  expect(found.error).toBeNull();
  expect(found.check!.entryMatchedBy).toBe('checksum');
  expect(found.check!.inspect.tables.map((table) => table.name)).toEqual(['blobs', 'pairs_a', 'pairs_b']);

  const foreign = join(t.work, 'foreign.db');
  makeEncryptedDatabase(foreign, 'a key Pagevault never saw', { journalMode: 'delete' });
  const asks = await t.finished((await t.call('restore.check', { backupPath: foreign })).jobId);
  expect(asks.error).toMatchObject({ code: 'ENCRYPTED', message: expect.stringContaining(`Cannot check ${foreign}: it is a backup of an encrypted database and no key Pagevault keeps opens it`) });
  const wrong = await t.finished((await t.call('restore.check', { backupPath: foreign, sourceKey: { key: 'not it' } })).jobId);
  expect(wrong.error).toMatchObject({ code: 'WRONG_KEY', message: expect.stringContaining(foreign) });
  expect(wrong.error!.message).not.toContain('not it');
  const typed = await t.finished((await t.call('restore.check', { backupPath: foreign, sourceKey: { key: 'a key Pagevault never saw', cipher: 'detect' } })).jobId);
  expect(typed.error).toBeNull();
  expect(typed.check!.inspect.encryption).toMatchObject({ state: 'key-accepted', cipher: 'sqlcipher-4' });
  // The typed key is used by the restore too: into a new file, encrypted with it.
  const into = join(t.work, 'from-foreign.db');
  const done = await t.finished((await t.call('restore.start', { backupPath: foreign, targetPath: into, safetyCopy: true })).jobId);
  expect(done.error).toBeNull();
  expect(pairsOf(into, 'a key Pagevault never saw')).toMatchObject({ a: 100, integrity: 'ok' });
});
