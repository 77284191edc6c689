/**
 * Clones on copy-on-write file systems (btrfs, XFS with reflink, and the like): a new
 * file that shares every block with the one it was cloned from, made in milliseconds
 * whatever its size; a later write to either file copies only the block it changes.
 *
 * Whether a destination clones is found out once per file system (device): the engine
 * makes a small probe file in the destination folder, clones it with FICLONE
 * (`fs.copyFile` with COPYFILE_FICLONE_FORCE), and removes both again.
 *
 * A database is never cloned by path from this process: `fs.copyFile` opens and closes
 * the source, and closing any descriptor of a file drops every POSIX lock this process
 * holds on it (the read lock that keeps a snapshot, SQLite's own). So the clone is made
 * by `cp --reflink=always` in a child process, which is handed the engine's open
 * descriptor of the database as its fd 3 and clones `/dev/fd/3`: the very file the
 * engine reads, whatever the path names meanwhile, and the descriptors the child opens
 * and closes carry none of this process's locks.
 *
 * A snapshot's clone goes to a helper process that each engine thread starts once and
 * keeps (clone-helper.ts), which clones `/proc/<pid>/fd/<fd>`, the same open file: a
 * request there took 1 ms, a `cp` started for it 12 ms. Where the helper cannot clone,
 * `cp` is tried as before.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, fstatSync } from 'node:fs';
import { chmod, copyFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHelper, type HelperProcess } from './helper-process.ts';

import type { CopyMethod } from '../api/types.ts';

export type { CopyMethod };

/** Whether each file system (by device number) clones, as its probe found. */
const clonesByDevice = new Map<number, boolean>();
const PROBE_SUFFIX = '.pagevault-clone-probe';

/**
 * Whether files in `folder` can be cloned, found by cloning a probe file there once per
 * device. False where the platform has no descriptor clone here (only Linux has
 * `/dev/fd` clones through `cp --reflink`), or the probe cannot be written.
 */
export async function folderClones(folder: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  let device: number;
  try {
    device = (await stat(folder)).dev;
  } catch {
    return false;
  }
  const known = clonesByDevice.get(device);
  if (known !== undefined) return known;
  const base = join(folder, `.${randomBytes(6).toString('hex')}`);
  const probe = `${base}${PROBE_SUFFIX}`;
  const clone = `${base}-clone${PROBE_SUFFIX}`;
  let clones = false;
  try {
    // 'wx': the probe is a new file of this process's making, and so the only one it removes.
    await writeFile(probe, Buffer.alloc(4096, 1), { flag: 'wx', mode: 0o600 });
    try {
      await copyFile(probe, clone, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
      clones = true;
      await rm(clone, { force: true });
    } catch {
      // ENOTSUP, EXDEV, EINVAL: this file system copies. Nothing was made under the clone's name.
    }
    await rm(probe, { force: true });
  } catch {
    // Unwritable folder: the backup itself says why; here it only means no clone.
    return false;
  }
  clonesByDevice.set(device, clones);
  return clones;
}

/** Whether the file open as `sourceFd` and `destination` are on one file system, where a descriptor clone can be tried (Linux only: `/dev/fd`, `/proc/<pid>/fd`). */
async function mayClone(sourceFd: number, destination: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    return fstatSync(sourceFd).dev === (await stat(destination)).dev;
  } catch {
    return false;
  }
}

/**
 * Clones the file open as `sourceFd` into `destination` (an existing file of this
 * process's, replaced), from a child process (see the header). True when the clone was
 * made; false when the file systems differ or do not clone, or `cp` is missing, and the
 * caller copies instead.
 */
export async function cloneDescriptor(sourceFd: number, destination: string): Promise<boolean> {
  if (!(await mayClone(sourceFd, destination))) return false;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('cp', ['--reflink=always', '/dev/fd/3', destination], { stdio: ['ignore', 'ignore', 'ignore', sourceFd] });
    } catch {
      resolve(false);
      return;
    }
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** What a clone into a partial leaves beside it until it replaces the partial (a companion of the partial: partial-file.ts removes it with the partial). */
export const CLONE_SUFFIX = '-clone';

/**
 * Replaces `partial`, an empty file this process claimed, by a clone of the file open as
 * `sourceFd`: through the clone helper into `<partial>-clone`, given the partial's
 * permission bits and renamed over it; else by `cp` into the partial itself. True when
 * the clone was made; the partial may then be a new file, so it is opened after this.
 */
export async function cloneIntoPartial(sourceFd: number, partial: string): Promise<boolean> {
  if (!(await mayClone(sourceFd, partial))) return false;
  // A request is one line of two tab-separated paths.
  if (!/[\t\n]/.test(partial)) {
    const made = `${partial}${CLONE_SUFFIX}`;
    const answer = await cloneHelper()?.request(`/proc/${process.pid}/fd/${sourceFd}\t${made}`);
    if (answer === 'ok') {
      try {
        await chmod(made, (await stat(partial)).mode & 0o7777);
        await rename(made, partial);
        return true;
      } catch {
        await rm(made, { force: true });
      }
    }
    // Any other answer: nothing was made ("no EEXIST": what is there is not this clone's, and stays).
  }
  return cloneDescriptor(sourceFd, partial);
}

const helperPath = new URL(import.meta.url.endsWith('.ts') ? './clone-helper.ts' : './clone-helper.js', import.meta.url);
/** This thread's clone helper, started at its first clone; undefined once it could not start or has exited. */
let helper: CloneHelper | undefined;
let helperFailed = false;

function cloneHelper(): CloneHelper | undefined {
  if (helper || helperFailed) return helper;
  try {
    helper = new CloneHelper(startHelper(fileURLToPath(helperPath), []));
  } catch {
    helperFailed = true;
  }
  return helper;
}

/** The engine's side of a clone helper: requests in order, one answer line each. */
class CloneHelper {
  readonly #child: HelperProcess;
  readonly #waiting: Array<(answer: string | undefined) => void> = [];
  #output = '';

  constructor(child: HelperProcess) {
    this.#child = child;
    child.on('error', () => undefined);
    child.stdin!.on('error', () => undefined);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#output += chunk;
      for (let end = this.#output.indexOf('\n'); end >= 0; end = this.#output.indexOf('\n')) {
        this.#waiting.shift()?.(this.#output.slice(0, end));
        this.#output = this.#output.slice(end + 1);
      }
      this.#hold(this.#waiting.length > 0);
    });
    child.on('exit', () => {
      if (helper === this) helper = undefined;
      for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    });
    // A spawned helper keeps neither this thread nor the process alive while idle.
    if (child instanceof ChildProcess) child.unref();
    this.#hold(false);
  }

  /** The helper's answer to `line`; undefined when it has exited. */
  request(line: string): Promise<string | undefined> {
    if (this.#child.exitCode !== null || !this.#child.stdin?.writable) return Promise.resolve(undefined);
    const answer = new Promise<string | undefined>((resolve) => this.#waiting.push(resolve));
    this.#hold(true);
    this.#child.stdin.write(`${line}\n`);
    return answer;
  }

  /** While an answer is awaited, the helper's output keeps the thread alive (a spawned helper's pipe; a relayed one's port does anyway). */
  #hold(waiting: boolean): void {
    if (!(this.#child instanceof ChildProcess)) return;
    for (const pipe of [this.#child.stdout, this.#child.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (waiting) pipe?.ref?.();
      else pipe?.unref?.();
    }
  }
}

/** Forgets what the probes found (tests mount and unmount file systems, and device numbers return). */
export function forgetCloneProbes(): void {
  clonesByDevice.clear();
}
