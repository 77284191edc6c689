/**
 * The SHA-256 of a file, or of chunks handed over in order, taken on a thread of its own,
 * so that it runs on another core than the copy it goes beside (a restore's swap:
 * restore-swap.ts hashes the backup as it reads it, while one thread hashes what it writes
 * and another the target's own file, the safety copy). SHA-256 runs at about 1.3 GB/s on a
 * core here; on the copy's thread the three hashes took turns.
 *
 * The thread reads through the caller's descriptor (a process shares its descriptors among
 * its threads) and never opens or closes one: closing any descriptor of a database drops
 * the process's POSIX locks on it (DESIGN.md). `stop` ends the thread, and must have
 * returned before the caller closes the descriptor.
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { threadExecArgv } from './threads.ts';

const CHUNK_BYTES = 1 << 20;

interface HashInput {
  /** Marks the data as this module's: it also loads inside the engine's own threads. */
  hashThread: true;
  /** The descriptor to read, or undefined for chunks sent to the thread. */
  fd?: number;
  /** Written over header bytes 18 and 19 in what is hashed (not in the file): the file format a file will have. */
  format?: number;
}

/** A hash under way: its hex digest, and how to end it early. */
export interface HashThread {
  result: Promise<string>;
  /** Ends the thread (at once if it is still reading); resolves once it has ended. */
  stop(): Promise<void>;
}

/** Starts hashing what `fd` reads from its start to its end, with header bytes 18 and 19 taken as `format` when given. */
export function hashOnThread(fd: number, format?: number): HashThread {
  const worker = new Worker(new URL(import.meta.url), { workerData: { hashThread: true, fd, format } satisfies HashInput, execArgv: threadExecArgv(), resourceLimits: { maxOldGenerationSizeMb: 16 } });
  let ended = false;
  const finished = new Promise<void>((resolve) => worker.once('exit', () => ((ended = true), resolve())));
  const result = new Promise<string>((resolve, reject) => {
    worker.once('message', (digest: string) => resolve(digest));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hashing thread ended (${code}) before its result`)));
  });
  // A stopped thread's result is not waited for.
  result.catch(() => undefined);
  return {
    result,
    async stop() {
      if (!ended) await worker.terminate();
      await finished;
    },
  };
}

/** Chunks sent and not yet hashed, at most: 16 MiB of copies waiting, whatever the file's size. */
const CHUNKS_IN_FLIGHT = 8;

/** A hash of chunks handed to a thread in order: `update` waits only while the thread is far behind. */
export interface ChunkHashThread {
  update(chunk: Uint8Array): Promise<void>;
  /** The digest of everything sent. */
  digest(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts a thread that hashes the chunks it is given, each a copy of the caller's bytes. */
export function hashChunksOnThread(): ChunkHashThread {
  const worker = new Worker(new URL(import.meta.url), { workerData: { hashThread: true } satisfies HashInput, execArgv: threadExecArgv(), resourceLimits: { maxOldGenerationSizeMb: 32 } });
  let ended = false;
  let failure: Error | undefined;
  const finished = new Promise<void>((resolve) => worker.once('exit', () => ((ended = true), resolve())));
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let digested: ((digest: string) => void) | undefined;
  let refused: ((error: Error) => void) | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
    refused?.(failure);
  };
  worker.on('message', (message: number | string) => {
    if (typeof message === 'string') digested?.(message);
    else {
      inFlight -= message;
      wake?.();
    }
  });
  worker.once('error', fail);
  worker.once('exit', (code) => fail(new Error(`the hashing thread ended (${code}) before its result`)));
  return {
    async update(chunk) {
      if (failure) throw failure;
      inFlight += 1;
      worker.postMessage(chunk);
      while (inFlight > CHUNKS_IN_FLIGHT && !failure) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
    },
    digest() {
      if (failure) return Promise.reject(failure);
      return new Promise<string>((resolve, reject) => {
        digested = resolve;
        refused = reject;
        worker.postMessage(null);
      });
    },
    async stop() {
      if (!ended) await worker.terminate();
      await finished;
    },
  };
}

function hashInThread(input: HashInput & { fd: number }): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let position = 0; ; ) {
    const read = readSync(input.fd, buffer, 0, CHUNK_BYTES, position);
    if (read === 0) break;
    if (position === 0 && input.format !== undefined && read >= 20) buffer.fill(input.format, 18, 20);
    hash.update(buffer.subarray(0, read));
    position += read;
  }
  return hash.digest('hex');
}

if (!isMainThread && parentPort && (workerData as Partial<HashInput> | undefined)?.hashThread === true) {
  const input = workerData as HashInput;
  const port = parentPort;
  if (input.fd !== undefined) port.postMessage(hashInThread({ ...input, fd: input.fd }));
  else {
    const hash = createHash('sha256');
    port.on('message', (chunk: Uint8Array | null) => {
      if (chunk === null) {
        port.postMessage(hash.digest('hex'));
        port.close();
      } else {
        hash.update(chunk);
        port.postMessage(1);
      }
    });
  }
}
