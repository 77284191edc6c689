/**
 * Copy-on-write file systems for tests: a btrfs or XFS file system in an image file,
 * mounted through a loop device, made and removed by the test itself (as root).
 *
 * `unavailable(kind)` says why a mount cannot be made here (not root, no loop device, the
 * mkfs tool missing), for the test to skip with that reason; `makeCowMount` makes one, and
 * its `remove()` unmounts it and deletes the image, also after a failed test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export type CowKind = 'btrfs' | 'xfs';

export interface CowMount {
  kind: CowKind;
  /** The mounted folder: files in it share blocks when cloned. */
  dir: string;
  /** Unmounts the file system and removes its image and folder; safe to call twice. */
  remove(): void;
}

const MKFS: Record<CowKind, { tool: string; debian: string; args: string[] }> = {
  btrfs: { tool: 'mkfs.btrfs', debian: 'btrfs-progs', args: ['-f', '-q'] },
  // reflink=1 is the default of recent xfsprogs; said anyway, since cloning is the point.
  xfs: { tool: 'mkfs.xfs', debian: 'xfsprogs', args: ['-f', '-q', '-m', 'reflink=1'] },
};

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
    return true;
  } catch {
    return false;
  }
}

/** Why a `kind` loop mount cannot be made on this machine, or undefined when it can. */
export function unavailable(kind: CowKind): string | undefined {
  if (process.platform !== 'linux') return `a ${kind} loop mount needs Linux`;
  if (process.getuid?.() !== 0) return `a ${kind} loop mount needs root (mount -o loop)`;
  if (!existsSync('/dev/loop-control') && !existsSync('/dev/loop0')) return `no loop device (/dev/loop-control) for a ${kind} loop mount`;
  const { tool, debian } = MKFS[kind];
  if (!hasCommand(tool)) return `${tool} is not installed (Debian package ${debian})`;
  return undefined;
}

/**
 * Makes a `kind` file system of `sizeMb` in an image under `parent` and mounts it at
 * `<parent>/<kind>`. Throws (after removing what it made) when mkfs or mount fails.
 */
export function makeCowMount(kind: CowKind, parent: string, sizeMb = 400): CowMount {
  const image = join(parent, `${kind}.img`);
  const dir = join(parent, kind);
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
  let mounted = false;
  const remove = () => {
    if (mounted) {
      // Lazily, so a process of a failed test still in the folder cannot keep it mounted.
      try {
        execFileSync('umount', [dir], { stdio: 'ignore', env });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore', env });
      }
      mounted = false;
    }
    rmSync(image, { force: true });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('truncate', ['-s', `${sizeMb}M`, image], { env });
    // XFS needs 300 MB at least; btrfs fits smaller.
    execFileSync(MKFS[kind].tool, [...MKFS[kind].args, image], { stdio: 'ignore', env });
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'ignore', env });
    mounted = true;
  } catch (error) {
    remove();
    throw error;
  }
  return { kind, dir, remove };
}

/**
 * Bytes of `path` that share their extents with another file, as `filefrag -v` lists
 * them (flag "shared"). Undefined where filefrag is missing.
 */
export function sharedBytes(path: string): number | undefined {
  if (!hasCommand('filefrag')) return undefined;
  const out = execFileSync('filefrag', ['-v', '-b4096', path], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` } });
  let shared = 0;
  for (const line of out.split('\n')) {
    // "   0:        0..     255:       3328..      3583:    256:             shared"
    const match = /^\s*\d+:\s*\d+\.\.\s*\d+:\s*\d+\.\.\s*\d+:\s*(\d+):.*\bshared\b/.exec(line);
    if (match) shared += Number(match[1]) * 4096;
  }
  return shared;
}
