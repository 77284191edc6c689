/** Builds real SQLite databases for tests and the benchmark. */
import Database from 'better-sqlite3';

export interface MakeOptions {
  pageSize?: number;
  journalMode?: 'wal' | 'delete';
  /** Approximate size of the payload written, in bytes. */
  bytes?: number;
  /** Rows deleted after filling, leaving free pages. */
  freeSomePages?: boolean;
}

/**
 * Creates a database with tables `pairs_a`/`pairs_b` (written in pairs by the writer, so a
 * torn copy shows) and `blobs` (bulk payload).
 */
export function makeDatabase(path: string, options: MakeOptions = {}): void {
  const db = new Database(path);
  db.pragma(`page_size = ${options.pageSize ?? 4096}`);
  db.pragma(`journal_mode = ${options.journalMode ?? 'wal'}`);
  db.exec(`
    CREATE TABLE pairs_a (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE pairs_b (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
  `);
  const rowBytes = 4000;
  const rows = Math.ceil((options.bytes ?? 64 * 1024) / rowBytes);
  const insert = db.prepare('INSERT INTO blobs (body) VALUES (randomblob(?))');
  const pair = db.prepare('INSERT INTO pairs_a (k, v) VALUES (?, ?)');
  const pairB = db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i += 1) insert.run(rowBytes);
    for (let k = 1; k <= 100; k += 1) {
      pair.run(k, `seed ${k}`);
      pairB.run(k, `seed ${k}`);
    }
  })();
  if (options.freeSomePages) db.exec('DELETE FROM blobs WHERE id % 2 = 0');
  if ((options.journalMode ?? 'wal') === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Row counts and pair consistency of a database, read-only. */
export function readState(path: string): { a: number; b: number; maxA: number; maxB: number; blobs: number; integrity: string; journalMode: string; pageSize: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string) => db.prepare(sql).pluck().get() as number;
    return {
      a: one('SELECT count(*) FROM pairs_a'),
      b: one('SELECT count(*) FROM pairs_b'),
      maxA: one('SELECT coalesce(max(k), 0) FROM pairs_a'),
      maxB: one('SELECT coalesce(max(k), 0) FROM pairs_b'),
      blobs: one('SELECT count(*) FROM blobs'),
      integrity: String(db.pragma('integrity_check', { simple: true })),
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      pageSize: Number(db.pragma('page_size', { simple: true })),
    };
  } finally {
    db.close();
  }
}
