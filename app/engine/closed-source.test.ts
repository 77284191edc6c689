/**
 * Backing up a WAL database its app has closed (no -wal, no -shm beside it) leaves
 * nothing beside it: reading it through SQLite makes both files, and a read-only
 * connection never removes them. One the app still has open keeps its own.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { caseFolders } from '../../test-support/unit.ts';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startWriter } from '../../test-support/processes.ts';
import * as engine from './index.ts';
import { openEncrypted } from './connection.ts';

const { fresh } = caseFolders('pv-closed-source-');

/** A WAL database written and closed by the sqlite3 CLI, another program, as its app leaves it. */
function closedWalDatabase(dir: string): string {
  const path = join(dir, 'places.sqlite');
  execFileSync('sqlite3', [path, "PRAGMA journal_mode=WAL; CREATE TABLE visits (url TEXT); INSERT INTO visits VALUES ('a'), ('b'), ('c');"]);
  return path;
}

const rowsOf = (path: string) => {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT count(*) FROM visits').pluck().get();
  } finally {
    db.close();
  }
};

describe('a backup of a closed WAL database', () => {
  for (const mode of ['snapshot', 'stepped', 'compact'] as const) {
    it(`in ${mode} mode leaves no -wal or -shm beside it`, async () => {
      const dir = fresh();
      const source = closedWalDatabase(dir);
      const out = fresh();
      const result = await engine.backup(source, join(out, 'places.db'), { mode });
      expect(rowsOf(result.path)).toBe(3);
      expect(readdirSync(dir)).toEqual(['places.sqlite']);
    });
  }

  it('of 40 MB, whose snapshot is handed to the checkpoint helper, leaves nothing either', async () => {
    const dir = fresh();
    const source = join(dir, 'big.db');
    makeDatabase(source, { bytes: 40e6, journalMode: 'wal' });
    expect(readdirSync(dir)).toEqual(['big.db']);
    const result = await engine.backup(source, join(fresh(), 'big-copy.db'));
    expect(readState(result.path).integrity).toBe('ok');
    // The helper process, a connection of its own, may still be closing: whichever closes last removes them.
    await expect.poll(() => readdirSync(dir)).toEqual(['big.db']);
  });

  it('encrypted, backed up with its key, leaves nothing either', async () => {
    const dir = fresh();
    const source = join(dir, 'secret.db');
    const key = { kind: 'passphrase' as const, key: 'correct horse', cipher: 'sqlcipher-4' as const };
    const db = openEncrypted(source, key, 'test', { fileMustExist: false });
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE visits (url TEXT); INSERT INTO visits VALUES ('a'), ('b');");
    db.close();
    expect(readdirSync(dir)).toEqual(['secret.db']);
    await engine.backup(source, join(fresh(), 'secret-copy.db'), { key });
    expect(readdirSync(dir)).toEqual(['secret.db']);
  });

  it('as a vault version leaves nothing either', async () => {
    const dir = fresh();
    const source = closedWalDatabase(dir);
    await engine.vaultBackup(source, join(fresh(), 'places.vault'));
    expect(readdirSync(dir)).toEqual(['places.sqlite']);
  });

  it('that its app opens meanwhile keeps the app’s -wal and -shm, and the app goes on writing', async () => {
    const dir = fresh();
    const source = join(dir, 'live.db');
    makeDatabase(source, { journalMode: 'wal' });
    const writer = await startWriter(source, 1);
    try {
      await engine.backup(source, join(fresh(), 'live-copy.db'));
      expect(existsSync(`${source}-wal`)).toBe(true);
      expect(existsSync(`${source}-shm`)).toBe(true);
      const before = readState(source).a;
      await expect.poll(() => readState(source).a).toBeGreaterThan(before);
    } finally {
      await writer.stop();
    }
    expect(readState(source).integrity).toBe('ok');
  });
});
