// A separate process that keeps reading `SELECT min(v), max(v) FROM t` and counts the
// reads that saw rows of two versions at once. Prints "saw V" the first time it reads
// version V, and {"reads":N,"mixed":M,"versions":[…]} on SIGTERM.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2]!, { readonly: true, timeout: 30_000 });
const read = db.prepare('SELECT min(v) AS lo, max(v) AS hi, count(*) AS n FROM t');
let reads = 0;
let mixed = 0;
const versions = new Set<number>();
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.stdout.write('ready\n');
function loop(): void {
  for (let i = 0; i < 10 && !stopping; i += 1) {
    try {
      const row = read.get() as { lo: number; hi: number; n: number };
      reads += 1;
      if (row.lo !== row.hi) mixed += 1;
      if (!versions.has(row.lo)) process.stdout.write(`saw ${row.lo}\n`);
      versions.add(row.lo);
    } catch {
      // The schema may be replaced under us; read again.
    }
  }
  if (stopping) {
    process.stdout.write(`${JSON.stringify({ reads, mixed, versions: [...versions] })}\n`);
    process.exit(0);
  }
  setImmediate(loop);
}
loop();
