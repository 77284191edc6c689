// A separate process that commits N pairs of rows (one in pairs_a, one in pairs_b, in one
// transaction) without waiting for any lock (busy timeout 0), then exits, printing
// {"commits":N,"busy":B}: B commits found the database locked.
import Database from 'better-sqlite3';

const [path, countArg] = process.argv.slice(2);
const db = new Database(path!, { timeout: 0 });
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
