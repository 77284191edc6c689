/**
 * Files dropped onto the browser shell's window: a browser cannot tell the server a
 * dropped file's path, so the file is streamed into a staging folder in the data dir and
 * restored from there. Each upload gets its own folder; leftovers are removed after a day.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { PagevaultError } from '../api/errors.ts';
import { fileSystemError } from '../engine/sqlite-file.ts';

/** How long a staged file is kept before a later start-up removes it. */
export const STAGED_FILE_LIFETIME_MS = 24 * 60 * 60 * 1000;

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
  return 500;
}

const formatBytes = (bytes: number) => (bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.round(bytes / 1024 ** 2)} MB`);

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
 * Streams the request body into `<stagingDir>/<random>/<name>`. Refuses bodies over
 * `limit` bytes (by Content-Length up front, and by counting) and removes whatever was
 * written when anything fails.
 */
export async function stageUpload(req: IncomingMessage, stagingDir: string, rawName: string | null, limit: number): Promise<StagedFile> {
  const name = stagedName(rawName);
  const tooLarge = () => {
    const error = new PagevaultError('INVALID_REQUEST', `Cannot take ${name}: it is larger than ${formatBytes(limit)}, the most the browser window accepts; use Pagevault's desktop app or the CLI (npx pagevault restore) for larger files`);
    tooLargeErrors.add(error);
    return error;
  };
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge();
  const folder = join(stagingDir, randomUUID());
  const path = join(folder, name);
  let bytes = 0;
  try {
    await mkdir(folder, { recursive: true });
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > limit ? tooLarge() : null, chunk);
      },
    });
    await pipeline(req, counter, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof PagevaultError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw new PagevaultError('CANCELLED', `Taking ${name} stopped: the browser ended the transfer`);
    }
    throw fileSystemError(error, `Cannot store the dropped file ${name} in ${stagingDir}`);
  }
  return { path, bytes };
}

/** Removes staged uploads older than `maxAgeMs`; never fails. */
export async function removeOldStagedFiles(stagingDir: string, maxAgeMs = STAGED_FILE_LIFETIME_MS, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(stagingDir).catch(() => [] as string[])) {
    const folder = join(stagingDir, entry);
    const stats = await stat(folder).catch(() => undefined);
    if (stats && now - stats.mtimeMs > maxAgeMs) {
      await rm(folder, { recursive: true, force: true }).catch(() => undefined);
      removed += 1;
    }
  }
  return removed;
}
