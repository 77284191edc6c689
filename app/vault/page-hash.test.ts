// The vault's page hashes against node:crypto's own SHA-256 and HMAC: the same bytes out
// for every length a page or a block has, for keys of every length HMAC pads, and for a
// hasher used many times over (its saved key state must not be consumed by a call).
import { describe, expect, it } from 'vitest';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hmacSha256, pageHasher, sha256 } from './page-hash.ts';

const lengths = [0, 1, 55, 56, 63, 64, 65, 512, 4096, 65536, 64 * 4096 + 17];

describe('page hashes', () => {
  it('SHA-256 is SHA-256', () => {
    for (const length of lengths) {
      const data = randomBytes(length);
      expect(sha256(data).equals(createHash('sha256').update(data).digest())).toBe(true);
    }
  });

  it('HMAC-SHA256 from saved key states equals createHmac for every key length up to a block, called again and again', () => {
    for (const keyLength of [1, 16, 32, 63, 64]) {
      const key = randomBytes(keyLength);
      const mac = hmacSha256(key);
      for (let round = 0; round < 3; round += 1) {
        for (const length of lengths) {
          const data = randomBytes(length);
          expect(mac(data).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
        }
      }
    }
  });

  it('a key longer than a block is refused rather than hashed differently from HMAC', () => {
    expect(() => hmacSha256(randomBytes(65))).toThrow(/65 bytes is longer than SHA-256's block/);
  });

  it('pageHasher keys the hash only when given a key', () => {
    const data = randomBytes(4096);
    const key = randomBytes(32);
    expect(pageHasher(undefined)(data).equals(sha256(data))).toBe(true);
    expect(pageHasher(key)(data).equals(createHmac('sha256', key).update(data).digest())).toBe(true);
  });
});
