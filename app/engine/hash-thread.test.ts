// The SHA-256 of a file on a thread of its own, read through the caller's descriptor.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashOnThread } from './hash-thread.ts';

const root = mkdtempSync(join(tmpdir(), 'pv-hash-thread-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a hash on its own thread', () => {
  const bytes = randomBytes(5 * (1 << 20) + 123);
  const path = join(root, 'file.bin');
  writeFileSync(path, bytes);

  it('is the SHA-256 of the whole file, with header bytes 18 and 19 taken as the format asked for, and the descriptor stays open', async () => {
    const fd = openSync(path, 'r');
    try {
      expect(await hashOnThread(fd).result).toBe(createHash('sha256').update(bytes).digest('hex'));
      const asRollback = Buffer.from(bytes);
      asRollback.fill(1, 18, 20);
      expect(await hashOnThread(fd, 1).result).toBe(createHash('sha256').update(asRollback).digest('hex'));
      expect(fstatSync(fd).size).toBe(bytes.length);
    } finally {
      closeSync(fd);
    }
  });

  it('stopped, it ends before its result and leaves the descriptor open', async () => {
    const fd = openSync(path, 'r');
    try {
      const hashing = hashOnThread(fd);
      await hashing.stop();
      await hashing.stop();
      expect(fstatSync(fd).size).toBe(bytes.length);
    } finally {
      closeSync(fd);
    }
  });
});
