/**
 * How long the History screen's queries take on a catalog of 10,000 backups:
 * `npm run bench:history [-- --entries N]`. Prints each query's time and its ratio to
 * reading the whole table once (the cost of not using an index).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HistoryStatusFilter } from '../app/api/types.ts';
import { Catalog } from '../app/catalog/index.ts';
import { defaultSettings } from '../app/core/core.ts';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '10000' } } });
const entries = Number(values.entries);
const dir = mkdtempSync(join(tmpdir(), 'pv-bench-history-'));
const catalog = new Catalog(dir, defaultSettings(dir));
const database = catalog.databases.insert({ path: '/data/app.sqlite', label: 'app', destination: dir, mode: 'snapshot', pagesPerStep: null, pauseMs: null, journalMode: 'wal', pageSize: 4096, addedAt: new Date().toISOString() });
catalog.connection.transaction(() => {
  for (let i = 0; i < entries; i += 1) {
    const ok = i % 4 !== 0;
    catalog.backups.insert({
      databaseId: i % 2 ? database.id : null,
      databaseLabel: 'app',
      source: '/data/app.sqlite',
      path: ok ? join(dir, `app-${i}.db`) : null,
      status: ok ? 'succeeded' : 'failed',
      trigger: 'manual',
      mode: 'snapshot',
      startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      finishedAt: null,
      durationMs: 1000,
      bytes: 1 << 20,
      pageSize: 4096,
      pageCount: 256,
      sha256: null,
      restarts: 0,
      verification: ok && i % 3 ? 'passed' : 'skipped',
      verificationProblems: [],
      verifiedAt: null,
      error: ok ? null : { code: 'SOURCE_BUSY', message: 'busy' },
    });
  }
})();

const time = (run: () => unknown) => {
  const started = performance.now();
  for (let i = 0; i < 20; i += 1) run();
  return (performance.now() - started) / 20;
};
const fullScan = time(() => catalog.connection.prepare('SELECT * FROM backups').all());
console.log(`${entries.toLocaleString()} history entries; reading the whole table: ${fullScan.toFixed(2)} ms`);
const queries: Array<[string, { databaseId?: number; status?: HistoryStatusFilter; offset?: number }]> = [
  ['first page', {}],
  ['failed', { status: 'failed' }],
  ['verified, page 80', { status: 'verified', offset: 4000 }],
  ['one database, not verified', { databaseId: database.id, status: 'unverified' }],
];
for (const [name, query] of queries) {
  const ms = time(() => catalog.backups.list({ ...query, limit: 50 }));
  console.log(`  ${name.padEnd(28)} ${ms.toFixed(2)} ms   ${(ms / fullScan).toFixed(2)} × full read`);
}
catalog.close();
rmSync(dir, { recursive: true, force: true });
