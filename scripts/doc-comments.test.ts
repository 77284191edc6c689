// Every export of app/ has a doc comment (CONVENTIONS.md), and the checker that says so can fail.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { undocumentedExports } from './doc-comments.ts';

const root = new URL('..', import.meta.url).pathname;

describe('undocumentedExports', () => {
  it('names an export without a doc comment, by name and line, and accepts a documented one', () => {
    const source = [
      '/** Why this exists. */',
      'export function documented(): void {}',
      '// A line comment is not a doc comment.',
      'export function lineCommented(): void {}',
      'export const a = 1, b = 2;',
      'export interface Shape { x: number }',
      '/** Kept for readers. */',
      'export type Kept = string;',
      'export class Bare {}',
      'function notExported(): void {}',
      'export { notExported };',
    ].join('\n');
    expect(undocumentedExports('fixture.ts', source)).toEqual(['lineCommented (line 4)', 'a (line 5)', 'b (line 5)', 'Shape (line 6)', 'Bare (line 9)']);
  });

  it('does not take a file\'s header comment for the first export\'s', () => {
    expect(undocumentedExports('fixture.ts', '/** What this file is for. */\n\nexport const first = 1;\n')).toEqual(['first (line 3)']);
    expect(undocumentedExports('fixture.ts', '/** What this is for. */\n// eslint-disable-next-line\nexport const first = 1;\n')).toEqual([]);
  });

  it('accepts an overloaded function documented on its first signature', () => {
    const source = ['/** One or two. */', 'export function f(a: number): number;', 'export function f(a: string): string;', 'export function f(a: unknown): unknown { return a; }'].join('\n');
    expect(undocumentedExports('fixture.ts', source)).toEqual([]);
    expect(undocumentedExports('fixture.ts', source.replace('/** One or two. */\n', ''))).toEqual(['f (line 1)']);
  });
});

describe('the exports of app/', () => {
  it('each have a doc comment', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'app'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((path) => path.endsWith('.ts') && !path.endsWith('.test.ts'));
    expect(files.length).toBeGreaterThan(50);
    const misses = files.flatMap((path) => undocumentedExports(path, readFileSync(`${root}${path}`, 'utf8')).map((miss) => `${path}: ${miss}`));
    expect(misses.join('\n')).toBe('');
  });
});
