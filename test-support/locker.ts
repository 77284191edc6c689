// A separate process that holds an exclusive lock on a database until SIGTERM.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!);
db.pragma('journal_mode = DELETE');
db.pragma('locking_mode = EXCLUSIVE');
db.exec('BEGIN EXCLUSIVE');
db.exec('CREATE TABLE IF NOT EXISTS lock_probe (x)');
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
});
setInterval(() => undefined, 1000);
