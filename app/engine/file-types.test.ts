// Paths that are not regular files: named pipes (FIFOs), sockets, devices, folders, as the
// database or as its -wal, -shm or -journal. Opening a FIFO for reading waits for a writer,
// forever if none comes, and the thread that opens it with it. So every call that could
// hang runs in a child process; the test waits for the child's answer and checks that the
// child's event loop answered a ping while the call was under way.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect, verify } from './index.ts';
import { readManifest } from './manifest.ts';
import { makeDatabase } from '../../test-support/databases.ts';
import { chinookFixture } from '../../scripts/fixtures.ts';
import { PagevaultError } from '../api/errors.ts';
import { caseFolders } from '../../test-support/unit.ts';

const { fresh } = caseFolders('pv-file-types-');
const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const url = (relative: string) => new URL(relative, import.meta.url).href;

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

type Outcome = { value: unknown } | { error: { code: string; message: string } };

/**
 * Runs `body` (the inside of an async function, with `engine`, `files`, `Core`,
 * `execFileSync` and `paths` in scope) in a new Node process. Resolves once the child has
 * both answered a ping sent after the call started and reported how the call ended.
 */
function inChild(body: string, paths: Record<string, string>): Promise<{ ponged: boolean; outcome: Outcome }> {
  const code = `
    import { execFileSync } from 'node:child_process';
    const engine = await import(${JSON.stringify(url('./index.ts'))});
    const files = await import(${JSON.stringify(url('./database-files.ts'))});
    const verifying = await import(${JSON.stringify(url('./verify.ts'))});
    const { Core } = await import(${JSON.stringify(url('../core/core.ts'))});
    const paths = JSON.parse(process.env.PV_PATHS);
    process.on('message', (message) => { if (message === 'ping') process.send('pong'); });
    const pending = (async () => { ${body} })();
    process.send('started');
    pending.then(
      (value) => process.send({ value: value ?? null }),
      (error) => process.send({ error: { code: error.code, message: error.message } }),
    );
  `;
  // A file, not --eval: the engine's workers inherit the process's flags.
  const script = join(fresh('child'), 'child.mjs');
  writeFileSync(script, code);
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PV_PATHS: JSON.stringify(paths) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let ponged = false;
    let outcome: Outcome | undefined;
    child.on('message', (message: unknown) => {
      if (message === 'started') child.send('ping');
      else if (message === 'pong') ponged = true;
      else outcome = message as Outcome;
      if (ponged && outcome) resolve({ ponged, outcome });
    });
    child.on('exit', (exitCode, signal) => reject(new Error(`the child ended (${exitCode ?? signal}) before answering`)));
  });
}

/** The error the call in the child ended with; fails if it succeeded. */
async function failureInChild(body: string, paths: Record<string, string>): Promise<{ code: string; message: string }> {
  const { ponged, outcome } = await inChild(body, paths);
  expect(ponged).toBe(true);
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

const fifoMessage = (subject: string) => `${subject}: it is a named pipe (FIFO), not a database file`;
const companionMessage = (subject: string, file: string, holds: string) =>
  `${subject}: ${file} is a named pipe (FIFO), not a regular file, and SQLite keeps the database's ${holds} there; move it out of the way`;

/** A copy of Chinook (rollback journal) in `dir`. */
function chinook(dir: string, name = 'chinook.db'): string {
  const path = join(dir, name);
  copyFileSync(chinookFixture, path);
  return path;
}

describe('a named pipe given as the database is refused without blocking the thread', () => {
  const cases: Array<[string, string, (fifo: string) => string]> = [
    ['inspect', 'await engine.inspect(paths.fifo)', (fifo) => `Cannot inspect ${fifo}`],
    ['verify', 'await engine.verify(paths.fifo)', (fifo) => `Cannot verify ${fifo}`],
    ['usage', 'await engine.usage(paths.fifo)', (fifo) => `Cannot check whether another program uses ${fifo}`],
    ['backup (source)', 'await engine.backup(paths.fifo, paths.dir + "/out/")', (fifo) => `Cannot back up ${fifo}`],
    ['restore (backup)', 'await engine.restore(paths.fifo, paths.dir + "/new.db")', (fifo) => `Cannot restore ${fifo}`],
    ['the change mark', 'await engine.changeMark(paths.fifo)', (fifo) => `Cannot back up ${fifo}`],
  ];
  it.each(cases)('%s', async (_name, body, subject) => {
    const dir = fresh();
    const fifo = join(dir, 'pipe.db');
    mkfifo(fifo);
    expect(await failureInChild(body, { dir, fifo })).toEqual({ code: 'NOT_A_DATABASE', message: fifoMessage(subject(fifo)) });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('restore into a named pipe', async () => {
    const dir = fresh();
    const backupPath = chinook(dir, 'backup.db');
    const fifo = join(dir, 'target.db');
    mkfifo(fifo);
    const error = await failureInChild('await engine.restore(paths.backup, paths.fifo, { safetyCopy: false })', { backup: backupPath, fifo });
    expect(error).toEqual({ code: 'NOT_A_DATABASE', message: fifoMessage(`Cannot restore into ${fifo}`) });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a backup whose destination is a named pipe, even with overwrite, leaves the pipe as it was', async () => {
    const dir = fresh();
    const source = chinook(dir);
    const fifo = join(dir, 'out.db');
    mkfifo(fifo);
    const error = await failureInChild('await engine.backup(paths.source, paths.fifo, { overwrite: true })', { source, fifo });
    expect(error).toEqual({ code: 'NOT_A_DATABASE', message: fifoMessage(`Cannot back up ${source} to ${fifo}`) });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['chinook.db', 'out.db']);
  });

  it('databases.add', async () => {
    const dir = fresh();
    const fifo = join(dir, 'pipe.db');
    mkfifo(fifo);
    const { ponged, outcome } = await inChild('return await new Core({ dataDir: paths.data, shell: "web" }).handle("databases.add", { path: paths.fifo })', { fifo, data: join(dir, 'data') });
    expect(ponged).toBe(true);
    expect(outcome).toEqual({ value: { ok: false, error: { code: 'NOT_A_DATABASE', message: fifoMessage(`Cannot inspect ${fifo}`) } } });
  });

  it('databases.details of a database that was replaced by a named pipe', async () => {
    const dir = fresh();
    const path = chinook(dir);
    const body = `
      const core = new Core({ dataDir: paths.data, shell: 'web' });
      const added = await core.handle('databases.add', { path: paths.path });
      if (!added.ok) throw new Error(added.error.message);
      execFileSync('rm', [paths.path]);
      execFileSync('mkfifo', [paths.path]);
      const details = await core.handle('databases.details', { id: added.value.id });
      return details.ok ? { inspect: details.value.inspect, inspectError: details.value.inspectError } : details;
    `;
    const { ponged, outcome } = await inChild(body, { path, data: join(dir, 'data') });
    expect(ponged).toBe(true);
    expect(outcome).toEqual({ value: { inspect: null, inspectError: fifoMessage(`Cannot inspect ${path}`) } });
  });

  it('restore.target names the pipe as the problem', async () => {
    const dir = fresh();
    const backupPath = chinook(dir, 'backup.db');
    const fifo = join(dir, 'target.db');
    mkfifo(fifo);
    const body = `
      const target = await new Core({ dataDir: paths.data, shell: 'web' }).handle('restore.target', { backupPath: paths.backup, targetPath: paths.fifo });
      return target.ok ? { exists: target.value.exists, problem: target.value.problem } : target;
    `;
    const { ponged, outcome } = await inChild(body, { backup: backupPath, fifo, data: join(dir, 'data') });
    expect(ponged).toBe(true);
    expect(outcome).toEqual({ value: { exists: true, problem: 'it is a named pipe (FIFO), not a database file' } });
  });
});

describe("a named pipe as a database's -wal, -shm or -journal is refused, naming it", () => {
  const companions: Array<[string, 'wal' | 'delete', string]> = [
    ['-wal', 'wal', 'write-ahead log'],
    ['-shm', 'wal', 'shared-memory index'],
    ['-journal', 'delete', 'rollback journal'],
  ];
  const calls: Array<[string, string, (db: string) => string]> = [
    ['inspect', 'await engine.inspect(paths.db)', (db) => `Cannot inspect ${db}`],
    ['verify', 'await engine.verify(paths.db)', (db) => `Cannot verify ${db}`],
    ['usage', 'await engine.usage(paths.db)', (db) => `Cannot check whether another program uses ${db}`],
    ['backup', 'await engine.backup(paths.db, paths.dir + "/out/")', (db) => `Cannot back up ${db}`],
    ['restore into it', 'await engine.restore(paths.other, paths.db, { safetyCopy: false })', (db) => `Cannot restore into ${db}`],
  ];
  for (const [suffix, journalMode, holds] of companions) {
    it.each(calls)(`${suffix}: %s`, async (_name, body, subject) => {
      const dir = fresh();
      const db = join(dir, 'app.db');
      makeDatabase(db, { journalMode });
      const other = join(dir, 'other.db');
      makeDatabase(other, { journalMode });
      mkfifo(`${db}${suffix}`);
      const error = await failureInChild(body, { dir, db, other });
      expect(error).toEqual({ code: 'NOT_A_DATABASE', message: companionMessage(subject(db), `${db}${suffix}`, holds) });
      expect(lstatSync(`${db}${suffix}`).isFIFO()).toBe(true);
    });
  }

  it("a backup destination's -wal", async () => {
    const dir = fresh();
    const source = chinook(dir);
    const destination = join(dir, 'out.db');
    mkfifo(`${destination}-wal`);
    const error = await failureInChild('await engine.backup(paths.source, paths.destination)', { source, destination });
    expect(error).toEqual({ code: 'NOT_A_DATABASE', message: companionMessage(`Cannot back up ${source} to ${destination}`, `${destination}-wal`, 'write-ahead log') });
    expect(readdirSync(dir).sort()).toEqual(['chinook.db', 'out.db-wal']);
  });
});

describe('a named pipe that appears after the checks cannot block an open', () => {
  it('opening a database file refuses it at once', async () => {
    const dir = fresh();
    const fifo = join(dir, 'pipe.db');
    mkfifo(fifo);
    const error = await failureInChild('files.openDatabaseFile(paths.fifo, "Cannot read " + paths.fifo)', { fifo });
    expect(error).toEqual({ code: 'NOT_A_DATABASE', message: fifoMessage(`Cannot read ${fifo}`) });
  });

  it('the descriptors opened before a worker starts leave it out', async () => {
    const dir = fresh();
    const db = chinook(dir);
    mkfifo(`${db}-wal`);
    const body = 'const { keys, descriptors } = files.enterDatabases([paths.db]); files.leaveDatabases(keys); return Object.keys(descriptors);';
    const { ponged, outcome } = await inChild(body, { db });
    expect(ponged).toBe(true);
    expect(outcome).toEqual({ value: [db] });
  });

  it('hashing a backup refuses it at once', async () => {
    const dir = fresh();
    const fifo = join(dir, 'pipe.db');
    mkfifo(fifo);
    const error = await failureInChild('await verifying.hashFile(paths.fifo, 0, "Cannot verify " + paths.fifo, () => undefined)', { fifo });
    expect(error).toEqual({ code: 'NOT_A_DATABASE', message: fifoMessage(`Cannot verify ${fifo}`) });
  });

  it("verify does not read a manifest that is a named pipe, and says so", async () => {
    const dir = fresh();
    const db = chinook(dir, 'backup.db');
    mkfifo(`${db}.manifest.json`);
    const { ponged, outcome } = await inChild('const v = await engine.verify(paths.db); return { ok: v.ok, problems: v.problems, manifestChecked: v.manifestChecked };', { db });
    expect(ponged).toBe(true);
    expect(outcome).toEqual({ value: { ok: false, problems: [`the manifest ${db}.manifest.json is a named pipe (FIFO), not a file; it was not read`], manifestChecked: false } });
  });
});

describe('other files that are not regular files are named for what they are', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('a socket', async () => {
    const socket = join(fresh(), 'app.sock');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(socket, resolve));
    await expect(inspect(socket)).rejects.toMatchObject({ code: 'NOT_A_DATABASE', message: `Cannot inspect ${socket}: it is a socket, not a database file` });
  });

  it('a character device', async () => {
    await expect(inspect('/dev/null')).rejects.toMatchObject({ code: 'NOT_A_DATABASE', message: 'Cannot inspect /dev/null: it is a character device, not a database file' });
  });

  it('a folder where the -wal should be', async () => {
    const dir = fresh();
    const db = chinook(dir);
    mkdirSync(`${db}-wal`);
    const error = await verify(db).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PagevaultError);
    expect(error).toMatchObject({ code: 'IS_A_DIRECTORY', message: `Cannot verify ${db}: ${db}-wal is a folder, not a regular file, and SQLite keeps the database's write-ahead log there; move it out of the way` });
  });
});

describe('a manifest that is not a file', () => {
  it('a named pipe where the manifest goes is no manifest, and reading it does not wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pv-manifest-fifo-'));
    try {
      makeDatabase(join(dir, 'b.db'), { journalMode: 'delete' });
      execFileSync('mkfifo', [join(dir, 'b.db.manifest.json')]);
      // No writer ever opens the pipe: a blocking read would never come back.
      expect(await readManifest(join(dir, 'b.db'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
