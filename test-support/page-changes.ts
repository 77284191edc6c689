/**
 * For the vault's tests: a writer process that changes random pages of a database on
 * request (page-writer.ts), and the source's pages at its latest commit found without the
 * vault's code, to compare restored versions with.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const writerScript = fileURLToPath(new URL('./page-writer.ts', import.meta.url));

/** A writer process holding the database open; each call resolves once its commit (or checkpoint) is done. */
export class PageWriter {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: Array<() => void> = [];

  constructor(path: string) {
    this.#child = spawn(process.execPath, [writerScript, path], { stdio: ['pipe', 'pipe', 'inherit'] }) as unknown as ChildProcessWithoutNullStreams;
    createInterface({ input: this.#child.stdout }).on('line', () => this.#waiting.shift()?.());
  }

  #send(line: string): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${line}\n`);
    });
  }

  /** Runs a passive checkpoint and waits for it. */
  checkpoint(): Promise<void> {
    return this.#send('checkpoint');
  }

  /** Commits `rows` random changes (seeded) and waits for the commit. */
  change(rows: number, seed: number): Promise<void> {
    return this.#send(`change ${rows} ${seed}`);
  }

  /** Ends the process and waits for it to exit. */
  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }
}

/**
 * The source's pages at its latest commit, found without the vault's code: its files are
 * copied raw while a read transaction keeps any checkpoint from changing them, and SQLite
 * checkpoints the copy's WAL into the copy. Page 1 as a standalone file has it (bytes 18/19 = 1).
 */
export function rawSnapshot(source: string, dir: string): Buffer {
  const copyDir = mkdtempSync(join(dir, 'snap-'));
  const reader = new Database(source, { readonly: true });
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM sqlite_schema').get();
  copyFileSync(source, join(copyDir, 'db'));
  if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, join(copyDir, 'db-wal'));
  reader.exec('COMMIT');
  reader.close();
  const copy = new Database(join(copyDir, 'db'));
  copy.pragma('wal_checkpoint(TRUNCATE)');
  copy.close();
  const bytes = readFileSync(join(copyDir, 'db'));
  rmSync(copyDir, { recursive: true, force: true });
  bytes[18] = 1;
  bytes[19] = 1;
  return bytes;
}
