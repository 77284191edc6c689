/**
 * The browser shell's server: serves the built renderer and the API over a WebSocket
 * on loopback. Every request needs a Host header naming this server (no DNS rebinding)
 * and, when an Origin is sent, this server's own origin. The API needs the access token
 * too. The token never travels in a cookie, which a browser would also send to every
 * other server on 127.0.0.1 (cookies ignore ports): the address carries it in its
 * fragment (`#token=…`, never sent anywhere), the page keeps it in sessionStorage and
 * presents it in the WebSocket's subprotocols and as `Authorization: Bearer` on uploads.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { httpStatusOfCode, limits, PagevaultError, type Outcome, type WireRequest } from '../api/index.ts';
import { contentSecurityPolicy } from '../api/rules.ts';
import { fileUnder } from './static-path.ts';
import type { Core } from '../core/core.ts';
import { ClientChannel, type ChannelLimits } from './client-channel.ts';
import { StagingArea, type StagingLimits } from './staging.ts';

/** What the host serves: the core, the built renderer, where it listens and the token it asks for. */
export interface HostOptions {
  core: Core;
  /** Folder of the built renderer (index.html and assets). */
  staticDir: string;
  token: string;
  port?: number;
  hostname?: string;
  /** The largest file a drop may upload (default limits.stagedFileBytes); shorthand for `staging.fileBytes`. */
  stagedFileLimit?: number;
  /** Limits of the staging folder (default defaultStagingLimits). */
  staging?: Partial<StagingLimits>;
  /** How long a connection may send nothing before it is cut (default 2 minutes); a slow upload that keeps sending is never cut. */
  idleTimeoutMs?: number;
  /** How much the host buffers for a client that does not read (default defaultChannelLimits). */
  channelLimits?: ChannelLimits;
}

/** A running host, with the address to open and a way to stop it. */
export interface Host {
  server: Server;
  port: number;
  /** The URL to open, token included (in the fragment). */
  url: string;
  close(): Promise<void>;
}

/** Where the browser uploads a file dropped onto the window. */
export const STAGE_PATH = '/api/stage';
/** Answers 204 to the right token and 401 to anything else, so the page can tell a wrong token from a host that is down. */
export const SESSION_PATH = '/api/session';
/** The WebSocket subprotocol of the API; the client offers it beside `TOKEN_PROTOCOL_PREFIX` + base64url(token). */
export const API_PROTOCOL = 'pagevault';
/** A WebSocket subprotocol starting with this carries the token, since a browser's WebSocket cannot set headers. */
export const TOKEN_PROTOCOL_PREFIX = 'pagevault.token.';
const UNAUTHORIZED_REASON = 'Unauthorized: open the address printed by `npm run web`; it ends in #token=…, the access token';
/** The largest WebSocket message the host reads; a longer one closes that socket with 1009. */
export const MAX_MESSAGE_BYTES = 1 << 20;
const BAD_REQUEST_REASON = 'Bad request: the address or the Host header cannot be read';
const statusTexts: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Starts the host; resolves once it listens. */
export async function startHost(options: HostOptions): Promise<Host> {
  const hostname = options.hostname ?? '127.0.0.1';
  let port = options.port ?? 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const allowedOrigins = () => new Set([...allowedHosts()].map((h) => `http://${h}`));

  /** Refusal for a request from another site or through another name (DNS rebinding), or undefined when it may proceed. */
  const refuseForeign = (req: IncomingMessage): { status: number; reason: string } | undefined => {
    if (!allowedHosts().has(req.headers.host ?? '')) return { status: 403, reason: 'Forbidden: unexpected Host header' };
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return { status: 403, reason: 'Forbidden: requests from other sites are refused' };
    return undefined;
  };
  const refuseUnauthorized = (presented: string | undefined) =>
    presented === undefined || !sameSecret(presented, options.token) ? { status: 401, reason: UNAUTHORIZED_REASON } : undefined;

  const staging = new StagingArea(options.core.stagingDir, { fileBytes: options.stagedFileLimit ?? limits.stagedFileBytes, ...options.staging });
  const server = createServer((req, res) => {
    void serveHttp(req, res).catch((error: unknown) => {
      console.error('Pagevault host: request failed', error);
      if (!res.headersSent) res.writeHead(500).end('Internal error');
    });
  });
  // Node cuts any request after 300 s by default, which ends a slow 8 GB drop that is still
  // sending; cut only a connection that has gone quiet (WebSockets are exempt: ws clears it).
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.timeout = options.idleTimeoutMs ?? 120_000;
  // A client that sends bytes the HTTP parser refuses, or resets its connection, must not take the host down.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const serveHttp = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end(BAD_REQUEST_REASON);
      return;
    }
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/');
    // The page and its assets hold no secret, so they need no token; everything under /api does.
    const refusal = refuseForeign(req) ?? (isApi ? refuseUnauthorized(bearer(req.headers.authorization)) : undefined);
    if (refusal) {
      res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8', ...(req.complete ? {} : { Connection: 'close' }) }).end(refusal.reason);
      return;
    }
    if (url.pathname === STAGE_PATH) {
      await serveUpload(req, res, url);
      return;
    }
    if (url.pathname === SESSION_PATH) {
      res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    if (isApi) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const file = await resolveStatic(options.staticDir, url.pathname);
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const body = await readFile(file);
    res.writeHead(200, {
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': contentSecurityPolicy([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'max-age=31536000, immutable',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /** PUT /api/stage?name=…: a file dropped onto the window, streamed into the staging folder. */
  const serveUpload = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const reply = (status: number, outcome: Outcome<unknown>) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...(status >= 400 ? { Connection: 'close' } : {}) }).end(JSON.stringify(outcome));
    };
    if (req.method !== 'PUT') {
      res.writeHead(405, { Allow: 'PUT' }).end();
      return;
    }
    try {
      const staged = await staging.take(req, url.searchParams.get('name'));
      reply(201, { ok: true, value: staged });
    } catch (error) {
      const failure = error instanceof PagevaultError ? error : new PagevaultError('INTERNAL', `Cannot take the dropped file: ${(error as Error).message}`);
      reply(httpStatusOfCode[failure.code], { ok: false, error: failure.toBody() });
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: () => API_PROTOCOL });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Whatever the peer does to this socket from here on (reset, garbage), it is this socket's problem only.
    socket.on('error', () => socket.destroy());
    try {
      const url = requestUrl(req);
      const refusal = !url
        ? { status: 400, reason: BAD_REQUEST_REASON }
        : (refuseForeign(req) ??
          (req.headers.origin === undefined ? { status: 403, reason: 'Forbidden: missing Origin' } : undefined) ??
          refuseUnauthorized(protocolToken(req.headers['sec-websocket-protocol'])) ??
          (url.pathname !== '/api' ? { status: 404, reason: 'Not found' } : undefined));
      if (refusal) {
        refuseUpgrade(socket, refusal.status);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (error) {
      console.error('Pagevault host: a WebSocket handshake failed', error);
      refuseUpgrade(socket, 400);
    }
  });

  const clients = new Map<WebSocket, ClientChannel>();
  const unsubscribe = options.core.events.onAny((event, payload) => {
    for (const channel of clients.values()) channel.send({ type: 'event', event, payload });
  });
  wss.on('connection', (ws: WebSocket) => {
    const channel = new ClientChannel(ws, options.channelLimits);
    clients.set(ws, channel);
    ws.on('close', () => clients.delete(ws));
    // ws reports a frame that breaks the protocol (bad UTF-8, unmasked, RSV bits, unknown
    // opcode, over maxPayload) here and closes the socket with the matching code itself.
    ws.on('error', (error) => console.warn(`Pagevault host: closed a WebSocket that sent a bad frame: ${error.message}`));
    ws.on('message', (data) => {
      let request: WireRequest;
      try {
        request = JSON.parse(data.toString()) as WireRequest;
        if (typeof request.id !== 'number' || typeof request.method !== 'string') throw new Error('bad shape');
      } catch {
        ws.close(1003, 'Malformed request');
        return;
      }
      void options.core
        .handle(request.method, request.params)
        .catch((error: unknown) => ({ ok: false as const, error: { code: 'INTERNAL' as const, message: `Pagevault failed to answer ${request.method}: ${(error as Error).message}` } }))
        .then((outcome) => channel.send({ type: 'response', id: request.id, outcome }));
    });
  });

  await staging.start();
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (error) => {
      staging.stop();
      rejectListen(error);
    });
    server.listen(port, hostname, () => {
      server.removeAllListeners('error');
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    server,
    port,
    url: `http://${hostname}:${port}/#token=${encodeURIComponent(options.token)}`,
    close: async () => {
      unsubscribe();
      staging.stop();
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      const closed = new Promise<void>((done) => server.close(() => done()));
      // server.close() alone waits for every request to end, and a drop may take hours:
      // cut them, and wait only for the cut uploads to remove what they staged.
      server.closeAllConnections();
      await closed;
      await staging.settled();
    },
  };
}

/** The request's URL, or undefined when its path or Host header is not one a URL can be built from. */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  } catch {
    return undefined;
  }
}

function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status} ${statusTexts[status] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  else socket.destroy();
}


/** The file under `root` a URL path names; index.html for app routes; undefined for escapes or misses. */
async function resolveStatic(root: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const candidate = fileUnder(root, decoded);
  if (candidate === undefined) return undefined;
  const stats = await stat(candidate).catch(() => undefined);
  if (stats?.isFile()) return candidate;
  if (stats?.isDirectory() || extname(decoded) === '') {
    const index = join(root, 'index.html');
    return (await stat(index).catch(() => undefined))?.isFile() ? index : undefined;
  }
  return undefined;
}

/** The token among the offered subprotocols (`pagevault.token.<base64url>`), when the API's own protocol is offered too. */
function protocolToken(header: string | undefined): string | undefined {
  const offered = (header ?? '').split(',').map((p) => p.trim());
  const carrier = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (!offered.includes(API_PROTOCOL) || carrier === undefined) return undefined;
  return Buffer.from(carrier.slice(TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
