/**
 * The keys of encrypted source databases, kept in the secret store under
 * `source-key:<databaseId>` as JSON `{ key, cipher, kind }`; never in the catalog. A
 * database added without its key keeps `{ raw: true }` there instead: what Pagevault knows
 * of its key is that it has none, and its backups are raw copies (engine raw-copy.ts).
 */
import { PagevaultError } from '../api/errors.ts';
import { cipherNames, type SourceKey } from '../api/types.ts';
import type { SecretStore } from '../secrets/secret-store.ts';

const idOf = (databaseId: number) => `source-key:${databaseId}`;

/** The key kept for `databaseId`, or undefined when none is (a plain database, or its key was removed). */
export async function sourceKeyOf(secrets: SecretStore, databaseId: number): Promise<SourceKey | undefined> {
  const bytes = await secrets.get(idOf(databaseId));
  if (!bytes) return undefined;
  let parsed: Partial<SourceKey> | undefined;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Partial<SourceKey>;
  } catch {
    parsed = undefined;
  }
  if ((parsed as { raw?: unknown } | undefined)?.raw === true) return undefined;
  if (!parsed || typeof parsed.key !== 'string' || !(cipherNames as readonly string[]).includes(parsed.cipher ?? '') || (parsed.kind !== 'passphrase' && parsed.kind !== 'raw')) {
    // The stored bytes are the secret: not quoted.
    throw new PagevaultError('CORRUPT', `The key kept for database ${databaseId} in Pagevault's key store is damaged; enter the key again in the database's settings`);
  }
  return parsed as SourceKey;
}

/** Whether `databaseId` was added without its key, so that its backups are raw copies. */
export async function copiesRaw(secrets: SecretStore, databaseId: number): Promise<boolean> {
  const bytes = await secrets.get(idOf(databaseId));
  if (!bytes) return false;
  try {
    return (JSON.parse(bytes.toString('utf8')) as { raw?: unknown }).raw === true;
  } catch {
    return false;
  }
}

/** Notes that `databaseId`, encrypted, was added without its key: its backups are raw copies. */
export async function saveRawCopies(secrets: SecretStore, databaseId: number): Promise<void> {
  await secrets.set(idOf(databaseId), Buffer.from(JSON.stringify({ raw: true })));
}

/** Keeps `key` as the key of `databaseId`. */
export async function saveSourceKey(secrets: SecretStore, databaseId: number, key: SourceKey): Promise<void> {
  await secrets.set(idOf(databaseId), Buffer.from(JSON.stringify({ key: key.key, cipher: key.cipher, kind: key.kind })));
}

/** Forgets the key of `databaseId` (removed from Pagevault). */
export async function forgetSourceKey(secrets: SecretStore, databaseId: number): Promise<void> {
  await secrets.delete(idOf(databaseId));
}

/**
 * An ENCRYPTED failure of a database that has no key in the store, said as what happened:
 * it was added with one, so the key was removed from the store (or the store replaced).
 */
export function keyMissingError(path: string, label: string, kind: SecretStore['kind'], cause: unknown): PagevaultError {
  const where = kind === 'keychain' ? 'the system keychain' : "Pagevault's key file";
  return new PagevaultError('ENCRYPTED', `Cannot back up ${path}: '${label}' is encrypted and its key is no longer in ${where}; remove the database and add it again with its key`, { cause });
}
