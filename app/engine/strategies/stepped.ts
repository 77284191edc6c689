/**
 * stepped: N pages per step with a pause between steps (no lock held in the pause); a
 * write by another connection restarts the copy, and after `maxRestarts` the rest is
 * copied in one step so the backup always completes. A rollback-journal source is copied
 * as a file (stepped-copy.ts); a WAL source through SQLite's backup API.
 */
import { steppedOptions } from '../backup-options.ts';
import { copySteppedFile } from '../stepped-copy.ts';
import { pageCopy } from './page-copy.ts';
import { beginWithReader, isScratchCopy, readShape, type BackupStrategy } from './strategy.ts';

/** The stepped mode: short steps, each under its own read lock, that let writers in between. */
export const steppedStrategy: BackupStrategy = {
  async begin(input) {
    return beginWithReader(input, input.header.writeVersion === 1, (reader) => {
      // Take a read lock once now, so a locked source is found before anything is written.
      const shape = readShape(reader, input, false);
      const files = reader.files;
      if (!shape) return undefined;
      if (!files) return pageCopy(reader, input, 'stepped', shape);
      return {
        shape,
        async copy(partial) {
          const options = { ...steppedOptions(shape.pageSize, input.options), busyTimeoutMs: input.busyTimeoutMs, durable: !isScratchCopy(input) };
          const stepped = await copySteppedFile(files, reader.db, partial, input.ctx, input.subject, options);
          return { restarts: stepped.restarts, finished: { pageCount: stepped.pageCount, pageSize: shape.pageSize } };
        },
        end: async () => reader.close(),
        abort: () => reader.abort(),
      };
    });
  },
};
