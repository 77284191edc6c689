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
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants, fstatSync } from 'node:fs';
import { copyFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

/**
 * Clones the file open as `sourceFd` into `destination` (an existing file of this
 * process's, replaced), from a child process (see the header). True when the clone was
 * made; false when the file systems differ or do not clone, or `cp` is missing, and the
 * caller copies instead.
 */
export async function cloneDescriptor(sourceFd: number, destination: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    if (fstatSync(sourceFd).dev !== (await stat(destination)).dev) return false;
  } catch {
    return false;
  }
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

/** Forgets what the probes found (tests mount and unmount file systems, and device numbers return). */
export function forgetCloneProbes(): void {
  clonesByDevice.clear();
}
