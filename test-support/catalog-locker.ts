// A separate process that holds the write lock of a WAL database (a Pagevault catalog)
// until SIGTERM, as another program writing to it would: readers go on, writers wait.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!, { fileMustExist: true });
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\n');
  process.exit(0);
});
setInterval(() => undefined, 1000);
