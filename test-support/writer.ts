// A separate process that commits pairs of rows (one in pairs_a, one in pairs_b, in one
// transaction) as fast as it can (or with a gap), timing every commit. Stops on SIGTERM and prints
// {"commits":N,"p99Ms":…,"maxMs":…} on stdout.
import Database from 'better-sqlite3';

const [path, gapArg, payloadArg] = process.argv.slice(2);
// Pause between commits, as an application does between user actions (0 = none).
const gapMs = Number(gapArg ?? 0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const payload = 'x'.repeat(Number(payloadArg ?? 100));
const db = new Database(path!, { timeout: 30_000 });
const a = db.prepare('INSERT INTO pairs_a (v) VALUES (?)');
const b = db.prepare('INSERT INTO pairs_b (k, v) VALUES (?, ?)');
const commit = db.transaction(() => {
  const { lastInsertRowid } = a.run(payload);
  b.run(lastInsertRowid, payload);
});
const latencies: number[] = [];
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
process.stdout.write('ready\n');
function loop(): void {
  for (let i = 0; i < 20 && !stopping; i += 1) {
    const t = performance.now();
    commit();
    latencies.push(performance.now() - t);
    if (gapMs > 0) Atomics.wait(sleeper, 0, 0, gapMs);
  }
  if (stopping) {
    latencies.sort((x, y) => x - y);
    const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
    process.stdout.write(`${JSON.stringify({ commits: latencies.length, p99Ms: p99, maxMs: latencies.at(-1) ?? 0 })}\n`);
    db.close();
    process.exit(0);
  }
  setImmediate(loop);
}
loop();
