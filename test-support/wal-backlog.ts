// A separate process that commits N pairs of rows with auto-checkpoint off, so they stay
// in the -wal and not in the database file, then keeps its connection open (so nobody's
// close checkpoints them) until SIGTERM.
import Database from 'better-sqlite3';

const [path, countArg] = process.argv.slice(2);
const db = new Database(path!);
db.pragma('wal_autocheckpoint = 0');
const a = db.prepare('INSERT INTO pairs_a (v) VALUES (?)');
const b = db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)');
const commit = db.transaction(() => b.run(a.run('backlog').lastInsertRowid, 'backlog'));
for (let i = 0; i < Number(countArg); i += 1) commit();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  db.close();
  process.stdout.write('closed\n');
  process.exit(0);
});
setInterval(() => undefined, 1000);
