// databases.list looks at every registered file; it must do so without a synchronous
// call per row on the thread that serves the UI. Node creates an FSREQPROMISE resource for
// each fs/promises request (a synchronous stat creates none): counted with async_hooks,
// they show the stats leave this thread and are all under way before the first returns.
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from './core.ts';
import { callCore } from '../../test-support/core-calls.ts';
import { countingFileRequests } from '../../test-support/file-requests.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-databases-list-'));
const core = new Core({ dataDir: join(dir, 'data'), shell: 'web' });
afterAll(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('databases.list', () => {
  it('stats every file asynchronously and all at once, and shows a missing file as having no size', async () => {
    const paths = ['a', 'b', 'c', 'd', 'e'].map((name) => {
      const path = join(dir, `${name}.db`);
      copyFileSync(chinookFixture, path);
      return path;
    });
    for (const path of paths) await callCore(core, 'databases.add', { path });
    rmSync(paths[4]!);

    const { value: list, requests, beforeFirstAnswer } = await countingFileRequests(() => callCore(core, 'databases.list', {}));

    expect(list.map((row) => [row.path, row.sizeBytes])).toEqual([...paths.slice(0, 4).map((path) => [path, statSync(path).size]), [paths[4], null]]);
    expect(requests).toBeGreaterThanOrEqual(paths.length);
    expect(beforeFirstAnswer).toBeGreaterThanOrEqual(paths.length);
  });
});
