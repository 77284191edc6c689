/**
 * The fixtures clean up after each test: the host has exited and its folder is gone
 * before the next test starts. (Tests of one file run in order, in one worker.)
 */
import { existsSync } from 'node:fs';
import { expect, test } from './fixtures.ts';

let previous: { pid: number; workDir: string } | undefined;

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a test with a host and a database', async ({ host, chinookPath }) => {
  expect(existsSync(chinookPath)).toBe(true);
  expect(running(host.pid)).toBe(true);
  previous = { pid: host.pid, workDir: host.workDir };
});

test('finds the previous host exited and its folder removed', () => {
  expect(previous).toBeDefined();
  expect(running(previous!.pid)).toBe(false);
  expect(existsSync(previous!.workDir)).toBe(false);
});
