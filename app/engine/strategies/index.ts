/**
 * Backup strategies: one file per way of copying a live database, behind one small
 * interface (strategy.ts). A strategy begins (opens the source and takes its read lock,
 * or answers that another program holds it), copies into a partial file the pipeline has
 * claimed, and ends (lets go of the source). Everything else is the pipeline's, written
 * once in backup.ts: checking the source, naming and refusing destinations
 * (destination.ts), claiming the partial, finalizing the copy to a standalone
 * rollback-journal file, verifying it, publishing it atomically and writing the manifest.
 *
 * Adding a backup mode:
 * 1. Its name in `BackupMode` and the request schemas of the contract (`app/api`).
 * 2. One new file here exporting a `BackupStrategy`, and its entry in `strategies`
 *    below: the `Record` makes a mode without a strategy a compile error. A choice that
 *    depends on the source rather than on the mode asked for (as a held database does)
 *    goes in `chooseStrategy`.
 * 3. Tests beside engine.test.ts that back up a real database while a writer commits and
 *    check the copy with SQLite itself.
 *
 * Clones on a copy-on-write file system are not a mode but a way of making the file: the
 * pipeline probes the destination (`destinationClones`), and the file-level copies
 * (snapshot's WAL path, the held copy) clone the database file where they can and say so
 * in `copyMethod` (clone.ts).
 *
 * What the interface leaves room for:
 * - An encrypted source opens its connections with a key: `SourceReader` is the one
 *   place a strategy's connection is opened, so the key is applied there (from an option
 *   in `StrategyInput`), and the pipeline's finalize and verify open the copy the same way.
 * - A page vault writes changed pages into a store instead of a file: its `copy` gets the
 *   claimed partial like every strategy; publishing into a store instead of beside the
 *   destination is the one pipeline step such a strategy would add as a hook of its own.
 */
import { stat } from 'node:fs/promises';
import { PagevaultError } from '../../api/errors.ts';
import type { BackupMode } from '../../api/types.ts';
import type { SqliteHeader } from '../sqlite-file.ts';
import { compactStrategy } from './compact.ts';
import { heldStrategy } from './held.ts';
import { rawStrategy } from './raw.ts';
import { snapshotStrategy } from './snapshot.ts';
import { steppedStrategy } from './stepped.ts';
import type { BackupStrategy, BegunCopy, StrategyInput } from './strategy.ts';

export type { BegunCopy, CopyResult, SourceShape, StrategyInput } from './strategy.ts';

const strategies: Record<BackupMode, BackupStrategy> = {
  snapshot: snapshotStrategy,
  stepped: steppedStrategy,
  compact: compactStrategy,
};

/** The mode a backup gets when none is asked for: snapshot for WAL sources (writers go on), stepped for rollback-journal ones. */
export function defaultMode(header: SqliteHeader): BackupMode {
  return header.writeVersion === 2 ? 'snapshot' : 'stepped';
}

/**
 * The strategy for `mode`, unless the files on disk already show the database is held:
 * a WAL database with a -wal but no -shm is held by a program in exclusive locking mode
 * (its wal-index lives in its own memory), or was left so by one that crashed. A SQLite
 * connection would create a -shm beside it, so it is copied without one. An encrypted
 * source the check found held (`input.held`) is copied without a lock whatever its mode.
 */
export async function chooseStrategy(input: StrategyInput, mode: BackupMode): Promise<BackupStrategy> {
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const { source, header } = input;
  if (input.held) return heldStrategy;
  if (header.writeVersion === 2 && (await exists(`${source}-wal`)) && !(await exists(`${source}-shm`))) return heldStrategy;
  return strategies[mode];
}

/** Begins the backup's copy with the chosen strategy, or without a lock when the source turns out to be held. */
export async function beginCopy(input: StrategyInput, mode: BackupMode): Promise<BegunCopy> {
  if (input.raw) {
    // VACUUM INTO reads the pages, which takes the key; the file-level copy does not.
    if (mode === 'compact') throw new PagevaultError('ENCRYPTED', `${input.subject}: a compact backup rewrites the database through SQLite, which needs its key; give the key, or back it up in snapshot or stepped mode, which copies its encrypted pages as they are`);
    return rawStrategy.begin(input);
  }
  const begun = await (await chooseStrategy(input, mode)).begin(input);
  return begun === 'held' ? heldStrategy.begin(input) : begun;
}
