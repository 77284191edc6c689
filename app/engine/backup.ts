/**
 * `backup(source, destination)`: an online copy of a live database. The mode's strategy
 * (strategies/) copies the source into a partial file; this pipeline does the rest, the
 * same for every mode: check the source, resolve the destination, claim the partial,
 * finalize the copy to a standalone rollback-journal file, verify it, publish it
 * atomically and write its manifest.
 */
import { stat, truncate } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { BackupManifest, BackupResult, HeldCopy, SourceKey, VerifyResult } from '../api/types.ts';
import { AgeFileSealer } from './age-sealer.ts';
import { PlainRing } from './plain-ring.ts';
import { COPY_CHUNK_BYTES } from './source-files.ts';
import { encryptionEntry, plainPartialName, recipientOf } from './age-files.ts';
import type { BackupOptions } from './backup-options.ts';
import { DEFAULT_BUSY_TIMEOUT_MS } from './backup-options.ts';
import type { OperationContext } from './context.ts';
import { resolveDestination } from './destination.ts';
import { writeManifest } from './manifest.ts';
import { abandonPartial, claimPartial, publishPartial, removeStalePartials, type PartialClaim } from './partial-file.ts';
import { checkSqliteFile, sqliteVersion } from './sqlite-file.ts';
import { checkDatabaseFile, cipherLabel, openEncrypted, proveKeyOnFirstPage, type CheckedDatabase } from './connection.ts';
import { RAW_COPY_NOTE, rawCopyFollowsWal, rawPageSize } from './raw-copy.ts';
import { toPagevaultError } from './sqlite-errors.ts';
import { folderClones } from './clone.ts';
import { beginCopy, defaultMode, type BegunCopy, type CopyResult, type SourceShape } from './strategies/index.ts';
import { hashFile, verifyFile, verifyWrittenFile } from './verify.ts';

export type { BackupOptions } from './backup-options.ts';
export { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_MAX_RESTARTS, DEFAULT_PAUSE_MS } from './backup-options.ts';
export { sqliteVersion } from './sqlite-file.ts';

/** Called with a partial's names before its files are made, so the thread that started a worker can remove them if the worker is stopped. */
export type ClaimListener = (claim: PartialClaim) => void;

/** Backs up `source` to `destination` (a file, or a folder to name the file in). */
export async function backupDatabase(
  sourceArg: string,
  destinationArg: string,
  ctx: OperationContext,
  options: BackupOptions = {},
  onClaim?: ClaimListener,
): Promise<BackupResult> {
  const startedAt = new Date();
  const source = resolve(sourceArg);
  const action = options.action ?? 'back up';
  // An encrypted source is checked with its key; the copy keeps its encryption (connection.ts).
  const { header, encrypted, raw, held } = await checkSource(source, `Cannot ${action}`, options);
  const key = encrypted ? options.key : undefined;
  // A malformed recipient is refused before anything is written.
  if (options.encryption) recipientOf(options.encryption, `Cannot ${action} ${source}`);
  const destination = await resolveDestination(source, destinationArg, options);
  const subject = `Cannot ${action} ${source} to ${destination}`;
  const removedPartials = await removeStalePartials(dirname(destination));
  ctx.throwIfCancelled(subject);

  const mode = options.mode ?? defaultMode(header);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let begun: BegunCopy | undefined;
  let claim: PartialClaim | undefined;
  // An encrypted backup's age partial and the thread encrypting into it.
  let ageClaim: PartialClaim | undefined;
  let sealer: AgeFileSealer | undefined;
  let sealerStarting: Promise<AgeFileSealer> | undefined;
  // Probed before the copy begins, so no snapshot is held while the probe is written.
  const destinationClones = await folderClones(dirname(destination));
  try {
    // An encrypted backup's plaintext goes to its encryption as it is copied, when the copy
    // writes the snapshot's final bytes once, in order (a snapshot's file copy: no clone, no
    // key to rewrite page 1 with); the plain partial is then written only for its verification.
    const ring = options.encryption && mode === 'snapshot' && !key && !raw && !destinationClones ? PlainRing.create(COPY_CHUNK_BYTES) : undefined;
    const plainRing = ring && { ring, writePlain: options.verify !== false && options.hashOnly !== true };
    // Never more readable than the source: the copy takes its permission bits.
    const fileMode = (await stat(source)).mode & 0o666;
    // An encrypted backup's plain partial is readable by this user only, whatever the source.
    claim = await claimPartial(options.encryption ? plainPartialName(destination) : destination, options.encryption ? 0o600 : fileMode, onClaim);
    if (options.encryption) {
      ageClaim = await claimPartial(destination, fileMode, onClaim);
      // The key is wrapped (a passphrase's scrypt takes a second) and the encrypting thread
      // started while the snapshot is taken, so the copy does not wait for either.
      if (ring) {
        sealerStarting = AgeFileSealer.start({ ring }, ageClaim.path, [recipientOf(options.encryption, subject)]).then((started) => (sealer = started));
        // A sealer that never started empties no ring: the copy must not wait on it.
        sealerStarting.catch(() => ring.close());
      }
    }
    begun = await beginCopy({ source, header, options, busyTimeoutMs, ctx, subject, destinationClones, key, raw, held, plainRing }, mode);
    const { shape } = begun;
    ctx.report({ phase: 'prepare', totalPages: shape.pageCount, remainingPages: shape.pageCount, bytesCopied: 0, bytesPerSecond: 0, restarts: 0 }, true);
    const copied = await begun.copy(claim.path);
    await begun.end();
    begun = undefined;

    const finalizing = { phase: 'finalize' as const, totalPages: shape.pageCount, remainingPages: 0, bytesCopied: shape.pageCount * shape.pageSize, bytesPerSecond: 0, restarts: copied.restarts };
    ctx.report(finalizing, true);
    const { pageCount, pageSize } = copied.finished ?? finalize(claim.path, copied, key, subject);
    ctx.throwIfCancelled(subject);

    // Any other copy (a clone, a fallback, one finalized or rekeyed after it was written) is
    // encrypted once it is finished, while it is verified.
    let sealing: Promise<string> | undefined;
    // A copy through the ring may have written no plain partial at all.
    const plainBytes = copied.handedOff ? pageCount * pageSize : (await stat(claim.path)).size;
    if (options.encryption && ageClaim) {
      if (sealerStarting) await sealerStarting;
      sealerStarting = undefined;
      // A ring closed under the copy: its encryption failed, and that failure is the answer
      // (the plain partial need not hold the copy, so nothing is encrypted from it).
      if (ring?.closed) {
        await sealer?.finish();
        throw new Error('the encryption ended before the copy did');
      }
      if (!sealer || !copied.handedOff) {
        // This copy fell back to another way, or did not go through the ring.
        await sealer?.stop();
        await truncate(ageClaim.path, 0);
        sealer = await AgeFileSealer.start({ plainPath: claim.path, bytes: plainBytes }, ageClaim.path, [recipientOf(options.encryption, subject)]);
      }
      sealing = sealer.finish((done) => {
        if (ctx.isCancelled()) void sealer?.stop();
        ctx.report({ phase: 'finalize', totalPages: plainBytes, remainingPages: plainBytes - done, bytesCopied: done, bytesPerSecond: done / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
      });
    }

    let verification: VerifyResult | undefined;
    const hashedOnly = options.hashOnly === true && !raw ? copied.sha256 ?? (await hashPartial(claim.path, pageSize, ctx, subject)) : undefined;
    // A raw copy is hashed whatever `verify` says: its SHA-256 is the only check it will ever have.
    if ((options.verify !== false || raw) && !hashedOnly) {
      // A copy hashed as it was written is only checked with SQLite; anything else (an
      // encrypted copy among them: its page 1 is rewritten with the key after the copy) is
      // read again for its hash.
      verification = raw
        ? await verifyFile(claim.path, ctx, { useManifest: false, mapped: true })
        : copied.sha256
        ? await verifyWrittenFile(claim.path, ctx, { sha256: copied.sha256, full: options.fullVerify })
        : await verifyFile(claim.path, ctx, { full: options.fullVerify, useManifest: false, mapped: true, keys: { source: key } });
    }
    ctx.throwIfCancelled(subject);
    // Read from the plain copy, before an encrypted backup replaces it with ciphertext.
    // An encrypted copy's change counter is encrypted: the held copy's own words stand.
    const consistentUpTo = copied.heldCopy?.journal === 'rollback' && !key && !raw ? await rollbackPoint(claim.path, copied.heldCopy) : undefined;
    let encrypted: { sha256: string; entry: NonNullable<BackupManifest['encryption']> } | undefined;
    if (options.encryption && sealing && ageClaim) {
      // The plain copy goes once the encryption has read all of it, while its last blocks are written and flushed.
      const plainClaim = claim;
      const removingPlain = sealer!.plainRead().then(() => abandonPartial(plainClaim));
      removingPlain.catch(() => undefined);
      // A cancel stops the thread: it is answered as one.
      const ciphertextSha256 = await sealing.catch((error: unknown) => {
        ctx.throwIfCancelled(subject);
        throw error;
      });
      sealer = undefined;
      await removingPlain;
      ctx.throwIfCancelled(subject);
      claim = ageClaim;
      ageClaim = undefined;
      encrypted = { sha256: ciphertextSha256, entry: encryptionEntry(options.encryption, verification?.sha256 ?? copied.sha256 ?? null, plainBytes) };
    }
    await publishPartial(claim, options.overwrite === true);
    const bytes = (await stat(destination)).size;
    claim = undefined;

    const manifest = await manifestOf({ source, destination, startedAt, mode, shape, copied, pageCount, pageSize, bytes, verification, hashedOnly, consistentUpTo, encrypted, key, raw });
    if (raw) ctx.warn(`${source} was ${RAW_COPY_NOTE}`);
    const manifestPath = options.manifest === false ? null : await writeManifest(destination, manifest, (await stat(destination)).mode & 0o666);
    if (verification && !verification.ok) {
      throw new PagevaultError(
        'VERIFY_FAILED',
        `The backup of ${source} was written to ${destination} but failed verification: ${verification.problems.slice(0, 3).join('; ')}`,
      );
    }
    return { path: destination, manifestPath, manifest, durationMs: Date.now() - startedAt.getTime(), removedPartials, warnings: ctx.warnings() };
  } catch (error) {
    begun?.abort();
    // Nothing may write the age partial once it is removed.
    await sealerStarting?.catch(() => undefined);
    await sealer?.stop();
    if (ageClaim) await abandonPartial(ageClaim);
    if (claim) await abandonPartial(claim);
    throw toPagevaultError(error, subject);
  }
}

/**
 * checkDatabaseFile; and for an encrypted file without a key, when a raw copy is asked for
 * (`options.raw`), the facts a key-less copy has: its WAL header's page size, or the
 * ciphers' default, and whether a -wal is beside it.
 */
async function checkSource(source: string, action: string, options: BackupOptions): Promise<CheckedDatabase & { raw: boolean }> {
  try {
    return { ...(await checkDatabaseFile(source, action, options.key, { heldCopy: true })), raw: false };
  } catch (error) {
    if (options.key || !options.raw || (error as { code?: string }).code !== 'ENCRYPTED') throw error;
  }
  const stats = await stat(source);
  const pageSize = rawPageSize(source);
  const header = { pageSize, pageCount: Math.max(1, Math.ceil(stats.size / pageSize)), changeCounter: 0, writeVersion: rawCopyFollowsWal(source) ? 2 : 1, sqliteVersionNumber: 0, bytes: Buffer.alloc(100) };
  return { path: source, stats, header, encrypted: true, raw: true };
}

/**
 * Makes the copy a standalone file in rollback-journal mode, so it never grows a -wal,
 * and reads its page count and size. A copy taken without a lock is recovered by SQLite
 * first: the WAL's committed frames are replayed, a hot journal is rolled back.
 */
function finalize(path: string, copied: CopyResult, key: SourceKey | undefined, subject: string): { pageCount: number; pageSize: number } {
  // A copy taken without a lock may hold a hot journal: its key is proven on page 1 before
  // SQLite rolls the journal back with it (a wrong key would come out as a damaged database).
  if (key && copied.heldCopy) proveKeyOnFirstPage(path, key, subject);
  // An encrypted copy's header is encrypted with the rest of page 1: only a keyed connection can switch it.
  const copy = key ? openEncrypted(path, key, subject, { exclusive: copied.heldCopy !== undefined }) : new Database(path, { fileMustExist: true });
  try {
    if (copied.heldCopy) {
      // Exclusive locking keeps the wal-index in memory: no -shm is made.
      copy.pragma('locking_mode = EXCLUSIVE');
      copy.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    }
    copy.pragma('journal_mode = DELETE');
    return { pageCount: Number(copy.pragma('page_count', { simple: true })), pageSize: Number(copy.pragma('page_size', { simple: true })) };
  } finally {
    copy.close();
  }
}

/** The manifest of a published backup. */
async function manifestOf(backup: {
  source: string;
  destination: string;
  startedAt: Date;
  mode: BackupManifest['mode'];
  shape: SourceShape;
  copied: CopyResult;
  pageCount: number;
  pageSize: number;
  bytes: number;
  verification: VerifyResult | undefined;
  /** The SHA-256 of a copy only hashed, not checked (BackupOptions.hashOnly). */
  hashedOnly: string | undefined;
  /** A rollback-journal held copy's point, read from the plain copy before it was encrypted. */
  consistentUpTo: string | undefined;
  /** Encrypted at rest with age. */
  encrypted: { sha256: string; entry: NonNullable<BackupManifest['encryption']> } | undefined;
  /** The key of an encrypted source, whose cipher the copy keeps. */
  key: SourceKey | undefined;
  /** An encrypted source copied without its key, its cipher unknown. */
  raw: boolean;
}): Promise<BackupManifest> {
  const { verification, copied: { heldCopy } } = backup;
  return {
    format: 'pagevault-backup',
    formatVersion: 1,
    file: basename(backup.destination),
    source: backup.source,
    startedAt: backup.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: backup.mode,
    sourceJournalMode: backup.shape.journalMode,
    pageSize: backup.pageSize,
    pageCount: backup.pageCount,
    bytes: backup.bytes,
    sha256: backup.encrypted?.sha256 ?? verification?.sha256 ?? backup.hashedOnly ?? null,
    sqliteVersion: sqliteVersion(),
    restarts: backup.copied.restarts,
    copyMethod: backup.copied.copyMethod ?? 'copied',
    // A raw copy was only hashed: nothing inside it was checked (RAW_COPY_NOTE).
    verification: verification && !backup.raw
      ? { verdict: verification.ok ? 'passed' : 'failed', check: verification.check, problems: verification.problems }
      : { verdict: 'skipped', check: null, problems: [] },
    ...(backup.key && { sourceEncryption: { cipher: backup.key.cipher, cipherLabel: cipherLabel(backup.key.cipher), keyed: true } }),
    ...(backup.raw && { sourceEncryption: { cipher: 'unknown', cipherLabel: 'an unknown cipher (copied without the key)', keyed: false } }),
    ...(heldCopy && { heldCopy: backup.consistentUpTo ? { ...heldCopy, consistentUpTo: backup.consistentUpTo } : heldCopy }),
    ...(backup.encrypted && { encryption: backup.encrypted.entry }),
  };
}

/** The SHA-256 of a finished partial that was not hashed as it was written (a clone, a copy whose page 1 was rewritten with its key). */
async function hashPartial(path: string, pageSize: number, ctx: OperationContext, subject: string): Promise<string> {
  const { size } = await stat(path);
  const totalPages = Math.ceil(size / pageSize);
  return hashFile(path, size, subject, (hashed) => {
    ctx.throwIfCancelled(subject);
    ctx.report({ phase: 'verify', totalPages, remainingPages: totalPages - Math.floor(hashed / pageSize), bytesCopied: hashed, bytesPerSecond: hashed / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
  });
}

/** "commit 812 (the file change counter)" of a recovered rollback-journal copy, read from its header. */
async function rollbackPoint(path: string, heldCopy: HeldCopy): Promise<string> {
  const { header } = await checkSqliteFile(path, 'Cannot read the backup');
  const rolledBack = heldCopy.consistentUpTo.startsWith('the commit before');
  return `commit ${header.changeCounter.toLocaleString('en-US')} (the file change counter)${rolledBack ? '; a transaction in progress was rolled back in the copy' : ''}`;
}

