/**
 * The SHA-256 of a file, taken on a thread of its own, so that it runs on another core
 * than the copy it goes beside (a restore's swap: restore-swap.ts hashes the backup as it
 * reads it, while this thread hashes the target's own file, the safety copy). SHA-256 runs
 * at about 1.5 GB/s on a core here; on the copy's thread the hashes took turns.
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
  /** The descriptor to read. */
  fd: number;
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

function hashInThread(input: HashInput): string {
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
  parentPort.postMessage(hashInThread(workerData as HashInput));
}
