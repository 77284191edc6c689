/** Reading a live database's wal-index as the engine does, for tests that watch a checkpoint's progress. */
import { SourceFiles } from '../app/engine/source-files.ts';
import { readWalIndex, type WalIndexHeader } from '../app/engine/wal-snapshot.ts';

/** The wal-index header of the WAL database `path` now, through descriptors closed again at once. */
export function walIndexOf(path: string): WalIndexHeader {
  const files = new SourceFiles(path);
  try {
    return readWalIndex(files)!;
  } finally {
    files.close();
  }
}
