/** Calling a real Core the way a shell does, for tests: results, failures, job endings. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeEach } from 'vitest';
import type { ApiErrorBody, JobFinished, MethodName, Params, Result } from '../app/api/index.ts';
import { Core } from '../app/core/core.ts';

/** Calls `method`; throws the PagevaultError, with its code, when it fails. */
export function callCore<M extends MethodName>(core: Core, method: M, params: Params<M>): Promise<Result<M>> {
  return core.call(method, params);
}

/** Calls `method` expecting it to fail; resolves with the error it answered. */
export async function failureOf(core: Core, method: MethodName, params: unknown): Promise<ApiErrorBody> {
  const outcome = await core.handle(method, params);
  if (outcome.ok) throw new Error(`${method} succeeded but was expected to fail`);
  return outcome.error;
}

/** Resolves with the job.finished event of `jobId`. */
export function jobFinished(core: Core, jobId: string): Promise<JobFinished> {
  return new Promise((resolve) => {
    const off = core.events.on('job.finished', (event) => {
      if (event.jobId !== jobId) return;
      off();
      resolve(event);
    });
  });
}

/** Row count of every table of `path`, read-only. */
export function rowCounts(path: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number]));
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of `path`: 'ok' when sound. */
export function integrityOf(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/**
 * A fresh core for every test of the calling file, in its own folder under a temp root
 * (registers beforeEach/afterAll). Read `core` and `work` inside tests; `restart()`
 * closes the core and opens a new one on the same data folder.
 */
export function coreCases(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const cores: Core[] = [];
  let caseNumber = 0;
  let core!: Core;
  let work = '';
  const open = () => {
    core = new Core({ dataDir: join(work, 'data'), shell: 'web' });
    cores.push(core);
  };
  beforeEach(() => {
    caseNumber += 1;
    work = join(root, `case-${caseNumber}`);
    mkdirSync(work, { recursive: true });
    open();
  });
  afterAll(async () => {
    for (const c of cores) await c.close();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get core(): Core {
      return core;
    },
    /** This test's own folder; the core's data folder is `<work>/data`. */
    get work(): string {
      return work;
    },
    /** Another core on `dataDir`, closed with the others. */
    another(dataDir: string): Core {
      const extra = new Core({ dataDir, shell: 'web' });
      cores.push(extra);
      return extra;
    },
    async restart(): Promise<void> {
      await core.close();
      open();
    },
    call: <M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> => callCore(core, method, params),
    failure: (method: MethodName, params: unknown) => failureOf(core, method, params),
    finished: (jobId: string): Promise<JobFinished> => jobFinished(core, jobId),
  };
}
