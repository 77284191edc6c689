import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { Core } from '../core/core.ts';
import { API_PROTOCOL, startHost, TOKEN_PROTOCOL_PREFIX, type Host } from './server.ts';

const token = 'test-token-0123456789abcdef';
let host: Host;
let core: Core;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'pv-host-'));
  const staticDir = join(root, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
  core = new Core({ dataDir: join(root, 'data'), shell: 'web' });
  host = await startHost({ core, staticDir, token, port: 0, stagedFileLimit: 64 * 1024 });
});
afterAll(() => host.close());

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function put(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: { ok: boolean; value?: { path: string; bytes: number }; error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request({ method: 'PUT', host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, 'content-length': String(body.length), ...headers } }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The subprotocols a page offers to present `secret`. */
const tokenProtocols = (secret: string) => [API_PROTOCOL, TOKEN_PROTOCOL_PREFIX + Buffer.from(secret).toString('base64url')];

function openSocket(headers: Record<string, string>, protocols: string[] = []): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, protocols, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const bearer = { authorization: `Bearer ${token}` };

describe('host access control', () => {
  it('refuses an API request without the token, or with a wrong one, with 401', async () => {
    const res = await get('/api/session');
    expect(res.status).toBe(401);
    expect(res.body).toContain('#token=');
    expect((await get('/api/session', { authorization: 'Bearer wrong-token-0123456789abc' })).status).toBe(401);
    expect((await get('/api/session', bearer)).status).toBe(204);
  });

  it('never puts the token in a cookie, which every other server on 127.0.0.1 would receive, and takes none', async () => {
    for (const path of ['/', `/?token=${token}`, '/api/session']) {
      const res = await get(path, path.startsWith('/api') ? bearer : {});
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.status).not.toBe(302);
    }
    expect((await get('/api/session', { cookie: `pagevault_token=${token}` })).status).toBe(401);
    expect((await get(`/api/session?token=${token}`)).status).toBe(401);
    await expect(openSocket({ origin: `http://127.0.0.1:${host.port}`, cookie: `pagevault_token=${token}` })).rejects.toThrow('HTTP 401');
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${token}`);
  });

  it('refuses a foreign Origin with 403 even with the right token', async () => {
    expect((await get('/', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get('/api/session', { ...bearer, origin: 'http://evil.example' })).status).toBe(403);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    expect((await get('/', { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await get('/api/session', { ...bearer, host: `evil.example:${host.port}` })).status).toBe(403);
  });

  it('serves the app, which holds no secret, without the token and with a CSP', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Pagevault</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await get('/..%2f..%2fetc%2fpasswd');
    expect([404, 200]).toContain(res.status);
    expect(res.body).not.toContain('root:');
  });

  it('refuses a WebSocket without the token, with a wrong one, or from a foreign origin', async () => {
    const origin = `http://127.0.0.1:${host.port}`;
    await expect(openSocket({ origin })).rejects.toThrow('HTTP 401');
    await expect(openSocket({ origin }, tokenProtocols('wrong-token-0123456789abc'))).rejects.toThrow('HTTP 401');
    await expect(openSocket({ origin }, [tokenProtocols(token)[1]!])).rejects.toThrow('HTTP 401');
    await expect(openSocket({ origin: 'http://evil.example' }, tokenProtocols(token))).rejects.toThrow('HTTP 403');
    await expect(openSocket({}, tokenProtocols(token))).rejects.toThrow('HTTP 403');
  });

  it('answers API calls and pushes events over an authorised WebSocket', async () => {
    const ws = await openSocket({ origin: `http://127.0.0.1:${host.port}` }, tokenProtocols(token));
    expect(ws.protocol).toBe(API_PROTOCOL);
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: {} }));
    ws.send(JSON.stringify({ id: 2, method: 'files.inspect', params: { path: '' } }));
    await expect.poll(() => messages.length).toBe(2);
    const progress = { jobId: 'j1', kind: 'backup', databaseId: 1, phase: 'copy', totalPages: 10, remainingPages: 5, bytesCopied: 5, bytesPerSecond: 1, restarts: 0, elapsedMs: 1 } as const;
    core.events.emit('job.progress', progress);
    await expect.poll(() => messages.length).toBe(3);
    ws.close();
    const byId = (id: number) => messages.find((m) => (m as { id?: number }).id === id);
    expect(byId(1)).toMatchObject({ type: 'response', outcome: { ok: true, value: { name: 'Pagevault', shell: 'web' } } });
    expect(byId(2)).toMatchObject({ type: 'response', outcome: { ok: false, error: { code: 'INVALID_REQUEST' } } });
    expect(messages.at(-1)).toEqual({ type: 'event', event: 'job.progress', payload: progress });
  });
});

describe('files dropped onto the browser window', () => {
  const auth = bearer;

  it('streams the file into its own folder in the staging area', async () => {
    const body = Buffer.from('SQLite format 3\0'.padEnd(4096, 'x'));
    const { status, json } = await put('/api/stage?name=chinook%20copy.db', body, auth);
    expect(status).toBe(201);
    expect(json.value!.bytes).toBe(body.length);
    expect(json.value!.path.startsWith(core.stagingDir)).toBe(true);
    expect(json.value!.path.endsWith('/chinook copy.db')).toBe(true);
    expect(readFileSync(json.value!.path).equals(body)).toBe(true);
  });

  it('refuses a file over the size limit and keeps nothing of it', async () => {
    const before = readdirSync(core.stagingDir).length;
    const { status, json } = await put('/api/stage?name=big.db', Buffer.alloc(65 * 1024), auth);
    expect(status).toBe(413);
    expect(json.error!.code).toBe('TOO_LARGE');
    expect(json.error!.message).toContain('big.db');
    expect(json.error!.message).toContain('larger than');
    expect(readdirSync(core.stagingDir)).toHaveLength(before);
  });

  it('keeps only the last segment of a name and refuses an empty one', async () => {
    const { json } = await put('/api/stage?name=..%2F..%2Fescape.db', Buffer.from('x'), auth);
    expect(json.value!.path.startsWith(core.stagingDir)).toBe(true);
    expect(existsSync(join(core.stagingDir, '..', 'escape.db'))).toBe(false);
    expect((await put('/api/stage?name=', Buffer.from('x'), auth)).status).toBe(400);
  });

  it('refuses an upload without the token or from another site', async () => {
    expect((await put('/api/stage?name=a.db', Buffer.from('x'))).status).toBe(401);
    expect((await put('/api/stage?name=a.db', Buffer.from('x'), { cookie: `pagevault_token=${token}` })).status).toBe(401);
    expect((await put('/api/stage?name=a.db', Buffer.from('x'), { ...auth, origin: 'http://evil.example' })).status).toBe(403);
  });
});

describe('closing the host', () => {
  it('cuts an upload in progress and a WebSocket instead of waiting for them, and keeps nothing of the upload', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pv-host-close-'));
    const staticDir = join(root, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
    const closingCore = new Core({ dataDir: join(root, 'data'), shell: 'web' });
    const closing = await startHost({ core: closingCore, staticDir, token, port: 0 });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${closing.port}/api`, tokenProtocols(token), { headers: { origin: `http://127.0.0.1:${closing.port}` } });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const wsClosed = new Promise((resolve) => ws.once('close', resolve));
      // A slow drop: 1 MiB declared, 1 KiB sent, the socket left open.
      const socket = connect(closing.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const socketClosed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(`PUT /api/stage?name=slow.db HTTP/1.1\r\nHost: 127.0.0.1:${closing.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${1024 ** 2}\r\n\r\n`);
      socket.write(Buffer.alloc(1024));
      const staged = () => readdirSync(closingCore.stagingDir).flatMap((folder) => readdirSync(join(closingCore.stagingDir, folder)));
      await expect.poll(staged).toEqual(['slow.db']);
      await closing.close();
      expect(readdirSync(closingCore.stagingDir)).toEqual([]);
      await socketClosed;
      await wsClosed;
    } finally {
      await closingCore.close();
    }
  });
});
