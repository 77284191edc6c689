/**
 * Files dropped onto the browser shell's window: a browser cannot tell the server a
 * dropped file's path, so the file is streamed into a staging folder in the data dir and
 * restored from there. Each upload gets its own folder; leftovers are removed after a day,
 * by a sweep that runs while the host does. Only the user may read what is staged (the
 * folder is 0700, the files 0600), and what is staged at once is capped by the disk's
 * free space and by a quota over all uploads in progress.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PagevaultError } from '../api/errors.ts';
import { limits } from '../api/index.ts';
import { fileSystemError } from '../engine/sqlite-errors.ts';

/** How long a staged file is kept before the sweep removes it. */
export const STAGED_FILE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Bounds on uploads, so a page cannot fill the disk or the host's memory through the stage endpoint. */
export interface StagingLimits {
  /** The largest file one drop may upload. */
  fileBytes: number;
  /** The most that all uploads in progress may add up to. */
  quotaBytes: number;
  /** What an upload must leave free on the disk, so a drop never fills it for the databases beside it. */
  keepFreeBytes: number;
  /** How many bytes an upload takes between two looks at the disk's free space. */
  checkEveryBytes: number;
  /** How often staged files older than `lifetimeMs` are looked for. */
  sweepEveryMs: number;
  lifetimeMs: number;
}

/** 8 GB a file, 16 GB at once, 256 MiB left free, the disk looked at every 8 MiB, swept hourly. */
export const defaultStagingLimits: StagingLimits = {
  fileBytes: limits.stagedFileBytes,
  quotaBytes: 2 * limits.stagedFileBytes,
  keepFreeBytes: 256 * 1024 ** 2,
  checkEveryBytes: 8 * 1024 ** 2,
  sweepEveryMs: 60 * 60 * 1000,
  lifetimeMs: STAGED_FILE_LIFETIME_MS,
};

/** An upload in progress: the bytes it counts against the quota, the bytes it reserved on the disk, and those it has written. */
interface Claim {
  quota: number;
  disk: number;
  written: number;
}

/** A file taken in by the stage endpoint: where it now is, for the API to read it from, and its size. */
export interface StagedFile {
  path: string;
  bytes: number;
}

/** The longest file name, in bytes, that ext4, APFS, NTFS and the rest all accept. */
const MAX_NAME_BYTES = 255;

const formatBytes = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;

/** A file name a user dropped, reduced to a safe last path segment; refuses nonsense. */
export function stagedName(raw: string | null): string {
  const name = basename((raw ?? '').replaceAll('\\', '/')).trim();
  if (!name || name === '.' || name === '..' || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new PagevaultError('INVALID_REQUEST', `Cannot take the dropped file: '${raw ?? ''}' is not a usable file name`);
  }
  // File systems count a name's bytes, not its characters: 200 × '€' is 600 bytes.
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_NAME_BYTES) {
    throw new PagevaultError('INVALID_REQUEST', `Cannot take the dropped file '${name.slice(0, 40)}…': its name is ${bytes} bytes long in UTF-8, and a file name has at most ${MAX_NAME_BYTES}; rename it and drop it again`);
  }
  return name;
}

/**
 * The staging folder of one host: takes uploads into it, keeps count of the ones in
 * progress, and sweeps out what is older than a day.
 */
export class StagingArea {
  readonly dir: string;
  readonly limits: StagingLimits;
  /** What each upload in progress has claimed, by its folder. */
  readonly #claims = new Map<string, Claim>();
  /** Counts every time an upload reserves more of the disk, so the others look at the disk again. */
  #reservations = 0;
  readonly #inProgress = new Set<Promise<unknown>>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(dir: string, limits: Partial<StagingLimits> = {}) {
    this.dir = dir;
    this.limits = { ...defaultStagingLimits, ...limits };
  }

  /** Creates the folder for the user alone (tightening one that exists), sweeps it, and keeps sweeping until `stop()`. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    await this.sweep();
    this.#sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) => console.error(`Pagevault host: cannot clear old files from ${this.dir}`, error));
    }, this.limits.sweepEveryMs);
    this.#sweeper.unref();
  }

  /** Ends the sweeping. */
  stop(): void {
    clearInterval(this.#sweeper);
  }

  /** Removes staged uploads older than the lifetime, never one still being written; never fails. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.dir).catch(() => [] as string[])) {
      const folder = join(this.dir, entry);
      if (this.#claims.has(folder)) continue;
      const stats = await stat(folder).catch(() => undefined);
      if (stats && now - stats.mtimeMs > this.limits.lifetimeMs) {
        await rm(folder, { recursive: true, force: true }).catch(() => undefined);
        removed += 1;
      }
    }
    return removed;
  }

  /**
   * Streams the request body into `<dir>/<random>/<name>`. Refuses, before reading a byte
   * when Content-Length tells, and by counting otherwise: a body over the file limit, one
   * that would take the uploads in progress over the quota, or one the disk has no room
   * for; the disk is looked at again every `checkEveryBytes` and whenever another upload
   * reserves more, so a body of unknown length, or a disk that others fill, is refused too.
   * Removes whatever was written when anything fails.
   */
  take(req: IncomingMessage, rawName: string | null): Promise<StagedFile> {
    const taking = this.#take(req, rawName);
    const settled = taking.catch(() => undefined).finally(() => this.#inProgress.delete(settled));
    this.#inProgress.add(settled);
    return taking;
  }

  /** Resolves once every upload in progress has ended and removed what it wrote, if it failed. */
  async settled(): Promise<void> {
    while (this.#inProgress.size > 0) await Promise.all([...this.#inProgress]);
  }

  async #take(req: IncomingMessage, rawName: string | null): Promise<StagedFile> {
    const name = stagedName(rawName);
    const { fileBytes, quotaBytes, keepFreeBytes, checkEveryBytes } = this.limits;
    const tooLarge = () =>
      new PagevaultError('TOO_LARGE', `Cannot take ${name}: it is larger than ${formatBytes(fileBytes)}, the most the browser window accepts; use Pagevault's desktop app or the CLI (npx pagevault restore) for larger files`);
    const overQuota = (bytes: number) =>
      new PagevaultError('DISK_FULL', `Cannot take ${name} now: with the ${formatBytes(bytes)} of it, the files being taken at the same time would pass ${formatBytes(quotaBytes)}, the most the staging folder takes at once; drop it again when they are done`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    const known = Number.isSafeInteger(declared) && declared >= 0;
    if (known && declared > fileBytes) throw tooLarge();
    const claimed = () => [...this.#claims.values()].reduce((sum, claim) => sum + claim.quota, 0);
    if (known && claimed() + declared > quotaBytes) {
      // The disk's answer first: when it has no room either, that is what the user must fix.
      await this.#checkFreeSpace(name, this.#unwritten() + declared, keepFreeBytes);
      throw overQuota(declared);
    }

    const folder = join(this.dir, randomUUID());
    const path = join(folder, name);
    let bytes = 0;
    // Reserved before the first await: uploads that start together must not all pass one look at the disk.
    // An upload of unknown length reserves the disk a step ahead of what it has sent.
    const ahead = (sent: number) => Math.min(sent + checkEveryBytes, fileBytes);
    const claim: Claim = { quota: known ? declared : 0, disk: known ? declared : ahead(0), written: 0 };
    this.#claims.set(folder, claim);
    this.#reservations += 1;
    let seen = this.#reservations;
    let checkedAt = 0;
    try {
      await this.#checkFreeSpace(name, this.#unwritten(folder), keepFreeBytes);
      await mkdir(folder, { mode: 0o700 });
      const counter = new Transform({
        transform: (chunk: Buffer, _encoding, done) => {
          claim.written = bytes;
          bytes += chunk.length;
          if (bytes > fileBytes) return done(tooLarge());
          if (!known) {
            claim.quota = bytes;
            if (claimed() > quotaBytes) return done(overQuota(bytes));
            if (bytes > claim.disk) {
              // A new reservation queues behind those made before it.
              claim.disk = ahead(bytes);
              this.#claims.delete(folder);
              this.#claims.set(folder, claim);
              this.#reservations += 1;
            }
          }
          // Look again as the body comes, and whenever an upload beside this one reserved more:
          // other writers share the disk, and a body may be longer than it said.
          if (bytes - checkedAt < checkEveryBytes && seen === this.#reservations) return done(null, chunk);
          checkedAt = bytes;
          seen = this.#reservations;
          this.#checkFreeSpace(name, this.#unwritten(folder), keepFreeBytes).then(
            () => done(null, chunk),
            (error: unknown) => done(error as Error),
          );
        },
      });
      await pipeline(req, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      this.#claims.delete(folder);
      await rm(folder, { recursive: true, force: true }).catch(() => undefined);
      if (error instanceof PagevaultError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ECONNABORTED') {
        throw new PagevaultError('CANCELLED', `Taking ${name} stopped: the browser ended the transfer`);
      }
      throw fileSystemError(error, `Cannot store the dropped file ${name} in ${this.dir}`);
    } finally {
      this.#claims.delete(folder);
    }
    return { path, bytes };
  }

  /**
   * What the upload into `folder`, and those that reserved before it (all, without a
   * folder), have reserved and not yet written: of two that do not fit together, the later
   * one is refused, not both.
   */
  #unwritten(folder?: string): number {
    let needed = 0;
    for (const [owner, claim] of this.#claims) {
      needed += Math.max(claim.disk - claim.written, 0);
      if (owner === folder) break;
    }
    return needed;
  }

  /** Refuses when `needed` more bytes would leave less than `keepFree` on the disk. */
  async #checkFreeSpace(name: string, needed: number, keepFree: number): Promise<void> {
    const disk = await statfs(this.dir).catch(() => undefined);
    if (!disk) return;
    const free = disk.bavail * disk.bsize;
    if (needed + keepFree > free) {
      throw new PagevaultError(
        'DISK_FULL',
        `Cannot take ${name}: the disk of ${this.dir} has ${formatBytes(free)} free${keepFree > 0 ? `, and Pagevault leaves ${formatBytes(keepFree)} of it free` : ''}; ${formatBytes(needed)} would not fit. Free some space, or restore the file with the CLI (npx pagevault restore)`,
      );
    }
  }
}
