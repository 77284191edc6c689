/** Real encrypted databases for tests: SQLCipher 4 (or another cipher) files written by SQLite3MultipleCiphers. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { startScript } from './processes.ts';
// Before the library below is loaded: the engine's restore into an encrypted file needs URI filenames.
import '../app/engine/uri-filenames.ts';

const require = createRequire(import.meta.url);
const CipherDatabase = require('better-sqlite3-multiple-ciphers') as typeof Database;

/** Each cipher's settings as SQLite3MultipleCiphers takes them. */
const SETTINGS: Record<string, string[]> = {
  'sqlcipher-4': ["cipher = 'sqlcipher'", 'legacy = 4'],
  aes256cbc: ["cipher = 'aes256cbc'"],
  chacha20: ["cipher = 'chacha20'"],
};

/** Opens `path` with SQLite3MultipleCiphers and `passphrase` (SQLCipher 4 unless told). */
export function openWithKey(path: string, passphrase: string, cipher = 'sqlcipher-4', readonly = false): Database.Database {
  const db = new CipherDatabase(path, { readonly, fileMustExist: readonly });
  for (const pragma of SETTINGS[cipher]!) db.pragma(pragma);
  db.pragma(`key = '${passphrase.replaceAll("'", "''")}'`);
  return db;
}

/**
 * An encrypted database with `pairs_a`/`pairs_b` (written in pairs by the encrypted
 * writer, so a torn copy shows) and about `bytes` of `blobs`, in WAL or DELETE mode.
 */
export function makeEncryptedDatabase(path: string, passphrase: string, options: { journalMode?: 'wal' | 'delete'; bytes?: number; cipher?: string } = {}): void {
  const db = openWithKey(path, passphrase, options.cipher);
  db.pragma(`journal_mode = ${options.journalMode ?? 'wal'}`);
  db.exec(`
    CREATE TABLE pairs_a (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE pairs_b (k INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
  `);
  const rows = Math.ceil((options.bytes ?? 256 * 1024) / 4000);
  const insert = db.prepare('INSERT INTO blobs (body) VALUES (randomblob(4000))');
  const pair = db.prepare('INSERT INTO pairs_a (k, v) VALUES (?, ?)');
  const pairB = db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i += 1) insert.run();
    for (let k = 1; k <= 100; k += 1) {
      pair.run(k, `seed ${k}`);
      pairB.run(k, `seed ${k}`);
    }
  })();
  if ((options.journalMode ?? 'wal') === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * Starts a real process committing pairs to the SQLCipher 4 database `path` with its key;
 * `exclusive` holds it in locking_mode=EXCLUSIVE; `hang` leaves it, after its first commit,
 * in a transaction that has spilled into the file (it prints "mid"), until it is killed.
 */
export function startEncryptedWriter(path: string, passphrase: string, gapMs = 0, locking: 'normal' | 'exclusive' = 'normal', hang = false) {
  const previous = process.env.PAGEVAULT_TEST_KEY;
  process.env.PAGEVAULT_TEST_KEY = passphrase;
  try {
    return startScript('./encrypted-writer.ts', [path, String(gapMs), locking, ...(hang ? ['hang'] : [])]);
  } finally {
    if (previous === undefined) delete process.env.PAGEVAULT_TEST_KEY;
    else process.env.PAGEVAULT_TEST_KEY = previous;
  }
}

/** Row counts of the pairs tables and whether every pair is whole, read with the key. */
export function pairsOf(path: string, passphrase: string, cipher = 'sqlcipher-4'): { a: number; b: number; torn: number; integrity: string; journalMode: string } {
  const db = openWithKey(path, passphrase, cipher, true);
  try {
    const count = (sql: string) => db.prepare(sql).pluck().get() as number;
    return {
      a: count('SELECT count(*) FROM pairs_a'),
      b: count('SELECT count(*) FROM pairs_b'),
      torn: count('SELECT count(*) FROM pairs_a a LEFT JOIN pairs_b b USING (k) WHERE b.k IS NULL'),
      integrity: String(db.pragma('integrity_check', { simple: true })),
      journalMode: String(db.pragma('journal_mode', { simple: true })),
    };
  } finally {
    db.close();
  }
}

/** Runs a real process that commits `count` pairs to the SQLCipher 4 database `path` without waiting for locks; its {commits, busy}. */
export function commitEncrypted(path: string, passphrase: string, count: number): { commits: number; busy: number } {
  const script = fileURLToPath(new URL('./commit.ts', import.meta.url));
  return JSON.parse(execFileSync(process.execPath, [script, path, String(count)], { encoding: 'utf8', env: { ...process.env, PAGEVAULT_TEST_KEY: passphrase } })) as { commits: number; busy: number };
}
