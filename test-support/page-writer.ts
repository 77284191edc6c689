// A separate process that keeps a WAL database open, as an application would, and on each
// line `change N SEED` on stdin commits N random row changes (updates of random rows
// with random bytes, an insert or a delete now and then), spread over random pages, then
// answers `done` on stdout. `checkpoint` runs a passive checkpoint; stdin's end closes it.
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';

const [path] = process.argv.slice(2);
const db = new Database(path!);
db.pragma('journal_mode = WAL');
// Small, so that some rounds checkpoint into the database file and others stay in the WAL.
db.pragma('wal_autocheckpoint = 40');
db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
if (db.prepare('SELECT count(*) FROM t').pluck().get() === 0) {
  const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(900))');
  db.transaction(() => {
    for (let i = 0; i < 2000; i += 1) insert.run();
  })();
}

let state = 1;
const random = () => {
  // xorshift32: the same seed gives the same changes.
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};

const update = db.prepare('UPDATE t SET v = randomblob(900) WHERE id = (SELECT id FROM t ORDER BY id LIMIT 1 OFFSET ?)');
const insert = db.prepare('INSERT INTO t (v) VALUES (randomblob(?))');
const remove = db.prepare('DELETE FROM t WHERE id = (SELECT id FROM t ORDER BY id LIMIT 1 OFFSET ?)');
const count = db.prepare('SELECT count(*) FROM t').pluck();

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, n, seed] = line.split(' ');
  if (command === 'checkpoint') db.pragma('wal_checkpoint(PASSIVE)');
  if (command === 'change') {
    state = Number(seed) || 1;
    db.transaction(() => {
      for (let i = 0; i < Number(n); i += 1) {
        const rows = Number(count.get());
        const pick = random();
        if (pick < 0.1) insert.run(100 + Math.floor(random() * 3000));
        else if (pick < 0.15 && rows > 100) remove.run(Math.floor(random() * rows));
        else update.run(Math.floor(random() * rows));
      }
    })();
  }
  process.stdout.write('done\n');
}).on('close', () => db.close());
