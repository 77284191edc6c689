/**
 * A backup of an encrypted database without its key: its files' bytes, copied as they are.
 *
 * No SQLite opens the database without the key, so neither a read transaction nor SQLite's
 * recovery is available: the copy is the lock-free one of a held database (held-copy.ts),
 * whose proofs read only what SQLite3MultipleCiphers leaves plain (the WAL header and frame
 * headers; page 1's bytes as a whole in rollback-journal mode), and it takes no lock of its
 * own, so it works the same whether or not the app holds the database. What recovery would
 * do is done here on the bytes: in WAL mode, each page's latest committed frame is written
 * over the copy, the copy is cut to the last commit's size, and the copied WAL is removed;
 * its frames hold the pages as they are stored in the database file, encrypted for their
 * page number with the same key, which is how the snapshot copy of an encrypted WAL source
 * works too (wal-snapshot.ts). A hot journal is not rolled back: the copy waits for the next
 * try, after that transaction's commit.
 *
 * The result is the database as of one commit, encrypted as the source is, standalone: no
 * -wal beside it. Its header (encrypted) still says WAL mode, so opened with the key it
 * grows a -wal as any WAL database does. Nothing inside it can be checked without the key:
 * its SHA-256 is what verify compares.
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { committedFrames, encryptedPageSize } from './held-copy.ts';
import { writeAll } from './source-files.ts';

/** What a raw copy says in the manifest and in the History about what it could not check. */
export const RAW_COPY_NOTE = 'copied without its key: its encrypted pages were copied as they are, so integrity_check could not run on the copy and only its SHA-256 is recorded';

/** Whether a key-less copy of `source` follows its WAL: a -wal beside it says it is in WAL mode (its header, encrypted, cannot). */
export function rawCopyFollowsWal(source: string): boolean {
  return existsSync(`${source}-wal`);
}

/** The page size a raw copy reports: its WAL header's, else the ciphers' default. */
export function rawPageSize(source: string): number {
  return encryptedPageSize(source);
}

/**
 * What a key-less copy knows of an encrypted database without opening it: WAL mode when a
 * -wal is beside it, and the page size its WAL header gives (else the ciphers' default).
 * Reads only the -wal's first 32 bytes.
 */
export function rawCopyFacts(source: string): { journalMode: 'wal' | 'delete'; pageSize: number } {
  return { journalMode: rawCopyFollowsWal(source) ? 'wal' : 'delete', pageSize: rawPageSize(source) };
}

/**
 * Writes the committed frames of the copied WAL `walCopy` into the copy `partial` (as a
 * checkpoint would), cuts it to the last commit's page count, and removes `walCopy`.
 * Returns the copy's page size and count. Without a WAL copy (or one with no commit), the
 * copy stays as it was copied.
 */
export function checkpointRawCopy(partial: string, walCopy: string | undefined, pageSizeGuess: number): { pageSize: number; pageCount: number } {
  const fd = openSync(partial, 'r+');
  try {
    const walBytes = walCopy && existsSync(walCopy) ? statSync(walCopy).size : 0;
    const committed = walCopy && walBytes > 0 ? committedFrames(walCopy, walBytes) : undefined;
    if (committed && committed.lastCommit > 0) {
      const { pageSize } = committed;
      const wal = openSync(walCopy!, 'r');
      try {
        const page = Buffer.allocUnsafe(pageSize);
        for (const [number, offset] of committed.pages) {
          if (number > committed.pageCount) continue; // cut away by the commit that set the size
          if (readSync(wal, page, 0, pageSize, offset) !== pageSize) throw new Error(`the copied WAL ${walCopy} ends inside the frame of page ${number}`);
          writeAll(fd, page, pageSize, (number - 1) * pageSize);
        }
      } finally {
        closeSync(wal);
      }
      const size = committed.pageCount * pageSize;
      if (fstatSync(fd).size !== size) ftruncateSync(fd, size);
      fdatasyncSync(fd);
      return { pageSize, pageCount: committed.pageCount };
    }
    const pageSize = committed?.pageSize ?? pageSizeGuess;
    return { pageSize, pageCount: Math.ceil(fstatSync(fd).size / pageSize) };
  } finally {
    closeSync(fd);
    if (walCopy) removeQuietly(walCopy);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Not there: nothing to remove.
  }
}
