/**
 * The renderer's one door to the core: `window.pagevault` in Electron, a WebSocket to
 * the host in a browser. Everything else in the renderer calls `api.call` and `api.on`.
 */
import type {
  ApiErrorBody,
  ErrorCode,
  ErrorIssue,
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

/** A failed API call, with the core's stable code, its message for the user, and the fields it is about. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly issues: readonly ErrorIssue[];
  constructor(code: ErrorCode, message: string, issues: readonly ErrorIssue[] = []) {
    super(message);
    this.code = code;
    this.issues = issues;
  }

  /** The error as the core sent it. */
  static of(body: ApiErrorBody): ApiError {
    return new ApiError(body.code, body.message, body.issues);
  }
}

/**
 * What to show under the field at `path` (dotted, as in the request's params) for a failed
 * call; the whole message for a failure that is not about one field.
 */
export function messageAt(caught: unknown, path: string): string {
  if (caught instanceof ApiError) {
    const issue = caught.issues.find((candidate) => candidate.path === path) ?? caught.issues[0];
    if (issue) return issue.message;
  }
  return caught instanceof Error ? caught.message : String(caught);
}

/** `unauthorized`: the page has no valid access token, and trying again will not help. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'unauthorized';

export interface ApiClient {
  readonly shell: 'electron' | 'web';
  call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** `detail` says why the connection ended, when the host said so (a refused message, a wrong token). */
  onConnection(listener: (state: ConnectionState, detail?: string) => void): () => void;
  /** The path of a dropped file; only the desktop app can tell it. */
  pathForFile?(file: File): string;
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw ApiError.of(outcome.error);
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
/** The largest message the host reads (MAX_MESSAGE_BYTES in app/host/server.ts); it closes the socket on a longer one. */
const MAX_MESSAGE_BYTES = 1 << 20;
const TOKEN_KEY = 'pagevault.token';
const UNAUTHORIZED = 'This page has no valid access token. Open the address that “npm run web” printed when it started: it ends in #token=…';

/**
 * The host's access token: taken from the address's fragment (`#token=…`, which the
 * browser sends to no server) on the first load, kept in sessionStorage for reloads, and
 * removed from the address so it is not left in the history or a copied link.
 */
export function accessToken(): string | undefined {
  const match = /^#token=([^&]*)/.exec(location.hash);
  if (match) {
    let token = match[1]!;
    try {
      token = decodeURIComponent(token);
    } catch {
      // A token typed by hand with a stray %: take it as it is.
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** The subprotocol that carries the token in the WebSocket handshake (base64url, as a protocol name allows few characters). */
function tokenProtocol(token: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(token)) binary += String.fromCharCode(byte);
  return `pagevault.token.${btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '')}`;
}

/** Why the host closed the socket, in words, for the close codes it sends on purpose. */
function closeDetail(code: number): string | undefined {
  if (code === 1009) return `Pagevault refused a request larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB and closed the connection`;
  if (code === 1007 || code === 1002 || code === 1003) return 'Pagevault could not read a request and closed the connection';
  if (code === 1013) return 'The page fell too far behind Pagevault\'s updates; it reconnected and reloaded them';
  return undefined;
}

function webSocketClient(url: string, token: string | undefined): ApiClient {
  let socket: WebSocket | undefined;
  let nextId = 1;
  let attempts = 0;
  let state: ConnectionState = token === undefined ? 'unauthorized' : 'connecting';
  let detail: string | undefined = token === undefined ? UNAUTHORIZED : undefined;
  const pending = new Map<number, { resolve: (outcome: Outcome<unknown>) => void }>();
  const queue: WireRequest[] = [];
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState, detail?: string) => void>();

  const setState = (next: ConnectionState, why?: string) => {
    state = next;
    detail = why;
    for (const listener of connectionListeners) listener(next, why);
  };

  const failAll = (message: string, code: ErrorCode = 'INTERNAL') => {
    for (const [id, request] of pending) {
      request.resolve({ ok: false, error: { code, message } });
      pending.delete(id);
    }
  };

  /** A socket that never opened: a wrong token, or a host that is not (yet) there. Only the first stops retrying. */
  const tokenRefused = async (): Promise<boolean> => {
    try {
      const response = await fetch('/api/session', { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
      return response.status === 401;
    } catch {
      return false;
    }
  };

  const connect = (authToken: string) => {
    const ws = new WebSocket(url, ['pagevault', tokenProtocol(authToken)]);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
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
    ws.onclose = (event) => {
      const why = closeDetail(event.code);
      failAll(why ? `${why}; try again` : 'The connection to Pagevault was lost before it answered; try again');
      const retry = () => {
        setState('reconnecting', why);
        const delay = RECONNECT_DELAYS_MS[Math.min(attempts, RECONNECT_DELAYS_MS.length - 1)];
        attempts += 1;
        setTimeout(() => connect(authToken), delay);
      };
      if (opened) retry();
      else
        void tokenRefused().then((refused) => {
          if (!refused) return retry();
          failAll(UNAUTHORIZED, 'INVALID_REQUEST');
          setState('unauthorized', UNAUTHORIZED);
        });
    };
  };
  if (token !== undefined) connect(token);

  return {
    shell: 'web',
    call: (method, params) =>
      new Promise<Outcome<unknown>>((resolve) => {
        const request: WireRequest = { id: nextId++, method, params };
        if (state === 'unauthorized') return resolve({ ok: false, error: { code: 'INVALID_REQUEST', message: UNAUTHORIZED } });
        const text = JSON.stringify(request);
        const bytes = new TextEncoder().encode(text).length;
        if (bytes > MAX_MESSAGE_BYTES) {
          // Sent, it would only make the host close the connection; say so here instead.
          return resolve({ ok: false, error: { code: 'INVALID_REQUEST', message: `Cannot send ${method}: the request is ${(bytes / 1024 / 1024).toFixed(1)} MiB, and Pagevault reads at most ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB` } });
        }
        pending.set(request.id, { resolve });
        if (socket?.readyState === WebSocket.OPEN) socket.send(text);
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
      listener(state, detail);
      return () => connectionListeners.delete(listener);
    },
  };
}

/** The client for wherever the renderer runs. */
export const api: ApiClient = window.pagevault
  ? electronClient(window.pagevault)
  : webSocketClient(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`, accessToken());
