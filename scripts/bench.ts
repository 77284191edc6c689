/**
 * `npm run bench`: backup speed on a ~1 GB WAL database, as ratios against `cp` of the
 * same file measured in the same run; then again with a writer committing continuously
 * (restarts, the writer's p99 and max commit latency); the backup worker's peak memory;
 * and stepped mode on a rollback-journal copy against snapshot mode.
 *
 * Usage: npm run bench -- [--size-mb N] [--dir DIR] [--runs N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { backup } from '../app/engine/index.ts';
import { makeDatabase } from '../test-support/databases.ts';
import { startWriter } from '../test-support/processes.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' }, dir: { type: 'string' }, runs: { type: 'string', default: '3' } } });
const sizeMb = Number(values['size-mb']);
const runs = Number(values.runs);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'pv-bench-'));
mkdirSync(dir, { recursive: true });
const source = join(dir, 'bench.db');
const out = join(dir, 'out');
mkdirSync(out, { recursive: true });

const seconds = (start: number) => (performance.now() - start) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Every timed run starts with the previous run's output gone and nothing left to write
// back, so no contender pays for another's dirty pages.
const clean = () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  execFileSync('sync');
};

console.log(`Creating a ${sizeMb} MB WAL database in ${dir} …`);
makeDatabase(source, { bytes: sizeMb * 1e6, journalMode: 'wal' });
execFileSync('cat', [source], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 }); // warm the page cache

function timeCp(sync: boolean): number {
  clean();
  const start = performance.now();
  execFileSync('cp', [source, join(out, 'cp.db')]);
  if (sync) execFileSync('sync', ['-d', join(out, 'cp.db')]);
  return seconds(start);
}

async function timePagevault(mode: 'snapshot' | 'stepped', file = source): Promise<{ s: number; restarts: number }> {
  clean();
  const start = performance.now();
  const result = await backup(file, join(out, 'pv.db'), { mode, verify: false });
  return { s: seconds(start), restarts: result.manifest.restarts };
}

// A rollback-journal copy of the same data, for stepped mode.
const rollback = join(dir, 'bench-delete.db');
execFileSync('cp', [source, rollback]);
const converted = new Database(rollback);
converted.pragma('journal_mode = DELETE');
converted.close();

// Rounds: each contender once per round, back to back, so a slow moment of the disk
// hits one round of everyone rather than all runs of one. Ratios are taken per round.
const rounds: Array<{ cp: number; cpSync: number; pv: number; stepped: number }> = [];
for (let i = 0; i < runs; i += 1) {
  rounds.push({ cp: timeCp(false), cpSync: timeCp(true), pv: (await timePagevault('snapshot')).s, stepped: (await timePagevault('stepped', rollback)).s });
}
const cp = median(rounds.map((r) => r.cp));
const cpSync = median(rounds.map((r) => r.cpSync));
const pvTime = median(rounds.map((r) => r.pv));
const steppedTime = median(rounds.map((r) => r.stepped));
const ratio = (key: 'cpSync' | 'pv' | 'stepped', over: 'cp' | 'cpSync' | 'pv') => median(rounds.map((r) => r[key] / r[over]));

let sqliteCli: number | undefined;
if (spawnSync('sqlite3', ['-version']).status === 0) {
  clean();
  const start = performance.now();
  execFileSync('sqlite3', [source, `.backup '${join(out, 'cli.db')}'`]);
  sqliteCli = seconds(start);
}

console.log('\nWithout a writer (medians of %d rounds, warm page cache; ratios are medians of per-round ratios):', runs);
for (const [i, r] of rounds.entries()) {
  console.log(`  round ${i + 1}: cp ${r.cp.toFixed(2)} s, cp + fsync ${r.cpSync.toFixed(2)} s, snapshot ${r.pv.toFixed(2)} s, stepped ${r.stepped.toFixed(2)} s`);
}
console.log(`  cp                          ${cp.toFixed(2)} s   1.00 × cp`);
console.log(`  cp + fsync                  ${cpSync.toFixed(2)} s   ${ratio('cpSync', 'cp').toFixed(2)} × cp`);
console.log(`  Pagevault snapshot backup   ${pvTime.toFixed(2)} s   ${ratio('pv', 'cp').toFixed(2)} × cp   ${ratio('pv', 'cpSync').toFixed(2)} × (cp + fsync)   (includes fsync, atomic publish; no verify)`);
console.log(`  Pagevault stepped backup    ${steppedTime.toFixed(2)} s   ${ratio('stepped', 'pv').toFixed(2)} × snapshot mode   (rollback-journal copy of the same data)`);
if (sqliteCli !== undefined) console.log(`  sqlite3 .backup             ${sqliteCli.toFixed(2)} s   ${(sqliteCli / cp).toFixed(2)} × cp`);

// With a writer committing continuously in another process.
const writer = await startWriter(source);
let writerLine = '';
// The writer is stopped whatever happens, so a failed run never leaves it growing the file.
const withWriter = await timePagevault('snapshot').finally(() => writer.stop().then((line) => (writerLine = line)));
const stats = JSON.parse(writerLine) as { commits: number; p99Ms: number; maxMs: number };
console.log('\nWith a writer committing continuously (another process, pairs of rows per transaction):');
console.log(`  Pagevault snapshot backup   ${withWriter.s.toFixed(2)} s   ${(withWriter.s / cp).toFixed(2)} × cp   restarts: ${withWriter.restarts}`);
console.log(`  writer: ${stats.commits} commits, p99 ${stats.p99Ms.toFixed(2)} ms, max ${stats.maxMs.toFixed(2)} ms`);

// Peak memory of a backup worker: measured in a separate process that runs only the backup.
clean();
const peak = spawnSync(process.execPath, ['-e', `
  const { backup } = await import(${JSON.stringify(new URL('../app/engine/index.ts', import.meta.url).href)});
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  await backup(${JSON.stringify(source)}, ${JSON.stringify(join(out, 'mem.db'))}, { verify: true });
  clearInterval(timer);
  console.log(JSON.stringify({ base, peak }));
`], { encoding: 'utf8', input: '', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
const mem = JSON.parse(peak.stdout.trim().split('\n').at(-1) ?? '{}') as { base: number; peak: number };
console.log(`\nBackup with verify, process RSS: ${(mem.base / 1e6).toFixed(0)} MB before, peak ${(mem.peak / 1e6).toFixed(0)} MB (worker + its SQLite cache: +${((mem.peak - mem.base) / 1e6).toFixed(0)} MB)`);

if (!values.dir) rmSync(dir, { recursive: true, force: true });
