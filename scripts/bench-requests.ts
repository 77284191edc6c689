/**
 * What a burst of requests costs the process that serves the UI:
 * `npm run bench:requests [-- --requests N]` fires N inspects of one database at the
 * engine at once and prints the peak resident memory, against the same process before
 * the burst. Every request must be answered.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inspect, lightWorkers } from '../app/engine/index.ts';
import { chinookFixture } from './fixtures.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '100' } } });
const requests = Number(values.requests);
const dir = mkdtempSync(join(tmpdir(), 'pv-bench-requests-'));
const database = join(dir, 'chinook.sqlite');
copyFileSync(chinookFixture, database);
try {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: requests }, () => inspect(database)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const answered = results.filter((result) => result.status === 'fulfilled').length;
  const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
  console.log(`${requests} inspects at once: ${answered} answered in ${seconds.toFixed(1)} s, at most ${lightWorkers().limit} workers at a time`);
  console.log(`peak RSS ${mb(peak)}, ${(peak / before).toFixed(2)} × the ${mb(before)} before the burst`);
  if (answered !== requests) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
