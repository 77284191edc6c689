/**
 * Writes a file front to back, past the page cache where the system allows it (Linux's
 * O_DIRECT), for output nothing will read again soon: an encrypted backup's age file,
 * whose SHA-256 is taken from the buffers as they are sealed. Through the page cache,
 * a gigabyte written is a gigabyte of the user's cached files pushed out, and on a
 * virtual machine whose host lends memory on first touch, each new cached page costs a
 * trip to the host: writing 1 GiB through it took 3.4 s of system time on a machine that
 * writes it in 1.0 s with O_DIRECT (`dd bs=4M conv=fsync` against `oflag=direct`).
 *
 * O_DIRECT needs the memory, the file offset and the length aligned to the device's
 * blocks. Node gives no aligned memory and no addresses, so each buffer's alignment is
 * found by writing one block from successive offsets into it until the system takes
 * one; the file's first block is overwritten by the real data later. Where O_DIRECT is
 * not offered (macOS, Windows, a file system that refuses it), or anything about it
 * fails, the file is written through the page cache instead, flushed behind as any copy
 * is (WriteBehind). Either way the data reaches the file byte for byte and is on the
 * disk once `finish` returns.
 */
import { closeSync, constants, fdatasync, ftruncateSync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { WRITE_BACK_BYTES, WriteBehind, writeAll } from './source-files.ts';

/** What O_DIRECT offsets, lengths and memory are aligned to: 4 KiB, which covers 512-byte and 4 KiB sectors. */
const ALIGN = 4096;
/** How finely a buffer's start is tried: Node's allocations are at least 8-byte aligned. */
const PROBE_STEP = 8;

const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** One aligned region of a larger allocation, or undefined when no offset into it was taken. */
function alignedView(fd: number, capacity: number): Buffer | undefined {
  const slab = Buffer.allocUnsafeSlow(capacity + 2 * ALIGN);
  slab.fill(0, 0, 2 * ALIGN);
  for (let offset = 0; offset < ALIGN; offset += PROBE_STEP) {
    try {
      writeSync(fd, slab, offset, ALIGN, 0);
      return slab.subarray(offset, offset + capacity + ALIGN);
    } catch (error) {
      // Misaligned memory is EINVAL; anything else (a full disk) is no alignment question.
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    }
  }
  return undefined;
}

/**
 * A file written in order, one buffer at a time: fill `buffer` with up to `capacity`
 * bytes and pass their count to `write`. The file must be the caller's own, empty or to
 * be overwritten from offset 0; `close` must be called once whatever happened.
 */
export class DirectWriter {
  readonly #path: string;
  readonly #capacity: number;
  /** The descriptor writes go through: O_DIRECT while `#views` is set. */
  readonly #fd: number;
  /** A plain descriptor, for a fallback and for the last, partial block; opened when needed. */
  #bufferedFd: number | undefined;
  /** Two aligned buffers in turn: one filled while the other's write is under way. Undefined: through the page cache. */
  #views: [Buffer, Buffer] | undefined;
  #current: 0 | 1 = 0;
  /** Bytes at the front of the current view not yet written (fewer than ALIGN). */
  #carry = 0;
  /** Bytes written to the file, or handed to the write under way. */
  #position = 0;
  #inFlight: Promise<void> | undefined;
  readonly #plain: Buffer;
  #writeBehind: WriteBehind | undefined;

  private constructor(path: string, capacity: number, fd: number, views: [Buffer, Buffer] | undefined) {
    this.#path = path;
    this.#capacity = capacity;
    this.#fd = fd;
    this.#views = views;
    this.#plain = views ? Buffer.alloc(0) : Buffer.allocUnsafe(capacity);
    if (!views) this.#writeBehind = new WriteBehind(fd);
  }

  /** Opens `path` (an existing file of the caller's) to write up to `capacity` bytes at a time. */
  static open(path: string, capacity: number): DirectWriter {
    if (constants.O_DIRECT !== undefined) {
      let fd: number | undefined;
      try {
        fd = openSync(path, constants.O_WRONLY | constants.O_DIRECT);
        const first = alignedView(fd, capacity);
        const second = first && alignedView(fd, capacity);
        if (first && second) return new DirectWriter(path, capacity, fd, [first, second]);
      } catch (error) {
        if (fd !== undefined) closeSync(fd);
        if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
        fd = undefined;
      }
      if (fd !== undefined) closeSync(fd);
    }
    return new DirectWriter(path, capacity, openSync(path, 'r+'), undefined);
  }

  /** True while writes go past the page cache. */
  get direct(): boolean {
    return this.#views !== undefined;
  }

  /** Where the next `capacity` bytes go. */
  get buffer(): Buffer {
    if (!this.#views) return this.#plain;
    return this.#views[this.#current].subarray(this.#carry, this.#carry + this.#capacity);
  }

  /** The bytes given to `write` so far. */
  get length(): number {
    return this.#position + this.#carry;
  }

  /** Writes the first `bytes` of `buffer` after what was written before; waits only for the write before it. */
  async write(bytes: number): Promise<void> {
    if (bytes > this.#capacity) throw new RangeError(`${this.#path}: ${bytes} bytes given to a writer of ${this.#capacity}`);
    if (!this.#views) {
      writeAll(this.#fd, this.#plain, bytes, this.#position);
      const before = this.#position;
      this.#position += bytes;
      if (Math.floor(this.#position / WRITE_BACK_BYTES) !== Math.floor(before / WRITE_BACK_BYTES)) await this.#writeBehind!.flush();
      return;
    }
    const view = this.#views[this.#current];
    const filled = this.#carry + bytes;
    const whole = filled - (filled % ALIGN);
    if (whole === 0) {
      this.#carry = filled;
      return;
    }
    await this.#inFlight;
    this.#inFlight = undefined;
    // The rest, less than a block, starts the other buffer; this one goes to the disk.
    const other = this.#current === 0 ? 1 : 0;
    view.copy(this.#views[other], 0, whole, filled);
    this.#current = other;
    this.#carry = filled - whole;
    const position = this.#position;
    this.#position += whole;
    const writing = this.#writeDirect(view, whole, position);
    // Its failure is thrown by the next write, finish or close, never left unhandled.
    writing.catch(() => undefined);
    this.#inFlight = writing;
  }

  async #writeDirect(view: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    try {
      while (done < length) {
        const { bytesWritten } = await writeAsync(this.#fd, view, done, length - done, position + done);
        if (bytesWritten === 0) throw Object.assign(new Error(`${this.#path}: nothing was written`), { code: 'EIO' });
        done += bytesWritten;
        // A short write that ends off a block cannot go on direct.
        if (done < length && done % ALIGN !== 0) break;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
    }
    if (done < length) writeAll(this.#buffered(), view.subarray(done), length - done, position + done);
  }

  #buffered(): number {
    this.#bufferedFd ??= openSync(this.#path, 'r+');
    return this.#bufferedFd;
  }

  /** Writes what is left and puts the whole file on the disk (fdatasync). */
  async finish(): Promise<void> {
    if (!this.#views) {
      await this.#writeBehind!.finish();
      return;
    }
    await this.#inFlight;
    this.#inFlight = undefined;
    if (this.#carry > 0) {
      // The last part block goes through the page cache: O_DIRECT writes whole blocks only.
      const view = this.#views[this.#current];
      writeAll(this.#buffered(), view, this.#carry, this.#position);
      this.#position += this.#carry;
      this.#carry = 0;
    }
    // The probes wrote a block at offset 0: a file shorter than that is cut back to its data.
    ftruncateSync(this.#fd, this.#position);
    // One file, whichever descriptor wrote it: one fdatasync puts all of it on the disk.
    await fdatasyncAsync(this.#fd);
  }

  /** Waits for any write under way and closes the file. Never throws. */
  async close(): Promise<void> {
    await this.#inFlight?.catch(() => undefined);
    await this.#writeBehind?.settle().catch(() => undefined);
    closeSync(this.#fd);
    if (this.#bufferedFd !== undefined) closeSync(this.#bufferedFd);
  }
}
