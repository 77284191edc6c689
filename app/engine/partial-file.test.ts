// Partial files: Pagevault removes only what it can prove it made and nobody still
// writes, with real processes that hold, lose or never had the owner's lock.
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { backup } from './index.ts';
import { claimPartial, publishPartial, removeStalePartials, type PartialClaim } from './partial-file.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { startScript, type Running } from '../../test-support/processes.ts';
import { caseFolders } from '../../test-support/unit.ts';

const { fresh } = caseFolders('pv-partial-');

/** A process that claims a partial of `destination` and holds it until killed. */
async function startClaimer(destination: string): Promise<{ running: Running; claim: PartialClaim }> {
  const claimFile = `${destination}.claim.json`;
  const running = await startScript('./claimer.ts', [destination, claimFile]);
  const claim = JSON.parse(readFileSync(claimFile, 'utf8')) as PartialClaim;
  rmSync(claimFile);
  return { running, claim };
}

async function killed(running: Running): Promise<void> {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
}

describe('partial files', () => {
  it("never removes another program's *.partial files, nor partials without their owner file", async () => {
    const dir = fresh();
    const source = join(dir, 'small.db');
    makeDatabase(source);
    const downloads = join(dir, 'dl');
    mkdirSync(downloads);
    // A download tool's partials, an older backup's leftovers and a lone Pagevault-named partial.
    const others = ['movie.mkv.partial', 'movie.mkv.partial-journal', 'old.db.partial', 'old.db.partial.owner', 'lone.db.0123456789ab.pagevault-partial'];
    for (const name of others) writeFileSync(join(downloads, name), 'x');
    const result = await backup(source, downloads);
    expect(result.removedPartials).toEqual([]);
    expect(readdirSync(downloads).filter((name) => others.includes(name)).sort()).toEqual([...others].sort());
  });

  it('removes the partial of a backup that was killed, even when its PID now belongs to a live process', async () => {
    const dir = fresh();
    const destination = join(dir, 'killed.db');
    const { running, claim } = await startClaimer(destination);
    await killed(running);
    // The PID is reused: the owner file now names a process that runs (this one).
    const owner = new Database(claim.owner);
    owner.prepare('UPDATE owner SET pid = ?').run(process.pid);
    owner.close();
    expect(await removeStalePartials(dir)).toEqual([claim.path]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves alone a partial that another process is still writing, and one that another thread of this process writes', async () => {
    const dir = fresh();
    const { running, claim } = await startClaimer(join(dir, 'writing.db'));
    try {
      expect(await removeStalePartials(dir)).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual([claim.owner, claim.path].map((p) => p.slice(dir.length + 1)).sort());
      // A second backup to the same file is refused while the first one writes it.
      await expect(claimPartial(join(dir, 'writing.db'))).rejects.toMatchObject({ code: 'ALREADY_RUNNING' });
    } finally {
      await killed(running);
    }

    // A claim held by a worker thread of this process: the same lock, seen from here.
    const threaded = fresh();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.module).then(async ({ claimPartial }) => {
         const claim = await claimPartial(workerData.destination);
         parentPort.postMessage(claim);
         setInterval(() => undefined, 1000); // a backup at work: the thread stays
       });`,
      { eval: true, workerData: { module: new URL('./partial-file.ts', import.meta.url).href, destination: join(threaded, 'thread.db') } },
    );
    try {
      const workerClaim = await new Promise<PartialClaim>((resolve) => worker.once('message', resolve));
      expect(await removeStalePartials(threaded)).toEqual([]);
      expect(statSync(workerClaim.path).isFile()).toBe(true);
    } finally {
      await worker.terminate();
    }
  });

  it('publishes under the final name and leaves nothing else behind', async () => {
    const dir = fresh();
    const destination = join(dir, 'out.db');
    const claim = await claimPartial(destination, 0o640);
    writeFileSync(claim.path, 'copy');
    expect(await removeStalePartials(dir)).toEqual([]); // this thread's own claim
    await publishPartial(claim, false);
    expect(readdirSync(dir)).toEqual(['out.db']);
    expect(statSync(destination).mode & 0o777).toBe(0o640);
  });
});

describe('permissions', () => {
  it.each(['600', '640', '644'])('a backup and its manifest are never more readable than a %s source', async (octal) => {
    const mode = parseInt(octal, 8);
    const dir = fresh();
    const source = join(dir, 'private.db');
    makeDatabase(source);
    chmodSync(source, mode);
    const result = await backup(source, join(dir, 'backups', 'private') + '/');
    expect(statSync(result.path).mode & 0o777).toBe(mode);
    expect(statSync(result.manifestPath!).mode & 0o777).toBe(mode);
    // The folders Pagevault made for it are its own: private.
    expect(statSync(join(dir, 'backups')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'backups', 'private')).mode & 0o777).toBe(0o700);
  });
});
