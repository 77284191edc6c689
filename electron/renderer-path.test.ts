import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rendererPathOf } from './renderer-path.ts';

const dir = join('/opt', 'pagevault', 'renderer');
const at = (path: string) => rendererPathOf(dir, `app://pagevault${path}`, 'pagevault');

describe('app:// paths', () => {
  it('serves files of the renderer and index.html for app routes', () => {
    expect(at('/assets/index-abc.js')).toEqual({ file: join(dir, 'assets', 'index-abc.js') });
    expect(at('/assets/with%20space.css')).toEqual({ file: join(dir, 'assets', 'with space.css') });
    expect(at('/')).toEqual({ file: join(dir, 'index.html') });
    expect(at('/history')).toEqual({ file: join(dir, 'index.html') });
  });

  it('answers 400 to a malformed % escape instead of throwing', () => {
    expect(at('/assets/%E0%A4%A.js')).toEqual({ status: 400 });
    expect(at('/%')).toEqual({ status: 400 });
    expect(at('/a%00.js')).toEqual({ status: 400 });
  });

  it('answers 404 outside the renderer folder or for another host', () => {
    // The URL parser already resolves dot segments, escaped or not, within the origin.
    expect(at('/%2e%2e/%2e%2e/etc/passwd.txt')).toEqual({ file: join(dir, 'etc', 'passwd.txt') });
    expect(at('/..%2f..%2fmain.js')).toEqual({ status: 404 });
    expect(rendererPathOf(dir, 'app://other/index.html', 'pagevault')).toEqual({ status: 404 });
  });
});
