/** `pagevault discover [--add]`: what the CLI finds and adds, through the core like the UIs. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PagevaultError, type ApiErrorBody } from '../api/errors.ts';
import type { DatabaseSummary, DiscoveryResult } from '../api/types.ts';
import { catalogPathOf } from '../catalog/index.ts';
import { Core } from '../core/core.ts';
import { discoverDatabases } from '../discovery/index.ts';

/** What `discover` found, and with --add what it registered, for the table or the JSON lines. */
export interface DiscoverOutcome {
  result: DiscoveryResult;
  /** With --add: the databases added, under their suggested names. */
  added: DatabaseSummary[];
  /** With --add: the ones that could not be added, with why. */
  failed: Array<{ path: string } & ApiErrorBody>;
}

/**
 * Finds the databases of known apps, marked against the catalog in `dataDir`; with `add`,
 * registers every readable one not yet in it. Without `add` and without a catalog, no
 * catalog is made just to say that nothing is registered.
 */
export async function discover(dataDir: string, add: boolean): Promise<DiscoverOutcome> {
  if (!add && !existsSync(catalogPathOf(resolve(dataDir)))) return { result: await discoverDatabases(), added: [], failed: [] };
  const core = new Core({ dataDir, shell: 'web' });
  try {
    const call = async <T>(method: string, params: unknown): Promise<T> => {
      const outcome = await core.handle(method, params);
      if (!outcome.ok) throw new PagevaultError(outcome.error.code, outcome.error.message);
      return outcome.value as T;
    };
    let result = await call<DiscoveryResult>('databases.discover', {});
    const added: DatabaseSummary[] = [];
    const failed: DiscoverOutcome['failed'] = [];
    if (add) {
      for (const found of result.databases.filter((d) => d.format === 'sqlite' && !d.registered)) {
        const outcome = await core.handle('databases.add', { path: found.path, label: found.suggestedLabel });
        if (outcome.ok) added.push(outcome.value as DatabaseSummary);
        else failed.push({ path: found.path, ...outcome.error });
      }
      if (added.length > 0) result = await call<DiscoveryResult>('databases.discover', {});
    }
    return { result, added, failed };
  } finally {
    await core.close();
  }
}
