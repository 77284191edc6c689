/**
 * The renderer's one door to the core: `window.pagevault` in Electron, a WebSocket to
 * the host in a browser. Everything else in the renderer calls `api.call` and `api.on`.
 */
import type {
  ErrorCode,
  EventName,
  EventPayloads,
  MethodName,
  Outcome,
  PagevaultBridge,
  Params,
  Result,
  WireMessage,
  WireRequest,
} from '../../../app/api/index.ts';

declare global {
  interface Window {
    pagevault?: PagevaultBridge;
  }
}

/** A failed API call, with the core's stable code and its message for the user. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting';

export interface ApiClient {
  readonly shell: 'electron' | 'web';
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** The path of a dropped file; only the desktop app can tell it. */
  pathForFile?(file: File): string;
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new ApiError(outcome.error.code, outcome.error.message);
}

function electronClient(bridge: PagevaultBridge): ApiClient {
  return {
    shell: 'electron',
    call: async (method, params) => {
      const fn = bridge[method] as (p: typeof params) => Promise<Outcome<Result<typeof method>>>;
      return unwrap(await fn(params));
    },
    on: (event, listener) => bridge.on(event, listener),
    onConnection: (listener) => {
      listener('open');
      return () => undefined;
    },
    pathForFile: (file) => bridge.pathForFile(file),
  };
}

const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000];

function webSocketClient(url: string): ApiClient {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempts = 0;
  let state: ConnectionState = 'connecting';
  const pending = new Map<number, { resolve: (outcome: Outcome<unknown>) => void }>();
  const queue: WireRequest[] = [];
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();

  const setState = (next: ConnectionState) => {
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempts = 0;
      setState('open');
      for (const request of queue.splice(0)) ws.send(JSON.stringify(request));
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as WireMessage;
      if (message.type === 'response') {
        pending.get(message.id)?.resolve(message.outcome);
        pending.delete(message.id);
      } else {
        for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      }
    };
    ws.onclose = () => {
      for (const [id, request] of pending) {
        request.resolve({ ok: false, error: { code: 'INTERNAL', message: 'The connection to Pagevault was lost before it answered; try again' } });
        pending.delete(id);
      }
      setState('reconnecting');
      const delay = RECONNECT_DELAYS_MS[Math.min(attempts, RECONNECT_DELAYS_MS.length - 1)];
      attempts += 1;
      setTimeout(connect, delay);
    };
  };
  connect();

  return {
    shell: 'web',
    call: (method, params) =>
      new Promise<Outcome<unknown>>((resolve) => {
        const request: WireRequest = { id: nextId++, method, params };
        pending.set(request.id, { resolve });
        if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(request));
        else queue.push(request);
      }).then((outcome) => unwrap(outcome) as Result<typeof method>),
    on: (event, listener) => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
    onConnection: (listener) => {
      connectionListeners.add(listener);
      listener(state);
      return () => connectionListeners.delete(listener);
    },
  };
}

/** The client for wherever the renderer runs. */
export const api: ApiClient = window.pagevault
  ? electronClient(window.pagevault)
  : webSocketClient(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`);
