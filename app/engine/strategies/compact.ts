/** compact: `VACUUM INTO`, a smaller copy without free pages, from one read transaction. */
import { beginWithReader, readShape, type BackupStrategy } from './strategy.ts';

/** The compact mode: SQLite writes a vacuumed copy into the partial. */
export const compactStrategy: BackupStrategy = {
  async begin(input) {
    return beginWithReader(input, false, (reader) => {
      const shape = readShape(reader, input, false);
      if (!shape) return undefined;
      return {
        shape,
        async copy(partial) {
          reader.db.prepare('VACUUM INTO ?').run(partial);
          input.ctx.throwIfCancelled(input.subject);
          return { restarts: 0 };
        },
        end: async () => reader.close(),
        abort: () => reader.abort(),
      };
    });
  },
};
