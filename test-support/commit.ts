// A separate process that commits N pairs of rows (one in pairs_a, one in pairs_b, in one
// transaction) without waiting for any lock (busy timeout 0), then exits, printing
// {"commits":N,"busy":B}: B commits found the database locked. With PAGEVAULT_TEST_KEY
// set, the database is a SQLCipher 4 one opened with that key.
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';

const [path, countArg] = process.argv.slice(2);
const key = process.env.PAGEVAULT_TEST_KEY;
const Opener = key === undefined ? Database : (createRequire(import.meta.url)('better-sqlite3-multiple-ciphers') as typeof Database);
const db = new Opener(path!, { timeout: 0 });
if (key !== undefined) {
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('legacy = 4');
  db.pragma(`key = '${key.replaceAll("'", "''")}'`);
}
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
