/** `verify(file)`: does a backup open, pass SQLite's checks and match its manifest? */
import { createHash } from 'node:crypto';
import { read as readCallback } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { Keys, SourceKey, VerifyResult } from '../api/types.ts';
import { checkAgainstManifest, decryptToTemporary, isAgeFile } from './age-files.ts';
import { checkDatabaseFile, openEncrypted, type CheckedDatabase } from './connection.ts';
import type { OperationContext } from './context.ts';
import { closeDatabaseFile, openDatabaseFile, specialFileKind } from './database-files.ts';
import { manifestPathOf, readManifest } from './manifest.ts';
import { checkSqliteFile } from './sqlite-file.ts';
import { toPagevaultError } from './sqlite-errors.ts';

/** Which check a verification runs and whether it compares the file with its manifest. */
export interface VerifyOptions {
  /** Run `integrity_check` instead of the faster `quick_check`. */
  full?: boolean;
  /** Compare with the manifest beside the file when there is one (default true). */
  useManifest?: boolean;
  /** How messages name what failed, "Cannot <action> <file>: …" (default "verify"). */
  action?: string;
  /**
   * `source`: the key of an encrypted backup; without it, only the SHA-256 is checked
   * against the manifest. `age`: identities or passphrases for a backup encrypted with age.
   */
  keys?: Keys;
  /**
   * The file is a partial of the engine's own, which nothing else truncates: SQLite's check
   * reads it through a memory map (see verifyWrittenFile). Never for a file a user gave.
   */
  mapped?: boolean;
  /**
   * The SHA-256 the file had when the same check passed on it a moment ago (the restore
   * wizard's check, before its restore). When the file still hashes to it, its bytes are
   * the ones that check passed on and SQLite's check, a deterministic function of those
   * bytes, is not run a second time; the hash and the manifest are still compared.
   */
  checkedSha256?: string;
}

const CHUNK = 1 << 20;
/**
 * SQLite maps at most this much of a file (its compile-time SQLITE_MAX_MMAP_SIZE caps it,
 * about 2 GB); the rest is read. Only address space: the pages are the page cache's.
 * Measured on a 1 GB copy: quick_check took 0.6 s of CPU mapped, 1.6 s through reads.
 * The process's RSS counts the mapped pages while the check runs (RssFile peaked at
 * 1,062 MB for a 1 GB backup); its own memory does not grow (RssAnon peaked at 80 MB).
 */
const MAPPED_BYTES = 2 ** 31;
const readAsync = promisify(readCallback);

/**
 * Opens `path` read-only, runs quick_check (or integrity_check), recomputes its SHA-256
 * and compares page count, size and hash with its manifest. Throws only when the file
 * cannot be judged at all (missing, not SQLite); a damaged database is a failed verdict.
 */
export async function verifyFile(path: string, ctx: OperationContext, options: VerifyOptions = {}): Promise<VerifyResult> {
  const action = options.action ?? 'verify';
  const subject = `Cannot ${action} ${path}`;
  if (await isAgeFile(path)) return verifyAgeFile(path, ctx, options, subject);
  const { stats, header, encrypted, keyless } = await checkForVerify(path, action, options.keys?.source);
  const check = options.full ? 'integrity_check' : 'quick_check';
  const problems: string[] = [];
  const totalPages = Math.ceil(stats.size / header.pageSize);

  const sha256 = await hashFile(path, stats.size, subject, (hashed) => {
    ctx.throwIfCancelled(subject);
    ctx.report({
      phase: 'verify',
      totalPages,
      remainingPages: Math.max(0, totalPages - Math.floor(hashed / header.pageSize)),
      bytesCopied: hashed,
      bytesPerSecond: hashed / Math.max(ctx.elapsedMs() / 1000, 0.001),
      restarts: 0,
    });
  });

  // Encrypted without a key, nothing opens it: the SHA-256 is all there is to check.
  const checkedBefore = !keyless && options.checkedSha256 === sha256;
  const pageCount = keyless ? (header.pageCount ?? 0) : checkedBefore ? (header.pageCount ?? totalPages) : checkWithSqlite(path, check, subject, problems, options.mapped === true, encrypted ? options.keys!.source! : undefined).pageCount;
  ctx.throwIfCancelled(subject);

  let manifestChecked = false;
  if (options.useManifest !== false) {
    // Reading a named pipe waits for a writer, and holds up one of the few threads all of
    // the process's file reads share: a manifest that is not a regular file is not read.
    const manifestPath = manifestPathOf(path);
    const manifestKind = await stat(manifestPath).then(specialFileKind, () => undefined);
    const manifest = manifestKind ? undefined : await readManifest(path);
    if (manifestKind) problems.push(`the manifest ${manifestPath} is ${manifestKind}, not a file; it was not read`);
    if (manifest) {
      manifestChecked = true;
      if (manifest.pageCount !== pageCount) problems.push(`page count is ${pageCount}, the manifest says ${manifest.pageCount}`);
      if (manifest.bytes !== stats.size) problems.push(`size is ${stats.size} bytes, the manifest says ${manifest.bytes}`);
      if (manifest.sha256 && manifest.sha256 !== sha256) problems.push(`SHA-256 differs from the manifest: the file changed after the backup was taken`);
      // Without the key its SHA-256 is the one check there is; the page count above is the manifest's own.
      if (keyless && !manifest.sha256) problems.push('it is encrypted, no key was given and its manifest records no SHA-256: nothing could be checked');
    }
  }
  ctx.report({ phase: 'verify', totalPages, remainingPages: 0, bytesCopied: stats.size, bytesPerSecond: 0, restarts: 0 }, true);
  // A caller that checks the manifest itself (the age layer: it compares the decrypted
  // copy's SHA-256 with it) asks for no manifest here; nothing was checked only otherwise.
  if (keyless && !manifestChecked && options.useManifest !== false) problems.push('it is encrypted, no key was given and there is no manifest to compare its SHA-256 with: nothing could be checked');
  return {
    path,
    ok: problems.length === 0,
    check,
    problems,
    pageCount,
    sha256,
    manifestChecked,
    ...(keyless && { notChecked: `${check} did not run: the backup is encrypted and no key was given; only its SHA-256 was compared with the manifest` }),
  };
}

/**
 * checkDatabaseFile; and for an encrypted file without a key, what its manifest says (page
 * size and count) in place of its header, so its SHA-256 and size can still be compared.
 */
async function checkForVerify(path: string, action: string, key: SourceKey | undefined): Promise<CheckedDatabase & { keyless: boolean }> {
  try {
    // What is verified is read, never written: a WAL header grows no -wal or -shm beside it.
    return { ...(await checkDatabaseFile(path, `Cannot ${action}`, key, { unchanging: true })), keyless: false };
  } catch (error) {
    if (key || (error as { code?: string }).code !== 'ENCRYPTED') throw error;
  }
  const manifest = await readManifest(path).catch(() => undefined);
  const stats = await stat(path);
  const pageSize = manifest?.pageSize ?? 4096;
  return {
    path,
    stats,
    encrypted: true,
    keyless: true,
    header: { pageSize, pageCount: manifest?.pageCount ?? Math.ceil(stats.size / pageSize), changeCounter: 0, writeVersion: 1, sqliteVersionNumber: 0, bytes: Buffer.alloc(100) },
  };
}

/**
 * Verifies a backup's partial that this process has just written, whole, and hashed as it
 * wrote it (`sha256`): SQLite's check reads the file as it will be published, and the hash
 * is not computed a second time by reading it again. The partial is mapped into memory
 * for the check, which halves its CPU time: safe only for a file of the engine's own that
 * nothing else truncates under the mapping.
 */
export async function verifyWrittenFile(path: string, ctx: OperationContext, written: { sha256: string; full?: boolean }): Promise<VerifyResult> {
  const subject = `Cannot verify ${path}`;
  const { stats, header } = await checkSqliteFile(path, 'Cannot verify');
  const check = written.full ? 'integrity_check' : 'quick_check';
  const totalPages = Math.ceil(stats.size / header.pageSize);
  ctx.report({ phase: 'verify', totalPages, remainingPages: totalPages, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);
  const problems: string[] = [];
  const { pageCount } = checkWithSqlite(path, check, subject, problems, true);
  ctx.throwIfCancelled(subject);
  ctx.report({ phase: 'verify', totalPages, remainingPages: 0, bytesCopied: stats.size, bytesPerSecond: 0, restarts: 0 }, true);
  return { path, ok: problems.length === 0, check, problems, pageCount, sha256: written.sha256, manifestChecked: false };
}

/**
 * Opens `path` read-only and runs `check`, adding what it finds to `problems`; a file
 * SQLite calls corrupt or not a database is a problem too. `mapped` reads the file
 * through a memory map (only for the engine's own partials: see verifyWrittenFile);
 * `key` opens an encrypted file with it (connection.ts).
 */
function checkWithSqlite(path: string, check: 'quick_check' | 'integrity_check', subject: string, problems: string[], mapped: boolean, key?: SourceKey): { pageCount: number } {
  let pageCount = 0;
  let db: Database.Database | undefined;
  try {
    db = key ? openEncrypted(path, key, subject, { readonly: true, unchanging: true }) : new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 });
    if (mapped) db.pragma(`mmap_size = ${MAPPED_BYTES}`);
    pageCount = Number(db.pragma('page_count', { simple: true }));
    const rows = db.prepare(`PRAGMA ${check}(100)`).pluck().all() as string[];
    if (!(rows.length === 1 && rows[0] === 'ok')) problems.push(...rows.map((row) => `${check}: ${row}`));
  } catch (error) {
    const wrapped = toPagevaultError(error, subject);
    if (wrapped.code !== 'CORRUPT' && wrapped.code !== 'NOT_A_DATABASE') throw wrapped;
    problems.push(wrapped.message);
  } finally {
    db?.close();
  }
  return { pageCount };
}

/**
 * An age-encrypted backup: decrypted (which proves it whole and unchanged, chunk by
 * chunk) into a private temporary copy, checked there, and compared with its manifest.
 * The copy is removed whatever happens.
 */
async function verifyAgeFile(path: string, ctx: OperationContext, options: VerifyOptions, subject: string): Promise<VerifyResult> {
  const copy = await decryptToTemporary(path, options.keys?.age, ctx, subject);
  try {
    const plain = await verifyFile(copy.path, ctx, { full: options.full, useManifest: false, action: options.action, keys: { source: options.keys?.source } });
    const result = { ...plain, path, sha256: copy.hashes.ciphertextSha256, problems: plain.problems.map((p) => p.replaceAll(copy.path, path)) };
    const manifest = options.useManifest === false ? undefined : await readManifest(path);
    return checkAgainstManifest(result, manifest, copy.hashes, (await stat(path)).size);
  } catch (error) {
    // Messages about the temporary copy name the backup the user gave.
    if (error instanceof PagevaultError) throw new PagevaultError(error.code, error.message.replaceAll(copy.path, `${path} (decrypted)`), { cause: error });
    throw error;
  } finally {
    await copy.remove();
  }
}

/**
 * SHA-256 of a file in 1 MiB reads, calling `onChunk` with the bytes hashed so far.
 * Refuses, starting with `subject`, anything but a regular file: opened without waiting,
 * so a named pipe put there after the checks cannot hold the read up. Reads through the
 * descriptor the starting thread opened: closing one of its own would drop the locks
 * SQLite holds on a live database elsewhere in the process (database-files.ts).
 */
export async function hashFile(path: string, size: number, subject: string, onChunk: (hashed: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const file = openDatabaseFile(path, subject);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await readAsync(file.fd, buffer, 0, CHUNK, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      onChunk(Math.min(position, size));
    }
  } finally {
    closeDatabaseFile(file);
  }
  return hash.digest('hex');
}
