/**
 * The `storage.get` method: what a database's copies and the versions in its vault cost
 * on disk, and which of them its retention policy would delete now. Every file is looked
 * at asynchronously and all at once, and the vault is read in an engine worker, so a long
 * history, a slow disk or a vault being written never holds up the thread serving the UI.
 *
 * A clone's own cost is not measured: only FIEMAP's per-extent "shared" flag tells it, which
 * Node cannot call (it would be a `filefrag` process per file, Linux only; APFS and ReFS
 * have nothing like it), and "shared" means shared with any file, the other clones too.
 * A clone is counted at its size and marked, and the totals say how much of them is clones.
 */
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StorageItem, StorageReport } from '../api/types.ts';
import * as engine from '../engine/index.ts';
import { applyRetention } from '../retention/retention-policy.ts';
import { vaultFolderFor } from '../vault/location.ts';
import { isVersion } from './versions.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import type { CoreContext } from './context.ts';
import type { Databases } from './databases.ts';

/** Answers `storage.get` for one database. */
export class Storage {
  readonly #ctx: CoreContext;
  readonly #databases: Databases;

  constructor(ctx: CoreContext, databases: Databases) {
    this.#ctx = ctx;
    this.#databases = databases;
  }

  /**
   * The database's copies and vault versions, oldest first, each marked with whether the
   * stored policy would delete it now: copies as `Retention.apply` decides it, versions as
   * `pruneVault` does (every version counts as verified; a version pinned in the History
   * is kept, as `Retention.apply` passes its pins to the prune).
   */
  async get(databaseId: number, now = new Date()): Promise<StorageReport> {
    const row = this.#databases.get(databaseId);
    const policy = this.#ctx.catalog.retention.get(databaseId);
    // A version's History entry (`<vault>#<id>`) is counted with its vault, not as a copy.
    const copies = this.#ctx.catalog.backups.withFiles(databaseId).filter((backup) => !isVersion(backup));
    const copyDecision = applyRetention(copies, policy, now);
    const deletedCopies = new Set(copyDecision.remove.map((backup) => backup.id));
    const vaultDir = vaultFolderFor(row.path, row.destination);
    const [sourceBytes, sizes, vaultRead] = await Promise.all([
      sizeOf(row.path),
      Promise.all(copies.map((backup) => sizeOf(backup.path!))),
      readVault(vaultDir),
    ]);

    const items: StorageItem[] = copies.map((backup, i) => ({
      kind: 'copy',
      id: backup.id,
      createdAt: backup.startedAt,
      path: backup.path!,
      bytes: sizes[i]!,
      missing: sizes[i] === null,
      cloned: backup.copyMethod === 'cloned',
      pinned: backup.pinned,
      retentionWouldDelete: deletedCopies.has(backup.id),
    }));
    const versions = vaultRead.listed?.versions ?? [];
    const pins = new Set(
      this.#ctx.catalog.backups
        .withFiles(databaseId)
        .filter((backup) => backup.pinned && backup.version?.vault === vaultDir)
        .map((backup) => backup.version!.id),
    );
    const versionDecision = applyRetention(
      versions.map((version) => ({ ...version, startedAt: version.createdAt, pinned: pins.has(version.id), verification: 'passed' as const })),
      policy,
      now,
    );
    const deletedVersions = new Set(versionDecision.remove.map((version) => version.id));
    for (const version of versions) {
      items.push({
        kind: 'version',
        id: version.id,
        createdAt: version.createdAt,
        path: vaultDir,
        bytes: version.newBytes,
        missing: false,
        cloned: false,
        pinned: pins.has(version.id),
        retentionWouldDelete: deletedVersions.has(version.id),
      });
    }
    items.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.kind === b.kind ? a.id - b.id : a.kind === 'copy' ? -1 : 1));

    const present = items.filter((item) => item.kind === 'copy' && !item.missing);
    const marked = items.filter((item) => item.retentionWouldDelete);
    return {
      databaseId,
      label: row.label,
      source: row.path,
      sourceBytes,
      vault: vaultRead.listed ? { path: vaultDir, bytes: vaultRead.listed.bytes, versions: versions.length } : null,
      vaultProblem: vaultRead.problem,
      items,
      policy,
      totals: {
        bytes: present.reduce((sum, item) => sum + item.bytes!, 0) + (vaultRead.listed?.bytes ?? 0),
        wouldFree: marked.reduce((sum, item) => sum + (item.bytes ?? 0), 0),
        wouldDelete: marked.length,
        missing: items.filter((item) => item.missing).length,
        clonedBytes: present.filter((item) => item.cloned).reduce((sum, item) => sum + item.bytes!, 0),
        wouldFreeIsUpperBound: marked.some((item) => item.kind === 'version' || item.cloned),
      },
    };
  }
}

/** A file's size now; null when it is missing or cannot be read. */
function sizeOf(path: string): Promise<number | null> {
  return stat(path).then((stats) => stats.size, () => null);
}

/** The vault's listing when a vault is at `dir`; a folder without one is no vault, a damaged one a problem in words. */
async function readVault(dir: string): Promise<{ listed: Awaited<ReturnType<typeof engine.vaultList>> | null; problem: string | null }> {
  const exists = await access(join(dir, VAULT_FILE)).then(() => true, () => false);
  if (!exists) return { listed: null, problem: null };
  try {
    return { listed: await engine.vaultList(dir), problem: null };
  } catch (error) {
    return { listed: null, problem: (error as Error).message };
  }
}
