/**
 * The host under attack: a real host on a free loopback port, hit over raw TCP and with
 * real HTTP and WebSocket clients by everything a local program or a web page could send
 * it. After every attack the host must still answer a normal authenticated API call.
 * Every loop is bounded by a count, never by a duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import WebSocket from 'ws';
import { errorCodes, methodNames, type JobProgress } from '../api/index.ts';
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

/** A WebSocket client over plain TCP that reads the host's frames itself, so a test can stop it reading. */
interface RawClient {
  socket: Socket;
  /** The text messages received, parsed. */
  messages: { type: string; event?: string; payload?: { jobId?: string; remainingPages?: number; i?: number } }[];
  /** The code of the host's close frame, once one came. */
  closeCode?: number;
  ended: boolean;
}

function rawClient(): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(host.port, '127.0.0.1');
    const client: RawClient = { socket, messages: [], ended: false };
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buffer.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) return reject(new Error(buffer.toString()));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve(client);
      }
      for (;;) {
        if (buffer.length < 2) return;
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const opcode = buffer[0]! & 0x0f;
        const payload = buffer.subarray(offset, offset + length);
        if (opcode === 0x1) client.messages.push(JSON.parse(payload.toString()));
        if (opcode === 0x8) client.closeCode = payload.readUInt16BE(0);
        buffer = buffer.subarray(offset + length);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (client.ended = true));
    socket.write(upgradeRequest('/api'));
  });
}

describe('backpressure: a client that stops reading', () => {
  const progress = (jobId: string, remainingPages: number, pad: string) =>
    ({ jobId, kind: 'backup', databaseId: 1, phase: 'copy', totalPages: 1000, remainingPages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0, elapsedMs: 0, pad }) as JobProgress;

  it('gets only the latest progress of each job once it reads again, in order before what followed, and stays connected', async () => {
    const client = await rawClient();
    client.socket.pause();
    const pad = 'p'.repeat(16 * 1024);
    const ticks = 2000; // 32 MiB of progress, far more than the socket buffers hold
    for (let i = 1; i <= ticks; i += 1) {
      core.events.emit('job.progress', progress('a', ticks - i, pad));
      core.events.emit('job.progress', progress('b', ticks - i, pad));
    }
    core.events.emit('catalog.changed', { topic: 'history' });
    client.socket.resume();
    await expect.poll(() => client.messages.at(-1)?.event, { timeout: 30_000 }).toBe('catalog.changed');
    const ticksOf = (jobId: string) => client.messages.filter((m) => m.event === 'job.progress' && m.payload?.jobId === jobId);
    expect(ticksOf('a').length + ticksOf('b').length).toBeLessThan(2 * ticks);
    expect(ticksOf('a').at(-1)!.payload!.remainingPages).toBe(0);
    expect(ticksOf('b').at(-1)!.payload!.remainingPages).toBe(0);
    expect(client.closeCode).toBeUndefined();
    client.socket.destroy();
    await expectAlive();
  });

  it('is closed with 1013 once more than 16 MiB wait for it, and the host lives on', async () => {
    const client = await rawClient();
    client.socket.pause();
    const pad = 'e'.repeat(64 * 1024);
    const events = 600; // 38 MiB of events that cannot be coalesced
    for (let i = 0; i < events; i += 1) core.events.emit('schedules.caughtUp', { pad, i } as never);
    client.socket.resume();
    await expect.poll(() => client.closeCode ?? (client.messages.length === events ? 'all delivered' : undefined), { timeout: 30_000 }).toBe(1013);
    expect(client.messages.length).toBeLessThan(events);
    client.socket.destroy();
    await expectAlive();
  });
});

/**
 * The staging folder of a second host is a real 8 MiB tmpfs, so free space is real; the
 * quota is 3 MiB, a connection that sends nothing for 300 ms is cut, and the sweep for
 * day-old files runs every 50 ms.
 */
describe('the staging folder', () => {
  let stagingHost: Host;
  let stagingCore: Core;
  let stagingDir: string;
  let mounted = false;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'pv-attack-staging-'));
    const staticDir = join(root, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
    stagingCore = new Core({ dataDir: join(root, 'data'), shell: 'web' });
    stagingDir = stagingCore.stagingDir;
    mkdirSync(stagingDir, { mode: 0o755 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8M,mode=0755', 'tmpfs', stagingDir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      // Not root: the free-space case is skipped below, the rest runs on the ordinary disk.
    }
    stagingHost = await startHost({
      core: stagingCore,
      staticDir,
      token,
      port: 0,
      idleTimeoutMs: 300,
      staging: { quotaBytes: 3 * 1024 ** 2, keepFreeBytes: 0, sweepEveryMs: 50 },
    });
  });
  afterAll(async () => {
    await stagingHost.close();
    await stagingCore.close();
    if (mounted) execFileSync('umount', [stagingDir]);
  });

  /** Starts PUT /api/stage on the staging host, declaring `length` bytes and sending `first` of them; the caller sends the rest. */
  function startUpload(name: string, length: number, first: Buffer) {
    const socket = connect(stagingHost.port, '127.0.0.1');
    let text = '';
    let ended = false;
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => (ended = true));
    socket.write(
      `PUT /api/stage?name=${encodeURIComponent(name)} HTTP/1.1\r\nHost: 127.0.0.1:${stagingHost.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: ${length}\r\n\r\n`,
    );
    socket.write(first);
    return {
      socket,
      response: () => text,
      ended: () => ended,
      /** The status once the host answered. */
      status: () => (/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ? Number(/^HTTP\/1\.1 (\d{3})/.exec(text)![1]) : undefined),
    };
  }
  const stagedFolders = () => readdirSync(stagingDir);

  it('keeps staged files for the user alone: the folder 0700, each upload folder 0700, the file 0600', async () => {
    expect(statSync(stagingDir).mode & 0o777).toBe(0o700);
    const upload = startUpload('private.db', 3, Buffer.from('abc'));
    await expect.poll(upload.status).toBe(201);
    const path = (JSON.parse(/\{.*\}/s.exec(upload.response())![0]) as { value: { path: string } }).value.path;
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    upload.socket.destroy();
  });

  it.skipIf(process.getuid?.() !== 0)('refuses, before reading the body, a file the disk has no room for, with 507 and the free space', async () => {
    const before = stagedFolders();
    const upload = startUpload('huge.db', 64 * 1024 ** 2, Buffer.alloc(0));
    await expect.poll(upload.status).toBe(507);
    expect(upload.response()).toContain('DISK_FULL');
    expect(upload.response()).toMatch(/huge\.db: the disk of .* has [\d.]+ MB free; 64\.0 MB would not fit/);
    expect(stagedFolders()).toEqual(before);
    upload.socket.destroy();
  });

  it('refuses a drop that would take the uploads in progress over the quota, and takes it once they are done', async () => {
    const first = startUpload('first.db', 2 * 1024 ** 2, Buffer.alloc(1024));
    await expect.poll(() => stagedFolders().length).toBeGreaterThan(0);
    const second = startUpload('second.db', 2 * 1024 ** 2, Buffer.alloc(0));
    await expect.poll(second.status).toBe(507);
    expect(second.response()).toContain('the files being taken at the same time would pass 3.0 MB');
    second.socket.destroy();
    first.socket.write(Buffer.alloc(2 * 1024 ** 2 - 1024));
    await expect.poll(first.status).toBe(201);
    first.socket.destroy();
    const again = startUpload('second.db', 1024, Buffer.alloc(1024));
    await expect.poll(again.status).toBe(201);
    again.socket.destroy();
  });

  it('sets no overall time limit on a request (Node cuts one after 300 s by default), so a slow 8 GB drop that keeps sending finishes', () => {
    expect(stagingHost.server.requestTimeout).toBe(0);
  });

  it('cuts an upload that has sent nothing for the idle time and keeps nothing of it', async () => {
    const before = stagedFolders().length;
    const idle = startUpload('stalled.db', 1024 ** 2, Buffer.alloc(100));
    await expect.poll(() => stagedFolders().length).toBe(before + 1);
    await expect.poll(idle.ended, { timeout: 10_000 }).toBe(true);
    await expect.poll(() => stagedFolders().length).toBe(before);
  });

  it('removes staged files older than a day while running, and leaves newer ones', async () => {
    const old = join(stagingDir, 'left-from-yesterday');
    const recent = join(stagingDir, 'dropped-an-hour-ago');
    for (const folder of [old, recent]) {
      mkdirSync(folder);
      writeFileSync(join(folder, 'x.db'), 'x');
    }
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    utimesSync(old, hoursAgo(25), hoursAgo(25));
    utimesSync(recent, hoursAgo(1), hoursAgo(1));
    await expect.poll(() => stagedFolders().includes('left-from-yesterday'), { timeout: 10_000 }).toBe(false);
    expect(stagedFolders()).toContain('dropped-an-hour-ago');
  });
});

/**
 * The staging folder of a third host is an 8 MiB tmpfs with no quota to speak of, 1 MiB
 * kept free and the disk looked at every 256 KiB, so only the free space refuses.
 */
describe.skipIf(process.getuid?.() !== 0)('free space on the staging disk', () => {
  let diskHost: Host;
  let diskCore: Core;
  let stagingDir: string;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'pv-attack-disk-'));
    const staticDir = join(root, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
    diskCore = new Core({ dataDir: join(root, 'data'), shell: 'web' });
    stagingDir = diskCore.stagingDir;
    mkdirSync(stagingDir, { mode: 0o755 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8M,mode=0755', 'tmpfs', stagingDir], { stdio: 'ignore' });
    diskHost = await startHost({
      core: diskCore,
      staticDir,
      token,
      port: 0,
      staging: { fileBytes: 64 * 1024 ** 2, quotaBytes: 64 * 1024 ** 2, keepFreeBytes: 1024 ** 2, checkEveryBytes: 256 * 1024 },
    });
  });
  afterAll(async () => {
    await diskHost.close();
    await diskCore.close();
    execFileSync('umount', [stagingDir]);
  });

  /** Starts PUT /api/stage on this host with `headers`; the caller sends the body. */
  function startUpload(name: string, headers: string) {
    const socket = connect(diskHost.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.write(`PUT /api/stage?name=${encodeURIComponent(name)} HTTP/1.1\r\nHost: 127.0.0.1:${diskHost.port}\r\nAuthorization: Bearer ${token}\r\n${headers}\r\n`);
    return {
      socket,
      response: () => text,
      status: () => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? NaN) || undefined,
    };
  }

  it('refuses a chunked upload, which declares no length, once it would leave less than the reserve free, and keeps nothing of it', async () => {
    const upload = startUpload('chunked.db', 'Transfer-Encoding: chunked\r\n');
    const piece = Buffer.alloc(64 * 1024, 1);
    // 9 MiB, more than the whole disk, sent as long as the host reads.
    for (let sent = 0; sent < 9 * 1024 ** 2 && upload.status() === undefined && !upload.socket.destroyed; sent += piece.length) {
      if (!upload.socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]))) await new Promise((resolve) => upload.socket.once('drain', resolve).once('close', resolve));
    }
    await expect.poll(upload.status).toBeDefined();
    expect(upload.response()).toContain('DISK_FULL');
    expect(upload.status()).toBe(507);
    expect(upload.response()).toMatch(/chunked\.db: the disk of .* has [\d.]+ MB free, and Pagevault leaves 1\.0 MB of it free/);
    await expect.poll(() => readdirSync(stagingDir)).toEqual([]);
    upload.socket.destroy();
  });

  it('of two uploads that start together and fit one at a time but not both, refuses one before reading its body and takes the other', async () => {
    const length = 4 * 1024 ** 2;
    const uploads = [startUpload('one.db', `Content-Length: ${length}\r\n`), startUpload('two.db', `Content-Length: ${length}\r\n`)];
    await expect.poll(() => uploads.filter((u) => u.status() === 507).length).toBe(1);
    const refused = uploads.find((u) => u.status() === 507)!;
    expect(refused.response()).toMatch(/the disk of .* has [\d.]+ MB free, and Pagevault leaves 1\.0 MB of it free; 8\.0 MB would not fit/);
    const taken = uploads.find((u) => u !== refused)!;
    taken.socket.write(Buffer.alloc(length));
    await expect.poll(taken.status).toBe(201);
    for (const u of uploads) u.socket.destroy();
  });
});

/** A seeded generator, so a failing case can be replayed: mulberry32. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes `bytes`, ends the sending side (so no request waits for more), and collects the answer until the host closes. */
function rawThenEnd(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(host.port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.end(bytes);
  });
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket handshake with these headers and subprotocols; resolves with the HTTP status of a refusal, or 101. */
function handshake(headers: Record<string, string>, protocols: string[] = tokenProtocols(), path = '/api'): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}${path}`, protocols, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => resolve(0));
  });
}

describe('wire fuzzing', () => {
  it('a WebSocket without the token, with a wrong one, a foreign Origin, a rebinding Host or no Origin is refused', async () => {
    expect(await handshake({ origin }, [])).toBe(401);
    expect(await handshake({ origin }, [API_PROTOCOL])).toBe(401);
    expect(await handshake({ origin }, tokenProtocols('wrong-token-0123456789abcdef'))).toBe(401);
    expect(await handshake({ origin }, tokenProtocols(token.slice(0, -1)))).toBe(401);
    expect(await handshake({ origin, authorization: `Bearer ${token}` }, [])).toBe(401);
    expect(await handshake({ origin: 'http://evil.example' })).toBe(403);
    expect(await handshake({ origin: 'null' })).toBe(403);
    expect(await handshake({ origin: `http://127.0.0.1:${host.port + 1}` })).toBe(403);
    expect(await handshake({ origin, host: `evil.example:${host.port}` })).toBe(403);
    expect(await handshake({ origin, host: `127.0.0.1.nip.io:${host.port}` })).toBe(403);
    expect(await handshake({})).toBe(403);
    expect(await handshake({ origin }, tokenProtocols(), '/api/other')).toBe(404);
    expect(await handshake({ origin })).toBe(101);
    for (const headers of [{}, { authorization: 'Bearer ' }, { authorization: `Bearer ${token}x` }, { authorization: `bearer ${token}` }, { cookie: `pagevault_token=${token}` }] as Record<string, string>[]) {
      const answer = await get('/api/session', headers);
      expect(answer.status, JSON.stringify(headers)).toBe(401);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
    expect((await get(`/api/session?token=${token}`)).status).toBe(401);
    expect((await get('/api/session', uploadAuth())).status).toBe(204);
    await expectAlive();
  });

  it('a cross-site upload or a form post is refused and stores nothing (CSRF)', async () => {
    const before = readdirSync(core.stagingDir).length;
    expect((await upload('csrf.db', Buffer.from('x'), { ...uploadAuth(), origin: 'http://evil.example' })).status).toBe(403);
    expect((await upload('csrf.db', Buffer.from('x'), { origin })).status).toBe(401);
    expect((await upload('csrf.db', Buffer.from('x'), { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' })).status).toBe(403);
    expect((await upload('csrf.db', Buffer.from('x'), { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` })).status).toBe(401);
    expect(readdirSync(core.stagingDir)).toHaveLength(before);
    await expectAlive();
  });

  it('no path outside the renderer folder is served, however it is spelled', async () => {
    const paths = [
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/%252e%252e/%252e%252e/etc/passwd',
      '/....//....//....//etc/passwd',
      '/..\\..\\..\\etc\\passwd',
      '/%5c..%5c..%5c..%5cetc%5cpasswd',
      '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
      '/%00/etc/passwd',
      '/index.html%00.png',
      '/%',
      '/%zz',
      `/${'a/'.repeat(2000)}`,
      '//etc/passwd',
      '/etc/passwd',
      '/proc/self/environ',
    ];
    for (const path of paths) {
      const answer = await raw(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nConnection: close\r\n\r\n`);
      expect(answer, path).toMatch(/^HTTP\/1\.1 (200|400|404) /);
      expect(answer, path).not.toContain('root:');
      expect(answer, path).not.toContain(token);
    }
    await expectAlive();
  });

  it('a staged name never leaves its own folder in the staging area', async () => {
    const names = ['../../escape.db', '..', '.', '/etc/passwd', 'a/b/../../../c.db', '..\\..\\win.db', 'nul\u0000.db', 'bell\u0007.db', 'del\u007f.db', ' ', '\u202eblah.db', 'x'.repeat(255), 'x'.repeat(256), '😀'.repeat(64), '😀'.repeat(63)];
    for (const name of names) {
      const { status, json } = await upload(name, Buffer.from('x'));
      expect([201, 400], name).toContain(status);
      if (status === 201) expect(json.value!.path.startsWith(`${core.stagingDir}/`), name).toBe(true);
      else expect(json.error!.code, name).toBe('INVALID_REQUEST');
    }
    expect(readdirSync(join(core.stagingDir, '..'))).not.toContain('escape.db');
    await expectAlive();
  });

  it('survives random bytes, random requests and smuggling attempts over raw TCP', async () => {
    const next = random(13);
    const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
    const starts = ['', 'GET / HTTP/1.1\r\n', `PUT /api/stage?name=a.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n`, `GET /api HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`];
    for (let i = 0; i < 120; i += 1) {
      const start = starts[i % starts.length]!;
      await rawThenEnd(Buffer.concat([Buffer.from(start), bytes(1 + Math.floor(next() * 2048))]));
    }
    const crafted = [
      `POST /api/stage HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n`,
      `PUT /api/stage?name=a.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n`,
      `PUT /api/stage?name=a.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: -1\r\n\r\n`,
      `PUT /api/stage?name=a.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 99999999999999999999\r\n\r\n`,
      `PUT /api/stage?name=a.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 10\r\n\r\nshort`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nHost: evil.example\r\n\r\n`,
      `GET / HTTP/9.9\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `GET / HTTP/1.0\r\n\r\n`,
      `BREW / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`,
      `GET /api/session HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nExpect: 100-continue\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n\r\n`.repeat(50),
      upgradeRequest('/api', `127.0.0.1:${host.port}`, 'Sec-WebSocket-Protocol: ,,,\u00ff,'),
      upgradeRequest('/api', `127.0.0.1:${host.port}`, 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=99'),
      upgradeRequest('/api').replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'),
      upgradeRequest('/api').replace('dGhlIHNhbXBsZSBub25jZQ==', '!!'),
    ];
    for (const bytesOut of crafted) await rawThenEnd(bytesOut);
    // A connection reset mid-request.
    for (let i = 0; i < 10; i += 1) {
      await new Promise<void>((resolve) => {
        const socket = connect(host.port, '127.0.0.1', () => {
          socket.write(`PUT /api/stage?name=reset.db HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`);
          socket.resetAndDestroy();
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    await expectAlive();
    await expect.poll(() => readdirSync(core.stagingDir).filter((folder) => readdirSync(join(core.stagingDir, folder)).includes('reset.db'))).toEqual([]);
  });

  it('survives random frames after an authorised handshake', async () => {
    const next = random(7);
    const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
    for (let i = 0; i < 60; i += 1) {
      const opcode = [0x0, 0x1, 0x2, 0x8, 0x9, 0xa, Math.floor(next() * 16)][i % 7]!;
      const payload = opcode >= 0x8 ? bytes(Math.floor(next() * 126)) : bytes(Math.floor(next() * 4000));
      const frames = [frame(opcode, payload, { masked: next() > 0.1, rsv: next() > 0.8 ? Math.floor(next() * 8) : 0 })];
      if (i % 5 === 0) frames.push(bytes(64));
      // A client close last, so a socket the frames left open (a ping, say) ends too; a frame left incomplete by the random tail is completed by it or refused.
      frames.push(frame(0x8, Buffer.from([0x03, 0xe8])), Buffer.alloc(4096));
      await afterHandshake(frames);
    }
    await expectAlive();
  });

  it('answers random JSON requests to every method with a result or a stable error code, never INTERNAL', async () => {
    const next = random(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const value = (depth: number): unknown => {
      const kind = Math.floor(next() * (depth > 3 ? 6 : 8));
      switch (kind) {
        case 0: return null;
        case 1: return next() > 0.5;
        case 2: return pick([0, -1, 1, 2 ** 53, -(2 ** 31), 1.5, 1e308, -0, 7]);
        case 3: return pick(['', 'x', '/etc/passwd', '../../x', '\u0000', '€'.repeat(300), '*/2 * * * * *', '99:99', 'snapshot', 'x'.repeat(5000)]);
        case 4: return pick(['id', 'path', 'databaseId', 'mode']);
        case 5: return Math.floor(next() * 10);
        case 6: return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
        default: {
          const keys = ['id', 'path', 'databaseId', 'backupId', 'mode', 'spec', 'schedule', 'kind', 'label', 'limit', 'status', 'target', 'policy', 'settings', '__proto__', 'constructor', 'toString'];
          return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [pick(keys), value(depth + 1)]));
        }
      }
    };
    const ws = await openSocket();
    const weird = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'app.info ', 'APP.INFO', 'app..info', 'x'.repeat(10_000)];
    for (let id = 1; id <= 300; id += 1) {
      const method = id % 10 === 0 ? pick(weird) : pick(methodNames);
      const reply = await callOn(ws, id, method, value(0));
      if (!reply.outcome.ok) {
        expect(errorCodes, `${method}: ${reply.outcome.error!.message}`).toContain(reply.outcome.error!.code);
        expect(reply.outcome.error!.code, `${method}: ${reply.outcome.error!.message}`).not.toBe('INTERNAL');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Messages that are JSON but not requests close only that socket, with 1003.
    for (const text of ['null', '[]', '"x"', '{"id":"1","method":"app.info"}', '{"method":"app.info"}', '{"id":1}', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'not json']) {
      const victim = await openSocket();
      const closed = new Promise<number>((resolve) => victim.once('close', (code) => resolve(code)));
      victim.send(text);
      expect(await closed, text.slice(0, 40)).toBe(1003);
    }
    ws.close();
    await expectAlive();
  });
});
