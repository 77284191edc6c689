// The ring between a copy and its encryption: chunks the copy seals ahead (when the
// encryption is behind) come out as the same age payload the encryption would have made,
// and an age file made of both kinds decrypts with the real age CLI to the plaintext.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ageMissing, caseFolders } from '../../test-support/unit.ts';
import { AGE_CHUNK, payloadCipherKey, sealChunks, sealChunksInPlace, sealedLength } from '../age/age-stream.ts';
import { generateAgeIdentity, parseRecipient } from '../age/keys.ts';
import { AgeFileSealer } from './age-sealer.ts';
import { PlainRing } from './plain-ring.ts';

const { fresh } = caseFolders('pv-plain-ring-');
const SLOT = 2 * AGE_CHUNK;

/** Hands `plain` to the copy side of `ring` slot by slot, without waiting for the other side unless every slot is full. */
async function handAll(ring: PlainRing, plain: Buffer): Promise<void> {
  ring.setTotal(plain.length);
  for (let position = 0; position < plain.length; position += SLOT) {
    const slot = await ring.slot();
    if (!slot) throw new Error('the ring was closed');
    const length = plain.copy(slot, 0, position, Math.min(position + SLOT, plain.length));
    ring.hand(length, position);
  }
}

describe('sealing in place', () => {
  it('gives the bytes sealChunks gives, for whole, part and single chunks and an empty last one', () => {
    const key = payloadCipherKey(randomBytes(32));
    for (const length of [SLOT, SLOT - 100, AGE_CHUNK, 1, 0]) {
      const plain = randomBytes(length);
      const expected = Buffer.alloc(sealedLength(length));
      expect(sealChunks(key, plain, length, 7, true, expected)).toBe(expected.length);
      const buffer = Buffer.alloc(sealedLength(SLOT));
      plain.copy(buffer);
      expect(sealChunksInPlace(key, buffer, length, 7, true)).toBe(expected.length);
      expect(buffer.subarray(0, expected.length).equals(expected)).toBe(true);
    }
  });

  it('refuses a buffer without room for the tags', () => {
    const key = payloadCipherKey(randomBytes(32));
    expect(() => sealChunksInPlace(key, Buffer.alloc(SLOT), SLOT, 0, false)).toThrow(/seal to 131104/);
  });
});

describe('the plain ring', () => {
  it('is made of whole age chunks', () => {
    expect(() => PlainRing.create(AGE_CHUNK + 512)).toThrow(/whole age chunks/);
  });

  it('hands plaintext while the encryption keeps up and seals ahead once it is behind, with the nonce of the chunk’s place', async () => {
    const rawKey = randomBytes(32);
    const ring = PlainRing.create(SLOT);
    ring.sealAhead(payloadCipherKey(rawKey));
    const plain = randomBytes(3 * SLOT - 1000);
    // Nothing takes before all three are handed: the first finds the encryption caught up, the others find it behind.
    await handAll(ring, plain);
    const taker = PlainRing.join(ring.share);
    const seen: boolean[] = [];
    for (let position = 0; position < plain.length; position += SLOT) {
      const chunk = taker.take(() => false)!;
      const length = Math.min(SLOT, plain.length - position);
      expect(chunk).toMatchObject({ position, plainLength: length });
      seen.push(chunk.sealed);
      const last = position + length >= plain.length;
      const expected = Buffer.alloc(sealedLength(length));
      sealChunks(payloadCipherKey(rawKey), plain.subarray(position), length, position / AGE_CHUNK, last, expected);
      expect(chunk.bytes.equals(chunk.sealed ? expected : plain.subarray(position, position + length))).toBe(true);
      taker.release();
    }
    expect(seen).toEqual([false, true, true]);
    expect(ring.sealedAhead).toBe(2);
  });

  it('without the key hands only plaintext', async () => {
    const ring = PlainRing.create(SLOT);
    await handAll(ring, randomBytes(3 * SLOT));
    const taker = PlainRing.join(ring.share);
    for (let i = 0; i < 3; i += 1) {
      expect(taker.take(() => false)!.sealed).toBe(false);
      taker.release();
    }
  });

  it.skipIf(!!ageMissing)('through the encrypting thread, sealed ahead and not, makes an age file the age CLI decrypts to the plaintext', async () => {
    const dir = fresh();
    const keys = generateAgeIdentity();
    writeFileSync(join(dir, 'key.txt'), `${keys.identity}\n`, { mode: 0o600 });
    const agePath = join(dir, 'out.age');
    writeFileSync(agePath, '');
    const plain = randomBytes(9 * SLOT + 12_345);
    const ring = PlainRing.create(SLOT);
    const sealer = await AgeFileSealer.start({ ring }, agePath, [parseRecipient(keys.recipient, 'test')]);
    await handAll(ring, plain);
    await sealer.finish();
    // The first chunk finds the thread caught up; the copy seals any other only when the thread is behind.
    expect(ring.sealedAhead).toBeLessThan(10);
    execFileSync('age', ['-d', '-i', join(dir, 'key.txt'), '-o', join(dir, 'plain'), agePath]);
    expect(readFileSync(join(dir, 'plain')).equals(plain)).toBe(true);
  });
});
