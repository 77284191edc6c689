/**
 * How the engine starts its one helper process (checkpointer.ts), in plain Node and in
 * Electron.
 *
 * In plain Node it is this Node, spawned: lines on its stdout, one-byte commands on its
 * stdin. A packaged Electron app cannot do that: with the RunAsNode fuse off, Electron's
 * own binary ignores ELECTRON_RUN_AS_NODE and would start a second app. There the shell
 * gives a starter (Electron's utilityProcess.fork) to `useHelperStarter`: the helper still
 * writes lines on its stdout, and gets its commands as messages (a utility process has no
 * stdin). Only Electron's main thread may start a utility process, and the engine's
 * snapshots end in worker threads, so a worker asks the thread that started it, which
 * relays the commands and the output.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { getEnvironmentData, isMainThread, parentPort, setEnvironmentData, type Worker } from 'node:worker_threads';

/** What a starter gives back: the shape of Electron's UtilityProcess that the engine uses. */
export interface StartedHelper {
  readonly stdout: NodeJS.ReadableStream | null;
  on(event: 'exit', listener: (code: number) => void): unknown;
  /** One or more one-byte commands; '' stands for the end of stdin. */
  postMessage(message: string): void;
}

/** Starts `modulePath` with `args` as a process of its own (never a thread: see checkpointer.ts). */
export type HelperStarter = (modulePath: string, args: string[]) => StartedHelper;

/** The helper as the engine drives it: a ChildProcess in plain Node, or the same few members relayed. */
export interface HelperProcess extends EventEmitter {
  readonly exitCode: number | null;
  readonly stdin: (EventEmitter & { readonly writable: boolean; write(command: string): unknown; end(command: string): unknown }) | null;
  readonly stdout: (EventEmitter & { setEncoding(encoding: 'utf8'): EventEmitter }) | null;
  unref(): void;
}

/** Set in the main thread's environment data, so every engine worker started after it relays. */
const RELAYED = 'pagevault.helper-relayed';
let starter: HelperStarter | undefined;

/** Messages between a worker and the thread that started it, about its helpers. */
type RelayMessage =
  | { helper: 'start'; id: number; modulePath: string; args: string[] }
  | { helper: 'input'; id: number; command: string }
  | { helper: 'output'; id: number; text: string }
  | { helper: 'exit'; id: number; code: number };

const isRelayMessage = (message: unknown): message is RelayMessage => typeof message === 'object' && message !== null && 'helper' in message;

/**
 * Makes the engine start its helper with `start` from now on (the Electron shell's
 * utilityProcess.fork); call it in the main thread before any backup runs.
 */
export function useHelperStarter(start: HelperStarter): void {
  starter = start;
  setEnvironmentData(RELAYED, true);
}

/** Whether engine workers started now relay their helpers to a starter (`useHelperStarter`). */
export function helpersRelayed(): boolean {
  return starter !== undefined;
}

/** Starts the helper module: spawned with this Node, or through the shell's starter. Throws when it cannot start. */
export function startHelper(modulePath: string, args: string[]): HelperProcess {
  if (getEnvironmentData(RELAYED) !== true) {
    return spawn(process.execPath, [modulePath, ...args], {
      // Inside Electron without a starter (npm start), process.execPath is Electron itself: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'ignore'],
      // No console window flashing up on Windows.
      windowsHide: true,
    });
  }
  if (isMainThread) {
    if (!starter) throw new Error('no helper starter in this thread');
    const started = starter(modulePath, args);
    const helper = new RelayedHelper((command) => started.postMessage(command));
    started.stdout?.on('data', (chunk: Buffer | string) => helper.output(String(chunk)));
    started.on('exit', (code) => helper.exited(code));
    return helper;
  }
  const id = nextId++;
  const port = parentPort!;
  const post = (message: RelayMessage) => port.postMessage(message);
  const helper = new RelayedHelper(
    (command) => post({ helper: 'input', id, command }),
    () => port.off('message', onMessage),
  );
  const onMessage = (message: unknown) => {
    if (!isRelayMessage(message) || message.id !== id) return;
    if (message.helper === 'output') helper.output(message.text);
    else if (message.helper === 'exit') helper.exited(message.code);
  };
  port.on('message', onMessage);
  post({ helper: 'start', id, modulePath, args });
  return helper;
}
let nextId = 1;

/**
 * In the thread that started `worker`: starts the helpers it asks for with the shell's
 * starter and relays their commands and output. When the worker ends, helpers still
 * waiting for a command get the end of their input, as a spawned helper's stdin would close.
 */
export function relayHelpers(worker: Worker): void {
  const start = starter;
  if (!start) return;
  const helpers = new Map<number, StartedHelper>();
  const send = (helper: StartedHelper, command: string) => {
    try {
      helper.postMessage(command);
    } catch {
      // It has exited already.
    }
  };
  worker.on('message', (message: unknown) => {
    if (!isRelayMessage(message)) return;
    const { id } = message;
    if (message.helper === 'input') {
      const helper = helpers.get(id);
      if (helper) send(helper, message.command);
      return;
    }
    if (message.helper !== 'start') return;
    try {
      const helper = start(message.modulePath, message.args);
      helpers.set(id, helper);
      helper.stdout?.on('data', (chunk: Buffer | string) => worker.postMessage({ helper: 'output', id, text: String(chunk) } satisfies RelayMessage));
      helper.on('exit', (code) => {
        helpers.delete(id);
        worker.postMessage({ helper: 'exit', id, code } satisfies RelayMessage);
      });
    } catch {
      worker.postMessage({ helper: 'exit', id, code: -1 } satisfies RelayMessage);
    }
  });
  worker.on('exit', () => {
    for (const helper of helpers.values()) send(helper, '');
    helpers.clear();
  });
}

/** A helper driven through `send`, with the ChildProcess members the engine uses. */
class RelayedHelper extends EventEmitter implements HelperProcess {
  exitCode: number | null = null;
  readonly stdout = Object.assign(new EventEmitter(), { setEncoding: function (this: EventEmitter) { return this; } });
  readonly stdin;
  readonly #release: () => void;

  constructor(send: (command: string) => void, release: () => void = () => undefined) {
    super();
    this.#release = release;
    const stdin = Object.assign(new EventEmitter(), {
      writable: true,
      write: (command: string) => {
        if (stdin.writable) send(command);
        return true;
      },
      end: (command: string) => {
        if (!stdin.writable) return;
        stdin.writable = false;
        send(command);
        send('');
      },
    });
    this.stdin = stdin;
  }

  output(text: string): void {
    this.stdout.emit('data', text);
  }

  exited(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    this.stdin.writable = false;
    this.emit('exit', code);
  }

  unref(): void {
    this.#release();
  }
}
