// The checkpoint helper started the way the Electron shell starts it: through a starter
// given to useHelperStarter, with no stdin (commands as messages) and lines on stdout.
// Electron's utilityProcess cannot run here; a forked Node with the same shape stands in:
// stdin ignored, stdout piped, and a process.parentPort that emits { data } messages.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDatabase, readState } from '../../test-support/databases.ts';
import { startWalBacklog, until } from '../../test-support/processes.ts';
import { backup, useHelperStarter, type StartedHelper } from './index.ts';
import { walIndexOf } from '../../test-support/wal-index.ts';

const dir = mkdtempSync(join(tmpdir(), 'pv-helper-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parentPortShim = join(dir, 'parent-port.mjs');
writeFileSync(
  parentPortShim,
  `import { EventEmitter } from 'node:events';
const parentPort = new EventEmitter();
process.parentPort = parentPort;
process.on('message', (data) => parentPort.emit('message', { data }));
`,
);

const started: { modulePath: string; args: string[]; output: string; exitCode?: number }[] = [];
function utilityLike(modulePath: string, args: string[]): StartedHelper {
  const child = fork(modulePath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], execArgv: ['--import', pathToFileURL(parentPortShim).href] });
  const record: (typeof started)[number] = { modulePath, args, output: '' };
  started.push(record);
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (record.output += chunk));
  child.on('exit', (code) => (record.exitCode = code ?? -1));
  return {
    stdout: child.stdout,
    on: (event, listener) => child.on(event, (code) => listener(code ?? -1)),
    // As utilityProcess does, a message to a helper that has exited goes nowhere (a ChildProcess would emit an error).
    postMessage: (message) => void (child.connected && child.send(message)),
  };
}

describe('the checkpoint helper through a shell starter', () => {
  it('a snapshot backup in a worker thread starts it through the main thread and hands it the WAL backlog', async () => {
    useHelperStarter(utilityLike);
    const source = join(dir, 'backlog.db');
    makeDatabase(source, { bytes: 40_000_000 });
    const backlog = await startWalBacklog(source, 3000);
    const walIndex = () => walIndexOf(source);
    try {
      const before = walIndex();
      expect(before.mxFrame - before.nBackfill).toBeGreaterThan(3000);
      const result = await backup(source, join(dir, 'out.db'), { mode: 'snapshot' });
      expect(readState(result.path)).toMatchObject({ integrity: 'ok', a: 3100, b: 3100 });
      expect(started).toHaveLength(1);
      expect(started[0]!.modulePath).toBe(fileURLToPath(new URL('./checkpointer.ts', import.meta.url)));
      expect(started[0]!.args).toEqual([source]);
      // Its commands ("s", then "g") came as messages: it had no stdin.
      await until(() => started[0]!.exitCode !== undefined);
      expect(started[0]!.exitCode).toBe(0);
      const lines = started[0]!.output.trim().split('\n');
      expect(lines).toContain('ready');
      expect(lines).toContain('synced');
      const report = JSON.parse(lines.at(-1)!) as { log: number; checkpointed: number };
      expect(report.checkpointed).toBe(report.log);
      expect(walIndex().nBackfill).toBe(walIndex().mxFrame);
      expect(readState(source)).toMatchObject({ integrity: 'ok', a: 3100, b: 3100 });
    } finally {
      await backlog.stop();
    }
  });
});
