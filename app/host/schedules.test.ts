/**
 * A real schedule in the real host, over its WebSocket API: a cron with seconds fires
 * every 2 s; two runs copy the database, then skip-if-unchanged skips one, then a write
 * to the database makes the next run copy again. Every copy is checked on disk.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import type { JobFinished, MethodName, Params, Result, WireMessage } from '../api/index.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { integrityOf, rowCounts } from '../../test-support/core-calls.ts';
import { Core } from '../core/core.ts';
import { API_PROTOCOL, startHost, TOKEN_PROTOCOL_PREFIX, type Host } from './server.ts';

const token = 'schedule-token-0123456789abcdef';
let host: Host;
let core: Core;
let socket: WebSocket;
let work: string;
const finished: JobFinished[] = [];
const pending = new Map<number, (message: WireMessage & { type: 'response' }) => void>();
let nextId = 1;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pv-host-schedule-'));
  const staticDir = join(work, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Pagevault</title>');
  core = new Core({ dataDir: join(work, 'data'), shell: 'web' });
  host = await startHost({ core, staticDir, token, port: 0 });
  core.startScheduler();
  socket = new WebSocket(`ws://127.0.0.1:${host.port}/api`, [API_PROTOCOL, TOKEN_PROTOCOL_PREFIX + Buffer.from(token).toString('base64url')], { headers: { origin: `http://127.0.0.1:${host.port}` } });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as WireMessage;
    if (message.type === 'response') pending.get(message.id)?.(message);
    else if (message.event === 'job.finished') finished.push(message.payload as JobFinished);
  });
});

afterAll(async () => {
  socket.close();
  await host.close();
  await core.close();
});

function call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, (message) => (message.outcome.ok ? resolve(message.outcome.value as Result<M>) : reject(new Error(message.outcome.error.message))));
    socket.send(JSON.stringify({ id, method, params }));
  });
}

async function runsOf(databaseId: number, count: number): Promise<JobFinished[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const mine = finished.filter((f) => f.databaseId === databaseId);
    if (mine.length >= count) return mine.slice(0, count);
    if (Date.now() > deadline) throw new Error(`Only ${mine.length} of ${count} scheduled runs finished in 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('runs on schedule, skips an unchanged database, and copies again after a write', { timeout: 60_000 }, async () => {
  const path = join(work, 'chinook.sqlite');
  copyFileSync(chinookFixture, path);
  const { id } = await call('databases.add', { path });
  const every2s = { kind: 'cron', expression: '*/2 * * * * *' } as const;

  const info = await call('schedules.set', { databaseId: id, schedule: { spec: every2s, enabled: true, skipIfUnchanged: false } });
  expect(info.description).toBe('Every 2 seconds');
  expect(info.nextRuns).toHaveLength(5);
  const [first, second] = await runsOf(id, 2);
  for (const run of [first!, second!]) {
    expect(run).toMatchObject({ ok: true, backup: { status: 'succeeded', trigger: 'schedule' } });
    expect(integrityOf(run.backup!.path!)).toBe('ok');
  }

  await call('schedules.set', { databaseId: id, schedule: { spec: every2s, enabled: true, skipIfUnchanged: true } });
  const skipped = (await runsOf(id, 3))[2]!;
  expect(skipped.backup).toMatchObject({ status: 'skipped', trigger: 'schedule', path: null, error: { code: 'UNCHANGED' } });

  const db = new Database(path);
  db.prepare("INSERT INTO Genre (Name) VALUES ('Sea shanty')").run();
  db.close();
  const all = await runsOf(id, 6);
  const afterWrite = all.slice(3).find((run) => run.backup?.status === 'succeeded');
  expect(afterWrite).toBeDefined();
  expect(rowCounts(afterWrite!.backup!.path!).Genre).toBe(26);
  await call('schedules.set', { databaseId: id, schedule: { spec: every2s, enabled: false, skipIfUnchanged: true } });

  const history = await call('history.list', { databaseId: id, status: 'skipped' });
  expect(history.total).toBeGreaterThanOrEqual(1);
  expect((await call('schedules.list', {}))[0]).toMatchObject({ databaseId: id, schedule: { enabled: false }, lastRun: { trigger: 'schedule' } });
});
