// A separate process with a database open and idle, as an app between two statements: it
// reads the schema once and holds nothing but what SQLite keeps for an open connection.
// On SIGTERM it reads `SELECT count(*) FROM <table>` through the same connection, prints
// {"count":N} and closes.
import Database from 'better-sqlite3';

const [path, table = 'pairs_a'] = process.argv.slice(2);
const db = new Database(path!, { timeout: 30_000 });
db.prepare('SELECT count(*) FROM sqlite_schema').get();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  const count = db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get();
  db.close();
  process.stdout.write(`${JSON.stringify({ count })}\n`);
  process.exit(0);
});
setInterval(() => undefined, 1000);
