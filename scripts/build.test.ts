// `npm run web` builds only when the sources changed; `npm run build` (and so npm test)
// always builds. Run on a small project whose three build steps log each run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pv-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const project = join(dir, 'project');
const log = join(dir, 'builds.log');
// One build step: logs its name, writes its outputs; fails while a file named "fail" exists.
const step = (name: string, ...outputs: string[]) => `node step.cjs ${name} ${outputs.join(' ')}`;
mkdirSync(join(project, 'app'), { recursive: true });
mkdirSync(join(project, 'renderer'), { recursive: true });
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({
    name: 'build-test',
    private: true,
    scripts: {
      'build:renderer': step('renderer', 'dist/renderer/index.html'),
      'build:preload': step('preload', 'dist/electron/preload.cjs'),
      'build:node': step('node', 'dist/electron/main.js', 'dist/app/host/main.js', 'dist/app/cli/main.js'),
    },
  }),
);
writeFileSync(
  join(project, 'step.cjs'),
  `const fs = require('fs'), path = require('path');
const [name, ...outputs] = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, name + '\\n');
for (const output of outputs) { fs.mkdirSync(path.dirname(output), { recursive: true }); fs.writeFileSync(output, ''); }
process.exit(name === 'preload' && fs.existsSync('fail') ? 1 : 0);
`,
);
writeFileSync(join(project, 'app', 'core.ts'), 'export const a = 1;\n');
writeFileSync(join(project, 'renderer', 'index.html'), '<!doctype html>\n');

function build(...args: string[]) {
  rmSync(log, { force: true });
  const result = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), ...args], { cwd: project, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, builds: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [] };
}

describe('the build', () => {
  it('builds only when a source changed, with --if-changed; always without', () => {
    expect(build('--if-changed').builds).toEqual(['renderer', 'preload', 'node']);
    const again = build('--if-changed');
    expect(again).toMatchObject({ status: 0, builds: [] });
    expect(again.stdout).toContain('dist/ is up to date with the sources: not rebuilt');
    expect(build().builds).toEqual(['renderer', 'preload', 'node']);

    writeFileSync(join(project, 'app', 'core.ts'), 'export const a = 2;\n');
    expect(build('--if-changed').builds).toEqual(['renderer', 'preload', 'node']);
    expect(build('--if-changed').builds).toEqual([]);
    writeFileSync(join(project, 'renderer', 'new.css'), 'body {}\n');
    expect(build('--if-changed').builds).toHaveLength(3);
    rmSync(join(project, 'dist', 'app', 'host', 'main.js'));
    expect(build('--if-changed').builds).toHaveLength(3);
  });

  it('a failed build leaves no stamp, so the next one builds again', () => {
    const source = join(project, 'app', 'core.ts');
    const original = readFileSync(source, 'utf8');
    expect(build().status).toBe(0);
    // Half built from an edit that is then undone: dist/ matches neither version.
    writeFileSync(source, 'export const a = 3;\n');
    writeFileSync(join(project, 'fail'), '');
    const failed = build('--if-changed');
    expect(failed.status).not.toBe(0);
    expect(failed.builds).toEqual(['renderer', 'preload']);
    rmSync(join(project, 'fail'));
    writeFileSync(source, original);
    expect(build('--if-changed').builds).toEqual(['renderer', 'preload', 'node']);
    expect(build('--if-changed').builds).toEqual([]);
  });

  it('npm run web builds through --if-changed, npm run build always', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.preweb).toBe('node scripts/build.mjs --if-changed');
    expect(scripts.build).toBe('node scripts/build.mjs');
  });
});
