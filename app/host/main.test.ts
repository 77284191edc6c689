/**
 * `npm run web` as a real process: where it takes its token from without showing it in
 * `ps`, and that a data folder has one host at a time, even after one was SIGKILLed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../../test-support/processes.ts';
import { HostLock } from './host-lock.ts';

const mainScript = fileURLToPath(new URL('./main.ts', import.meta.url));
const nodeArgs = [mainScript];
const started: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  url: string;
}

/** Runs the host; resolves with its address once it prints it, or rejects with its exit code and output. */
function runHost(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [...nodeArgs, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]! });
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(Object.assign(new Error(`exited with ${code}: ${output}`), { exitCode: code, output })));
  });
}

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function sessionStatus(url: string, token: string): Promise<number> {
  const response = await fetch(new URL('/api/session', url), { headers: { authorization: `Bearer ${token}` } });
  return response.status;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
const secret = 'kept-out-of-ps-0123456789abcdef';

describe('the access token, out of sight of ps', () => {
  it.skipIf(process.platform !== 'linux')(`is taken from PAGEVAULT_TOKEN, and is not in /proc/PID/cmdline`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const { child, url } = await runHost(['--data-dir', dataDir], { PAGEVAULT_TOKEN: secret });
    expect(url).toContain(`#token=${secret}`);
    expect(await sessionStatus(url, secret)).toBe(204);
    expect(cmdline(child.pid!)).not.toContain(secret);
  });

  it.skipIf(process.platform !== 'linux')('is taken from --token-file when only its owner may read it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    const { child, url } = await runHost(['--data-dir', join(dir, 'data'), '--token-file', file]);
    expect(await sessionStatus(url, secret)).toBe(204);
    expect(cmdline(child.pid!)).not.toContain(secret);
  });

  it('refuses a token file its group or others may read, and says how to fix it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const file = join(dir, 'token');
    writeFileSync(file, secret);
    chmodSync(file, 0o644);
    const failure = await runHost(['--data-dir', join(dir, 'data'), '--token-file', file]).then(
      () => undefined,
      (error: { exitCode: number; output: string }) => error,
    );
    expect(failure?.exitCode).toBe(2);
    expect(failure?.output).toContain(`Cannot use the token in ${file}: other users can read it (mode 0644); run chmod 600 ${file}`);
  });

  it('--help names the safer ways', async () => {
    const help = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [...nodeArgs, '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('exit', () => resolve(text));
    });
    expect(help).toContain('--token-file PATH');
    expect(help).toContain('PAGEVAULT_TOKEN');
    expect(help).toContain('ps');
  });
});

describe('one host per data folder', () => {
  it('a second host refuses to start, naming the first by pid and address; after the first is SIGKILLed a new one starts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const first = await runHost(['--data-dir', dataDir, '--token', secret]);
    const second = await runHost(['--data-dir', dataDir, '--token', secret]).then(
      () => undefined,
      (error: { exitCode: number; output: string }) => error,
    );
    expect(second?.exitCode).toBe(1);
    expect(second?.output).toContain(`Cannot start a second host on ${dataDir}: another Pagevault host (pid ${first.child.pid}, ${first.url.replace(/#.*$/, '')}) already serves it`);
    expect(await sessionStatus(first.url, secret)).toBe(204);

    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;
    const third = await runHost(['--data-dir', dataDir, '--token', secret]);
    expect(await sessionStatus(third.url, secret)).toBe(204);
  });

  it('a host refuses a data folder that the desktop app holds, and names it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const desktop = HostLock.acquire(dataDir, 'desktop app');
    try {
      const refused = await runHost(['--data-dir', dataDir, '--token', secret]).then(
        () => undefined,
        (error: { exitCode: number; output: string }) => error,
      );
      expect(refused?.exitCode).toBe(1);
      expect(refused?.output).toContain(`Cannot start a second host on ${dataDir}: the Pagevault desktop app (pid ${process.pid}) already serves it`);
    } finally {
      desktop.release();
    }
    expect(await sessionStatus((await runHost(['--data-dir', dataDir, '--token', secret])).url, secret)).toBe(204);
  });
});

describe('Ctrl+C', () => {
  it('stops the host while a drop is still uploading, and keeps nothing of the drop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pv-main-'));
    const { child, url } = await runHost(['--data-dir', dataDir, '--token', secret]);
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`PUT /api/stage?name=slow.db HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${secret}\r\nContent-Length: ${1024 ** 2}\r\n\r\n`);
    socket.write(Buffer.alloc(1024));
    const stagingDir = join(dataDir, 'staging');
    // The host, a child process, stages the drop when it gets to it: on a loaded machine that can take a while.
    await until(() => readdirSync(stagingDir).length === 1);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(readdirSync(stagingDir)).toEqual([]);
    socket.destroy();
  });
});
