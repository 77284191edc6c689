/**
 * The host under attack: a real host on a free loopback port, hit over raw TCP and with
 * real HTTP and WebSocket clients by everything a local program or a web page could send
 * it. After every attack the host must still answer a normal authenticated API call.
 * Every loop is bounded by a count, never by a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'node:http';
import WebSocket from 'ws';
import { Core } from '../core/core.ts';
import { API_PROTOCOL, startHost, TOKEN_PROTOCOL_PREFIX, type Host } from './server.ts';

const token = 'attack-token-0123456789abcdef';
let host: Host;
let core: Core;
let origin: string;

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'pv-attack-'));
  const staticDir = join(root, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
  core = new Core({ dataDir: join(root, 'data'), shell: 'web' });
  host = await startHost({ core, staticDir, token, port: 0, stagedFileLimit: 64 * 1024 });
  origin = `http://127.0.0.1:${host.port}`;
});
afterAll(async () => {
  await host.close();
  await core.close();
});

/** The subprotocols that present the token in a WebSocket handshake. */
function tokenProtocols(secret = token): string[] {
  return [API_PROTOCOL, TOKEN_PROTOCOL_PREFIX + Buffer.from(secret).toString('base64url')];
}

/** What an authorised upload sends. */
function uploadAuth(): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

interface UploadReply {
  status: number;
  json: { ok: boolean; value?: { path: string; bytes: number }; error?: { code: string; message: string } };
}

/** PUT /api/stage with `body`, authorised unless `headers` says otherwise. */
function upload(name: string, body: Buffer, headers: Record<string, string> = uploadAuth()): Promise<UploadReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { method: 'PUT', host: '127.0.0.1', port: host.port, path: `/api/stage?name=${encodeURIComponent(name)}`, headers: { host: `127.0.0.1:${host.port}`, 'content-length': String(body.length), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens an authorised WebSocket to the API. */
function openSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, tokenProtocols(), { headers: { origin } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** One API call on `ws`; resolves with the response message. */
function callOn(ws: WebSocket, id: number, method: string, params: unknown): Promise<{ id: number; outcome: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { type: string; id: number; outcome: { ok: boolean } };
      if (message.type === 'response' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });
}

/** The host still serves: a fresh authorised client gets an answer to app.info. */
async function expectAlive(): Promise<void> {
  const ws = await openSocket();
  const reply = await callOn(ws, 1, 'app.info', {});
  expect(reply.outcome).toMatchObject({ ok: true, value: { name: 'Pagevault', shell: 'web' } });
  ws.close();
}

/** Writes `bytes` to the host over plain TCP and collects whatever comes back until the host closes the connection. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(received) : reject(error)));
    socket.on('close', () => resolve(received));
    socket.write(bytes);
  });
}

/** A WebSocket handshake request as a browser would send it, with `path` and `hostHeader` as given. */
function upgradeRequest(path: string, hostHeader = `127.0.0.1:${host.port}`, extra = ''): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${hostHeader}`,
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    `Origin: ${origin}`,
    `Sec-WebSocket-Protocol: ${tokenProtocols().join(', ')}`,
    extra,
    '',
    '',
  ]
    .filter((line, index, lines) => line !== '' || index >= lines.length - 2)
    .join('\r\n');
}

describe('requests the URL parser cannot read', () => {
  it('an upgrade with a Host header of "a b" is refused with 400, and the host lives on', async () => {
    expect(await raw(upgradeRequest('/api', 'a b'))).toMatch(/^HTTP\/1\.1 400 /);
    await expectAlive();
  });

  it('an upgrade to the path //x:y@ (which a web page can ask for) is refused with 400, and the host lives on', async () => {
    expect(await raw(upgradeRequest('//x:y@'))).toMatch(/^HTTP\/1\.1 400 /);
    await expectAlive();
  });

  it('a plain request with either is refused with 400', async () => {
    expect(await raw(`GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw(`GET //x:y@ HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    await expectAlive();
  });
});

/** A client frame: FIN set, `opcode`, masked unless told otherwise. */
function frame(opcode: number, payload: Buffer, options: { masked?: boolean; rsv?: number } = {}): Buffer {
  const masked = options.masked ?? true;
  const first = 0x80 | ((options.rsv ?? 0) << 4) | opcode;
  const length = payload.length;
  const header = length < 126 ? Buffer.from([first, (masked ? 0x80 : 0) | length]) : Buffer.from([first, (masked ? 0x80 : 0) | 126, length >> 8, length & 0xff]);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!))]);
}

/** Completes an authorised handshake over plain TCP, writes `frames`, and returns the close code the host answers with (or 1006 when it just drops the connection). */
function afterHandshake(frames: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let code = 1006;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buffer.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) return reject(new Error(`No upgrade: ${buffer.toString()}`));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        for (const f of frames) socket.write(f);
      }
      // The host's close frame: 0x88, length, then the status code.
      if (buffer.length >= 4 && buffer[0] === 0x88) code = buffer.readUInt16BE(2);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(code));
    socket.write(upgradeRequest('/api'));
  });
}

describe('WebSocket frames that break the protocol', () => {
  const cases: [string, Buffer, number][] = [
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
    ['an unmasked client frame', frame(0x1, Buffer.from('{}'), { masked: false }), 1002],
    ['RSV1 set without an extension', frame(0x1, Buffer.from('{}'), { rsv: 4 }), 1002],
    ['RSV2 and RSV3 set', frame(0x1, Buffer.from('{}'), { rsv: 3 }), 1002],
    ['the reserved opcode 3', frame(0x3, Buffer.from('{}')), 1002],
    ['the reserved control opcode 0xB', frame(0xb, Buffer.alloc(0)), 1002],
    ['a continuation with nothing to continue', frame(0x0, Buffer.from('{}')), 1002],
  ];
  for (const [name, bytes, code] of cases) {
    it(`closes the socket that sends ${name} (code ${code}) and lives on`, async () => {
      expect(await afterHandshake([bytes])).toBe(code);
      await expectAlive();
    });
  }

  it('closes a socket that sends a 2 MiB message with 1009, "Message too big", and lives on', async () => {
    const ws = await openSocket();
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)])));
    ws.send(JSON.stringify({ id: 1, method: 'app.info', params: { pad: 'x'.repeat(2 * 1024 * 1024) } }));
    expect((await closed)[0]).toBe(1009);
    await expectAlive();
  });
});

describe('names of dropped files', () => {
  it('a name of 200 × € (600 bytes, over the 255 a file name may have) is refused with 400 and says why', async () => {
    const { status, json } = await upload('€'.repeat(200), Buffer.from('x'));
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(json.error!.message).toContain('600 bytes');
    expect(json.error!.message).toContain('255');
    await expectAlive();
  });

  it('a name of 85 × € (255 bytes) is taken', async () => {
    const { status, json } = await upload('€'.repeat(85), Buffer.from('x'));
    expect(status).toBe(201);
    expect(json.value!.path.endsWith('€'.repeat(85))).toBe(true);
  });
});
