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
import { fileSystemError } from '../engine/sqlite-file.ts';

/** How long a staged file is kept before the sweep removes it. */
export const STAGED_FILE_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface StagingLimits {
  /** The largest file one drop may upload. */
  fileBytes: number;
  /** The most that all uploads in progress may add up to. */
  quotaBytes: number;
  /** What an upload must leave free on the disk, so a drop never fills it for the databases beside it. */
  keepFreeBytes: number;
  /** How often staged files older than `lifetimeMs` are looked for. */
  sweepEveryMs: number;
  lifetimeMs: number;
}

/** 8 GB a file, 16 GB at once, 256 MiB left free, swept hourly. */
export const defaultStagingLimits: StagingLimits = {
  fileBytes: limits.stagedFileBytes,
  quotaBytes: 2 * limits.stagedFileBytes,
  keepFreeBytes: 256 * 1024 ** 2,
  sweepEveryMs: 60 * 60 * 1000,
  lifetimeMs: STAGED_FILE_LIFETIME_MS,
};

export interface StagedFile {
  path: string;
  bytes: number;
}

/** The longest file name, in bytes, that ext4, APFS, NTFS and the rest all accept. */
const MAX_NAME_BYTES = 255;

const tooLargeErrors = new WeakSet<Error>();

/** The HTTP status that answers a failed upload. */
export function uploadStatus(error: PagevaultError): number {
  if (tooLargeErrors.has(error)) return 413;
  if (error.code === 'INVALID_REQUEST') return 400;
  if (error.code === 'DISK_FULL') return 507;
  if (error.code === 'CANCELLED') return 400;
  return 500;
}

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
  /** Bytes each upload in progress has claimed (its Content-Length, or what it sent so far), by its folder. */
  readonly #claims = new Map<string, number>();
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
   * for. Removes whatever was written when anything fails.
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
    const { fileBytes, quotaBytes, keepFreeBytes } = this.limits;
    const tooLarge = () => {
      const error = new PagevaultError('INVALID_REQUEST', `Cannot take ${name}: it is larger than ${formatBytes(fileBytes)}, the most the browser window accepts; use Pagevault's desktop app or the CLI (npx pagevault restore) for larger files`);
      tooLargeErrors.add(error);
      return error;
    };
    const overQuota = (bytes: number) =>
      new PagevaultError('DISK_FULL', `Cannot take ${name} now: with the ${formatBytes(bytes)} of it, the files being taken at the same time would pass ${formatBytes(quotaBytes)}, the most the staging folder takes at once; drop it again when they are done`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    const known = Number.isSafeInteger(declared) && declared >= 0;
    if (known && declared > fileBytes) throw tooLarge();
    const others = () => [...this.#claims.values()].reduce((sum, bytes) => sum + bytes, 0);
    if (known) await this.#checkFreeSpace(name, declared + others(), keepFreeBytes);
    if (known && others() + declared > quotaBytes) throw overQuota(declared);

    const folder = join(this.dir, randomUUID());
    const path = join(folder, name);
    let bytes = 0;
    this.#claims.set(folder, known ? declared : 0);
    try {
      await mkdir(folder, { mode: 0o700 });
      const counter = new Transform({
        transform: (chunk: Buffer, _encoding, done) => {
          bytes += chunk.length;
          if (bytes > fileBytes) return done(tooLarge());
          if (!known) {
            this.#claims.set(folder, bytes);
            if (others() > quotaBytes) return done(overQuota(bytes));
          }
          done(null, chunk);
        },
      });
      await pipeline(req, counter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
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
