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
 */

/** Slots: 4 of the copy's 2 MiB chunks, so the copy runs up to 8 MiB ahead (8 slots were no faster and took 9 MiB more at peak). */
const SLOTS = 4;
/** The control's fields: chunks handed over, chunks sealed, 1 once closed, the plaintext's size (-1 until known); then each slot's length and offset. */
const HANDED = 0;
const SEALED = 1;
const CLOSED = 2;
const TOTAL = 3;
const FIELDS = 4;

/** What is passed to another thread to use the same ring. */
export interface PlainRingShare {
  slots: SharedArrayBuffer;
  control: SharedArrayBuffer;
  slotBytes: number;
}

/** One slot's chunk: its bytes and where they go in the plaintext. */
export interface PlainChunk {
  bytes: Buffer;
  position: number;
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

  private constructor(share: PlainRingShare) {
    this.#share = share;
    this.#control = new BigInt64Array(share.control);
    this.#views = Array.from({ length: SLOTS }, (_, slot) => Buffer.from(share.slots, slot * share.slotBytes, share.slotBytes));
  }

  /** A new ring of chunks of `slotBytes`. */
  static create(slotBytes: number): PlainRing {
    const control = new SharedArrayBuffer((FIELDS + 2 * SLOTS) * 8);
    new BigInt64Array(control)[TOTAL] = -1n;
    return new PlainRing({ slots: new SharedArrayBuffer(SLOTS * slotBytes), control, slotBytes });
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
      if (this.#count - Number(sealed) < SLOTS) return this.#views[this.#count % SLOTS];
      await Atomics.waitAsync(this.#control, SEALED, sealed, 100).value;
    }
  }

  /** The slot `slot` gave holds `length` bytes of the plaintext at `position`: the encryption may seal them. */
  hand(length: number, position: number): void {
    const slot = this.#count % SLOTS;
    Atomics.store(this.#control, FIELDS + 2 * slot, BigInt(length));
    Atomics.store(this.#control, FIELDS + 2 * slot + 1, BigInt(position));
    this.#count += 1;
    Atomics.store(this.#control, HANDED, BigInt(this.#count));
    Atomics.notify(this.#control, HANDED);
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
        const slot = this.#count % SLOTS;
        const length = Number(Atomics.load(this.#control, FIELDS + 2 * slot));
        return { bytes: this.#views[slot]!.subarray(0, length), position: Number(Atomics.load(this.#control, FIELDS + 2 * slot + 1)) };
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
