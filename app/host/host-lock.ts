/**
 * One host per data folder: two would both run every schedule. The first host holds a
 * write lock on `<data dir>/host.lock` (a SQLite file, a transaction begun and never
 * committed) for as long as it runs; the operating system drops that lock when the
 * process ends in any way, SIGKILL included, so a crashed host never blocks the next.
 * Beside it, `host.json` names the holder (pid and address, never the token) so a second
 * host can say which one is in its way.
 */
import { realpathSync, renameSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { reserveOwnFiles } from '../engine/index.ts';

/** Who holds a data folder, as written to host.json for a second host to name in its refusal. */
export interface HostOwner {
  pid: number;
  /** What holds the folder: "host" (npm run web) or "desktop app". */
  kind?: string;
  /** The host's address without its token; null while it is starting. */
  url: string | null;
  startedAt: string;
}

/** The lock on a data folder, held from start until release or process end. */
export class HostLock {
  readonly #db: Database.Database;
  readonly #infoPath: string;
  readonly #owner: HostOwner;
  /** Lifts the engine's ban on the lock file (see acquire). */
  readonly #unreserve: () => void;

  private constructor(db: Database.Database, infoPath: string, kind: string) {
    this.#db = db;
    this.#infoPath = infoPath;
    this.#owner = { pid: process.pid, kind, url: null, startedAt: new Date().toISOString() };
    // Inspecting the lock file in the engine would close a descriptor of it, and with that
    // drop the lock: a second host could then start.
    this.#unreserve = reserveOwnFiles([realpathSync(db.name)], "it is the lock that keeps a second Pagevault off this data folder");
    this.#write();
  }

  /**
   * Takes the data folder for this process (`kind`: what it is, for the message another
   * one gets), or throws ALREADY_RUNNING naming the host or desktop app that has it
   * (`refuse` words another error, given who has it).
   */
  static acquire(dataDir: string, kind = 'host', refuse?: (owner: string) => PagevaultError): HostLock {
    const lockPath = join(dataDir, 'host.lock');
    const infoPath = join(dataDir, 'host.json');
    const db = new Database(lockPath, { timeout: 0 });
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      const owner = describeOwner(readOwner(infoPath));
      throw refuse?.(owner) ?? new PagevaultError('ALREADY_RUNNING', `Cannot start a second ${kind} on ${dataDir}: ${owner} already serves it, and two would both run every schedule. Stop that one first, or start this one with another data folder`);
    }
    return new HostLock(db, infoPath, kind);
  }

  /** Records the address the host listens on, for a second host's message. */
  announce(url: string): void {
    this.#owner.url = url;
    this.#write();
  }

  /** Lets the data folder go (also what the OS does when the process dies). */
  release(): void {
    if (!this.#db.open) return;
    if (readOwner(this.#infoPath)?.pid === process.pid) rmSync(this.#infoPath, { force: true });
    this.#db.close();
    this.#unreserve();
  }

  #write(): void {
    const temporary = `${this.#infoPath}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.#owner)}\n`, { mode: 0o600 });
    renameSync(temporary, this.#infoPath);
  }
}

function readOwner(infoPath: string): HostOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(infoPath, 'utf8')) as HostOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function describeOwner(owner: HostOwner | undefined): string {
  if (!owner) return 'another Pagevault (starting)';
  const what = owner.kind === 'desktop app' ? 'the Pagevault desktop app' : 'another Pagevault host';
  return `${what} (pid ${owner.pid}${owner.url ? `, ${owner.url}` : owner.kind === 'desktop app' ? '' : ', starting'})`;
}
