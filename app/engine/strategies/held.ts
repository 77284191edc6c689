/**
 * A database another program holds (exclusive locking mode, or a recovery only its owner
 * may run): copied with its -wal or -journal without any lock, until a copy is proven
 * consistent (held-copy.ts). Nothing of this process keeps the source open in between,
 * and SQLite recovers the copy as the pipeline finalizes it.
 */
import { stat } from 'node:fs/promises';
import { copyHeldDatabase } from '../held-copy.ts';
import type { BegunCopy, StrategyInput } from './strategy.ts';

/** The lock-free copy; never answers `'held'`, since it is what a held database gets. */
export const heldStrategy = {
  async begin(input: StrategyInput): Promise<BegunCopy> {
    const { source, header } = input;
    const wal = header.writeVersion === 2;
    const pageSize = header.pageSize;
    const shape = { journalMode: wal ? ('wal' as const) : ('delete' as const), pageCount: Math.max(1, Math.ceil((await stat(source)).size / pageSize)), pageSize };
    return {
      shape,
      async copy(partial) {
        const copied = await copyHeldDatabase(source, wal, partial, input.ctx, input.subject, { maxTries: input.options.heldCopyTries, clone: input.destinationClones, encrypted: input.key !== undefined });
        return { restarts: copied.heldCopy.tries - 1, heldCopy: copied.heldCopy, copyMethod: copied.copyMethod };
      },
      end: async () => undefined,
      abort: () => undefined,
    };
  },
};
