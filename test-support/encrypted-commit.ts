// A separate process that commits N pairs of rows to a SQLCipher 4 database (key in
// PAGEVAULT_TEST_KEY) without waiting for any lock (busy timeout 0), then exits, printing
// {"commits":N,"busy":B}: B commits found the database locked.
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const CipherDatabase = require('better-sqlite3-multiple-ciphers') as typeof Database;

const [path, countArg] = process.argv.slice(2);
const db = new CipherDatabase(path!, { timeout: 0 });
db.pragma("cipher = 'sqlcipher'");
db.pragma('legacy = 4');
db.pragma(`key = '${(process.env.PAGEVAULT_TEST_KEY ?? '').replaceAll("'", "''")}'`);
const commit = db.transaction(() => {
  const { lastInsertRowid } = db.prepare("INSERT INTO pairs_a (v) VALUES ('during')").run();
  db.prepare("INSERT INTO pairs_b (k, v) VALUES (?, 'during')").run(lastInsertRowid);
});
let commits = 0;
let busy = 0;
for (let i = 0; i < Number(countArg); i += 1) {
  try {
    commit();
    commits += 1;
  } catch (error) {
    if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY')) throw error;
    busy += 1;
  }
}
db.close();
process.stdout.write(`${JSON.stringify({ commits, busy })}\n`);
