/**
 * A Versions database in the app: its vault is `<backup folder>/<stem>.vault`
 * (vault/location.ts), each version a History entry whose path is `<vault>#<id>`
 * (vault/version-path.ts). Here: adding a version as a backup, checking that the vault at
 * that path is this database's, and turning a version into a file the restore flow takes.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupRecord } from '../api/types.ts';
import type { NewBackup } from '../catalog/backup-records.ts';
import * as engine from '../engine/index.ts';
import { makePrivateFolder, type PrivateFolder } from '../engine/private-folder.ts';
import { vaultFolderFor } from '../vault/location.ts';
import type { VaultVersion } from '../vault/vault.ts';
import { VAULT_FILE } from '../vault/vault-store.ts';
import { parseVersionPath, versionPath } from '../vault/version-path.ts';

export { parseVersionPath, versionPath, vaultFolderFor };

/** A database as far as its vault is concerned. */
interface VaultOwner {
  path: string;
  destination: string;
}

/**
 * The versions in the vault of `owner`, or none when there is no vault yet. Refuses a
 * folder at the vault's path that holds something else (nothing is written into it) and
 * a vault whose versions were taken of another database (each version records its source).
 */
export async function checkedVault(owner: VaultOwner, subject: string): Promise<{ vault: string; versions: VaultVersion[] }> {
  const vault = vaultFolderFor(owner.path, owner.destination);
  const folder = await stat(vault).catch(() => null);
  if (!folder) return { vault, versions: [] };
  if (!folder.isDirectory()) throw new PagevaultError('NOT_A_FOLDER', `${subject}: ${vault} is a file, not a Pagevault vault folder; move it away or choose another backup folder`);
  const hasVault = await stat(join(vault, VAULT_FILE)).then(() => true, () => false);
  if (!hasVault) {
    const names = await readdir(vault);
    if (names.length === 0) return { vault, versions: [] };
    throw new PagevaultError('NOT_A_DATABASE', `${subject}: the folder ${vault} is not a Pagevault vault (no ${VAULT_FILE} in it, and it holds ${names.length} other file${names.length === 1 ? '' : 's'}); move it away or choose another backup folder`);
  }
  const { versions } = await engine.vaultList(vault);
  const foreign = versions.find((version) => version.source !== owner.path);
  if (foreign) {
    throw new PagevaultError('DEST_EXISTS', `${subject}: the vault ${vault} holds versions of ${foreign.source}, not of ${owner.path}; choose another backup folder, or move that vault away`);
  }
  return { vault, versions };
}

/** The History entry of a version just added. */
export function versionEntry(
  version: VaultVersion,
  vault: string,
  entry: Pick<NewBackup, 'databaseId' | 'databaseLabel' | 'trigger' | 'startedAt' | 'durationMs' | 'mode'> & { changeMark?: string | null },
): NewBackup {
  return {
    ...entry,
    source: version.source,
    path: versionPath(vault, version.id),
    status: 'succeeded',
    finishedAt: version.createdAt,
    // The size the version restores to; what it cost is `version.newBytes`.
    bytes: version.pageCount * version.pageSize,
    pageSize: version.pageSize,
    pageCount: version.pageCount,
    sha256: null,
    restarts: 0,
    // Every page was hashed as it was stored; a check against those hashes is History > Verify.
    verification: 'skipped',
    verificationProblems: [],
    verifiedAt: null,
    error: null,
    version: { vault, id: version.id, newBytes: version.newBytes },
  };
}

/**
 * Which vaults are encrypted, for the History's badge. Learnt once per vault file (by its
 * inode: a vault never changes kind, a folder made anew may) from the vault itself, in an
 * engine worker: the catalog does not record it.
 */
export class VaultEncryptionFacts {
  readonly #known = new Map<string, boolean>();

  /** The records with `version.encrypted` set for the versions of encrypted vaults. */
  async withEncryption(records: BackupRecord[]): Promise<BackupRecord[]> {
    const vaults = [...new Set(records.flatMap((record) => (record.version && record.fileExists ? [record.version.vault] : [])))];
    const encrypted = new Map<string, boolean>();
    await Promise.all(
      vaults.map(async (vault) => {
        const file = await stat(join(vault, VAULT_FILE)).catch(() => null);
        if (!file) return;
        const key = `${vault}\0${file.dev}:${file.ino}`;
        let value = this.#known.get(key);
        if (value === undefined) {
          value = await engine.vaultList(vault).then((listed) => Boolean(listed.encryptedTo), () => undefined);
          if (value === undefined) return;
          this.#known.set(key, value);
        }
        encrypted.set(vault, value);
      }),
    );
    return records.map((record) => (record.version && encrypted.get(record.version.vault) ? { ...record, version: { ...record.version, encrypted: true } } : record));
  }
}

/** True when the entry is a version in a vault. */
export function isVersion(record: Pick<BackupRecord, 'path'>): boolean {
  return record.path !== null && parseVersionPath(record.path) !== null;
}

/**
 * Versions written out as files for the restore flow (inspect, verify, compare, load with
 * a safety copy), each written once and checked page by page against its hashes. Kept in
 * a private temporary folder of this process's making, one at a time: the wizard looks at
 * one backup at a time, and a file is removed once another is asked for or on close.
 */
export class VersionFiles {
  #current: { path: string; folder: PrivateFolder; file: string } | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  readonly #keys: () => Promise<AgeKeyInput[]>;
  #encrypted = false;

  /** True when the version written last came from an encrypted vault. */
  wasEncrypted(): boolean {
    return this.#current !== undefined && this.#encrypted;
  }

  /** `keys`: what opens an encrypted vault (the key store's), asked for each version written out. */
  constructor(keys: () => Promise<AgeKeyInput[]> = async () => []) {
    this.#keys = keys;
  }

  /** The file holding the version `path` names; `path` itself when it names no version. */
  async fileOf(path: string, options: engine.RunOptions = {}): Promise<string> {
    const named = parseVersionPath(path);
    if (!named) return path;
    const run = this.#pending.then(async () => {
      if (this.#current?.path === path && (await stat(this.#current.file).then(() => true, () => false))) return this.#current.file;
      await this.close();
      // Locked as this process's own while in use, so one a killed process left is removed by the next (private-folder.ts).
      const folder = makePrivateFolder('pagevault-version-');
      const stem = basename(named.vault, extname(named.vault));
      const file = join(folder.path, `${stem}-version-${named.id}.db`);
      try {
        const written = await engine.vaultRestore(named.vault, String(named.id), file, { ...options, keys: { age: await this.#keys() } });
        this.#encrypted = written.encrypted === true;
      } catch (error) {
        folder.remove();
        throw error;
      }
      this.#current = { path, folder, file };
      return file;
    });
    this.#pending = run.catch(() => undefined);
    return run;
  }

  /** Removes the file written last (a folder of this process's making). */
  async close(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    current?.folder.remove();
  }
}
