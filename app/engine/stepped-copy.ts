/**
 * Stepped mode for rollback-journal databases, as a file copy: each step takes a read
 * lock (a writer cannot change the file under it), checks that no commit happened since
 * the first step (SQLite's file change counter, header bytes 24..27, and data_version),
 * copies the next chunk of the file, checks the counter again and lets go of the lock,
 * then pauses so writers get in. A commit in between starts the copy over; after `maxRestarts` the rest is copied in
 * one step, so the backup always completes. A writer waits at most one step.
 */
import { ftruncateSync, openSync, closeSync, readSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { OperationContext } from './context.ts';
import { COPY_CHUNK_BYTES, copyRange, WriteBehind, type SourceFiles } from './source-files.ts';
import { whenReadable } from './read-lock.ts';
import { sourceBusyError } from './sqlite-errors.ts';


/** The pacing of one stepped copy, resolved from the backup's options and the defaults. */
export interface SteppedCopyOptions {
  pagesPerStep: number;
  pauseMs: number;
  maxRestarts: number;
  /** How long one step may try to get the read lock before the backup is SOURCE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
  /** False for a scratch copy (see WriteBehind): it is not flushed to the disk. */
  durable?: boolean;
}

/** Copies the database into `partial` in steps; returns the restarts and the copy's page count and size. */
export async function copySteppedFile(
  files: SourceFiles,
  reader: Database.Database,
  partial: string,
  ctx: OperationContext,
  subject: string,
  options: SteppedCopyOptions,
): Promise<{ restarts: number; pageCount: number; pageSize: number }> {
  const buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES);
  const counter = Buffer.alloc(4);
  const output = openSync(partial, 'w');
  const writeBehind = new WriteBehind(output, options.durable ?? true);
  const started = performance.now();
  let restarts = 0;
  let bytesCopied = 0;
  try {
    for (;;) {
      let mark: { counter: number; dataVersion: number } | undefined;
      let pageCount = 0;
      let pageSize = 0;
      let offset = 0;
      let restarted = false;
      const finishInOne = restarts >= options.maxRestarts;
      while (!restarted) {
        // The first read takes the shared lock; from here until COMMIT the file cannot change.
        const locked = whenReadable(reader, options.busyTimeoutMs ?? 5000, () => {
          reader.exec('BEGIN');
          reader.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
        });
        if (!locked) {
          throw sourceBusyError(subject, { waitedMs: options.busyTimeoutMs ?? 5000 });
        }
        try {
          readSync(files.database, counter, 0, 4, 24);
          const now = { counter: counter.readUInt32BE(0), dataVersion: Number(reader.pragma('data_version', { simple: true })) };
          if (!mark) {
            mark = now;
            pageCount = Number(reader.pragma('page_count', { simple: true }));
            pageSize = Number(reader.pragma('page_size', { simple: true }));
          } else if (now.counter !== mark.counter || now.dataVersion !== mark.dataVersion) {
            restarted = true;
            break;
          }
          const total = pageCount * pageSize;
          const end = finishInOne ? total : Math.min(total, offset + options.pagesPerStep * pageSize);
          const stepStart = offset;
          const copied = await copyRange(files.database, output, offset, end, buffer, writeBehind, (inStep) => {
            ctx.throwIfCancelled(subject);
            ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - Math.floor((stepStart + inStep) / pageSize), bytesCopied: bytesCopied + inStep, bytesPerSecond: (bytesCopied + inStep) / seconds(started), restarts });
          });
          // The lock should have kept every writer out; check that it did. POSIX locks are
          // the process's, and a descriptor of this file closed anywhere in it (a worker
          // ending closes its own) lets them go, SQLite's with them.
          readSync(files.database, counter, 0, 4, 24);
          if (counter.readUInt32BE(0) !== mark.counter) {
            restarted = true;
            break;
          }
          offset += copied;
          bytesCopied += copied;
          if (offset >= total || copied === 0) {
            ftruncateSync(output, total);
            // The copy's header is the source's; a rollback-journal file stays one.
            await writeBehind.finish();
            ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: 0, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts }, true);
            return { restarts, pageCount, pageSize };
          }
        } finally {
          reader.exec('COMMIT');
        }
        const done = Math.floor(offset / pageSize);
        ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount - done, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts });
        ctx.throwIfCancelled(subject);
        if (ctx.pause(options.pauseMs)) throw new PagevaultError('CANCELLED', `${subject}: cancelled`);
      }
      // Another connection committed between two steps: start over, from a new first step.
      restarts += 1;
      ctx.report({ phase: 'copy', totalPages: pageCount, remainingPages: pageCount, bytesCopied, bytesPerSecond: bytesCopied / seconds(started), restarts }, true);
      ctx.throwIfCancelled(subject);
    }
  } finally {
    // No flush may still be at work on the descriptor when it is closed.
    await writeBehind.settle().catch(() => undefined);
    closeSync(output);
  }
}

const seconds = (since: number) => Math.max((performance.now() - since) / 1000, 0.001);
