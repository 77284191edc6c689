// A file written past the page cache holds exactly the bytes given, in order, whatever
// their sizes (O_DIRECT writes whole aligned blocks only), on every file system it is
// offered on and where it is refused; a full disk is the disk's error.
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeDatabase } from '../../test-support/databases.ts';
import { backup, restore } from './index.ts';
import { caseFolders } from '../../test-support/unit.ts';
import { makeCowMount, unavailable, type CowKind } from '../../test-support/cow-mounts.ts';
import { DirectWriter } from './direct-writer.ts';

const { fresh } = caseFolders('pv-direct-writer-');

/** File systems of statfs's `type` known to take O_DIRECT: ext4, XFS, btrfs. */
const TAKES_DIRECT = new Set([0xef53, 0x58465342, 0x9123683e]);

/** Writes `pieces` through a DirectWriter into a new file in `dir`; returns its path, the bytes expected and whether it went direct. */
async function writePieces(dir: string, pieces: number[], capacity = 1 << 20): Promise<{ path: string; expected: Buffer; direct: boolean }> {
  const path = join(dir, 'out.bin');
  writeFileSync(path, '');
  const expected = randomBytes(pieces.reduce((a, b) => a + b, 0));
  const writer = DirectWriter.open(path, capacity);
  const direct = writer.direct;
  try {
    let at = 0;
    for (const piece of pieces) {
      expected.copy(writer.buffer, 0, at, at + piece);
      await writer.write(piece);
      at += piece;
    }
    expect(writer.length).toBe(expected.length);
    await writer.finish();
  } finally {
    await writer.close();
  }
  return { path, expected, direct };
}

/** Pieces as an age file's: a header of odd size, then sealed blocks that end off the block boundary, then a short last one. */
const AGE_LIKE = [137, 1_000_016, 1_000_016, 4096, 1, 0, 65_552, 777];

describe('a file written past the page cache', () => {
  it('holds exactly the bytes given, and goes direct on Linux file systems that take it', async () => {
    const dir = fresh();
    const { path, expected, direct } = await writePieces(dir, AGE_LIKE);
    expect(readFileSync(path).equals(expected)).toBe(true);
    if (process.platform === 'linux' && TAKES_DIRECT.has(Number(statfsSync(dir).type))) expect(direct).toBe(true);
  });

  it('shorter than one block, it is cut back to its bytes (the alignment probe wrote a block)', async () => {
    const dir = fresh();
    const { path, expected } = await writePieces(dir, [137, 20]);
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it('of whole blocks only, and of nothing at all', async () => {
    const dir = fresh();
    const whole = await writePieces(dir, [4096, 8192, 1 << 20]);
    expect(readFileSync(whole.path).equals(whole.expected)).toBe(true);
    const empty = await writePieces(fresh(), []);
    expect(readFileSync(empty.path).length).toBe(0);
  });

  it('refuses a piece larger than its buffer, naming the file', async () => {
    const dir = fresh();
    const path = join(dir, 'out.bin');
    writeFileSync(path, '');
    const writer = DirectWriter.open(path, 4096);
    try {
      await expect(writer.write(4097)).rejects.toThrow(path);
    } finally {
      await writer.close();
    }
  });

  // tmpfs has no disk to go direct to: the kernel refuses O_DIRECT there or takes it through the page cache.
  it.skipIf(!existsSync('/dev/shm'))('on tmpfs, whichever way the kernel takes it', async () => {
    const dir = mkdtempSync('/dev/shm/pv-direct-writer-');
    try {
      const { path, expected } = await writePieces(dir, AGE_LIKE);
      expect(readFileSync(path).equals(expected)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const kind of ['xfs', 'btrfs'] as CowKind[]) {
    it.skipIf(!!unavailable(kind))(`on ${kind}, direct, byte for byte; a full disk is ENOSPC`, async () => {
      const mount = makeCowMount(kind, fresh(), 320);
      try {
        const { path, expected, direct } = await writePieces(mount.dir, AGE_LIKE);
        expect(direct).toBe(true);
        expect(readFileSync(path).equals(expected)).toBe(true);
        const full = join(mount.dir, 'full.bin');
        writeFileSync(full, '');
        const writer = DirectWriter.open(full, 8 << 20);
        try {
          const attempt = async () => {
            for (let i = 0; i < 100; i += 1) await writer.write(8 << 20);
            await writer.finish();
          };
          await expect(attempt()).rejects.toMatchObject({ code: 'ENOSPC' });
        } finally {
          await writer.close();
        }
      } finally {
        mount.remove();
      }
    });
  }
});

/** Bytes of `path` in the page cache, from util-linux's fincore; undefined where it is not installed. */
function cachedBytes(path: string): number | undefined {
  const run = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

/** Every row of the test database's tables, as one SHA-256 and a count. */
function contentOf(db: Database.Database): { rows: number; sha256: string } {
  const hash = createHash('sha256');
  let rows = 0;
  for (const table of ['pairs_a', 'pairs_b', 'blobs']) {
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).raw().iterate() as Iterable<unknown[]>) {
      rows += 1;
      for (const value of row) hash.update(Buffer.isBuffer(value) ? value : String(value));
    }
  }
  return { rows, sha256: hash.digest('hex') };
}

/** Why this test cannot see what the page cache holds of files in `dir`, or undefined when it can. */
function cacheUnseen(dir: string): string | undefined {
  if (process.platform !== 'linux' || !TAKES_DIRECT.has(Number(statfsSync(dir).type))) return `${dir} is on a file system not known to take O_DIRECT`;
  if (spawnSync('fincore', ['--version']).status !== 0) return "util-linux's fincore is not installed (Debian: util-linux-extra)";
  return undefined;
}

describe("a snapshot backup's copy", () => {
  it('without a verification, goes past the page cache where the file system takes O_DIRECT, and holds exactly the snapshot, WAL frames laid over the file', async (context) => {
    const dir = fresh();
    const unseen = cacheUnseen(dir);
    if (unseen) return context.skip(unseen);
    const source = join(dir, 'live.db');
    makeDatabase(source, { bytes: 24e6 });
    const db = new Database(source);
    db.pragma('wal_autocheckpoint = 0');
    // Frames in the WAL the copy must lay over the file's pages.
    db.exec('UPDATE blobs SET body = randomblob(3000) WHERE id % 7 = 0');
    const rows = contentOf(db);
    const out = join(dir, 'copy.db');
    try {
      await backup(source, out, { verify: false });
    } finally {
      db.close();
    }
    const size = statSync(out).size;
    expect(size).toBeGreaterThan(20e6);
    // Only what went through the cache (the part block at the end, page 1's header) may be there.
    expect(cachedBytes(out)!).toBeLessThan(size / 10);
    const copy = new Database(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(contentOf(copy)).toEqual(rows);
    copy.close();
  });
});

describe('a restore that swaps files', () => {
  it('writes the restored file past the page cache where the file system takes O_DIRECT, the backup byte for byte but for its WAL header bytes', async (context) => {
    const dir = fresh();
    const unseen = cacheUnseen(dir);
    if (unseen) return context.skip(unseen);
    const target = join(dir, 'live.db');
    makeDatabase(target, { bytes: 24e6 });
    const taken = (await backup(target, join(dir, 'taken.db'))).path;
    const db = new Database(target);
    db.exec('UPDATE blobs SET body = randomblob(3000) WHERE id % 7 = 0');
    db.close();

    const result = await restore(taken, target, { safetyCopy: false });
    // The swap's copy is the target now (the load would have written into the same inode through the cache).
    expect(result.safetyCopy).toBeNull();
    const size = statSync(target).size;
    expect(cachedBytes(target)!).toBeLessThan(size / 10);
    const restored = readFileSync(target);
    const backupBytes = readFileSync(taken);
    expect([...restored.subarray(18, 20)]).toEqual([2, 2]);
    restored.fill(1, 18, 20);
    expect(restored.equals(backupBytes)).toBe(true);
  });
});
