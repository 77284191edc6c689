/**
 * Inspecting a WAL database its app has closed (no -wal, no -shm) makes nothing beside it:
 * a SQLite connection, even a read-only one, would leave both files there.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { caseFolders } from '../../test-support/unit.ts';
import * as engine from './index.ts';
import { inspectFile } from './inspect.ts';

const { fresh } = caseFolders('pv-inspect-closed-');

/** A WAL database written and closed by the sqlite3 CLI, another program, as its app leaves it. */
function closedWalDatabase(dir: string): string {
  const path = join(dir, 'places.sqlite');
  execFileSync('sqlite3', [path, "PRAGMA journal_mode=WAL; CREATE TABLE visits (url TEXT); INSERT INTO visits VALUES ('a'), ('b'), ('c'); CREATE TABLE tags (t TEXT);"]);
  return path;
}

describe('inspect of a closed WAL database', () => {
  it('lists its tables and rows and says WAL, leaving no -wal or -shm beside it', async () => {
    const dir = fresh();
    const path = closedWalDatabase(dir);
    expect(readdirSync(dir)).toEqual(['places.sqlite']);
    const result = await inspectFile(path);
    expect(result.journalMode).toBe('wal');
    expect(result.heldByAnotherProgram).toBe(false);
    expect(result.tables).toEqual([
      { name: 'tags', rows: 0 },
      { name: 'visits', rows: 3 },
    ]);
    expect(readdirSync(dir)).toEqual(['places.sqlite']);
  });

  it('a path with spaces, # and ? in it is read the same way', async () => {
    const dir = fresh('a folder #1 ? yes');
    const path = closedWalDatabase(dir);
    const result = await inspectFile(path);
    expect(result.tables).toContainEqual({ name: 'visits', rows: 3 });
    expect(readdirSync(dir)).toEqual(['places.sqlite']);
  });

  it('through the engine’s worker, as the app inspects on add and in the details', async () => {
    const dir = fresh();
    const path = closedWalDatabase(dir);
    const result = await engine.inspect(path);
    expect(result.tables).toContainEqual({ name: 'visits', rows: 3 });
    expect(readdirSync(dir)).toEqual(['places.sqlite']);
  });
});
