/**
 * Never a half file under the final name: a copy is written as `<dest>.partial`, fsynced,
 * published by an atomic rename (or link when it must not replace anything), and the
 * folder is fsynced. A `.partial.owner` file beside each partial names the process
 * writing it, so a later run removes the leftovers of a killed one and leaves alone a
 * partial that a running backup is still writing.
 */
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { link, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { PagevaultError } from '../api/errors.ts';

export const PARTIAL_SUFFIX = '.partial';
const OWNER_SUFFIX = '.partial.owner';
/** SQLite's companion files of a database (or of a partial opened as one). */
const COMPANIONS = ['-journal', '-wal', '-shm'];

interface Owner {
  pid: number;
  host: string;
  /** Identifies the claim within its process; see the claim registry. */
  claim: number;
  startedAt: string;
}

/**
 * The claims of every engine worker of this process, in memory shared between them, so
 * that two backups into one folder from one process spare each other's partials.
 */
const REGISTRY_SLOTS = 256;
let registry: Int32Array = new Int32Array(new SharedArrayBuffer(4 * REGISTRY_SLOTS));

/** A fresh registry for the process's main thread to hand to each worker it starts. */
export function createClaimRegistry(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * REGISTRY_SLOTS));
}

/** Makes this thread use the process-wide registry it was given. */
export function useClaimRegistry(shared: Int32Array): void {
  registry = shared;
}

/** The registry this thread uses (the main thread passes it to workers). */
export function claimRegistry(): Int32Array {
  return registry;
}

function addClaim(): number {
  for (;;) {
    const claim = (Math.random() * 0x7ffffffe + 1) | 0;
    for (let slot = 0; slot < REGISTRY_SLOTS; slot += 1) {
      if (Atomics.compareExchange(registry, slot, 0, claim) === 0) return claim;
    }
    throw new PagevaultError('INTERNAL', `Pagevault is already writing ${REGISTRY_SLOTS} backups at once`);
  }
}

/** Forgets a claim (the main thread does this for a worker that was terminated). */
export function releaseClaim(claim: number): void {
  for (let slot = 0; slot < REGISTRY_SLOTS; slot += 1) Atomics.compareExchange(registry, slot, claim, 0);
}

function isClaimActive(claim: number): boolean {
  for (let slot = 0; slot < REGISTRY_SLOTS; slot += 1) if (Atomics.load(registry, slot) === claim) return true;
  return false;
}

/** True while some running backup (of this or another process on this host) owns the partial. */
function isOwnedByRunningBackup(owner: Owner | undefined): boolean {
  if (!owner) return false;
  if (owner.host !== hostname()) return true; // another machine on a shared folder: cannot tell, leave it
  if (owner.pid === process.pid) return isClaimActive(owner.claim);
  return isAlive(owner.pid);
}

/** A partial claimed by this thread. */
export interface PartialClaim {
  path: string;
  destination: string;
  claim: number;
}

/** Claims `<dest>.partial` and returns it; removes a stale one first, refuses one a running backup owns. */
export async function claimPartial(destination: string, onClaim?: (claim: number, partial: string) => void): Promise<PartialClaim> {
  const path = destination + PARTIAL_SUFFIX;
  if (isOwnedByRunningBackup(await readOwner(destination + OWNER_SUFFIX))) {
    throw new PagevaultError('DEST_EXISTS', `Cannot write ${destination}: another backup to the same file is running`);
  }
  const claim = addClaim();
  onClaim?.(claim, path);
  await removeWithCompanions(path);
  const owner: Owner = { pid: process.pid, host: hostname(), claim, startedAt: new Date().toISOString() };
  await writeFile(destination + OWNER_SUFFIX, JSON.stringify(owner));
  return { path, destination, claim };
}

/** Gives up a claim: removes the partial, its companions and its owner file. */
export async function abandonPartial(partial: PartialClaim): Promise<void> {
  await removeWithCompanions(partial.path);
  await rm(partial.destination + OWNER_SUFFIX, { force: true });
  releaseClaim(partial.claim);
}

/**
 * Publishes a finished partial under its final name: fsync, then rename (overwrite) or
 * link + unlink (refuse to replace an existing file), then fsync the folder.
 */
export async function publishPartial(claim: PartialClaim, overwrite: boolean): Promise<void> {
  const { path: partial, destination } = claim;
  await fsyncFile(partial);
  if (overwrite) {
    await rename(partial, destination);
  } else {
    try {
      await link(partial, destination);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        throw new PagevaultError('DEST_EXISTS', `Cannot write ${destination}: a file with that name already exists (use overwrite to replace it)`);
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EOPNOTSUPP') throw error;
      // File systems without hard links: check, then rename.
      if (await exists(destination)) {
        throw new PagevaultError('DEST_EXISTS', `Cannot write ${destination}: a file with that name already exists (use overwrite to replace it)`);
      }
      await rename(partial, destination);
    }
    await unlink(partial).catch(() => undefined);
  }
  await rm(destination + OWNER_SUFFIX, { force: true });
  releaseClaim(claim.claim);
  await fsyncDirectory(dirname(destination));
}

/**
 * Removes partials in `folder` whose writer is gone: no owner file, or an owner process
 * on this host that no longer runs. Returns the removed paths.
 */
export async function removeStalePartials(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.endsWith(PARTIAL_SUFFIX)) continue;
    const partial = join(folder, name);
    const destination = partial.slice(0, -PARTIAL_SUFFIX.length);
    const owner = await readOwner(destination + OWNER_SUFFIX);
    if (isOwnedByRunningBackup(owner)) continue;
    await removeWithCompanions(partial);
    await rm(destination + OWNER_SUFFIX, { force: true });
    removed.push(partial);
  }
  // Owner files whose partial is already gone.
  for (const name of names) {
    if (!name.endsWith(OWNER_SUFFIX)) continue;
    const partial = join(folder, name.slice(0, -OWNER_SUFFIX.length) + PARTIAL_SUFFIX);
    if (await exists(partial)) continue;
    if (isOwnedByRunningBackup(await readOwner(join(folder, name)))) continue;
    await rm(join(folder, name), { force: true });
  }
  return removed;
}

async function readOwner(path: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function removeWithCompanions(path: string): Promise<void> {
  await Promise.all([path, ...COMPANIONS.map((suffix) => path + suffix)].map((p) => rm(p, { force: true })));
}

async function exists(path: string): Promise<boolean> {
  try {
    await open(path, 'r').then((handle) => handle.close());
    return true;
  } catch {
    return false;
  }
}

/** Flushes a file's data to the disk. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a folder's entries (a rename) to the disk; a no-op where folders cannot be opened (Windows). */
export async function fsyncDirectory(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a small file atomically: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, contents: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  await writeFile(temp, contents);
  await fsyncFile(temp);
  await rename(temp, path);
}
