/**
 * The vault rows of `npm run bench`: on a copy of the benchmark's WAL database, 1 % of its
 * pages are changed at random between versions (rows of one page each, rewritten by a
 * writer in its own process, as an application's is: a connection in this process would
 * lose its POSIX locks whenever the engine closes a descriptor of the database, and the
 * full backup's checkpoint helper, finding no other process holding it, would then
 * checkpoint and delete the -wal under it; the writer's next commits went to a deleted
 * file and a version saw none of them). Each round then times an incremental version, a full Pagevault
 * backup of the same database (with its verify, as `pagevault backup` runs it, and
 * without) and a restore of the new version into a new file, back to back, so ratios are
 * taken within a round. Then the peak memory of a process that adds a version and
 * restores one.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { backup, vaultBackup, vaultRestore } from '../app/engine/index.ts';

const seconds = (start: number) => (performance.now() - start) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Runs the vault rows on a copy of `source` (a database made by makeDatabase) in `dir`. */
export async function benchVault(source: string, dir: string, runs: number): Promise<void> {
  const work = join(dir, 'vault-bench');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const database = join(work, 'live.db');
  copyFileSync(source, database);
  const vault = join(work, 'vault');
  const vaultFile = join(vault, 'vault.sqlite');
  let outputs = 0;
  const fresh = (name: string) => {
    execFileSync('sync');
    return join(work, `${name}-${(outputs += 1)}.db`);
  };

  const probeDb = new Database(database, { readonly: true, fileMustExist: true });
  const pageCount = Number(probeDb.pragma('page_count', { simple: true }));
  probeDb.close();
  // One blob row fills one 4 KiB page: rewriting 1 % of pages' worth of rows at random
  // changes about 1 % of pages (and a few interior pages above them). Python's sqlite3,
  // not Pagevault's code, with SQLite's default auto-checkpoint; one transaction a line.
  const writer = spawn(
    'python3',
    [
      '-c',
      `import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute('PRAGMA journal_mode=WAL')
ids = [r[0] for r in db.execute('SELECT id FROM blobs')]
for line in sys.stdin:
    db.execute('BEGIN')
    for _ in range(int(sys.argv[2])):
        db.execute('UPDATE blobs SET body = randomblob(4000) WHERE id = ?', (random.choice(ids),))
    db.execute('COMMIT')
    print('done', flush=True)`,
      database,
      String(Math.ceil(pageCount / 100)),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const replies = createInterface({ input: writer.stdout! })[Symbol.asyncIterator]();
  const changeOnePercent = async () => {
    writer.stdin!.write('change\n');
    const reply = await replies.next();
    if (reply.done || reply.value !== 'done') throw new Error(`the benchmark's writer stopped (${String(reply.value)})`);
  };
  const dbBytes = statSync(database).size;

  console.log(`\nThe vault (${mb(dbBytes)} WAL database, ${pageCount.toLocaleString('en-US')} pages; 1 % of pages changed at random before each version; ${runs} rounds):`);
  execFileSync('sync');
  let start = performance.now();
  const first = await vaultBackup(database, vault);
  const firstS = seconds(start);
  const firstBytes = statSync(vaultFile).size;
  console.log(`  first version               ${firstS.toFixed(2)} s   ${mb(firstBytes)} on disk (${((firstBytes / dbBytes) * 100).toFixed(1)} % of the database), ${first.version.newPages.toLocaleString('en-US')} pages stored`);

  type Round = { version: number; bytes: number; newPages: number; pagesRead: number; pagesHashed: number; full: number; fullNoVerify: number; restore: number };
  const rounds: Round[] = [];
  for (let i = 0; i < runs; i += 1) {
    await changeOnePercent();
    const before = statSync(vaultFile).size;
    execFileSync('sync');
    start = performance.now();
    const added = await vaultBackup(database, vault);
    const version = seconds(start);
    const bytes = statSync(vaultFile).size - before;
    let copy = fresh('full');
    start = performance.now();
    await backup(database, copy);
    const full = seconds(start);
    copy = fresh('full-no-verify');
    start = performance.now();
    await backup(database, copy, { verify: false });
    const fullNoVerify = seconds(start);
    const target = fresh('restored');
    start = performance.now();
    await vaultRestore(vault, String(added.version.id), target);
    const restore = seconds(start);
    rounds.push({ version, bytes, newPages: added.version.newPages, pagesRead: added.pagesRead, pagesHashed: added.pagesHashed, full, fullNoVerify, restore });
  }
  writer.stdin!.end();
  await new Promise((done) => writer.once('exit', done));
  for (const [i, r] of rounds.entries()) {
    console.log(`  round ${i + 1}: version ${r.version.toFixed(2)} s (+${mb(r.bytes)}, ${r.newPages.toLocaleString('en-US')} new pages, ${r.pagesRead.toLocaleString('en-US')} pages read, ${r.pagesHashed.toLocaleString('en-US')} of them hashed one by one), full backup ${r.full.toFixed(2)} s (${r.fullNoVerify.toFixed(2)} s without verify), restore ${r.restore.toFixed(2)} s`);
  }
  const ratio = (key: keyof Round, over: keyof Round) => median(rounds.map((r) => r[key] / r[over]));
  const perVersion = median(rounds.map((r) => r.bytes));
  console.log(`  incremental version         ${median(rounds.map((r) => r.version)).toFixed(2)} s   ${ratio('version', 'full').toFixed(2)} × a full backup (target ≤ 0.3)   ${ratio('version', 'fullNoVerify').toFixed(2)} × one without verify`);
  console.log(`  its size on disk            ${mb(perVersion)}   ${((perVersion / dbBytes) * 100).toFixed(2)} % of the database (target ≤ 3 %)`);
  console.log(`  100 such versions           ${mb(firstBytes + 99 * perVersion)} projected: the first + 99 × the median (target ≤ 2.5 GB for 1 GB)`);
  console.log(`  restore of a version        ${median(rounds.map((r) => r.restore)).toFixed(2)} s   ${ratio('restore', 'full').toFixed(2)} × a full backup (target ≤ 1.5)`);

  // Peak memory: a separate process that only adds a version and restores it.
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `
  const { vaultBackup, vaultRestore } = await import(${JSON.stringify(new URL('../app/engine/index.ts', import.meta.url).href)});
  const { readFileSync } = await import('node:fs');
  // Private memory (RssAnon), apart from the pages of mapped files (the Node binary's and its libraries'); RSS elsewhere than Linux.
  const anon = () => process.platform === 'linux' ? Number(/RssAnon:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024 : process.memoryUsage().rss;
  const base = process.memoryUsage().rss;
  const anonBase = anon();
  let peak = base;
  let anonPeak = anonBase;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); anonPeak = Math.max(anonPeak, anon()); }, 5);
  const added = await vaultBackup(${JSON.stringify(database)}, ${JSON.stringify(vault)});
  await vaultRestore(${JSON.stringify(vault)}, String(added.version.id), ${JSON.stringify(join(work, 'mem.db'))});
  clearInterval(timer);
  // The kernel's high-water mark too: sampling every 5 ms can miss a peak between samples.
  console.log(JSON.stringify({ base, peak, maxRss: process.resourceUsage().maxRSS * 1024, anonBase, anonPeak }));
`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const mem = JSON.parse(probe.stdout.trim().split('\n').at(-1) ?? '{}') as { base: number; peak: number; maxRss: number; anonBase: number; anonPeak: number };
  console.log(`  version + restore, process RSS: ${(mem.base / 1e6).toFixed(0)} MB before, peak ${(mem.peak / 1e6).toFixed(0)} MB sampled, ${(mem.maxRss / 1e6).toFixed(0)} MB max RSS (+${((mem.maxRss - mem.base) / 1e6).toFixed(0)} MB; target < 150 MB)`);
  console.log(`  version + restore, private memory (RssAnon): ${(mem.anonBase / 1e6).toFixed(0)} MB before, peak ${(mem.anonPeak / 1e6).toFixed(0)} MB sampled (+${((mem.anonPeak - mem.anonBase) / 1e6).toFixed(0)} MB)`);
  rmSync(work, { recursive: true, force: true });
}
