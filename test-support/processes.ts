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
  /**
   * Resolves once it has printed `text`; rejects if it exits first. No time limit of its
   * own: on a loaded machine a child may take long to get going, and the test's timeout
   * is the only limit.
   */
  printed(text: string): Promise<void>;
}

/**
 * Resolves once `condition` holds, looking every `intervalMs`; a condition that throws
 * (a folder not made yet) does not hold yet, as with expect.poll. For what no event tells
 * (a file another program creates); like `printed`, bounded only by the test's timeout.
 */
export async function until(condition: () => boolean | Promise<boolean>, intervalMs = 20): Promise<void> {
  const holds = async () => {
    try {
      return await condition();
    } catch {
      return false;
    }
  };
  while (!(await holds())) await new Promise((wake) => setTimeout(wake, intervalMs));
}

// A test that fails half-way must not leave a writer running (it would grow its database
// without end): every child still alive when this process exits is killed.
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** Starts `node <script> ...args` and resolves once it prints "ready". */
export function startScript(script: string, args: string[]): Promise<Running> {
  return startProcess(process.execPath, [here(script), ...args], script);
}

/** Starts `command ...args` and resolves once it prints "ready". */
function startProcess(command: string, args: string[], script: string): Promise<Running> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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
          printed: (text) =>
            new Promise<void>((done, fail) => {
              const look = () => {
                if (!output.includes(text)) return false;
                child.stdout!.off('data', look);
                child.off('exit', exited);
                done();
                return true;
              };
              const exited = (code: number | null) => {
                child.stdout!.off('data', look);
                if (!look()) fail(new Error(`${script} exited with ${code} before printing ${JSON.stringify(text)}: ${output}`));
              };
              if (look()) return;
              if (child.exitCode !== null || child.signalCode !== null) return exited(child.exitCode);
              child.stdout!.on('data', look);
              child.once('exit', exited);
            }),
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

export interface ExclusiveWriterOptions {
  /** wal_autocheckpoint, in pages: small makes checkpoints restart the WAL during copies. */
  autocheckpoint?: number;
  /** journal_size_limit in bytes: the WAL (or a persisted journal) is cut back to it. */
  journalSizeLimit?: number;
  /** Bytes of text per row. */
  payload?: number;
  /** Pause between commits, in milliseconds (default none). */
  gapMs?: number;
  /** After "ready": a transaction that spills into the files, then "mid", then nothing until killed. */
  hangMidTransaction?: boolean;
}

/**
 * An application holding its database the way Firefox, Zotero and Anki do (locking_mode
 * EXCLUSIVE, committing pairs back to back), written with Python's own sqlite3 module:
 * see exclusive-writer.py. `stop()` resolves with its JSON summary line.
 */
export function startExclusiveWriter(path: string, journalMode: 'wal' | 'delete' | 'truncate' | 'persist', options: ExclusiveWriterOptions = {}): Promise<Running> {
  const args = [here('./exclusive-writer.py'), path, journalMode];
  if (options.autocheckpoint !== undefined) args.push('--autocheckpoint', String(options.autocheckpoint));
  if (options.journalSizeLimit !== undefined) args.push('--journal-size-limit', String(options.journalSizeLimit));
  if (options.payload !== undefined) args.push('--payload', String(options.payload));
  if (options.gapMs !== undefined) args.push('--gap-ms', String(options.gapMs));
  if (options.hangMidTransaction) args.push('--hang-mid-transaction');
  return startProcess('python3', args, 'exclusive-writer.py');
}

/** A connection that stays open and idle (an app between statements); on stop, it prints what it then reads of `table`. */
export const startIdleConnection = (path: string, table = 'pairs_a') => startScript('./idle-connection.ts', [path, table]);
