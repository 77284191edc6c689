/**
 * `npm run bench`: backup speed on a ~1 GB WAL database, as ratios against `cp` of the
 * same file measured in the same run; a verified backup, its verify phase against its own
 * copy phase; a restore of a verified copy, safety copy kept, against `dd conv=fsync` of
 * the same file (swapped in; and loaded, while an app has the target open); then again with a writer committing continuously
 * (restarts, and the writer's p99 and max commit latency during the backup against during
 * `cp`, round by round); the backup worker's peak memory; and stepped mode on a
 * rollback-journal copy against snapshot mode; and the lock-free copy of a copy of the
 * database held exclusively by a writer committing every millisecond (as Firefox or Zotero
 * hold theirs), against `cp` + fsync of its files, with the tries it took; where a
 * btrfs loop mount can be made (root, btrfs-progs), a cloned snapshot backup of a WAL
 * database on it against `cp` + fsync of the same file on the same mount; a backup
 * encrypted at rest with age against a plain one, with the age stream's MB/s and the peak
 * memory of encrypting and decrypting at two sizes; and the vault
 * (scripts/bench-vault.ts): incremental versions and their restores against full backups.
 *
 * `--copy-only` runs only the rows without a writer (copy, verified copy, stepped, restore),
 * and the plain copy once more under a writer committing every millisecond, for its longest commit.
 *
 * Usage: npm run bench -- [--size-mb N] [--dir DIR] [--runs N] [--held-only] [--clone-only] [--encrypted-only] [--vault-only] [--copy-only]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { backup, restore, verify } from '../app/engine/index.ts';
import { AgeDecryptor, AgeEncryptor } from '../app/age/age-stream.ts';
import { generateAgeIdentity, parseIdentityText, parseRecipient } from '../app/age/keys.ts';
import { makeDatabase } from '../test-support/databases.ts';
import { benchVault } from './bench-vault.ts';
import { startExclusiveWriter, startIdleConnection, startWriter } from '../test-support/processes.ts';
import { makeCowMount, unavailable } from '../test-support/cow-mounts.ts';

const { values } = parseArgs({ options: { 'size-mb': { type: 'string', default: '1024' }, dir: { type: 'string' }, runs: { type: 'string', default: '3' }, 'held-only': { type: 'boolean', default: false }, 'clone-only': { type: 'boolean', default: false }, 'vault-only': { type: 'boolean', default: false }, 'encrypted-only': { type: 'boolean', default: false }, 'copy-only': { type: 'boolean', default: false } } });
const sizeMb = Number(values['size-mb']);
const runs = Number(values.runs);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'pv-bench-'));
mkdirSync(dir, { recursive: true });
const source = join(dir, 'bench.db');
const out = join(dir, 'out');
mkdirSync(out, { recursive: true });

/** `items` turned left by `by` places. */
const turned = <T,>(items: T[], by: number) => items.map((_, i) => items[(i + by) % items.length]!);
const seconds = (start: number) => (performance.now() - start) / 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Every timed run writes a new file and starts with nothing left to write back, so no
// contender pays for another's dirty pages. Nothing is deleted between timed runs: this
// file system may discard freed blocks as it commits, which would land on the next run.
let outputs = 0;
const fresh = (name: string) => {
  execFileSync('sync');
  return join(out, `${name}-${(outputs += 1)}.db`);
};
// Between phases, the outputs go, and the disk gets a moment to finish with them.
const clearOutputs = async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  execFileSync('sync');
  await sleep(2000);
};

// The clone row makes its own database on its own mount.
if (values['clone-only']) {
  await benchClone();
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

console.log(`Creating a ${sizeMb} MB WAL database in ${dir} …`);
makeDatabase(source, { bytes: sizeMb * 1e6, journalMode: 'wal' });
execFileSync('cat', [source], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 }); // warm the page cache

function timeCp(sync: boolean): number {
  const copy = fresh('cp');
  const start = performance.now();
  execFileSync('cp', [source, copy]);
  if (sync) execFileSync('sync', ['-d', copy]);
  return seconds(start);
}

// A verified backup: the copy (up to the verify phase's first report) and the verify
// phase after it, timed apart in the same backup.
async function timeVerified(): Promise<{ s: number; copy: number; verify: number }> {
  const copy = fresh('pv-verified');
  const start = performance.now();
  let verifyAt = 0;
  await backup(source, copy, { onProgress: (p) => void (p.phase === 'verify' && !verifyAt && (verifyAt = performance.now())) });
  const end = performance.now();
  return { s: (end - start) / 1000, copy: (verifyAt - start) / 1000, verify: (end - verifyAt) / 1000 };
}

// Encrypted backups go to an X25519 recipient, as the default setting makes them.
const ageRecipient = generateAgeIdentity();
const encryption = { kind: 'x25519' as const, recipient: ageRecipient.recipient };

async function timePagevault(mode: 'snapshot' | 'stepped', file = source, encrypted = false, verify = false): Promise<{ s: number; restarts: number }> {
  const copy = fresh('pv') + (encrypted ? '.age' : '');
  const start = performance.now();
  const result = await backup(file, copy, { mode, verify, ...(encrypted && { encryption }) });
  return { s: seconds(start), restarts: result.manifest.restarts };
}

// The database held exclusively by another program, as Firefox or Zotero hold theirs: a
// copy of the same file (its own -wal), kept open by a writer in locking_mode=EXCLUSIVE
// committing every millisecond (Python's sqlite3: not Pagevault's code), copied without a
// lock; against cp + fsync of the database and its -wal, round by round, alternating.
async function benchHeld(): Promise<void> {
  const held = join(dir, 'held.db');
  execFileSync('cp', [source, held]);
  interface HeldWriter { commits: number; busy: number; p50Ms: number; p99Ms: number; maxMs: number }
  // A fresh writer for each contender, timed for a second before, during, and a second after.
  const whileHeld = async (run: () => Promise<void> | void): Promise<HeldWriter> => {
    const writer = await startExclusiveWriter(held, 'wal', { gapMs: 1 });
    let line = '';
    try {
      await sleep(1000);
      await run();
      await sleep(1000);
      return JSON.parse((line = await writer.stop())) as HeldWriter;
    } finally {
      if (!line) await writer.stop();
    }
  };
  const results: Array<{ cpSync: number; pv: number; tries: number; writerCp: HeldWriter; writerPv: HeldWriter }> = [];
  for (let i = 0; i < runs; i += 1) {
    const round: Partial<(typeof results)[number]> = {};
    const contenders: Array<() => Promise<void>> = [
      async () => {
        round.writerCp = await whileHeld(() => {
          const copy = fresh('held-cp');
          const start = performance.now();
          execFileSync('cp', [held, copy]);
          execFileSync('cp', [`${held}-wal`, `${copy}-wal`]);
          execFileSync('sync', ['-d', copy, `${copy}-wal`]);
          round.cpSync = seconds(start);
        });
      },
      async () => {
        round.writerPv = await whileHeld(async () => {
          const copy = fresh('held-pv');
          const start = performance.now();
          const result = await backup(held, copy, { verify: false });
          round.pv = seconds(start);
          round.tries = result.manifest.heldCopy?.tries ?? 0;
        });
      },
    ];
    for (const run of turned(contenders, i)) await run();
    results.push(round as (typeof results)[number]);
    await clearOutputs();
  }
  console.log(`\nHeld exclusively by a writer committing every millisecond (another process, Python's sqlite3, locking_mode=EXCLUSIVE, WAL; ${runs} rounds):`);
  for (const [i, r] of results.entries()) {
    console.log(`  round ${i + 1}: cp + fsync ${r.cpSync.toFixed(2)} s, Pagevault ${r.pv.toFixed(2)} s (${r.tries} ${r.tries === 1 ? 'try' : 'tries'}); writer max ${r.writerCp.maxMs.toFixed(1)} / ${r.writerPv.maxMs.toFixed(1)} ms, p99 ${r.writerCp.p99Ms.toFixed(1)} / ${r.writerPv.p99Ms.toFixed(1)} ms during cp + fsync / Pagevault, busy ${r.writerPv.busy}`);
  }
  console.log(`  Pagevault lock-free copy    ${median(results.map((r) => r.pv)).toFixed(2)} s   ${median(results.map((r) => r.pv / r.cpSync)).toFixed(2)} × (cp + fsync)   tries: ${results.map((r) => r.tries).join(', ')}   (recovery, atomic publish; no verify)`);
  console.log(`  writer p99 during cp + fsync ${median(results.map((r) => r.writerCp.p99Ms)).toFixed(2)} ms, during Pagevault ${median(results.map((r) => r.writerPv.p99Ms)).toFixed(2)} ms (medians)`);
}
/**
 * The machine's free memory brought to the same state before each timed run, so that
 * neither contender gets the pages the other just freed. On a virtual machine whose host
 * lends memory on first touch (this one), a page freed is handed back to the host within
 * 1-2 s, and each new cached page then costs a trip to it (1 GiB written through the page
 * cache: 0.2 s right after 1 GiB was freed, 2.0-3.4 s from 2 s on). Alternating the order
 * did not cancel that out: whichever ran second reused the first one's pages.
 * - 'settled': 4 s idle first, as a backup started by a schedule finds the machine.
 * - 'just freed': 2.5 × the database written and removed first, as on a machine with no
 *   host to hand memory back to (bare metal): new cached pages cost nothing extra.
 */
type MemoryState = 'settled' | 'just freed';
async function bringMemoryTo(state: MemoryState): Promise<void> {
  if (state === 'settled') {
    await new Promise((resolve) => setTimeout(resolve, 4000));
    return;
  }
  const scratch = join(dir, 'free-me');
  const block = Buffer.alloc(4 << 20, 1);
  const fd = openSync(scratch, 'w');
  try {
    for (let at = 0; at < 2.5 * statSync(source).size; at += block.length) writeSync(fd, block, 0, block.length, at);
  } finally {
    closeSync(fd);
  }
  rmSync(scratch);
}

type MemoryCase = 'plain verified' | 'age' | 'age verified' | 'age, verify the .age file';
interface PeakMemory {
  label: MemoryCase;
  bytes: number;
  /** Private memory (RssAnon) before and at its peak. */
  before: number;
  peak: number;
  /** RssFile before and at its peak: pages of mapped files, the page cache's. */
  fileBefore: number;
  filePeak: number;
}

/**
 * The peak memory of one backup (or one verification of an age file), each in a process of
 * its own that runs only that, sampled every 5 ms from /proc/self/status: private memory
 * (RssAnon) apart from mapped files' pages (RssFile: the page cache's, counted in RSS while
 * a verification maps the file it checks: see verify.ts). Elsewhere than Linux, RSS.
 */
async function peakMemory(file: string, cases: MemoryCase[]): Promise<PeakMemory[]> {
  const rows: PeakMemory[] = [];
  for (const [i, label] of cases.entries()) {
    const target = join(out, `mem-${i}.db`);
    // The age file to verify is written first, by this process.
    const made = label === 'age, verify the .age file' ? (await backup(file, `${target}.age`, { verify: false, encryption })).path : undefined;
    const child = spawnSync(process.execPath, ['-e', `
      const { readFileSync } = await import('node:fs');
      const { backup, verify } = await import(${JSON.stringify(new URL('../app/engine/index.ts', import.meta.url).href)});
      const field = (text, name) => Number(new RegExp(name + ':\\\\s+(\\\\d+) kB').exec(text)[1]) * 1024;
      const sample = () => {
        if (process.platform !== 'linux') return [process.memoryUsage().rss, 0];
        const text = readFileSync('/proc/self/status', 'utf8');
        return [field(text, 'RssAnon'), field(text, 'RssFile')];
      };
      const encryption = ${JSON.stringify(encryption)};
      const label = ${JSON.stringify(label)};
      const age = label.startsWith('age');
      const made = ${JSON.stringify(made ?? null)};
      const [before, fileBefore] = sample();
      let peak = before, filePeak = fileBefore;
      const timer = setInterval(() => { const [a, f] = sample(); peak = Math.max(peak, a); filePeak = Math.max(filePeak, f); }, 5);
      if (made) await verify(made, { keys: { age: ${JSON.stringify([{ kind: 'identity', identity: ageRecipient.identity }])} } });
      else await backup(${JSON.stringify(file)}, ${JSON.stringify(target)} + (age ? '.age' : ''), { verify: label.endsWith('verified'), ...(age && { encryption }) });
      clearInterval(timer);
      console.log(JSON.stringify({ before, peak, fileBefore, filePeak }));
    `], { encoding: 'utf8', input: '', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    for (const name of [target, `${target}.age`, `${target}.manifest.json`]) rmSync(name, { force: true });
    const measured = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Omit<PeakMemory, 'label' | 'bytes'>;
    rows.push({ label, bytes: statSync(file).size, ...measured });
  }
  return rows;
}

function printPeakMemory(rows: PeakMemory[]): void {
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  console.log(`\nPeak memory, each in a process of its own (${process.platform === 'linux' ? "private memory: RssAnon, mapped files' pages apart" : 'RSS'}):`);
  for (const r of rows) {
    const mapped = r.filePeak > r.fileBefore ? `; mapped files' pages +${mb(r.filePeak - r.fileBefore)}` : '';
    console.log(`  ${r.label.padEnd(27)} ${(r.bytes / 1e6).toFixed(r.bytes < 1e7 ? 1 : 0).padStart(5)} MB database: ${mb(r.before)} before, peak ${mb(r.peak)} (+${mb(r.peak - r.before)})${mapped}`);
  }
}

/**
 * A snapshot backup plain and encrypted with age, round by round, from each memory state
 * (bringMemoryTo), without verification and with it (the default); then the age stream
 * alone, encrypting the database and decrypting it again in this process.
 */
async function benchEncrypted(): Promise<void> {
  const rows: string[] = [];
  for (const verify of [false, true]) {
    for (const state of ['settled', 'just freed'] as MemoryState[]) {
      const pairs: Array<{ plain: number; age: number }> = [];
      for (let i = 0; i < runs; i += 1) {
        const pair: Partial<{ plain: number; age: number }> = {};
        const contenders: Array<['plain' | 'age', () => Promise<number>]> = [
          ['plain', async () => (await timePagevault('snapshot', source, false, verify)).s],
          ['age', async () => (await timePagevault('snapshot', source, true, verify)).s],
        ];
        for (const [key, time] of turned(contenders, i)) {
          await bringMemoryTo(state);
          pair[key] = await time();
        }
        pairs.push(pair as { plain: number; age: number });
      }
      const each = pairs.map((p) => `${p.plain.toFixed(2)}/${p.age.toFixed(2)}`).join(', ');
      rows.push(`  ${verify ? 'verified' : 'no verify'}, ${state.padEnd(10)}: plain ${median(pairs.map((p) => p.plain)).toFixed(2)} s, age-encrypted ${median(pairs.map((p) => p.age)).toFixed(2)} s   ${median(pairs.map((p) => p.age / p.plain)).toFixed(2)} × the plain one (goal ≤ 1.5 ×)   rounds plain/age: ${each}`);
    }
  }
  const bytes = statSync(source).size;
  const through = async (decrypt: boolean) => {
    const input = createReadStream(source, { highWaterMark: 1 << 20 });
    const encryptor = new AgeEncryptor([parseRecipient(ageRecipient.recipient, 'bench')]);
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const start = performance.now();
    if (decrypt) await pipeline(input, encryptor, new AgeDecryptor(parseIdentityText(ageRecipient.identity, 'bench'), 'bench'), sink);
    else await pipeline(input, encryptor, sink);
    return bytes / 1e6 / seconds(start);
  };
  const encryptMBs = await through(false);
  const bothMBs = await through(true);
  console.log(`
Encrypted at rest with age (X25519; ${runs} rounds each, median of the rounds' ratios; memory states: see bringMemoryTo):`);
  for (const row of rows) console.log(row);
  console.log(`  age stream alone: encrypt ${encryptMBs.toFixed(0)} MB/s, encrypt + decrypt ${bothMBs.toFixed(0)} MB/s (node:crypto ChaCha20-Poly1305 and SHA-256; the age-encryption package's pure-JavaScript path: 55 MB/s)`);
  // The same at an eighth of the size: a stream's peak does not grow with the file.
  const smaller = join(dir, 'eighth.db');
  makeDatabase(smaller, { bytes: (sizeMb * 1e6) / 8, journalMode: 'wal' });
  const cases: MemoryCase[] = ['age', 'age verified', 'age, verify the .age file'];
  printPeakMemory([...(await peakMemory(smaller, cases)), ...(await peakMemory(source, cases))]);
  console.log('  goal: an encrypted backup and a decryption peak under 150 MB whatever the size');
  rmSync(smaller, { force: true });
}

if (values['encrypted-only']) {
  await benchEncrypted();
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// A cloned snapshot backup on a btrfs loop mount made here, against cp + fsync of the same
// file to the same mount, round by round, alternating. Some commits are left in the -wal,
// so the frames laid over the clone are part of what is timed.
async function benchClone(): Promise<void> {
  const reason = unavailable('btrfs');
  if (reason) {
    console.log(`\nCloned snapshot on btrfs: not measured here: ${reason}`);
    return;
  }
  const mount = makeCowMount('btrfs', dir, Math.max(1024, sizeMb * 4));
  try {
    const db = join(mount.dir, 'bench.db');
    const outDir = join(mount.dir, 'out');
    mkdirSync(outDir);
    makeDatabase(db, { bytes: sizeMb * 1e6, journalMode: 'wal' });
    const writer = new Database(db);
    writer.pragma('wal_autocheckpoint = 0');
    for (let i = 0; i < 200; i += 1) writer.exec("INSERT INTO pairs_a (v) VALUES ('wal'); INSERT INTO pairs_b (k, v) VALUES (last_insert_rowid(), 'wal')");
    // Kept open to the end: the last connection to close would checkpoint the -wal away.
    execFileSync('cat', [db, `${db}-wal`], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 });
    let made = 0;
    const target = (name: string) => {
      execFileSync('sync');
      return join(outDir, `${name}-${(made += 1)}.db`);
    };
    const rows: Array<{ cpSync: number; clone: number; cloneVerified: number; method: string }> = [];
    for (let i = 0; i < runs; i += 1) {
      const row: Partial<(typeof rows)[number]> = {};
      const contenders: Array<() => Promise<void>> = [
        async () => {
          const copy = target('cp');
          const start = performance.now();
          // --reflink=never: coreutils' cp clones by default where it can, and this is the copy to beat.
          execFileSync('cp', ['--reflink=never', db, copy]);
          execFileSync('sync', ['-d', copy]);
          row.cpSync = seconds(start);
        },
        async () => {
          const start = performance.now();
          const result = await backup(db, target('pv'), { verify: false });
          row.clone = seconds(start);
          row.method = result.manifest.copyMethod ?? 'unknown';
        },
        async () => {
          const start = performance.now();
          await backup(db, target('pv-verified'), {});
          row.cloneVerified = seconds(start);
        },
      ];
      for (const run of turned(contenders, i)) await run();
      rows.push(row as (typeof rows)[number]);
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir);
    }
    console.log(`\nCloned snapshot on a btrfs loop mount (${sizeMb} MB WAL database with 200 commits in its -wal; ${runs} rounds):`);
    for (const [i, r] of rows.entries()) console.log(`  round ${i + 1}: cp + fsync ${r.cpSync.toFixed(3)} s, Pagevault ${r.clone.toFixed(3)} s (${r.method}), with verify ${r.cloneVerified.toFixed(3)} s`);
    console.log(`  Pagevault cloned snapshot   ${median(rows.map((r) => r.clone)).toFixed(3)} s   ${median(rows.map((r) => r.clone / r.cpSync)).toFixed(4)} × (cp + fsync on the same mount)   (no verify)`);
    console.log(`  with verify                 ${median(rows.map((r) => r.cloneVerified)).toFixed(3)} s   ${median(rows.map((r) => r.cloneVerified / r.cpSync)).toFixed(4)} × (cp + fsync on the same mount)`);
    writer.close();
  } finally {
    mount.remove();
  }
}
if (values['vault-only']) {
  await benchVault(source, dir, runs);
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
if (values['held-only']) {
  await benchHeld();
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// A rollback-journal copy of the same data, for stepped mode.
const rollback = join(dir, 'bench-delete.db');
execFileSync('cp', [source, rollback]);
const converted = new Database(rollback);
converted.pragma('journal_mode = DELETE');
converted.close();

// Rounds: each contender once per round, back to back, so a slow moment of the disk
// hits one round of everyone rather than all runs of one. Ratios are taken per round.
// The order turns from round to round: this disk is still busy with one run's writes
// when the next starts, whatever `sync` said, so the first of a round has it easiest.
// The plain copy is also timed under a writer committing every millisecond (another
// process), for the writer's longest commit during it, against cp + fsync under the same.
type Round = { cp: number; cpSync: number; pv: number; stepped: number; verified: number; pvWriter: number; cpSyncWriter: number };
const verifiedRuns: Array<{ s: number; copy: number; verify: number }> = [];
const duringCopy: Record<'pv' | 'cpSync', WriterStats[]> = { pv: [], cpSync: [] };
const rounds: Round[] = [];
for (let i = 0; i < runs; i += 1) {
  const round: Partial<Round> = {};
  const contenders: Array<[keyof Round, () => Promise<number>]> = [
    ['cp', async () => timeCp(false)],
    ['cpSync', async () => timeCp(true)],
    ['pv', async () => (await timePagevault('snapshot')).s],
    ['stepped', async () => (await timePagevault('stepped', rollback)).s],
    ['verified', async () => {
      const run = await timeVerified();
      verifiedRuns.push(run);
      return run.s;
    }],
    ['pvWriter', async () => {
      const run = await underWriter(1, async (copy) => {
        const start = performance.now();
        await backup(source, copy, { mode: 'snapshot', verify: false });
        return seconds(start);
      });
      duringCopy.pv.push(run.writer);
      return run.value;
    }],
    ['cpSyncWriter', async () => {
      const run = await underWriter(1, (copy) => {
        const start = performance.now();
        execFileSync('cp', [source, copy]);
        execFileSync('sync', ['-d', copy]);
        return seconds(start);
      });
      duringCopy.cpSync.push(run.writer);
      return run.value;
    }],
  ];
  for (const [key, time] of turned(contenders, i)) round[key] = await time();
  rounds.push(round as Round);
}
const cp = median(rounds.map((r) => r.cp));
const cpSync = median(rounds.map((r) => r.cpSync));
const pvTime = median(rounds.map((r) => r.pv));
const steppedTime = median(rounds.map((r) => r.stepped));
const ratio = (key: 'cpSync' | 'pv' | 'stepped' | 'verified' | 'pvWriter', over: 'cp' | 'cpSync' | 'pv' | 'cpSyncWriter') => median(rounds.map((r) => r[key] / r[over]));

let sqliteCli: number | undefined;
if (spawnSync('sqlite3', ['-version']).status === 0) {
  const copy = fresh('cli');
  const start = performance.now();
  execFileSync('sqlite3', [source, `.backup '${copy}'`]);
  sqliteCli = seconds(start);
}

console.log('\nWithout a writer (medians of %d rounds, warm page cache; ratios are medians of per-round ratios):', runs);
for (const [i, r] of rounds.entries()) {
  const v = verifiedRuns[i]!;
  console.log(`  round ${i + 1}: cp ${r.cp.toFixed(2)} s, cp + fsync ${r.cpSync.toFixed(2)} s, snapshot ${r.pv.toFixed(2)} s, stepped ${r.stepped.toFixed(2)} s, verified ${r.verified.toFixed(2)} s (copy ${v.copy.toFixed(2)} s, verify ${v.verify.toFixed(2)} s); under a writer: snapshot ${r.pvWriter.toFixed(2)} s (longest commit ${duringCopy.pv[i]!.maxMs.toFixed(1)} ms), cp + fsync ${r.cpSyncWriter.toFixed(2)} s (${duringCopy.cpSync[i]!.maxMs.toFixed(1)} ms)`);
}
console.log(`  cp                          ${cp.toFixed(2)} s   1.00 × cp`);
console.log(`  cp + fsync                  ${cpSync.toFixed(2)} s   ${ratio('cpSync', 'cp').toFixed(2)} × cp`);
console.log(`  Pagevault snapshot backup   ${pvTime.toFixed(2)} s   ${ratio('pv', 'cp').toFixed(2)} × cp   ${ratio('pv', 'cpSync').toFixed(2)} × (cp + fsync)   (includes fsync, atomic publish; no verify)`);
console.log(`  Pagevault stepped backup    ${steppedTime.toFixed(2)} s   ${ratio('stepped', 'pv').toFixed(2)} × snapshot mode   (rollback-journal copy of the same data)`);
console.log(`  Pagevault verified backup   ${median(rounds.map((r) => r.verified)).toFixed(2)} s   ${ratio('verified', 'cpSync').toFixed(2)} × (cp + fsync)   verify ${median(verifiedRuns.map((v) => v.verify / v.copy)).toFixed(2)} × the same backup's copy   (quick_check and SHA-256)`);
const longest = (ws: WriterStats[]) => `${median(ws.map((w) => w.maxMs)).toFixed(1)} ms median, ${Math.max(...ws.map((w) => w.maxMs)).toFixed(1)} ms worst`;
console.log(`  under a writer committing every millisecond: Pagevault snapshot ${median(rounds.map((r) => r.pvWriter)).toFixed(2)} s   ${ratio('pvWriter', 'cpSyncWriter').toFixed(2)} × (cp + fsync under the same writer)`);
console.log(`    writer's longest commit during Pagevault snapshot ${longest(duringCopy.pv)}; during cp + fsync ${longest(duringCopy.cpSync)}   (goal < 20 ms)`);
if (sqliteCli !== undefined) console.log(`  sqlite3 .backup             ${sqliteCli.toFixed(2)} s   ${(sqliteCli / cp).toFixed(2)} × cp`);
// Restore of a plain (verified) copy into a live WAL database of the same size, with the
// safety copy kept, against dd bs=4M conv=fsync of the same backup file, round by round.
const restoreBackup = (await backup(source, join(dir, 'restore-from.db'))).path;
const restoreTarget = join(dir, 'restore-target.db');
execFileSync('cp', [source, restoreTarget]);
// The wizard's restore follows its check of the same backup, which hands the restore the
// SHA-256 it passed on (no second quick_check; a swap's copy is then the one read of the backup).
const wizardCheck = await verify(restoreBackup);
const restoreRounds: Array<{ dd: number; restore: number; afterCheck: number; opened: number; phases: string; afterCheckPhases: string; openedPhases: string }> = [];
// Where a restore's time goes: each phase from its first report to the next phase's (the
// throttle passes the first report of a phase at once): the check of the backup, the
// safety copy, the load into the target (copy), the hash of the loaded target (verify).
const timedRestore = async (options: { checkedSha256?: string }): Promise<{ s: number; phases: string }> => {
  const marks: Array<[string, number]> = [];
  const start = performance.now();
  await restore(restoreBackup, restoreTarget, { safetyCopyDir: out, ...options, onProgress: (p) => {
    if (marks.at(-1)?.[0] !== p.phase) marks.push([p.phase, performance.now()]);
  } });
  const end = performance.now();
  const phases = marks.map(([phase, at], i) => `${phase} ${(((marks[i + 1]?.[1] ?? end) - at) / 1000).toFixed(2)}`).join(', ');
  return { s: (end - start) / 1000, phases };
};
for (let i = 0; i < runs; i += 1) {
  const round: Partial<(typeof restoreRounds)[number]> = {};
  const contenders: Array<() => Promise<void>> = [
    async () => {
      const copy = fresh('dd');
      const start = performance.now();
      execFileSync('dd', [`if=${restoreBackup}`, `of=${copy}`, 'bs=4M', 'conv=fsync'], { stdio: 'ignore' });
      round.dd = seconds(start);
    },
    async () => {
      execFileSync('sync');
      const timed = await timedRestore({});
      round.restore = timed.s;
      round.phases = timed.phases;
    },
    async () => {
      execFileSync('sync');
      const timed = await timedRestore({ checkedSha256: wizardCheck.sha256 });
      round.afterCheck = timed.s;
      round.afterCheckPhases = timed.phases;
    },
    async () => {
      // The target's app has it open: the restore loads into it instead of swapping files.
      execFileSync('sync');
      const app = await startIdleConnection(restoreTarget);
      const timed = await timedRestore({}).finally(() => app.stop());
      round.opened = timed.s;
      round.openedPhases = timed.phases;
    },
  ];
  for (const run of turned(contenders, i)) await run();
  restoreRounds.push(round as (typeof restoreRounds)[number]);
}
console.log(`\nRestore of a verified plain copy into a live WAL database, safety copy kept (${runs} rounds):`);
for (const [i, r] of restoreRounds.entries()) {
  console.log(`  round ${i + 1}: dd bs=4M conv=fsync ${r.dd.toFixed(2)} s, Pagevault restore ${r.restore.toFixed(2)} s, after the wizard's check ${r.afterCheck.toFixed(2)} s, while an app has it open ${r.opened.toFixed(2)} s`);
  console.log(`    restore: ${r.phases}; after the check: ${r.afterCheckPhases}; while open: ${r.openedPhases} (s)`);
}
console.log(`  Pagevault restore           ${median(restoreRounds.map((r) => r.restore)).toFixed(2)} s   ${median(restoreRounds.map((r) => r.restore / r.dd)).toFixed(2)} × (dd + fsync)   (verify, copy, swap: the target's own file kept as the safety copy)`);
console.log(`  after the wizard's check    ${median(restoreRounds.map((r) => r.afterCheck)).toFixed(2)} s   ${median(restoreRounds.map((r) => r.afterCheck / r.dd)).toFixed(2)} × (dd + fsync)   (the copy hashed against the check's SHA-256, swap)`);
console.log(`  while an app has it open    ${median(restoreRounds.map((r) => r.opened)).toFixed(2)} s   ${median(restoreRounds.map((r) => r.opened / r.dd)).toFixed(2)} × (dd + fsync)   (verify, safety copy, load into the live file)`);

if (values['copy-only']) {
  if (!values.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

// With a writer committing continuously in another process: a fresh writer for each
// contender, started after the previous run's files are written back, timed for a second
// before, during, and a second after (when the WAL the run let grow is checkpointed).
// Two writers: one committing as fast as it can (hundreds of MB of WAL a second, the worst
// case), and one committing every millisecond, a busy application.
interface WriterStats { commits: number; p99Ms: number; maxMs: number }
async function underWriter<T>(gapMs: number, run: (copy: string) => Promise<T> | T): Promise<{ value: T; writer: WriterStats }> {
  const copy = fresh('with-writer');
  const writer = await startWriter(source, gapMs);
  let line = '';
  try {
    await sleep(1000);
    const value = await run(copy);
    await sleep(1000);
    return { value, writer: (line = await writer.stop(), JSON.parse(line) as WriterStats) };
  } finally {
    // The writer is stopped whatever happens, so a failed run never leaves it growing the file.
    if (!line) await writer.stop();
  }
}
// Commit latency swings from run to run on a shared disk, so each contender runs once per
// round, for as many rounds as the rest of the benchmark; the figures are the median and the
// worst over the rounds.
const describeWriter = (ws: WriterStats[]) => {
  const maxes = ws.map((w) => w.maxMs);
  return `max ${median(maxes).toFixed(2).padStart(7)} ms median, ${Math.max(...maxes).toFixed(2).padStart(7)} ms worst   (p99 ${median(ws.map((w) => w.p99Ms)).toFixed(2)} ms, ${median(ws.map((w) => w.commits))} commits)`;
};
await clearOutputs();
for (const [gapMs, title] of [[0, 'as fast as it can'], [1, 'one commit a millisecond']] as const) {
  const during: Record<'cp' | 'cpSync' | 'pv', WriterStats[]> = { cp: [], cpSync: [], pv: [] };
  const backups: Array<{ s: number; restarts: number }> = [];
  const contenders: Array<() => Promise<void>> = [
    async () => void during.cp.push((await underWriter(gapMs, (copy) => execFileSync('cp', [source, copy]))).writer),
    async () =>
      void during.cpSync.push(
        (
          await underWriter(gapMs, (copy) => {
            execFileSync('cp', [source, copy]);
            execFileSync('sync', ['-d', copy]);
          })
        ).writer,
      ),
    async () => {
      const pv = await underWriter(gapMs, async (copy) => {
        const start = performance.now();
        const result = await backup(source, copy, { mode: 'snapshot', verify: false });
        return { s: seconds(start), restarts: result.manifest.restarts };
      });
      during.pv.push(pv.writer);
      backups.push(pv.value);
    },
  ];
  for (let i = 0; i < runs; i += 1) {
    for (const run of turned(contenders, i)) await run();
    await clearOutputs();
  }
  console.log(`\nWith a writer committing continuously, ${title} (another process, pairs of rows per transaction; ${runs} rounds):`);
  console.log(`  writer during cp                    ${describeWriter(during.cp)}`);
  console.log(`  writer during cp + fsync            ${describeWriter(during.cpSync)}`);
  console.log(`  writer during Pagevault snapshot    ${describeWriter(during.pv)}`);
  console.log(`  per round, writer max during cp / cp + fsync / Pagevault (ms): ${during.pv.map((w, i) => `${during.cp[i]!.maxMs.toFixed(1)} / ${during.cpSync[i]!.maxMs.toFixed(1)} / ${w.maxMs.toFixed(1)}`).join(';  ')}`);
  console.log(`  Pagevault snapshot backup   ${median(backups.map((b) => b.s)).toFixed(2)} s median   restarts: ${backups.map((b) => b.restarts).join(', ')}`);
}

await benchHeld();
await benchClone();
await clearOutputs();
await benchEncrypted();

const mem = await peakMemory(source, ['plain verified']);
await benchVault(source, dir, runs);

printPeakMemory(mem);

if (!values.dir) rmSync(dir, { recursive: true, force: true });
