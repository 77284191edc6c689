/**
 * snapshot: the source connection holds one read transaction across every step, so the
 * copy is a single point in time and never restarts; in WAL mode writers go on.
 *
 * A WAL source is copied as a file with the snapshot's WAL frames laid over it
 * (wal-snapshot.ts), cloned rather than read where the destination clones (clone.ts); a
 * copy long enough for writers to pile up a WAL backlog hands that
 * backlog to a helper process as the snapshot ends (checkpoint-handoff.ts). Whenever the
 * file path declines, and for a rollback-journal source, SQLite's backup API copies the
 * pages from the same pinned transaction.
 */
import { fstatSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { CheckpointHandoff } from '../checkpoint-handoff.ts';
import type { SourceFiles } from '../source-files.ts';
import { beginWalSnapshot, copyWalSnapshot } from '../wal-snapshot.ts';
import { openEncrypted } from '../connection.ts';
import { copyPages, pageCopy } from './page-copy.ts';
import { beginWithReader, isScratchCopy, readShape, type BackupStrategy, type BegunCopy, type SourceReader, type StrategyInput } from './strategy.ts';

/** How long the WAL fast path waits for another program's write transaction before using the backup API. */
const WAL_LOCK_TIMEOUT_MS = 1000;
/** Below this, a snapshot is held too briefly for writers to pile up a WAL backlog worth handing off. */
const HANDOFF_MIN_BYTES = 32 << 20;

/** The snapshot mode: one pinned read transaction for the whole copy. */
export const snapshotStrategy: BackupStrategy = {
  async begin(input) {
    return beginWithReader(input, input.header.writeVersion === 2, (reader) => {
      const files = reader.files;
      const lockTimeoutMs = Math.min(input.busyTimeoutMs, WAL_LOCK_TIMEOUT_MS);
      const { key, subject } = input;
      const openLock = key && ((path: string) => openEncrypted(path, key, subject, { timeout: 0 }));
      const snapshot = files && beginWalSnapshot(files, reader.db, lockTimeoutMs, openLock || undefined);
      if (files && snapshot) return walFileCopy(reader, files, snapshot, input, lockTimeoutMs);
      // Take and keep the read lock now, so a locked source is found before anything is written.
      const shape = readShape(reader, input, true);
      return shape && pageCopy(reader, input, 'snapshot', shape);
    });
  },
};

/** A WAL snapshot begun under the write lock: copied as a file, or by the backup API if the WAL turns out not to match. */
function walFileCopy(
  reader: SourceReader,
  files: SourceFiles,
  snapshot: NonNullable<ReturnType<typeof beginWalSnapshot>>,
  input: StrategyInput,
  lockTimeoutMs: number,
): BegunCopy {
  // A clone holds the snapshot for milliseconds: no backlog to hand off, and no helper to wait for.
  // The helper's checkpoints of an encrypted database would need its key: it gets no handoff either.
  const handoff = !input.key && !input.destinationClones && fstatSync(files.database).size >= HANDOFF_MIN_BYTES ? new CheckpointHandoff(input.source) : undefined;
  const shape = { journalMode: 'wal' as const, pageCount: snapshot.pageCount, pageSize: snapshot.index.pageSize };
  return {
    shape,
    async copy(partial) {
      const made = await copyWalSnapshot(files, partial, snapshot, input.ctx, input.subject, input.destinationClones, input.key !== undefined, !isScratchCopy(input), input.plainRing, input.options.verify === false);
      // An encrypted copy's page 1 still says WAL: the pipeline switches it with the key,
      // so the file is not finished here and is hashed after that rewrite.
      if (made && input.key) return { restarts: 0, copyMethod: made.method };
      if (made) return { restarts: 0, finished: { pageCount: shape.pageCount, pageSize: shape.pageSize }, copyMethod: made.method, ...(made.sha256 && { sha256: made.sha256 }), ...(made.handedOff && { handedOff: true }) };
      await truncate(partial, 0).catch(() => undefined);
      return { restarts: await copyPages(reader.db, partial, input, 'snapshot', shape.pageSize) };
    },
    async end() {
      if (handoff && reader.db.inTransaction) await handoff.end(reader.db, files, snapshot.index.mxFrame, lockTimeoutMs);
      else handoff?.dismiss();
      for (const warning of handoff?.warnings() ?? []) input.ctx.warn(warning);
      reader.close();
    },
    abort() {
      reader.abort();
      handoff?.dismiss();
    },
  };
}
