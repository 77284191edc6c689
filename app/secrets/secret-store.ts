/**
 * Where Pagevault keeps the keys it was given: the key of an encrypted source database,
 * age identities and passphrases of encrypted backups. Never the catalog: a catalog is
 * backed up, copied and shown in support requests; a key must stay on this machine.
 *
 * Two stores with one interface. The desktop app seals each secret with the operating
 * system's keychain (Electron's safeStorage, handed in as `seal`), so the file alone is
 * of no use to whoever copies it. The host and the CLI run where there may be no keychain
 * (a headless server): there the secrets sit in a file only the user may read, as ssh
 * keys and age identity files do. Both files are replaced atomically (temp file, fsync,
 * rename, fsync of the folder): a crash leaves the old or the new set of keys, never a
 * torn file that loses all of them.
 *
 * Ids: `source-key:<databaseId>` (JSON `{ key, cipher, kind }` as bytes),
 * `age-identity:<databaseId>` / `age-identity:default`,
 * `age-passphrase:<databaseId>` / `age-passphrase:default`.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PagevaultError } from '../api/errors.ts';

/** Where keys live: the OS keychain in the desktop app, a 0600 key file in the data folder for the host and CLI. */
export interface SecretStore {
  readonly kind: 'keychain' | 'key-file';
  get(id: string): Promise<Buffer | undefined>;
  set(id: string, secret: Buffer): Promise<void>;
  delete(id: string): Promise<void>;
}

/** What seals a secret with the operating system's keychain (Electron safeStorage in the desktop app). */
export interface Seal {
  encrypt(plain: Buffer): Buffer;
  decrypt(sealed: Buffer): Buffer;
}

/** The key file of the host and the CLI, in the data folder. */
export const KEY_FILE_NAME = 'keys.json';
/** The desktop app's file of sealed secrets, in the data folder. */
export const SEALED_FILE_NAME = 'keys.sealed';
/** Names of the store files and of their temp files while they are replaced (see isPagevaultEntry). */
export const SECRET_FILE_PATTERN = /^keys\.(json|sealed)(\.\d+\.[0-9a-f]+\.tmp)?$/;

const SECRET_FILE_MODE = 0o600;
const ID_PATTERN = /^[a-z][a-z0-9-]*:[A-Za-z0-9._-]+$/;

/** The file's content: one base64 value per id, sealed or not. */
interface StoreFile {
  version: 1;
  secrets: Record<string, string>;
}

/** The key file store: `<dataDir>/keys.json`, mode 0600, refused when others may read it. */
export function keyFileStore(dataDir: string): SecretStore {
  const file = new SecretFile(join(dataDir, KEY_FILE_NAME), 'key file', true);
  return {
    kind: 'key-file',
    get: async (id) => {
      const value = (await file.read(id)).secrets[checkedId(id)];
      return value === undefined ? undefined : Buffer.from(value, 'base64');
    },
    set: (id, secret) => file.update(id, (secrets) => ({ ...secrets, [checkedId(id)]: checkedSecret(id, secret).toString('base64') })),
    delete: (id) => file.update(id, (secrets) => without(secrets, checkedId(id))),
  };
}

/**
 * The desktop app's store: each secret sealed by `seal` (the OS keychain) and kept in
 * `<dataDir>/keys.sealed`, mode 0600. The ids are in the clear: they name databases by
 * their catalog id, nothing more.
 */
export function sealedStore(dataDir: string, seal: Seal): SecretStore {
  const path = join(dataDir, SEALED_FILE_NAME);
  const file = new SecretFile(path, 'sealed key file', false);
  return {
    kind: 'keychain',
    get: async (id) => {
      const value = (await file.read(id)).secrets[checkedId(id)];
      if (value === undefined) return undefined;
      try {
        return seal.decrypt(Buffer.from(value, 'base64'));
      } catch (error) {
        throw new PagevaultError(
          'PERMISSION_DENIED',
          `Cannot read the key ${id} from ${path}: the system keychain cannot unseal it (${(error as Error).message}); it was sealed by another user or machine, or the keychain was reset. Enter the key again`,
          { cause: error },
        );
      }
    },
    set: (id, secret) => file.update(id, (secrets) => ({ ...secrets, [checkedId(id)]: seal.encrypt(checkedSecret(id, secret)).toString('base64') })),
    delete: (id) => file.update(id, (secrets) => without(secrets, checkedId(id))),
  };
}

function without(secrets: Record<string, string>, id: string): Record<string, string> {
  const rest = { ...secrets };
  delete rest[id];
  return rest;
}

function checkedId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new PagevaultError('INVALID_REQUEST', `Cannot use '${id}' as a key id: expected '<kind>:<id>', such as 'source-key:3'`);
  return id;
}

function checkedSecret(id: string, secret: Buffer): Buffer {
  if (!Buffer.isBuffer(secret) || secret.length === 0) throw new PagevaultError('INVALID_REQUEST', `Cannot store the key ${id}: it is empty`);
  return secret;
}

/** One store file: read whole, replaced whole; updates in this process run one at a time. */
class SecretFile {
  readonly #path: string;
  readonly #what: string;
  readonly #refuseReadable: boolean;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, what: string, refuseReadable: boolean) {
    this.#path = path;
    this.#what = what;
    this.#refuseReadable = refuseReadable;
  }

  async read(id: string): Promise<StoreFile> {
    // Behind any update in flight, so a get after a set sees the set.
    const result = this.#queue.then(() => this.#load(`Cannot read the key ${id}`));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async update(id: string, change: (secrets: Record<string, string>) => Record<string, string>): Promise<void> {
    const result = this.#queue.then(async () => {
      const current = await this.#load(`Cannot store the key ${id}`);
      await this.#write({ version: 1, secrets: change(current.secrets) });
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #load(doing: string): Promise<StoreFile> {
    let mode: number;
    let text: string;
    try {
      mode = (await stat(this.#path)).mode;
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw new PagevaultError('PERMISSION_DENIED', `${doing}: cannot read the ${this.#what} ${this.#path} (${(error as Error).message})`, { cause: error });
    }
    if (this.#refuseReadable && process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new PagevaultError(
        'PERMISSION_DENIED',
        `${doing}: other users can read the ${this.#what} ${this.#path} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}), so its keys are no longer secret; run chmod 600 ${this.#path}, and change the keys it holds if others may have copied them`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isStoreFile(parsed)) {
      // The content is not quoted: it is the secrets.
      throw new PagevaultError('CORRUPT', `${doing}: the ${this.#what} ${this.#path} is damaged (not the JSON Pagevault writes); move it away and enter the keys again`);
    }
    return parsed;
  }

  async #write(content: StoreFile): Promise<void> {
    const temp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      // 'wx': a file of that name from someone else is never followed or reused.
      await writeFile(temp, `${JSON.stringify(content, null, 1)}\n`, { mode: SECRET_FILE_MODE, flag: 'wx' });
      await chmod(temp, SECRET_FILE_MODE);
      await fsync(temp, 'r+');
      await rename(temp, this.#path);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      const code = (error as NodeJS.ErrnoException).code;
      throw new PagevaultError(code === 'ENOSPC' ? 'DISK_FULL' : 'PERMISSION_DENIED', `Cannot write the ${this.#what} ${this.#path}: ${(error as Error).message}; the keys it held are unchanged`, { cause: error });
    }
    // The rename is durable only once the folder is on disk.
    await fsync(join(this.#path, '..'), 'r').catch(() => undefined);
  }
}

async function fsync(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isStoreFile(value: unknown): value is StoreFile {
  if (typeof value !== 'object' || value === null) return false;
  const { version, secrets } = value as Partial<StoreFile>;
  return version === 1 && typeof secrets === 'object' && secrets !== null && Object.values(secrets).every((v) => typeof v === 'string');
}
