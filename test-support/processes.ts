/** Child processes for tests: a writer, a reader, a lock holder, each a real process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export interface Running {
  child: ChildProcess;
  /** Ends the process with SIGTERM and resolves with the last line it printed. */
  stop(): Promise<string>;
  /** Everything it printed so far. */
  output(): string;
}

// A test that fails half-way must not leave a writer running (it would grow its database
// without end): every child still alive when this process exits is killed.
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** Starts `node <script> ...args` and resolves once it prints "ready". */
export function startScript(script: string, args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('ready\n')) {
        clearInterval(check);
        resolve({
          child,
          output: () => output,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done(output.trim().split('\n').at(-1) ?? ''));
              child.kill('SIGTERM');
            }),
        });
      }
    }, 10);
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`${script} exited with ${code}: ${output}`));
    });
  });
}

export const startWriter = (path: string, gapMs = 0) => startScript('./writer.ts', [path, String(gapMs)]);
export const startReader = (path: string) => startScript('./reader.ts', [path]);
export const startLocker = (path: string) => startScript('./locker.ts', [path]);
/** Holds the write lock of a WAL database (BEGIN EXCLUSIVE) without changing its journal mode. */
export const startCatalogLocker = (path: string) => startScript('./catalog-locker.ts', [path]);
/** Leaves `commits` commits in the -wal, not checkpointed, and keeps its connection open. */
export const startWalBacklog = (path: string, commits: number) => startScript('./wal-backlog.ts', [path, String(commits)]);
