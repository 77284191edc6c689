/**
 * Encrypts a file into an age file on a thread of its own, so that the encryption
 * (ChaCha20-Poly1305 and the ciphertext's SHA-256, about 2.7 s of one core per GiB) runs
 * on the second core while this thread copies or verifies. The thread reads the plain
 * file as it grows: it is told how many bytes are final (`written`), and the size once
 * the file is complete (`end`); it seals a chunk only once it knows whether it is the
 * last. It writes the header, the payload, fsyncs the age file and answers with its
 * SHA-256. Both files belong to the caller, who removes them on failure.
 *
 * Measured (2 cores, 1 GiB, `node scripts/bench.ts --encrypted-only`): see README
 * "Encrypted backups".
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { AGE_CHUNK, beginFile, payloadCipherKey, sealChunks, sealedLength } from '../age/age-stream.ts';
import type { AgeRecipient } from '../age/keys.ts';
import { DirectWriter } from './direct-writer.ts';
import { threadExecArgv } from './threads.ts';

/** Plaintext bytes sealed per read and write: 64 chunks. */
const BLOCK_BYTES = 64 * AGE_CHUNK;
/** Slots of the shared state: bytes final in the plain file, its size once known (-1 before), 1 to stop, and a count of changes to wait on. */
const WRITTEN = 0;
const TOTAL = 1;
const STOP = 2;
const CHANGES = 3;

interface SealerInput {
  role: 'age-sealer';
  plainPath: string;
  agePath: string;
  head: Uint8Array;
  payloadKey: Uint8Array;
  state: SharedArrayBuffer;
}

type SealerMessage = { kind: 'progress'; done: number } | { kind: 'done'; sha256: string } | { kind: 'failed'; message: string; code?: string } | { kind: 'stopped' };

/** One encryption under way on its own thread; `end` (or `stop`) must be called exactly once. */
export class AgeFileSealer {
  readonly #worker: Worker;
  readonly #state: BigInt64Array;
  readonly #result: Promise<string>;
  #onProgress: ((done: number) => void) | undefined;

  private constructor(input: SealerInput) {
    this.#state = new BigInt64Array(input.state);
    this.#worker = new Worker(new URL(import.meta.url), { workerData: input, execArgv: threadExecArgv(), resourceLimits: { maxOldGenerationSizeMb: 64 } });
    this.#result = new Promise<string>((resolve, reject) => {
      this.#worker.on('message', (message: SealerMessage) => {
        if (message.kind === 'progress') this.#onProgress?.(message.done);
        else if (message.kind === 'done') resolve(message.sha256);
        else if (message.kind === 'failed') reject(Object.assign(new Error(message.message), message.code && { code: message.code }));
        else reject(new Error('the encryption was stopped'));
      });
      this.#worker.on('error', reject);
      this.#worker.on('exit', () => reject(new Error('the encryption thread ended without an answer')));
    });
    // A stop or a failure is answered by whoever awaits `end`; none may go unhandled meanwhile.
    this.#result.catch(() => undefined);
  }

  /**
   * Starts encrypting `plainPath` (which may still be being written) to `recipients` into
   * `agePath` (an existing empty file of the caller's, written from offset 0).
   */
  static async start(plainPath: string, agePath: string, recipients: AgeRecipient[]): Promise<AgeFileSealer> {
    const { head, payloadKey } = await beginFile(recipients);
    const state = new SharedArrayBuffer(4 * 8);
    const slots = new BigInt64Array(state);
    slots[TOTAL] = -1n;
    return new AgeFileSealer({ role: 'age-sealer', plainPath, agePath, head, payloadKey, state });
  }

  /** The plain file's first `bytes` are final: they may be encrypted. */
  written(bytes: number): void {
    Atomics.store(this.#state, WRITTEN, BigInt(bytes));
    Atomics.add(this.#state, CHANGES, 1n);
    Atomics.notify(this.#state, CHANGES);
  }

  /**
   * The plain file is complete at `bytes`; resolves with the age file's SHA-256 once it is
   * written and fsynced. `onProgress` hears the plaintext bytes encrypted after each block.
   */
  end(bytes: number, onProgress?: (done: number) => void): Promise<string> {
    this.#onProgress = onProgress;
    Atomics.store(this.#state, TOTAL, BigInt(bytes));
    this.written(bytes);
    const result = this.#result.finally(() => this.#worker.terminate());
    // A caller that fails before it awaits this (its verification threw) stops the thread instead.
    result.catch(() => undefined);
    return result;
  }

  /** Stops the encryption and waits for the thread to end, so nothing writes the age file afterwards. Never throws. */
  async stop(): Promise<void> {
    Atomics.store(this.#state, STOP, 1n);
    Atomics.add(this.#state, CHANGES, 1n);
    Atomics.notify(this.#state, CHANGES);
    await this.#worker.terminate().catch(() => undefined);
  }
}

/** The thread's side: reads what is final of the plain file, seals it block by block, writes it. */
async function seal(input: SealerInput): Promise<void> {
  const state = new BigInt64Array(input.state);
  const payloadKey = payloadCipherKey(input.payloadKey);
  const head = Buffer.from(input.head);
  const hash = createHash('sha256').update(head);
  const plain = Buffer.allocUnsafe(BLOCK_BYTES);
  const source = openSync(input.plainPath, 'r');
  // Past the page cache where it can: nothing reads the age file back (direct-writer.ts).
  let output: DirectWriter;
  try {
    output = DirectWriter.open(input.agePath, Math.max(head.length, sealedLength(BLOCK_BYTES)));
  } catch (error) {
    closeSync(source);
    throw error;
  }
  try {
    head.copy(output.buffer);
    await output.write(head.length);
    let position = 0;
    let counter = 0;
    for (;;) {
      const changes = Atomics.load(state, CHANGES);
      if (Atomics.load(state, STOP) === 1n) return parentPort!.postMessage({ kind: 'stopped' } satisfies SealerMessage);
      const total = Number(Atomics.load(state, TOTAL));
      const final = Number(Atomics.load(state, WRITTEN));
      if (total >= 0 && position >= total && counter > 0) break;
      // Before the size is known, only whole chunks with a byte after them: one of them could be the last.
      const end = total >= 0 ? Math.min(total, position + BLOCK_BYTES) : position + Math.min(BLOCK_BYTES, Math.floor(Math.max(0, final - 1 - position) / AGE_CHUNK) * AGE_CHUNK);
      // An empty file is one empty chunk, flagged last.
      if (end === position && total !== 0) {
        Atomics.wait(state, CHANGES, changes);
        continue;
      }
      const length = end - position;
      for (let got = 0; got < length; ) {
        const bytesRead = readSync(source, plain, got, length - got, position + got);
        if (bytesRead === 0) throw new Error(`${input.plainPath} ended at ${position + got} bytes while ${end} were to be encrypted`);
        got += bytesRead;
      }
      const sealed = sealChunks(payloadKey, plain, length, counter, total >= 0 && end === total, output.buffer);
      counter += Math.max(1, Math.ceil(length / AGE_CHUNK));
      hash.update(output.buffer.subarray(0, sealed));
      await output.write(sealed);
      position = end;
      parentPort!.postMessage({ kind: 'progress', done: position } satisfies SealerMessage);
    }
    await output.finish();
    parentPort!.postMessage({ kind: 'done', sha256: hash.digest('hex') } satisfies SealerMessage);
  } finally {
    // No write may still be at work on the descriptor when it is closed.
    await output.close();
    closeSync(source);
  }
}

if (!isMainThread && (workerData as { role?: unknown } | undefined)?.role === 'age-sealer' && parentPort) {
  seal(workerData as SealerInput).catch((error: unknown) => {
    // A system error keeps its code (ENOSPC: the disk is full), which names it to the user.
    const code = (error as { code?: unknown }).code;
    parentPort!.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' && { code }) } satisfies SealerMessage);
  });
}
