/**
 * An encrypted vault's keys (the format is in vault-store.ts): a random data key sealed
 * as an ASCII-armored age file to the vault's recipient, and what is derived from it.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput, BackupEncryption } from '../api/types.ts';
import { openSmall, sealSmall } from '../age/age-stream.ts';
import { identitiesOf, recipientOf } from '../engine/age-files.ts';
import { hmacSha256, type PageHasher } from './page-hash.ts';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
const TAG = 16;
/** Random bytes stored before each sealed block, completing its nonce (see vault-store.ts). */
const NONCE_SALT = 8;
const BLOCK_AAD = Buffer.from('pagevault-vault/v1 block');
const MAP_AAD = Buffer.from('pagevault-vault/v1 map');

/** age's ASCII armor (`age -a`): base64 in 64 columns between two marker lines; `age -d` reads it as is. */
export function armor(data: Buffer): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `${ARMOR_BEGIN}\n${lines.join('\n')}\n${ARMOR_END}\n`;
}

function dearmor(text: string, subject: string): Buffer {
  const lines = text.trim().split(/\r?\n/);
  if (lines[0] !== ARMOR_BEGIN || lines.at(-1) !== ARMOR_END) throw new PagevaultError('CORRUPT', `${subject}: its sealed data key (meta.dataKey) is not an armored age file`);
  return Buffer.from(lines.slice(1, -1).join(''), 'base64');
}

function subkey(dataKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), `pagevault-vault/v1 ${info}`, 32));
}

/** A new vault's data key and its armored age file, sealed to `encryption`'s recipient. */
export async function newDataKey(encryption: BackupEncryption, subject: string): Promise<{ dataKey: Buffer; sealed: string; recipient: string }> {
  const dataKey = randomBytes(32);
  const sealed = armor(await sealSmall(dataKey, [recipientOf(encryption, subject)]));
  return { dataKey, sealed, recipient: encryption.kind === 'x25519' ? encryption.recipient : 'scrypt' };
}

/**
 * Opens the sealed data key with `keys`: none is KEY_NEEDED, one that does not open it
 * WRONG_KEY, both naming the vault in `subject`. Synchronous, scrypt too: it runs once per
 * operation, in the engine's worker.
 */
export function openDataKey(sealed: string, keys: AgeKeyInput[] | undefined, recipient: string, subject: string): Buffer {
  if (!keys || keys.length === 0) {
    throw new PagevaultError(
      'KEY_NEEDED',
      `${subject}: the vault is encrypted ${recipient === 'scrypt' ? 'with a passphrase; give the passphrase' : `to ${recipient}; give its age identity (AGE-SECRET-KEY-1…)`}`,
    );
  }
  const dataKey = openSmall(dearmor(sealed, subject), identitiesOf(keys, subject), `${subject}: its data key`);
  if (dataKey.length !== 32) throw new PagevaultError('CORRUPT', `${subject}: its sealed data key holds ${dataKey.length} bytes, not 32`);
  return dataKey;
}

/**
 * What the data key does: a keyed page hash (HMAC-SHA256), so the stored hashes confirm no
 * guessed page to someone without the key; ChaCha20-Poly1305 for each block's compressed
 * bytes, its id in the nonce and the additional data; a MAC over each version's map.
 */
export class VaultCipher {
  readonly #hashKey: Buffer;
  readonly #pageHash: PageHasher;
  readonly #blockKey: Buffer;
  readonly #mapKey: Buffer;

  constructor(dataKey: Buffer) {
    this.#hashKey = subkey(dataKey, 'page hash');
    this.#pageHash = hmacSha256(this.#hashKey);
    this.#blockKey = subkey(dataKey, 'block');
    this.#mapKey = subkey(dataKey, 'map');
  }

  /** The keyed hash a page (or a block's bytes) is stored and checked under. */
  hash(data: Uint8Array): Buffer {
    return this.#pageHash(data);
  }

  /** The key of that hash, for the threads that hash pages as they read them (page-reader.ts). */
  get hashKey(): Buffer {
    return this.#hashKey;
  }

  #nonceAndAad(id: number, pages: number, pageSize: number, salt: Buffer): { nonce: Buffer; aad: Buffer } {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(id, 0);
    salt.copy(nonce, 4);
    const aad = Buffer.alloc(BLOCK_AAD.length + 16);
    BLOCK_AAD.copy(aad);
    aad.writeBigUInt64BE(BigInt(id), BLOCK_AAD.length);
    aad.writeUInt32BE(pages, BLOCK_AAD.length + 8);
    aad.writeUInt32BE(pageSize, BLOCK_AAD.length + 12);
    return { nonce, aad };
  }

  /** Seals block `id`'s compressed bytes: 8 random bytes (the rest of the nonce), the ciphertext, its tag. */
  sealBlock(id: number, pages: number, pageSize: number, data: Buffer): Buffer {
    const salt = randomBytes(NONCE_SALT);
    const { nonce, aad } = this.#nonceAndAad(id, pages, pageSize, salt);
    const cipher = createCipheriv('chacha20-poly1305', this.#blockKey, nonce, { authTagLength: TAG });
    cipher.setAAD(aad, { plaintextLength: data.length });
    return Buffer.concat([salt, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  }

  /** The compressed bytes of block `id`, or undefined when the stored ones were changed (or belong to another block). */
  openBlock(id: number, pages: number, pageSize: number, sealed: Buffer): Buffer | undefined {
    if (sealed.length < NONCE_SALT + TAG) return undefined;
    const { nonce, aad } = this.#nonceAndAad(id, pages, pageSize, sealed.subarray(0, NONCE_SALT));
    const decipher = createDecipheriv('chacha20-poly1305', this.#blockKey, nonce, { authTagLength: TAG });
    decipher.setAAD(aad, { plaintextLength: sealed.length - NONCE_SALT - TAG });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(NONCE_SALT, sealed.length - TAG)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /** The MAC of version `id`'s map, binding it to its id and page size and count. */
  mapMac(id: number, pageSize: number, pageCount: number, map: Buffer): Buffer {
    const head = Buffer.alloc(16);
    head.writeBigUInt64BE(BigInt(id), 0);
    head.writeUInt32BE(pageSize, 8);
    head.writeUInt32BE(pageCount, 12);
    return createHmac('sha256', this.#mapKey).update(MAP_AAD).update(head).update(map).digest();
  }

  /** True when `mac` is version `id`'s map MAC. */
  checkMap(id: number, pageSize: number, pageCount: number, map: Buffer, mac: Buffer | null): boolean {
    return mac !== null && mac.length === 32 && timingSafeEqual(this.mapMac(id, pageSize, pageCount, map), mac);
  }
}
