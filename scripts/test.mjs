#!/usr/bin/env node
// `npm test`: lint, type-check, build, unit tests, e2e tests; ends with one line
// "N passed, N failed, N skipped" that sums every suite, after one line per skipped test
// with its reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { e2eSkips, skipLines } from './test-report.ts';

// The reports. Playwright clears its own outputDir (test-results/e2e-output) at each run,
// not this folder.
const results = 'test-results';
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
function run(title, command, args, env = {}) {
  console.log(`\n=== ${title}: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
const skips = [];

for (const [title, args] of [
  ['lint', ['eslint', '.']],
  ['typecheck (node)', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']],
  ['typecheck (renderer)', ['tsc', '-p', 'tsconfig.web.json', '--noEmit']],
  ['typecheck (tests)', ['tsc', '-p', 'tsconfig.json']],
]) {
  if (run(title, npx, args) !== 0) problems.push(`${title} failed`);
}
if (run('build', 'npm', ['run', 'build', '--silent']) !== 0) problems.push('build failed');

const unitStatus = run('unit tests', npx, ['vitest', 'run', '--reporter=default', '--reporter=json', '--reporter=./scripts/skip-reporter.ts', `--outputFile=${results}/unit.json`], {
  PAGEVAULT_UNIT_SKIPS: `${results}/unit-skips.json`,
});
if (existsSync(`${results}/unit.json`)) {
  const unit = JSON.parse(readFileSync(`${results}/unit.json`, 'utf8'));
  passed += unit.numPassedTests;
  failed += unit.numFailedTests;
  skipped += unit.numPendingTests + unit.numTodoTests;
  if (existsSync(`${results}/unit-skips.json`)) skips.push(...JSON.parse(readFileSync(`${results}/unit-skips.json`, 'utf8')));
  if (unitStatus !== 0 && unit.numFailedTests === 0) problems.push('unit tests: the runner failed outside any test');
} else {
  problems.push('unit tests: no report was written');
}

const e2eStatus = run('e2e tests', npx, ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_FILE: `${results}/e2e.json` });
if (existsSync(`${results}/e2e.json`)) {
  const report = JSON.parse(readFileSync(`${results}/e2e.json`, 'utf8'));
  const stats = report.stats;
  skips.push(...e2eSkips(report));
  passed += stats.expected + stats.flaky;
  failed += stats.unexpected;
  skipped += stats.skipped;
  if (e2eStatus !== 0 && stats.unexpected === 0) problems.push('e2e tests: the runner failed outside any test');
} else {
  problems.push('e2e tests: no report was written');
}

console.log('');
for (const line of skipLines(skips)) console.log(line);
for (const problem of problems) console.log(`FAILED: ${problem}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || problems.length > 0 ? 1 : 0);
