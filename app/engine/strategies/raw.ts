/**
 * An encrypted database backed up without its key (raw-copy.ts): the lock-free copy of its
 * files, proven from what is plain in them, then its committed WAL frames written over the
 * copy. Whatever the mode asked for, this is the one copy that needs no SQLite connection.
 */
import { stat } from 'node:fs/promises';
import { copyHeldDatabase } from '../held-copy.ts';
import { checkpointRawCopy, rawCopyFollowsWal, rawPageSize } from '../raw-copy.ts';
import type { BegunCopy, StrategyInput } from './strategy.ts';

/** The key-less copy; it never answers `'held'`, since it takes no lock to be refused. */
export const rawStrategy = {
  async begin(input: StrategyInput): Promise<BegunCopy> {
    const { source } = input;
    const wal = rawCopyFollowsWal(source);
    const pageSize = rawPageSize(source);
    const shape = { journalMode: wal ? ('wal' as const) : ('delete' as const), pageCount: Math.max(1, Math.ceil((await stat(source)).size / pageSize)), pageSize };
    return {
      shape,
      async copy(partial) {
        const copied = await copyHeldDatabase(source, wal, partial, input.ctx, input.subject, {
          maxTries: input.options.heldCopyTries,
          clone: input.destinationClones,
          encrypted: true,
          rollBackHot: false,
        });
        const finished = checkpointRawCopy(partial, wal ? `${partial}-wal` : undefined, pageSize);
        return { restarts: copied.heldCopy.tries - 1, heldCopy: copied.heldCopy, copyMethod: copied.copyMethod, finished };
      },
      end: async () => undefined,
      abort: () => undefined,
    };
  },
};
