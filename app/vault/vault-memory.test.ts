// The vault's memory: a restore of a version, in a process of its own, grows that
// process's peak resident memory by a bounded amount whatever the database's size, not by
// the garbage of every block it read and decompressed.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeDatabase } from '../../test-support/databases.ts';
import { caseFolders } from '../../test-support/unit.ts';

const { fresh } = caseFolders('pv-vault-memory-');
const vaultModule = new URL('./vault.ts', import.meta.url).href;
const contextModule = new URL('../engine/context.ts', import.meta.url).href;

/** Runs `body` in a new Node process with `addVersion`, `restoreVersion` and `ctx` in scope; answers its last line, parsed. */
function inProcess<T>(body: string): T {
  const script = `
    const { addVersion, restoreVersion } = await import(${JSON.stringify(vaultModule)});
    const { OperationContext, createCancelFlag } = await import(${JSON.stringify(contextModule)});
    const ctx = new OperationContext(createCancelFlag(), () => undefined);
    ${body}`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

describe('the vault’s memory', () => {
  it('restoring a version of a 150 MB database grows the peak resident memory by less than 60 MB', () => {
    const dir = fresh();
    const source = join(dir, 'source.db');
    const vault = join(dir, 'vault');
    // Random rows: each block of the vault holds 256 KiB that do not compress.
    makeDatabase(source, { bytes: 150e6 });
    inProcess(`await addVersion(${JSON.stringify(source)}, ${JSON.stringify(vault)}, ctx); console.log('{}');`);
    const { grew } = inProcess<{ grew: number }>(`
      const base = process.memoryUsage().rss;
      await restoreVersion(${JSON.stringify(vault)}, 'latest', ${JSON.stringify(join(dir, 'restored.db'))}, ctx);
      console.log(JSON.stringify({ grew: process.resourceUsage().maxRSS * 1024 - base }));`);
    expect(grew / 1e6).toBeLessThan(60);
  });
});
