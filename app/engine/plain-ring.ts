/**
 * The plaintext of a backup encrypted at rest, handed from the copy to the encryption in
 * shared memory: the copy reads each chunk of the snapshot into a slot of the ring,
 * hashes it and (when anything will read it) writes it to the plain partial; the
 * encrypting thread seals it from the same slot. Before, the encryption read every byte
 * back from the plain partial, and the partial was written even when nothing checked it.
 *
 * One copy fills slots in order and one encryption empties them in order. The copy waits
 * while every slot is full; once the ring is closed (the encryption stopped or failed) it
 * waits no more and goes on without it.
 *
 * Sealing ahead. The encrypting thread seals (0.5 s of a core per GiB), hashes what it
 * sealed and writes it (0.7 s); the copy reads and hashes (1.0 s) and, when nothing
 * checks the copy, writes nothing: the encryption is the slower side, and the copy waited
 * for slots 0.7 s of a 1.7 s backup of 1 GB. So once the encryption's key is known
 * (`sealAhead`), the copy seals a chunk itself, in its slot, whenever the encryption is
 * not yet done with the chunk before it (AHEAD): the two sides then share the sealing by
 * how far behind the encryption is, and a copy that is slower (it writes the plain
 * partial for a verification) seals fewer: of the 490 chunks of 1 GB, 97 and 202 with a
 * verification, 287 and 294 without, on a machine running other work. The age file is the
 * same byte for byte whichever side sealed a chunk: a chunk's nonce is its place in the
 * plaintext. Medians of five 1 GB backups without verification, each in a fresh process:
 * 1.53 s sealing when one chunk waits, 1.65 s when the copy had to wait for its slot,
 * 1.55 s when either; 1.7 s sealing nothing ahead.
 */
import type { KeyObject } from 'node:crypto';
import { AGE_CHUNK, sealChunksInPlace, sealedLength } from '../age/age-stream.ts';

/** Slots: 4 of the copy's 2 MiB chunks, so the copy runs up to 8 MiB ahead (8 slots were no faster and took 9 MiB more at peak). */
const SLOTS = 4;
/** The copy seals a chunk itself when at least this many are handed over and not yet sealed (see the header). */
const AHEAD = 1;
/**
 * The control's fields: chunks handed over, chunks sealed, 1 once closed, the plaintext's
 * size (-1 until known); then each slot's plaintext length, its offset in the plaintext,
 * and its sealed length when the copy sealed it (0 when it holds plaintext).
 */
const HANDED = 0;
const SEALED = 1;
const CLOSED = 2;
const TOTAL = 3;
const FIELDS = 4;
const PER_SLOT = 3;

/** What is passed to another thread to use the same ring. */
export interface PlainRingShare {
  slots: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** The plaintext a slot holds at most; it has room for that much sealed. */
  slotBytes: number;
}

/**
 * One slot's chunk: `plainLength` bytes of the plaintext from `position`, and its bytes:
 * that plaintext, or when `sealed` (the copy sealed it ahead) its age payload chunks.
 */
export interface PlainChunk {
  bytes: Buffer;
  position: number;
  plainLength: number;
  sealed: boolean;
}

/**
 * One side of the ring: the copy's (create, slot, hand, close) or the encryption's (join,
 * take, release). Both sides see the same slots and counters through shared memory.
 */
export class PlainRing {
  readonly #share: PlainRingShare;
  readonly #control: BigInt64Array;
  readonly #views: Buffer[];
  /** This side's own count: handed (the copy) or taken (the encryption). */
  #count = 0;
  /** The copy's side: the payload key it seals ahead with, once known, and the chunks it sealed. */
  #sealKey: KeyObject | undefined;
  #sealedAhead = 0;

  private constructor(share: PlainRingShare) {
    this.#share = share;
    this.#control = new BigInt64Array(share.control);
    const room = sealedLength(share.slotBytes);
    this.#views = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(share.slots, slot * room, room));
  }

  /** A new ring of chunks of `slotBytes`, whole age chunks, so that each chunk but the last seals whole chunks. */
  static create(slotBytes: number): PlainRing {
    if (slotBytes <= 0 || slotBytes % AGE_CHUNK !== 0) throw new RangeError(`a ring's chunks are whole age chunks of ${AGE_CHUNK} bytes, not ${slotBytes}`);
    const control = new SharedArrayBuffer((FIELDS + PER_SLOT * SLOTS) * 8);
    new BigInt64Array(control)[TOTAL] = -1n;
    return new PlainRing({ slots: new SharedArrayBuffer(SLOTS * sealedLength(slotBytes)), control, slotBytes });
  }

  /** The same ring, on the thread `share` was passed to. */
  static join(share: PlainRingShare): PlainRing {
    return new PlainRing(share);
  }

  get share(): PlainRingShare {
    return this.#share;
  }

  get slotBytes(): number {
    return this.#share.slotBytes;
  }

  // The copy's side.

  /** The copy says how large the plaintext is, before its first chunk. */
  setTotal(bytes: number): void {
    Atomics.store(this.#control, TOTAL, BigInt(bytes));
  }

  /** The slot to read the next chunk into: waits while all are full; undefined once the ring is closed. */
  async slot(): Promise<Buffer | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const sealed = Atomics.load(this.#control, SEALED);
      if (this.#count - Number(sealed) < SLOTS) return this.#views[this.#count % SLOTS]!.subarray(0, this.slotBytes);
      await Atomics.waitAsync(this.#control, SEALED, sealed, 100).value;
    }
  }

  /** From now on the copy may seal chunks ahead with `payloadKey` (see the header). */
  sealAhead(payloadKey: KeyObject): void {
    this.#sealKey = payloadKey;
  }

  /**
   * The slot `slot` gave holds `length` bytes of the plaintext at `position`, hashed and
   * written wherever they go in the clear: the encryption may seal them, or, when it is
   * behind, they are sealed here first.
   */
  hand(length: number, position: number): void {
    const slot = this.#count % SLOTS;
    const total = this.total;
    const behind = this.#count - Number(Atomics.load(this.#control, SEALED)) >= AHEAD;
    const sealed = this.#sealKey && behind && total >= 0 ? sealChunksInPlace(this.#sealKey, this.#views[slot]!, length, position / AGE_CHUNK, position + length >= total) : 0;
    if (sealed) this.#sealedAhead += 1;
    const at = FIELDS + PER_SLOT * slot;
    Atomics.store(this.#control, at, BigInt(length));
    Atomics.store(this.#control, at + 1, BigInt(position));
    Atomics.store(this.#control, at + 2, BigInt(sealed));
    this.#count += 1;
    Atomics.store(this.#control, HANDED, BigInt(this.#count));
    Atomics.notify(this.#control, HANDED);
  }

  /** The chunks the copy sealed itself so far. */
  get sealedAhead(): number {
    return this.#sealedAhead;
  }

  /** No chunk will be sealed any more: the copy stops waiting for slots. Either side may close it. */
  close(): void {
    Atomics.store(this.#control, CLOSED, 1n);
    Atomics.notify(this.#control, SEALED);
    Atomics.notify(this.#control, HANDED);
  }

  get closed(): boolean {
    return Atomics.load(this.#control, CLOSED) === 1n;
  }

  // The encryption's side.

  /** The plaintext's size, once the copy said it (-1 before). */
  get total(): number {
    return Number(Atomics.load(this.#control, TOTAL));
  }

  /**
   * The next chunk, waiting for the copy to hand it over (blocking this thread: the
   * encryption has nothing else to do); undefined when the ring is closed or `stopped`
   * says so (asked at least every 100 ms).
   */
  take(stopped: () => boolean): PlainChunk | undefined {
    for (;;) {
      if (this.closed || stopped()) return undefined;
      const handed = Atomics.load(this.#control, HANDED);
      if (Number(handed) > this.#count) {
        const at = FIELDS + PER_SLOT * (this.#count % SLOTS);
        const plainLength = Number(Atomics.load(this.#control, at));
        const sealed = Number(Atomics.load(this.#control, at + 2));
        const bytes = this.#views[this.#count % SLOTS]!.subarray(0, sealed || plainLength);
        return { bytes, position: Number(Atomics.load(this.#control, at + 1)), plainLength, sealed: sealed > 0 };
      }
      Atomics.wait(this.#control, HANDED, handed, 100);
    }
  }

  /** The chunk `take` gave is sealed: its slot is free for the copy. */
  release(): void {
    this.#count += 1;
    Atomics.store(this.#control, SEALED, BigInt(this.#count));
    Atomics.notify(this.#control, SEALED);
  }
}
