/**
 * Which backups are encrypted at rest, and with what. The choice (none, an age X25519
 * identity, a passphrase) is a setting per database with a default; the keys themselves
 * live only in the secret store (`age-identity:<id>`, `age-passphrase:<id>`, `:default`).
 * A choice whose key has gone from the store fails the backup with KEY_NEEDED instead
 * of quietly writing a plain one.
 */
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupEncryption, BackupEncryptionMode, BackupEncryptionInfo } from '../api/types.ts';
import { generateAgeIdentity, recipientOfIdentity } from '../age/keys.ts';
import type { CoreContext } from './context.ts';

type Scope = number | 'default';

const identityId = (scope: Scope) => `age-identity:${scope}`;
const passphraseId = (scope: Scope) => `age-passphrase:${scope}`;

/** Reads and changes the encryption choice of each database and the default, and hands the engine the key a backup is encrypted for. */
export class BackupEncryptionSettings {
  readonly #ctx: CoreContext;

  constructor(ctx: CoreContext) {
    this.#ctx = ctx;
  }

  /** The mode chosen for `scope`; a database without its own choice follows the default. */
  #mode(scope: Scope): { mode: BackupEncryptionMode; inherited: boolean } {
    const chosen = this.#ctx.catalog.settings.get().backupEncryption;
    const own = chosen[String(scope)];
    if (own) return { mode: own, inherited: false };
    if (scope === 'default') return { mode: 'none', inherited: false };
    return { mode: chosen.default ?? 'none', inherited: true };
  }

  /** Whether backups of `databaseId` (null: a database added now, which follows the default) are encrypted at rest. */
  encrypts(databaseId: number | null): boolean {
    return this.#mode(databaseId ?? 'default').mode !== 'none';
  }

  /** What the settings screen shows: the mode, where it comes from, the recipient and whether its key is kept. */
  async get(databaseId: number | null): Promise<BackupEncryptionInfo> {
    const scope: Scope = databaseId ?? 'default';
    const { mode, inherited } = this.#mode(scope);
    const keyScope: Scope = inherited ? 'default' : scope;
    const identity = mode === 'x25519' ? await this.#ctx.secrets.get(identityId(keyScope)) : undefined;
    const passphrase = mode === 'passphrase' ? await this.#ctx.secrets.get(passphraseId(keyScope)) : undefined;
    return {
      databaseId,
      mode,
      inherited,
      recipient: identity ? recipientOfIdentity(identity.toString('utf8')) : null,
      keyStored: mode === 'none' || identity !== undefined || passphrase !== undefined,
      store: this.#ctx.secrets.kind,
      recoveryKey: null,
    };
  }

  /**
   * Sets the mode for a database (`inherit` follows the default again) or the default.
   * `x25519` generates an identity when there is none (or `newIdentity`) and returns it
   * once as `recoveryKey`: it is shown to be saved and never again.
   */
  async set(databaseId: number | null, mode: BackupEncryptionMode | 'inherit', options: { passphrase?: string; newIdentity?: boolean } = {}): Promise<BackupEncryptionInfo> {
    const scope: Scope = databaseId ?? 'default';
    if (mode === 'inherit' && scope === 'default') throw new PagevaultError('INVALID_REQUEST', 'The default encryption cannot inherit; choose none, x25519 or passphrase');
    let recoveryKey: string | null = null;
    if (mode === 'passphrase') {
      if (options.passphrase !== undefined) {
        if (options.passphrase.length < 8) throw new PagevaultError('INVALID_REQUEST', 'A backup passphrase has at least 8 characters');
        await this.#ctx.secrets.set(passphraseId(scope), Buffer.from(options.passphrase, 'utf8'));
      } else if (!(await this.#ctx.secrets.get(passphraseId(scope)))) {
        throw new PagevaultError('INVALID_REQUEST', 'Give the passphrase the backups are encrypted with');
      }
    }
    if (mode === 'x25519' && (options.newIdentity || !(await this.#ctx.secrets.get(identityId(scope))))) {
      const generated = generateAgeIdentity();
      await this.#ctx.secrets.set(identityId(scope), Buffer.from(generated.identity, 'utf8'));
      recoveryKey = generated.identity;
    }
    const chosen = { ...this.#ctx.catalog.settings.get().backupEncryption };
    if (mode === 'inherit') delete chosen[String(scope)];
    else chosen[String(scope)] = mode;
    this.#ctx.catalog.settings.update({ backupEncryption: chosen });
    this.#ctx.changed('settings');
    return { ...(await this.get(databaseId)), recoveryKey };
  }

  /** The encryption a backup of `databaseId` gets now; throws KEY_NEEDED, naming the database, when its key was removed. */
  async forBackup(databaseId: number, label: string): Promise<BackupEncryption | undefined> {
    const { mode, inherited } = this.#mode(databaseId);
    if (mode === 'none') return undefined;
    const scope: Scope = inherited ? 'default' : databaseId;
    const where = this.#ctx.secrets.kind === 'keychain' ? "the desktop app's keychain-sealed key store" : 'the key file in the data folder';
    const missing = (what: string) =>
      new PagevaultError('KEY_NEEDED', `Cannot back up '${label}' encrypted: its ${what} is no longer in ${where}; no backup was written. Choose the encryption again in its settings (a new key), or turn encryption off`);
    if (mode === 'x25519') {
      const identity = await this.#ctx.secrets.get(identityId(scope));
      if (!identity) throw missing('age identity');
      return { kind: 'x25519', recipient: recipientOfIdentity(identity.toString('utf8')) };
    }
    const passphrase = await this.#ctx.secrets.get(passphraseId(scope));
    if (!passphrase) throw missing('backup passphrase');
    return { kind: 'passphrase', passphrase: passphrase.toString('utf8') };
  }

  /** Every age key the store keeps for backups (the default's and each registered database's), to open encrypted backups with. */
  async keys(): Promise<AgeKeyInput[]> {
    const scopes: Scope[] = ['default', ...this.#ctx.catalog.databases.list().map((row) => row.id)];
    const keys: AgeKeyInput[] = [];
    for (const scope of scopes) {
      const identity = await this.#ctx.secrets.get(identityId(scope));
      if (identity) keys.push({ kind: 'identity', identity: identity.toString('utf8') });
      const passphrase = await this.#ctx.secrets.get(passphraseId(scope));
      if (passphrase) keys.push({ kind: 'passphrase', passphrase: passphrase.toString('utf8') });
    }
    return keys;
  }
}
