/**
 * `restore(backup, target)`: verify the backup, take a safety copy of the target, then
 * load the backup into the live target through the backup API. The copy into the
 * target is one write transaction: other connections see the old or the new database,
 * never a mix, and a failure or a killed process leaves the target as it was.
 */
import { dirname, resolve } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { BackupEncryption, BackupManifest, Keys, RestoreResult, SourceKey, VerifyResult } from '../api/types.ts';
import { checkAgainstManifest, decryptToTemporary, encryptionForSafetyCopy, isAgeFile, type DecryptedCopy } from './age-files.ts';
import { readManifest } from './manifest.ts';
import { backupDatabase, DEFAULT_BUSY_TIMEOUT_MS, type ClaimListener } from './backup.ts';
import type { OperationContext } from './context.ts';
import { checkSqliteFile } from './sqlite-file.ts';
import { backupIntoEncrypted, checkDatabaseFile, openEncrypted } from './connection.ts';
import { targetBusyError, toPagevaultError } from './sqlite-errors.ts';
import { hashFile, verifyFile } from './verify.ts';
import { runBackupApi } from './backup-api.ts';
import { restoreBySwap } from './restore-swap.ts';

/** How a restore may differ from the default: the safety copy, where it goes, verification and the lock wait. */
export interface RestoreOptions {
  /** Take a copy of the current target first (default true). */
  safetyCopy?: boolean;
  /** Where the safety copy goes (default: the backup's folder). */
  safetyCopyDir?: string;
  /** How long to wait for other connections' locks on the target (default 5000 ms). */
  busyTimeoutMs?: number;
  /** What a failed safety copy advises (default: another folder, or no safety copy). */
  safetyCopyAdvice?: string;
  /** How the safety copy is encrypted at rest when the backup itself is no age file (a version of an encrypted vault). */
  safetyCopyEncryption?: BackupEncryption;
  /**
   * `source`: the key of an encrypted backup (the key of the database it was taken from).
   * `age`: keys for a backup encrypted with age; the safety copy is then encrypted for the
   * key that opened it. `target`: the key of an existing encrypted target, when it is not
   * `source`'s; the target keeps it.
   */
  keys?: Keys;
  /**
   * The SHA-256 of the backup as the check the caller ran before (the wizard's) passed
   * on it: when the backup still hashes to it, SQLite's check of it is not run again
   * (see VerifyOptions.checkedSha256). Any other hash gets the full check. Without it, the
   * check the backup's manifest records it passed when it was written counts the same way.
   */
  checkedSha256?: string;
  /**
   * An encrypted backup without its key is written into a new file as it is (raw-copy.ts),
   * checked only by its SHA-256, instead of refused with ENCRYPTED.
   */
  raw?: boolean;
}

/** Restores `backupArg` into `targetArg` (an existing database, replaced in place, or a new file). */
export async function restoreDatabase(
  backupArg: string,
  targetArg: string,
  ctx: OperationContext,
  options: RestoreOptions = {},
  onClaim?: ClaimListener,
): Promise<RestoreResult> {
  const started = performance.now();
  const backup = resolve(backupArg);
  const target = resolve(targetArg);
  const subject = `Cannot restore ${backup} into ${target}`;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;

  // An encrypted backup is decrypted once, into a private temporary copy that the
  // restore reads from and that is removed at the end; the target gets the plain database.
  let decrypted: DecryptedCopy | undefined;
  if (await isAgeFile(backup)) decrypted = await decryptToTemporary(backup, options.keys?.age, ctx.withPhase('check'), subject, 'check');
  try {
    return await restoreFrom(backup, decrypted, target, subject, busyTimeoutMs, ctx, options, onClaim, started);
  } finally {
    await decrypted?.remove();
  }
}

async function restoreFrom(
  backup: string,
  decrypted: DecryptedCopy | undefined,
  target: string,
  subject: string,
  busyTimeoutMs: number,
  ctx: OperationContext,
  options: RestoreOptions,
  onClaim: ClaimListener | undefined,
  started: number,
): Promise<RestoreResult> {
  const readable = decrypted?.path ?? backup;
  const key = options.keys?.source;
  // A check the bytes already passed (the wizard's, or the one the manifest records) is not run again on them.
  const manifest = decrypted ? undefined : await readManifest(backup).catch(() => undefined);
  const checked = options.checkedSha256 ? { sha256: options.checkedSha256, check: 'quick_check' as const } : recordedCheck(manifest);
  if (!decrypted && checked) {
    const swapped = await swapChecked(backup, target, subject, checked, manifest, ctx, options, onClaim, started);
    if (swapped) return swapped;
  }
  let verdict: VerifyResult;
  if (decrypted) {
    const plain = await verifyFile(readable, ctx.withPhase('check'), { action: 'restore from', useManifest: false, keys: { source: key } });
    verdict = checkAgainstManifest({ ...plain, path: backup, sha256: decrypted.hashes.ciphertextSha256 }, await readManifest(backup), decrypted.hashes, (await stat(backup)).size);
  } else {
    verdict = await verifyFile(backup, ctx.withPhase('check'), { action: 'restore from', keys: { source: key }, ...(checked && { checkedSha256: checked.sha256 }) });
  }
  const raw = verdict.notChecked !== undefined && options.raw === true;
  if (verdict.notChecked && !raw) {
    throw new PagevaultError('ENCRYPTED', `${subject}: the backup is encrypted and no key was given; give the key of the database it was taken from (--key-file); the target was not touched`);
  }
  if (!verdict.ok) {
    throw new PagevaultError('VERIFY_FAILED', `${subject}: the backup failed verification (${verdict.problems.slice(0, 3).join('; ')}); the target was not touched`);
  }
  ctx.throwIfCancelled(subject);

  const targetStats = await stat(target).catch(() => undefined);
  if (raw && !decrypted) await refuseChangedRawBackup(backup, subject);
  if (raw && targetStats) {
    throw new PagevaultError('NOT_SUPPORTED', `${subject}: without its key an encrypted backup can only be written into a new file, as it is; restore it to a new file name, or give its key. The target was not touched`);
  }
  if (!targetStats) {
    // A new file: written like a backup (partial, fsync, atomic publish).
    const result = await backupDatabase(readable, target, ctx, { mode: 'snapshot', verify: false, manifest: false, action: 'restore', key, raw }, onClaim);
    // An encrypted target's header is encrypted: only a keyed check reads it; without the key, its SHA-256 is all there is.
    const verification = key || raw ? await verifyFile(target, ctx, { useManifest: false, keys: { source: key } }) : await loadedVerification(target, result.manifest.pageCount, verdict, ctx);
    return { backup, target, safetyCopy: null, pageCount: result.manifest.pageCount, durationMs: performance.now() - started, verification };
  }
  // The backup is only read: opened so that a WAL header (a raw copy's) makes nothing beside it.
  const encrypted = key !== undefined && (await checkDatabaseFile(readable, 'Cannot restore from', key, { unchanging: true })).encrypted;
  // An encrypted target keeps its own key: the one given for it, else the backup's.
  const targetKey = encrypted ? (options.keys?.target ?? key) : undefined;
  if (targetKey && !(await checkDatabaseFile(target, 'Cannot restore into', targetKey)).encrypted) {
    // SQLite3MultipleCiphers' backup API refuses an encrypted source into a plain target.
    throw new PagevaultError('NOT_SUPPORTED', `${subject}: the backup is encrypted and ${target} is a plain database; restore into a new file (it is written encrypted with the backup's key). The target was not touched`);
  }
  if (!targetKey) await checkSqliteFile(target, 'Cannot restore into');
  if ((await realpath(target)) === (await realpath(backup))) {
    throw new PagevaultError('DEST_IS_SOURCE', `${subject}: the backup and the target are the same file`);
  }
  const backupPageSize = verdictPageSize(readable, encrypted ? key : undefined);
  const targetInfo = readTargetInfo(target, subject, busyTimeoutMs, targetKey);
  if (targetInfo.journalMode === 'wal' && targetInfo.pageSize !== backupPageSize) {
    throw new PagevaultError(
      'NOT_SUPPORTED',
      `${subject}: the target is in WAL mode with ${targetInfo.pageSize}-byte pages and the backup has ${backupPageSize}-byte pages; SQLite cannot change the page size of a WAL database, so restore into a new file instead`,
    );
  }

  // A plain WAL target nothing has open is replaced by a copy of the backup, its own file kept as the safety copy (restore-swap.ts).
  if (!encrypted && !targetKey && !decrypted && !options.safetyCopyEncryption && targetInfo.journalMode === 'wal' && verdict.sha256) {
    const swapped = await restoreSwapped({ backup, readable, target, subject, sha256: verdict.sha256, pageSize: backupPageSize, pageCount: verdict.pageCount, check: verdict.check, manifestChecked: false }, ctx, options, onClaim, started);
    if (swapped) return swapped;
  }

  let safetyCopy: string | null = null;
  if (options.safetyCopy !== false) {
    const safetyCtx = ctx.withPhase('safety-copy');
    // Beside an encrypted backup, the safety copy is encrypted for the key that opened it.
    // The safety copy is only hashed (as it is written, where it can be), not checked by
    // SQLite: its pages are the target's as they are (a damaged target is what a user
    // restores over), and restoring it (undo) checks them then, against that SHA-256.
    const encryption = (decrypted && encryptionForSafetyCopy(decrypted)) ?? options.safetyCopyEncryption;
    const copy = await backupDatabase(target, `${options.safetyCopyDir ?? dirname(backup)}/`, safetyCtx, { label: 'before-restore', verify: true, hashOnly: true, busyTimeoutMs, action: 'take the safety copy of', ...(encryption && { encryption }), ...(targetKey && { key: targetKey }) }, onClaim).catch((error: unknown) => {
      const failure = toPagevaultError(error, subject);
      if (failure.code === 'CANCELLED') throw failure;
      const advice = options.safetyCopyAdvice ?? 'Choose another folder for the safety copy, or restore without one';
      throw new PagevaultError(failure.code, `${failure.message}. The target was not touched. ${advice}.`, { cause: error });
    });
    safetyCopy = copy.path;
  }
  ctx.throwIfCancelled(subject);

  const source = encrypted && key ? openEncrypted(readable, key, subject, { readonly: true, unchanging: true }) : new Database(readable, { readonly: true, fileMustExist: true });
  let pageCount: number;
  try {
    pageCount = await loadInto(source, target, ctx, subject, busyTimeoutMs, targetKey);
  } catch (error) {
    const wrapped = toPagevaultError(error, subject);
    if (wrapped.code === 'SOURCE_BUSY') {
      throw targetBusyError(subject, busyTimeoutMs, error);
    }
    throw wrapped;
  } finally {
    source.close();
  }

  const verification = await loadedVerification(target, pageCount, verdict, ctx, targetKey);
  return { backup, target, safetyCopy, pageCount, durationMs: performance.now() - started, verification };
}

/**
 * A restore that swaps files (restore-swap.ts) of a backup whose bytes a check has already
 * passed on reads the backup once: its copy is hashed as it is made and must come to the
 * SHA-256 that check passed, so no check pass over the backup comes first. SQLite's check
 * is a function of the bytes alone, so bytes that hash to what it passed on would pass it
 * again. The check is the wizard's, just before (`checkedSha256`), or the one the backup
 * had when it was written, as its manifest records it: a passed quick_check or
 * integrity_check of the file whose SHA-256 it names. Anything that is not plainly such a
 * swap (an encrypted or raw backup, a new or rollback-journal target, a manifest that
 * records no passed check or disagrees with the file, a copy that hashes to anything else)
 * goes the ordinary way, which checks the backup again and words every refusal: undefined.
 */
async function swapChecked(
  backup: string,
  target: string,
  subject: string,
  checked: { sha256: string; check: VerifyResult['check'] },
  manifest: BackupManifest | undefined,
  ctx: OperationContext,
  options: RestoreOptions,
  onClaim: ClaimListener | undefined,
  started: number,
): Promise<RestoreResult | undefined> {
  if (options.raw || options.keys?.source || options.safetyCopyEncryption) return undefined;
  // A refusal of the backup or the target is the ordinary way's to make, in its order and words.
  const facts = await (async () => {
    const { stats, header } = await checkSqliteFile(backup, 'Cannot restore from');
    if (header.pageCount === null) return undefined;
    if (manifest && (manifest.sha256 !== checked.sha256 || manifest.bytes !== stats.size || manifest.pageCount !== header.pageCount)) return undefined;
    if (!(await stat(target).catch(() => undefined))) return undefined;
    await checkSqliteFile(target, 'Cannot restore into');
    if ((await realpath(target)) === (await realpath(backup))) return undefined;
    // Without waiting: a target another connection holds is the load's.
    const targetInfo = readTargetInfo(target, subject, 0, undefined);
    if (targetInfo.journalMode !== 'wal' || targetInfo.pageSize !== header.pageSize) return undefined;
    return { ...checked, pageSize: header.pageSize, pageCount: header.pageCount, manifestChecked: manifest !== undefined };
  })().catch(() => undefined);
  if (!facts) return undefined;
  ctx.report({ phase: 'check', totalPages: facts.pageCount, remainingPages: facts.pageCount, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);
  // A copy that no longer hashes to what the check passed on gives way.
  return restoreSwapped({ backup, readable: backup, target, subject, sha256: facts.sha256, pageSize: facts.pageSize, pageCount: facts.pageCount, check: facts.check, manifestChecked: facts.manifestChecked, changedBackup: 'give-way' }, ctx, options, onClaim, started);
}

/**
 * The check a backup's manifest records it passed when it was written, and the SHA-256 of
 * the file it passed on; undefined when it records none (verification off, a copy only
 * hashed, a raw copy) or a failed one.
 */
function recordedCheck(manifest: BackupManifest | undefined): { sha256: string; check: 'quick_check' | 'integrity_check' } | undefined {
  if (!manifest?.sha256 || manifest.verification.verdict !== 'passed' || !manifest.verification.check) return undefined;
  return { sha256: manifest.sha256, check: manifest.verification.check };
}

/**
 * Restores by swapping files (restore-swap.ts) the backup whose pages a check passed with
 * `sha256`, as a restore's result; undefined when the target was left as it was for the load.
 */
async function restoreSwapped(
  swap: { backup: string; readable: string; target: string; subject: string; sha256: string; pageSize: number; pageCount: number; check: VerifyResult['check']; manifestChecked: boolean; changedBackup?: 'refuse' | 'give-way' },
  ctx: OperationContext,
  options: RestoreOptions,
  onClaim: ClaimListener | undefined,
  started: number,
): Promise<RestoreResult | undefined> {
  const { backup, target, subject, pageCount } = swap;
  const safetyCopyDir = options.safetyCopy === false ? undefined : resolve(options.safetyCopyDir ?? dirname(backup));
  const swapped = await restoreBySwap(
    { backup: swap.readable, backupSha256: swap.sha256, pageSize: swap.pageSize, pageCount, target: await realpath(target), safetyCopyDir, subject, ...(swap.changedBackup && { changedBackup: swap.changedBackup }) },
    ctx,
    onClaim,
  ).catch((error: unknown) => {
    throw toPagevaultError(error, subject);
  });
  if (!swapped) return undefined;
  // The backup whose bytes the target now holds (but for the header's two format bytes):
  // checked, and hashed as it was copied to the SHA-256 the check passed on.
  const verification: VerifyResult = { path: backup, ok: true, check: swap.check, problems: [], pageCount, sha256: swap.sha256, manifestChecked: swap.manifestChecked };
  return { backup, target, safetyCopy: swapped.safetyCopy, pageCount, durationMs: performance.now() - started, verification };
}

/**
 * The verification of a target the backup's pages were just loaded into. SQLite's backup
 * API copies pages as they are (only page 1's change counters and journal bytes differ),
 * so the target's b-trees are the very bytes `verdict`'s check passed on before the load:
 * running it again would read the whole database a second time for the same answer. The
 * target is counted and hashed, so the result describes the file as it now is: its
 * database file only. While another connection has a WAL target open (a read transaction
 * pins it), the loaded pages stay in its -wal until a later checkpoint, and the file still
 * holds the old ones; so this hash is never compared with the backup's (they differ in
 * page 1 anyway), only reported.
 */
async function loadedVerification(target: string, pageCount: number, verdict: VerifyResult, ctx: OperationContext, key?: SourceKey): Promise<VerifyResult> {
  const subject = `Cannot verify ${target}`;
  const { stats, header } = await checkDatabaseFile(target, 'Cannot verify', key);
  const totalPages = Math.ceil(stats.size / header.pageSize);
  const sha256 = await hashFile(target, stats.size, subject, (hashed) => {
    ctx.throwIfCancelled(subject);
    ctx.report({ phase: 'verify', totalPages, remainingPages: Math.max(0, totalPages - Math.floor(hashed / header.pageSize)), bytesCopied: hashed, bytesPerSecond: hashed / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
  });
  ctx.report({ phase: 'verify', totalPages, remainingPages: 0, bytesCopied: stats.size, bytesPerSecond: 0, restarts: 0 }, true);
  return { path: target, ok: true, check: verdict.check, problems: [], pageCount, sha256, manifestChecked: false };
}

/** Copies every page of `source` into the file `target` (opened with `key` when it is encrypted) in one write transaction. */
async function loadInto(source: Database.Database, target: string, ctx: OperationContext, subject: string, busyTimeoutMs: number, key?: SourceKey): Promise<number> {
  const pageSize = Number(source.pragma('page_size', { simple: true }));
  // SQLITE_BUSY on the target: its readers must finish before the commit.
  const busy = () => targetBusyError(subject, busyTimeoutMs);
  const fixed = { first: 1024, next: () => 1024 };
  const copied = await runBackupApi(source, target, ctx, subject, fixed, {
    pageSize,
    busyTimeoutMs,
    busy,
    cancelled: `${subject}: cancelled; the target is unchanged`,
    ...(key && { start: backupIntoEncrypted(source, target, key, subject) }),
  });
  return copied.totalPages;
}

function verdictPageSize(path: string, key: SourceKey | undefined): number {
  const db = key ? openEncrypted(path, key, `Cannot restore from ${path}`, { readonly: true, unchanging: true }) : new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Number(db.pragma('page_size', { simple: true }));
  } finally {
    db.close();
  }
}

function readTargetInfo(target: string, subject: string, busyTimeoutMs: number, key: SourceKey | undefined): { journalMode: string; pageSize: number } {
  let db: Database.Database | undefined;
  try {
    db = openDatabase(target, key, subject, busyTimeoutMs);
    return {
      journalMode: String(db.pragma('journal_mode', { simple: true })).toLowerCase(),
      pageSize: Number(db.pragma('page_size', { simple: true })),
    };
  } catch (error) {
    throw toPagevaultError(error, subject);
  } finally {
    db?.close();
  }
}

/** A read-only connection: keyed (SQLite3MultipleCiphers) for an encrypted file, better-sqlite3's otherwise. */
function openDatabase(path: string, key: SourceKey | undefined, subject: string, timeout: number): Database.Database {
  return key ? openEncrypted(path, key, subject, { readonly: true, timeout }) : new Database(path, { readonly: true, fileMustExist: true, timeout });
}

/**
 * A raw copy is written as its bytes with its -wal's committed frames over them (raw-copy.ts),
 * and only the database file's SHA-256 was proven: a -wal or -journal with anything in it
 * beside the backup (a program opened it with its key and wrote) would put unproven pages
 * into the target.
 */
async function refuseChangedRawBackup(backup: string, subject: string): Promise<void> {
  for (const companion of [`${backup}-wal`, `${backup}-journal`]) {
    const size = await stat(companion).then((s) => s.size, () => 0);
    if (size > 0) {
      throw new PagevaultError(
        'VERIFY_FAILED',
        `${subject}: ${companion} is beside the backup: a program opened it with its key and wrote to it, so what would be restored is not what its SHA-256 proved; close that program and restore a backup nothing has changed. The target was not touched`,
      );
    }
  }
}
