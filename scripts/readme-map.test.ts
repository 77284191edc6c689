// The README's architecture section is the map of the tree (CONVENTIONS.md): every folder
// is on it, every file it names exists, and every file of the engine and the contract is named.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const readme = readFileSync(`${root}README.md`, 'utf8');
const map = /## Architecture\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'app', 'electron', 'renderer', 'scripts', 'test-support', 'e2e'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);

describe("the README's architecture map", () => {
  it('is there', () => {
    expect(map.split('\n').length).toBeGreaterThan(50);
  });

  it('names every folder of the tree', () => {
    const folders = new Set<string>();
    for (const path of tracked) {
      const parts = path.split('/');
      // Top-level folders, their folders, and the folders inside app/engine and renderer/src.
      for (let depth = 1; depth < Math.min(parts.length, 4); depth++) {
        const folder = parts.slice(0, depth);
        if (depth === 3 && !['app/engine', 'renderer/src'].includes(folder.slice(0, 2).join('/'))) continue;
        folders.add(folder.join('/'));
      }
    }
    const missing = [...folders].filter((folder) => !new RegExp(`(^|[\\s/(])${basename(folder).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`, 'm').test(map));
    expect(missing).toEqual([]);
  });

  it('names only files that exist', () => {
    const names = new Set(tracked.map((path) => basename(path)));
    const named = [...map.matchAll(/[\w*-]+(?:\.[\w-]+)*\.(?:ts|tsx|mjs|py)\b/g)].map((m) => m[0]).filter((name) => !name.includes('*'));
    expect(named.length).toBeGreaterThan(50);
    expect(named.filter((name) => !names.has(name))).toEqual([]);
  });

  it('names every source file of the engine and the contract', () => {
    const sources = tracked.filter((path) => /^app\/(engine|api)\//.test(path) && /\.ts$/.test(path) && !path.endsWith('.test.ts'));
    const missing = sources.filter((path) => !new RegExp(`(^|[\\s(,])${basename(path).replace(/\./g, '\\.')}\\b`, 'm').test(map));
    expect(missing).toEqual([]);
  });
});
