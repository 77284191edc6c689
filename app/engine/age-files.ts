/**
 * Backups encrypted at rest with age (app/age). The plain partial is encrypted on a
 * thread of its own (age-sealer.ts) into a second partial under the `.age` name,
 * which is what gets published once the plain one is verified; the plain one is removed. Reading one back (verify, restore) decrypts
 * it into a private temporary folder (0700, the file 0600) that is removed afterwards:
 * the plain database never lands beside the backup.
 */
import { createReadStream, createWriteStream, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupEncryption, BackupManifest, VerifyResult } from '../api/types.ts';
import { AGE_MAGIC, AgeDecryptor, readAgeHeader, type AgeHeaderInfo, type StreamHashes } from '../age/age-stream.ts';
import { parseIdentityText, parseRecipient, recipientOfSecretKey, type AgeIdentity, type AgeRecipient } from '../age/keys.ts';
import type { OperationContext } from './context.ts';
import { closeDatabaseFile, openDatabaseFile, READ_NONBLOCKING } from './database-files.ts';
import { makePrivateFolder } from './private-folder.ts';

/** The suffix of an encrypted backup's name. */
export const AGE_SUFFIX = '.age';

/** The name an encrypted backup's plain partial is claimed under (the claim of the `.age` name is the encrypted one's). */
export function plainPartialName(destination: string): string {
  return destination.endsWith(AGE_SUFFIX) ? destination.slice(0, -AGE_SUFFIX.length) : `${destination}.plain`;
}

/**
 * True when the file at `path` begins with age's header line. Read through the
 * descriptor the starting thread opened (database-files.ts): closing one of its own
 * would drop the locks SQLite holds on a live database elsewhere in the process.
 */
export async function isAgeFile(path: string): Promise<boolean> {
  let file: ReturnType<typeof openDatabaseFile> | undefined;
  try {
    file = openDatabaseFile(path);
    const head = Buffer.alloc(AGE_MAGIC.length + 1);
    const bytesRead = readSync(file.fd, head, 0, head.length, 0);
    return bytesRead === head.length && head.toString('latin1') === `${AGE_MAGIC}\n`;
  } catch {
    // Missing, not a regular file, unreadable: the caller's own checks say which.
    return false;
  } finally {
    if (file) closeDatabaseFile(file);
  }
}

/** What an age file's header says about the key it needs (no key needed to read it). */
export async function ageHeaderOf(path: string, subject: string): Promise<AgeHeaderInfo> {
  const handle = await open(path, READ_NONBLOCKING);
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return readAgeHeader(head.subarray(0, bytesRead), subject);
  } finally {
    await handle.close();
  }
}

/** The engine's recipient for a backup encryption setting; refuses a malformed one naming `subject`. */
export function recipientOf(encryption: BackupEncryption, subject: string): AgeRecipient {
  if (encryption.kind === 'x25519') return parseRecipient(encryption.recipient, `${subject}: the recipient ${encryption.recipient}`);
  if (encryption.passphrase === '') throw new PagevaultError('INVALID_REQUEST', `${subject}: the passphrase is empty`);
  return { kind: 'scrypt', passphrase: Buffer.from(encryption.passphrase, 'utf8'), ...(encryption.logN && { logN: encryption.logN }) };
}

/** The engine's identities for the keys a user or the secret store gave. */
export function identitiesOf(keys: AgeKeyInput[] | undefined, subject: string): AgeIdentity[] {
  return (keys ?? []).flatMap((key): AgeIdentity[] =>
    key.kind === 'identity' ? parseIdentityText(key.identity, `${subject}: the identity given`) : [{ kind: 'scrypt', passphrase: Buffer.from(key.passphrase, 'utf8') }],
  );
}

/** What the manifest says of a backup's encryption: who can open it, and what it holds. */
export function encryptionEntry(encryption: BackupEncryption, plaintextSha256: string | null, plaintextBytes: number): NonNullable<BackupManifest['encryption']> {
  return { format: 'age', recipient: encryption.kind === 'x25519' ? encryption.recipient : 'scrypt', plaintextSha256, plaintextBytes };
}

/** Counts bytes through, reporting 'finalize' progress and noticing a cancel. */
function progressOf(total: number, ctx: OperationContext, subject: string, phase: 'finalize' | 'verify' | 'check' = 'finalize'): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      try {
        ctx.throwIfCancelled(subject);
      } catch (error) {
        return callback(error as Error);
      }
      ctx.report({ phase, totalPages: total, remainingPages: total - done, bytesCopied: done, bytesPerSecond: done / Math.max(ctx.elapsedMs() / 1000, 0.001), restarts: 0 });
      callback(null, chunk);
    },
  });
}

/** A backup decrypted into a private temporary file, and how to remove it. */
export interface DecryptedCopy {
  path: string;
  hashes: StreamHashes;
  header: AgeHeaderInfo;
  /** The identities that opened it, to encrypt a safety copy for the same keys. */
  identities: AgeIdentity[];
  remove(): Promise<void>;
}

/**
 * Decrypts the age file `path` with `keys` into a 0600 file in a new 0700 temporary
 * folder. Nothing is left behind on failure: a wrong key, a cut or changed file, a cancel.
 */
export async function decryptToTemporary(path: string, keys: AgeKeyInput[] | undefined, ctx: OperationContext | undefined, subject: string, phase: 'verify' | 'check' = 'verify'): Promise<DecryptedCopy> {
  const identities = identitiesOf(keys, subject);
  const header = await ageHeaderOf(path, subject);
  if (identities.length === 0) {
    throw new PagevaultError('KEY_NEEDED', `${subject}: it is encrypted with age to ${header.passphrase ? 'a passphrase; give the passphrase' : 'an age public key; give its identity (AGE-SECRET-KEY-1…)'}${header.passphrase ? '' : ', or keep it in Pagevault for this database'}`);
  }
  // Locked as this process's own while in use, so one a killed process left is removed by the next (private-folder.ts).
  const folder = makePrivateFolder('pagevault-decrypted-');
  const remove = async () => folder.remove();
  try {
    const plainPath = join(folder.path, 'backup.db');
    const decryptor = new AgeDecryptor(identities, subject);
    const total = (await stat(path)).size;
    const input = createReadStream(path, { highWaterMark: 1 << 20 });
    const output = createWriteStream(plainPath, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 });
    if (ctx) await pipeline(input, progressOf(total, ctx, subject, phase), decryptor, output);
    else await pipeline(input, decryptor, output);
    return { path: plainPath, hashes: decryptor.hashes(), header, identities, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** The encryption a safety copy taken while restoring an encrypted backup gets: the same keys that opened it. */
export function encryptionForSafetyCopy(copy: DecryptedCopy): BackupEncryption | undefined {
  const identity = copy.identities[0];
  if (!identity) return undefined;
  if (identity.kind === 'scrypt') return { kind: 'passphrase', passphrase: identity.passphrase.toString('utf8') };
  return { kind: 'x25519', recipient: recipientOfSecretKey(identity.secretKey) };
}

/** Adds to `result` what the manifest of an encrypted backup says that the decrypted copy does not match. */
export function checkAgainstManifest(result: VerifyResult, manifest: BackupManifest | undefined, hashes: StreamHashes, bytes: number): VerifyResult {
  if (!manifest) return result;
  const problems = [...result.problems];
  if (manifest.bytes !== bytes) problems.push(`size is ${bytes} bytes, the manifest says ${manifest.bytes}`);
  if (manifest.sha256 && manifest.sha256 !== hashes.ciphertextSha256) problems.push('SHA-256 of the encrypted file differs from the manifest: the file changed after the backup was taken');
  const entry = manifest.encryption;
  if (entry?.plaintextSha256 && entry.plaintextSha256 !== hashes.plaintextSha256) problems.push('SHA-256 of the decrypted database differs from the manifest');
  if (manifest.pageCount !== result.pageCount) problems.push(`page count is ${result.pageCount}, the manifest says ${manifest.pageCount}`);
  return { ...result, ok: problems.length === 0, problems, manifestChecked: true };
}
