/**
 * Restoring an encrypted backup into an existing encrypted database, online: real SQLCipher
 * files, a real process writing to the target with its key while the backup is loaded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceKey } from '../api/types.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { makeEncryptedDatabase, openWithKey, pairsOf, startEncryptedWriter } from '../../test-support/encrypted-databases.ts';
import { backup, restore } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-encrypted-restore-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  n += 1;
  const dir = join(root, `case-${n}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const passphrase = "correct horse 'battery' staple";
const key: SourceKey = { key: passphrase, kind: 'passphrase', cipher: 'sqlcipher-4' };
const failureOf = (promise: Promise<unknown>) => promise.then(() => ({ code: 'none', message: 'no error' }), (error: { code: string; message: string }) => ({ code: error.code, message: error.message }));
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The tables of `path` read with `passphrase`. */
function tablesOf(path: string, passphrase: string): string[] {
  const db = openWithKey(path, passphrase, 'sqlcipher-4', true);
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** An encrypted backup of a database that has a `marker` table, which the target has not. */
async function markedBackup(dir: string, passphrase: string): Promise<string> {
  const source = join(dir, 'then.db');
  makeEncryptedDatabase(source, passphrase);
  const db = openWithKey(source, passphrase);
  db.exec("CREATE TABLE marker (note TEXT); INSERT INTO marker VALUES ('from the backup')");
  db.close();
  return (await backup(source, join(dir, 'backups') + '/', { key: { ...key, key: passphrase } })).path;
}

// Every keyed open derives the key (SQLCipher 4: PBKDF2, 256,000 rounds), which takes a second
// or more on a loaded machine; a restore opens the files a dozen times.
describe('restore of an encrypted backup into an existing encrypted database', { timeout: 600_000 }, () => {
  it('loads it online while the app writes to the target with its key; the safety copy is encrypted, and restoring it undoes the restore', async () => {
    const dir = fresh();
    const backupPath = await markedBackup(dir, passphrase);
    const target = join(dir, 'signal.db');
    makeEncryptedDatabase(target, passphrase, { bytes: 1_000_000 });
    // An app committing every 2 ms: the load takes its lock between two commits. One that
    // never lets go is refused after the busy timeout (TARGET_BUSY), the target unchanged.
    const writer = await startEncryptedWriter(target, passphrase, 2);
    let result: Awaited<ReturnType<typeof restore>>;
    let undone: Awaited<ReturnType<typeof restore>>;
    try {
      result = await restore(backupPath, target, { keys: { source: key } });
      // The app goes on writing into the restored database through its own connection.
      const after = pairsOf(target, passphrase).a;
      await expect.poll(() => pairsOf(target, passphrase).a).toBeGreaterThan(after);
      expect(tablesOf(target, passphrase)).toContain('marker');
      undone = await restore(result.safetyCopy!, target, { keys: { source: key } });
    } finally {
      await writer.stop();
    }
    expect(result.verification.ok).toBe(true);
    const restored = pairsOf(target, passphrase);
    expect(restored).toMatchObject({ torn: 0, integrity: 'ok' });
    expect(restored.a).toBe(restored.b);
    // Undone: the database as it was before, the backup's marker gone.
    expect(tablesOf(target, passphrase)).not.toContain('marker');
    expect(undone.verification.ok).toBe(true);
    // The safety copy can be read only with the key, like the database it copies.
    expect(readFileSync(result.safetyCopy!).subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    expect(pairsOf(result.safetyCopy!, passphrase)).toMatchObject({ torn: 0, integrity: 'ok' });
  });

  it('a target with another key keeps its own key: the backup is re-encrypted with it as it is loaded', async () => {
    const dir = fresh();
    const backupPath = await markedBackup(dir, passphrase);
    const target = join(dir, 'other.db');
    const otherKey: SourceKey = { key: 'another passphrase', kind: 'passphrase', cipher: 'sqlcipher-4' };
    makeEncryptedDatabase(target, otherKey.key, { journalMode: 'delete' });
    const result = await restore(backupPath, target, { keys: { source: key, target: otherKey } });
    expect(result.verification.ok).toBe(true);
    expect(tablesOf(target, otherKey.key)).toContain('marker');
    expect(pairsOf(target, otherKey.key)).toMatchObject({ a: 100, b: 100, integrity: 'ok' });
    expect(() => tablesOf(target, passphrase)).toThrow(/not a database/);
  });

  it("a key that does not open the target: WRONG_KEY naming the target, and nothing is written, not even a safety copy", async () => {
    const dir = fresh();
    const backupPath = await markedBackup(dir, passphrase);
    const target = join(dir, 'theirs.db');
    makeEncryptedDatabase(target, 'the target key', { journalMode: 'delete' });
    const before = sha(target);
    const folder = readdirSync(join(dir, 'backups')).sort();
    const failure = await failureOf(restore(backupPath, target, { keys: { source: key } }));
    expect(failure.code).toBe('WRONG_KEY');
    expect(failure.message).toContain(`Cannot restore into ${target}`);
    expect(failure.message).not.toContain(passphrase);
    expect(sha(target)).toBe(before);
    expect(readdirSync(join(dir, 'backups')).sort()).toEqual(folder);
    expect(readdirSync(dir).filter((name) => !name.startsWith('then.db')).sort()).toEqual(['backups', 'theirs.db']);
  });

  it('a plain target: NOT_SUPPORTED, saying to restore into a new file, and the target is not touched', async () => {
    const dir = fresh();
    const backupPath = await markedBackup(dir, passphrase);
    const target = join(dir, 'plain.db');
    makeDatabase(target);
    const before = sha(target);
    const failure = await failureOf(restore(backupPath, target, { keys: { source: key } }));
    expect(failure).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('is a plain database; restore into a new file') });
    expect(sha(target)).toBe(before);
  });
});
