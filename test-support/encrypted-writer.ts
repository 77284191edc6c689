// A separate process that commits pairs of rows (one in pairs_a, one in pairs_b, in one
// transaction) to an encrypted database, opened with SQLite3MultipleCiphers and its key,
// as an app using SQLCipher does. The key comes in PAGEVAULT_TEST_KEY (SQLCipher 4), never
// on the command line. Stops on SIGTERM and prints {"commits":N} on stdout.
// A third argument `exclusive` holds the database as Signal Desktop or Zotero would, in
// locking_mode=EXCLUSIVE from its first commit on, so no other process can read it.
// A fourth argument `hang`: after "ready", a transaction big enough to spill pages into
// the database file (rollback-journal modes: its journal is then hot), then "mid", then
// nothing until the process is killed.
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const CipherDatabase = require('better-sqlite3-multiple-ciphers') as typeof Database;

const [path, gapArg, lockingMode, after] = process.argv.slice(2);
const gapMs = Number(gapArg ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const db = new CipherDatabase(path!, { timeout: 30_000 });
db.pragma("cipher = 'sqlcipher'");
db.pragma('legacy = 4');
db.pragma(`key = '${(process.env.PAGEVAULT_TEST_KEY ?? '').replaceAll("'", "''")}'`);
if (lockingMode === 'exclusive') db.pragma('locking_mode = EXCLUSIVE');
const a = db.prepare('INSERT INTO pairs_a (v) VALUES (?)');
const b = db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)');
const payload = 'x'.repeat(100);
const commit = db.transaction(() => {
  const { lastInsertRowid } = a.run(payload);
  b.run(lastInsertRowid, payload);
});
let commits = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
commit();
commits += 1;
process.stdout.write('ready\n');
if (after === 'hang') {
  db.pragma('cache_size = 10');
  db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 2000; i += 1) {
    const { lastInsertRowid } = a.run(payload);
    b.run(lastInsertRowid, payload);
  }
  db.exec("UPDATE pairs_a SET v = v || 'y'");
  process.stdout.write('mid\n');
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => undefined, 60_000);
} else {
  loop();
}
function loop(): void {
  for (let i = 0; i < 20 && !stopping; i += 1) {
    commit();
    commits += 1;
    if (gapMs > 0) Atomics.wait(sleeper, 0, 0, gapMs);
  }
  if (stopping) {
    process.stdout.write(`${JSON.stringify({ commits })}\n`);
    db.close();
    process.exit(0);
  }
  setImmediate(loop);
}
