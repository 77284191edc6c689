/**
 * Encrypts a backup's plaintext into an age file on threads of its own, so that the
 * encryption runs beside the copy or the verification. The plaintext comes either from
 * the copy itself, chunk by chunk through shared memory as it is copied (plain-ring.ts;
 * the copy seals some chunks itself when this thread is behind), or from a finished plain
 * file. The sealing thread writes the header and the payload past the page cache
 * (direct-writer.ts), takes the SHA-256 of what it writes, fsyncs the age file and
 * answers with that SHA-256.
 *
 * Sealing a finished file with a second core, the sealing thread starts an encrypting
 * thread: the encrypting one seals (ChaCha20-Poly1305, 0.5 s of a core per GiB through
 * node:crypto here), the sealing one hashes and writes (0.7 s). Sealing beside the copy,
 * the copy keeps the second core busy: a third thread made a 1 GB backup no faster
 * (medians of three, settled and just-freed memory: 1.98 and 2.23 s against 1.85 and
 * 2.26 s on one; scripts/bench.ts, bringMemoryTo) and cost 27 MiB more at its peak.
 *
 * Each chunk's cipher output is freed as soon as it is copied (release-buffer.ts): left
 * to the collector, that garbage made a thread with a 32 MiB heap collect its whole heap
 * 64 times per GiB, and a 1 GB backup took 2.5 s instead of 1.7 s and peaked at 128-133 MiB
 * of private memory (RssAnon; 48 before it) instead of 116 MiB.
 *
 * The age file belongs to the caller, who removes it on failure.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, MessageChannel, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { AGE_CHUNK, beginFile, payloadCipherKey, sealChunks, sealedLength } from '../age/age-stream.ts';
import type { AgeRecipient } from '../age/keys.ts';
import { DirectWriter } from './direct-writer.ts';
import { PlainRing, type PlainRingShare } from './plain-ring.ts';
import { threadExecArgv } from './threads.ts';

/** Plaintext bytes a file is read and sealed by: 64 chunks. */
const FILE_BLOCK_BYTES = 64 * AGE_CHUNK;

/** Where the plaintext comes from: a finished file of `bytes`, or the copy through a ring. */
type PlainSource = { kind: 'file'; path: string; bytes: number } | { kind: 'ring'; share: PlainRingShare };

interface SealerInput {
  role: 'age-sealer';
  source: PlainSource;
  agePath: string;
  head: Uint8Array;
  payloadKey: Uint8Array;
  /** One Int32: 1 once stopped. */
  stop: SharedArrayBuffer;
}

type SealerMessage = { kind: 'progress'; done: number } | { kind: 'read' } | { kind: 'done'; sha256: string } | { kind: 'failed'; message: string; code?: string } | { kind: 'stopped' };

/** One encryption under way on its own threads; `finish` (or `stop`) must be called exactly once. */
export class AgeFileSealer {
  readonly #worker: Worker;
  readonly #stop: Int32Array;
  readonly #ring: PlainRing | undefined;
  readonly #result: Promise<string>;
  readonly #read: Promise<void>;
  #onProgress: ((done: number) => void) | undefined;

  private constructor(input: SealerInput, ring: PlainRing | undefined) {
    this.#stop = new Int32Array(input.stop);
    this.#ring = ring;
    this.#worker = new Worker(new URL(import.meta.url), { workerData: input, execArgv: threadExecArgv(), resourceLimits: { maxOldGenerationSizeMb: 32 } });
    let read: () => void = () => undefined;
    this.#read = new Promise<void>((resolve) => (read = resolve));
    this.#result = new Promise<string>((resolve, reject) => {
      this.#worker.on('message', (message: SealerMessage) => {
        if (message.kind === 'progress') this.#onProgress?.(message.done);
        else if (message.kind === 'read') read();
        else if (message.kind === 'done') resolve(message.sha256);
        else if (message.kind === 'failed') reject(Object.assign(new Error(message.message), message.code && { code: message.code }));
        else reject(new Error('the encryption was stopped'));
      });
      this.#worker.on('error', reject);
      this.#worker.on('exit', () => reject(new Error('the encryption thread ended without an answer')));
    });
    // A stop or a failure is answered by whoever awaits `finish`; none may go unhandled meanwhile.
    this.#result.catch(() => undefined);
    this.#result.then(read, read);
    // The copy must not wait on a ring nobody empties any more.
    this.#result.catch(() => ring?.close());
  }

  /**
   * Starts encrypting to `recipients` into `agePath` (an existing empty file of the
   * caller's, written from offset 0): from the copy as it hands chunks to `ring`, or from
   * the finished plain file `plainPath` of `bytes`.
   */
  static async start(from: { ring: PlainRing } | { plainPath: string; bytes: number }, agePath: string, recipients: AgeRecipient[]): Promise<AgeFileSealer> {
    const { head, payloadKey } = await beginFile(recipients);
    // The copy may seal chunks itself when this thread falls behind (plain-ring.ts).
    if ('ring' in from) from.ring.sealAhead(payloadCipherKey(payloadKey));
    const source: PlainSource = 'ring' in from ? { kind: 'ring', share: from.ring.share } : { kind: 'file', path: from.plainPath, bytes: from.bytes };
    return new AgeFileSealer({ role: 'age-sealer', source, agePath, head, payloadKey, stop: new SharedArrayBuffer(4) }, 'ring' in from ? from.ring : undefined);
  }

  /**
   * Resolves once the plaintext is read to its end (a plain file closed), or the
   * encryption ended without that: the plain file may then be removed while the last
   * blocks are written.
   */
  plainRead(): Promise<void> {
    return this.#read;
  }

  /**
   * Resolves with the age file's SHA-256 once it is written and fsynced. `onProgress`
   * hears the plaintext bytes encrypted after each block from now on.
   */
  finish(onProgress?: (done: number) => void): Promise<string> {
    this.#onProgress = onProgress;
    const result = this.#result.finally(() => this.#worker.terminate());
    // A caller that fails before it awaits this (its verification threw) stops the thread instead.
    result.catch(() => undefined);
    return result;
  }

  /** Stops the encryption and waits for its threads to end, so nothing writes the age file afterwards. Never throws. */
  async stop(): Promise<void> {
    Atomics.store(this.#stop, 0, 1);
    this.#ring?.close();
    await this.#worker.terminate().catch(() => undefined);
  }
}

/**
 * The plaintext in pieces of whole age chunks but the last; `next` gives the next one,
 * undefined after the last or once stopped: `bytes` are its `plainLength` bytes of
 * plaintext, or when `sealed` their payload chunks (the copy sealed them: plain-ring.ts).
 */
interface PlainPieces {
  next(): { bytes: Buffer; plainLength: number; sealed: boolean; end: number; last: boolean } | undefined;
  /** The piece `next` gave is sealed. */
  release(): void;
  /** Lets go of the plaintext's file, if any. */
  close(): void;
}

/** A finished plain file, read a block at a time. */
function filePieces(path: string, bytes: number): PlainPieces {
  const fd = openSync(path, 'r');
  const block = Buffer.allocUnsafe(FILE_BLOCK_BYTES);
  let position = 0;
  let started = false;
  let open = true;
  return {
    next() {
      // An empty file is one empty chunk, flagged last.
      if (position >= bytes && started) return undefined;
      started = true;
      const length = Math.min(FILE_BLOCK_BYTES, bytes - position);
      for (let got = 0; got < length; ) {
        const bytesRead = readSync(fd, block, got, length - got, position + got);
        if (bytesRead === 0) throw new Error(`${path} ended at ${position + got} bytes while ${position + length} were to be encrypted`);
        got += bytesRead;
      }
      position += length;
      return { bytes: block.subarray(0, length), plainLength: length, sealed: false, end: position, last: position >= bytes };
    },
    release: () => undefined,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** The copy's chunks, as it hands them to the ring. */
function ringPieces(share: PlainRingShare, stop: Int32Array): PlainPieces {
  const ring = PlainRing.join(share);
  let done = false;
  return {
    next() {
      if (done) return undefined;
      const chunk = ring.take(() => Atomics.load(stop, 0) === 1);
      if (!chunk) return undefined;
      const end = chunk.position + chunk.plainLength;
      done = end >= ring.total;
      return { bytes: chunk.bytes, plainLength: chunk.plainLength, sealed: chunk.sealed, end, last: done };
    },
    release: () => ring.release(),
    close: () => undefined,
  };
}

function piecesOf(source: PlainSource, stop: Int32Array): PlainPieces {
  return source.kind === 'file' ? filePieces(source.path, source.bytes) : ringPieces(source.share, stop);
}

/**
 * Seals the plaintext piece by piece: each into the buffer `into` gives, then handed to
 * `sealed` with its sealed length and the plaintext bytes done. Returns false when stopped.
 */
async function encryptPieces(pieces: PlainPieces, rawKey: Uint8Array, into: () => Buffer, sealed: (length: number, done: number) => Promise<void> | void): Promise<boolean> {
  const payloadKey = payloadCipherKey(rawKey);
  let counter = 0;
  try {
    for (let piece = pieces.next(); piece; piece = pieces.next()) {
      const length = piece.sealed ? piece.bytes.copy(into()) : sealChunks(payloadKey, piece.bytes, piece.plainLength, counter, piece.last, into());
      counter += Math.max(1, Math.ceil(piece.plainLength / AGE_CHUNK));
      pieces.release();
      await sealed(length, piece.end);
      if (piece.last) {
        pieces.close();
        return true;
      }
    }
    return false;
  } finally {
    pieces.close();
  }
}

/** What the encrypting thread needs: where the plaintext comes from, the key, the stop flag, the port its blocks go through, and a count to wait on. */
interface EncryptorInput {
  role: 'age-encryptor';
  source: PlainSource;
  payloadKey: Uint8Array;
  stop: SharedArrayBuffer;
  port: MessagePort;
  returns: SharedArrayBuffer;
}

/** Between the encrypting and the writing thread: a sealed block (its memory moved, not copied), the end, or a failure. */
type EncryptorMessage = { kind: 'sealed'; block: ArrayBuffer; length: number; done: number } | { kind: 'finished' } | { kind: 'failed'; message: string; code?: string };

/** Sealed blocks the encrypting thread may be ahead of the writing one. */
const BLOCKS_AHEAD = 3;

/** The largest piece sealed: a file block or a ring slot. */
function sealedBlockBytes(source: PlainSource): number {
  return sealedLength(source.kind === 'file' ? FILE_BLOCK_BYTES : source.share.slotBytes);
}

/** A failure as a message, keeping a system error's code (ENOSPC: the disk is full), which names it to the user. */
function failureMessage(error: unknown): { kind: 'failed'; message: string; code?: string } {
  const code = (error as { code?: unknown }).code;
  return { kind: 'failed', message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' && { code }) };
}

/**
 * The encrypting thread's side: seals into its blocks in turn and moves each to the
 * writing thread, which moves it back once written; waits while all are away.
 */
async function encryptForWriter(input: EncryptorInput): Promise<void> {
  const returns = new Int32Array(input.returns);
  const stop = new Int32Array(input.stop);
  const free = Array.from({ length: BLOCKS_AHEAD }, () => Buffer.allocUnsafeSlow(sealedBlockBytes(input.source)));
  const into = () => {
    for (;;) {
      const seen = Atomics.load(returns, 0);
      for (let back = receiveMessageOnPort(input.port); back; back = receiveMessageOnPort(input.port)) free.push(Buffer.from(back.message as ArrayBuffer));
      const block = free.at(-1);
      if (block) return block;
      // A stop is seen within 100 ms.
      if (Atomics.load(stop, 0) === 1) throw new Error('the encryption was stopped');
      Atomics.wait(returns, 0, seen, 100);
    }
  };
  const sealed = (length: number, done: number) => {
    const block = free.pop()!.buffer as ArrayBuffer;
    input.port.postMessage({ kind: 'sealed', block, length, done } satisfies EncryptorMessage, [block]);
  };
  try {
    if (await encryptPieces(piecesOf(input.source, stop), input.payloadKey, into, sealed)) input.port.postMessage({ kind: 'finished' } satisfies EncryptorMessage);
  } catch (error) {
    input.port.postMessage(failureMessage(error) satisfies EncryptorMessage);
  }
}

/** The sealing thread's side: the age file's header, then the sealed payload, its SHA-256 taken as it is written; fsynced. */
async function seal(input: SealerInput): Promise<'done' | 'stopped'> {
  const head = Buffer.from(input.head);
  const hash = createHash('sha256').update(head);
  // Past the page cache where it can: nothing reads the age file back (direct-writer.ts).
  const output = DirectWriter.open(input.agePath, Math.max(head.length, sealedBlockBytes(input.source)));
  const progress = (done: number) => parentPort!.postMessage({ kind: 'progress', done } satisfies SealerMessage);
  try {
    head.copy(output.buffer);
    await output.write(head.length);
    // A finished file on two threads, the copy's chunks on this one (see the top).
    const split = input.source.kind === 'file' && availableParallelism() > 1;
    const completed = split
      ? await writeFromEncryptor(input, output, hash, progress)
      : await encryptPieces(piecesOf(input.source, new Int32Array(input.stop)), input.payloadKey, () => output.buffer, async (length, done) => {
          hash.update(output.buffer.subarray(0, length));
          await output.write(length);
          progress(done);
        });
    if (!completed) return 'stopped';
    // Said by writeFromEncryptor as soon as the encrypting thread finished reading.
    if (!split) parentPort!.postMessage({ kind: 'read' } satisfies SealerMessage);
    await output.finish();
    parentPort!.postMessage({ kind: 'done', sha256: hash.digest('hex') } satisfies SealerMessage);
    return 'done';
  } finally {
    // No write may still be at work on the descriptor when it is closed.
    await output.close();
  }
}

/** Starts the encrypting thread and writes what it seals, in order; false when stopped. */
async function writeFromEncryptor(input: SealerInput, output: DirectWriter, hash: Hash, progress: (done: number) => void): Promise<boolean> {
  const { port1: port, port2 } = new MessageChannel();
  const returnsBuffer = new SharedArrayBuffer(4);
  const returns = new Int32Array(returnsBuffer);
  const stop = new Int32Array(input.stop);
  const encryptor = new Worker(new URL(import.meta.url), {
    workerData: { role: 'age-encryptor', source: input.source, payloadKey: input.payloadKey, stop: input.stop, port: port2, returns: returnsBuffer } satisfies EncryptorInput,
    transferList: [port2],
    execArgv: threadExecArgv(),
    // Each chunk's cipher output is garbage at once: a small heap collects it soon.
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
  });
  const queue: EncryptorMessage[] = [];
  let wake: (() => void) | undefined;
  const arrived = (message: EncryptorMessage) => {
    // The encrypting thread closed the plain file before it said so: the file's owner may remove it now.
    if (message.kind === 'finished') parentPort!.postMessage({ kind: 'read' } satisfies SealerMessage);
    queue.push(message);
    wake?.();
  };
  port.on('message', arrived);
  encryptor.on('error', (error: Error) => arrived(failureMessage(error)));
  encryptor.on('exit', () => arrived({ kind: 'failed', message: 'the encrypting thread ended without an answer' }));
  try {
    for (;;) {
      if (Atomics.load(stop, 0) === 1) return false;
      const message = queue.shift();
      if (!message) {
        // A stop is seen within 100 ms.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100).unref();
        });
        wake = undefined;
        continue;
      }
      if (message.kind === 'finished') return true;
      if (message.kind === 'failed') throw Object.assign(new Error(message.message), message.code && { code: message.code });
      const block = Buffer.from(message.block, 0, message.length);
      hash.update(block);
      block.copy(output.buffer);
      port.postMessage(message.block, [message.block]);
      Atomics.add(returns, 0, 1);
      Atomics.notify(returns, 0);
      await output.write(message.length);
      progress(message.done);
    }
  } finally {
    port.close();
    await encryptor.terminate();
  }
}

const role = isMainThread ? undefined : (workerData as { role?: unknown } | undefined)?.role;
if (role === 'age-encryptor') void encryptForWriter(workerData as EncryptorInput);
if (role === 'age-sealer' && parentPort) {
  seal(workerData as SealerInput).then(
    (outcome) => outcome === 'stopped' && parentPort!.postMessage({ kind: 'stopped' } satisfies SealerMessage),
    (error: unknown) => parentPort!.postMessage(failureMessage(error) satisfies SealerMessage),
  );
}
