// The vault's page reader against real files: the pages and hashes it hands over on one
// thread and on two, compared with each page read and hashed here on its own.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHUNK_BYTES, groupPages, hashedChunks, knownGroupsBuffer } from './page-reader.ts';
import { caseFolders } from '../../test-support/unit.ts';

const { fresh } = caseFolders('pv-page-reader-');
const PAGE = 4096;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** A file of `pages` pages, each filled with bytes of its own. */
function pagesFile(path: string, pages: number): Buffer {
  const bytes = Buffer.alloc(pages * PAGE);
  for (let page = 0; page < pages; page += 1) bytes.fill((page * 7 + 3) % 251, page * PAGE, (page + 1) * PAGE).writeUInt32BE(page, page * PAGE + 100);
  writeFileSync(path, bytes);
  return bytes;
}

/** Every chunk's pages, hashes and groups, copied (a chunk's buffers are reused). */
async function readAll(fd: number, pageCount: number, wal: { fd: number; frames: Map<number, number> } | undefined, threads: number, known?: Buffer) {
  const pages: Buffer[] = [];
  const hashes: Buffer[] = [];
  const groups: Buffer[] = [];
  const same: number[] = [];
  let next = 1;
  for await (const chunk of hashedChunks(fd, PAGE, pageCount, wal, { threads, ...(known && { known }) })) {
    expect(chunk.first).toBe(next);
    next += chunk.count;
    pages.push(Buffer.from(chunk.pages));
    hashes.push(Buffer.from(chunk.hashes));
    groups.push(Buffer.from(chunk.groups));
    same.push(...chunk.same);
  }
  expect(next).toBe(pageCount + 1);
  return { pages: Buffer.concat(pages), hashes: Buffer.concat(hashes), groups: Buffer.concat(groups), same };
}

describe('hashedChunks', () => {
  it('hands over every page in order with its SHA-256 on one thread and on two: WAL frames over the file, zeros past its end, page 1 standalone', async () => {
    const dir = fresh();
    const perChunk = CHUNK_BYTES / PAGE;
    // Nine and a half chunks in the file, one more page count's worth past its end.
    const filePages = perChunk * 9 + perChunk / 2;
    const pageCount = filePages + perChunk + 5;
    const file = pagesFile(join(dir, 'db'), filePages);
    // A WAL of three frames: pages 2 (twice: the later frame counts), an odd chunk's page, and one past the file's end.
    const frameOf = (pgno: number, fill: number) => Buffer.concat([Buffer.alloc(24), Buffer.alloc(PAGE, fill)]);
    const walPages = [
      [2, 0xa1],
      [perChunk + 9, 0xa2],
      [2, 0xa3],
      [filePages + 3, 0xa4],
    ] as const;
    writeFileSync(join(dir, 'db-wal'), Buffer.concat([Buffer.alloc(32), ...walPages.map(([pgno, fill]) => frameOf(pgno, fill))]));
    const frames = new Map<number, number>();
    walPages.forEach(([pgno], index) => frames.set(pgno, index + 1));

    const expected = Buffer.concat([file, Buffer.alloc((pageCount - filePages) * PAGE)]);
    expected.fill(0xa3, PAGE, 2 * PAGE);
    expected.fill(0xa2, (perChunk + 8) * PAGE, (perChunk + 9) * PAGE);
    expected.fill(0xa4, (filePages + 2) * PAGE, (filePages + 3) * PAGE);
    expected[18] = 1;
    expected[19] = 1;
    const expectedHashes = Buffer.concat(Array.from({ length: pageCount }, (_, i) => sha256(expected.subarray(i * PAGE, (i + 1) * PAGE))));

    const db = openSync(join(dir, 'db'), 'r');
    const wal = openSync(join(dir, 'db-wal'), 'r');
    try {
      // Which thread reads which chunk depends on their timing: two threads are read several times.
      for (const threads of [1, 2, 2, 2, 2]) {
        const got = await readAll(db, pageCount, { fd: wal, frames }, threads);
        expect(got.pages.equals(expected), `pages, ${threads} thread(s)`).toBe(true);
        expect(got.hashes.equals(expectedHashes), `hashes, ${threads} thread(s)`).toBe(true);
      }
      // The file itself is only read.
      expect(readFileSync(join(dir, 'db')).equals(file)).toBe(true);
    } finally {
      closeSync(wal);
      closeSync(db);
    }
  });

  it('hashes each group of pages, and where a group hash is the known one leaves its pages unhashed, on one thread and on two, to the last group cut short', async () => {
    const dir = fresh();
    const perChunk = CHUNK_BYTES / PAGE;
    const perGroup = groupPages(PAGE);
    const pageCount = perChunk * 4 + perGroup * 3 + 5;
    const file = pagesFile(join(dir, 'db'), pageCount);
    const expected = Buffer.from(file);
    expected[18] = 1;
    expected[19] = 1;
    const groupCount = Math.ceil(pageCount / perGroup);
    const groupHash = (g: number) => sha256(expected.subarray(g * perGroup * PAGE, Math.min(pageCount, (g + 1) * perGroup) * PAGE));
    // Known: right for every third group (the last one too), wrong for every third, unknown (zeros) for the rest.
    const known = knownGroupsBuffer(PAGE, pageCount);
    expect(known.length).toBe(groupCount * 32);
    const right = (g: number) => g % 3 === 0 || g === groupCount - 1;
    for (let g = 0; g < groupCount; g += 1) {
      if (right(g)) groupHash(g).copy(known, g * 32);
      else if (g % 3 === 1) sha256(Buffer.from(`not group ${g}`)).copy(known, g * 32);
    }
    const db = openSync(join(dir, 'db'), 'r');
    try {
      for (const threads of [1, 2]) {
        const got = await readAll(db, pageCount, undefined, threads, known);
        expect(got.pages.equals(expected), `pages, ${threads} thread(s)`).toBe(true);
        expect(got.groups.equals(Buffer.concat(Array.from({ length: groupCount }, (_, g) => groupHash(g)))), `groups, ${threads} thread(s)`).toBe(true);
        expect(got.same, `same, ${threads} thread(s)`).toEqual(Array.from({ length: groupCount }, (_, g) => (right(g) ? 1 : 0)));
        for (let page = 0; page < pageCount; page += 1) {
          if (right(Math.floor(page / perGroup))) continue;
          expect(got.hashes.subarray(page * 32, page * 32 + 32).equals(sha256(expected.subarray(page * PAGE, (page + 1) * PAGE))), `page ${page + 1}, ${threads} thread(s)`).toBe(true);
        }
      }
      await expect(readAll(db, pageCount, undefined, 1, Buffer.alloc(groupCount * 32))).rejects.toThrow('must be a buffer from knownGroupsBuffer');
    } finally {
      closeSync(db);
    }
  });

  it('a WAL frame cut short fails the read with its page, whichever thread claimed its chunk, and the thread is stopped', async () => {
    const dir = fresh();
    const perChunk = CHUNK_BYTES / PAGE;
    pagesFile(join(dir, 'db'), perChunk * 4);
    // Frame 2 would lie past the WAL's end.
    writeFileSync(join(dir, 'db-wal'), Buffer.alloc(32 + 24 + PAGE));
    const db = openSync(join(dir, 'db'), 'r');
    const wal = openSync(join(dir, 'db-wal'), 'r');
    try {
      const read = readAll(db, perChunk * 4, { fd: wal, frames: new Map([[perChunk * 3 + 1, 2]]) }, 2);
      await expect(read).rejects.toThrow(`WAL frame 2 of page ${perChunk * 3 + 1} is cut short`);
    } finally {
      closeSync(wal);
      closeSync(db);
    }
  });

  it('reads on two threads in a process started with --input-type=module -e, whose option a thread may not inherit', () => {
    const dir = fresh();
    const perChunk = CHUNK_BYTES / PAGE;
    const file = pagesFile(join(dir, 'db'), perChunk * 2);
    const script = `
      import { openSync } from 'node:fs';
      import { createHash } from 'node:crypto';
      const { hashedChunks } = await import(${JSON.stringify(new URL('./page-reader.ts', import.meta.url).href)});
      const all = createHash('sha256');
      for await (const chunk of hashedChunks(openSync(${JSON.stringify(join(dir, 'db'))}, 'r'), ${PAGE}, ${perChunk * 2}, undefined, { threads: 2 })) all.update(chunk.hashes);
      console.log(all.digest('hex'));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    file[18] = 1;
    file[19] = 1;
    const expected = createHash('sha256');
    for (let page = 0; page < perChunk * 2; page += 1) expected.update(sha256(file.subarray(page * PAGE, (page + 1) * PAGE)));
    expect(run.stdout.trim()).toBe(expected.digest('hex'));
  });
});
