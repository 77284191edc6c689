/**
 * age's keys (https://age-encryption.org/v1): X25519 identities (`AGE-SECRET-KEY-1…`)
 * and their recipients (`age1…`), and passphrases for the scrypt recipient, on
 * node:crypto alone. Parsing errors say what the user actually gave.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PagevaultError } from '../api/errors.ts';
import { bech32Decode, bech32Encode } from './bech32.ts';

/** Who a file is encrypted to: an X25519 public key, or a passphrase (scrypt). */
export type AgeRecipient = { kind: 'x25519'; publicKey: Buffer } | { kind: 'scrypt'; passphrase: Buffer; logN?: number };
/** What opens a file: an X25519 secret key, or a passphrase. */
export type AgeIdentity = { kind: 'x25519'; secretKey: Buffer } | { kind: 'scrypt'; passphrase: Buffer };

// DER wrappings of a raw 32-byte X25519 key, so node:crypto takes it as a KeyObject.
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

/** A raw X25519 secret key as a KeyObject. */
export function x25519PrivateKey(secret: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: 'der', type: 'pkcs8' });
}

/** A raw X25519 public key as a KeyObject. */
export function x25519PublicKey(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: 'der', type: 'spki' });
}

/** The raw 32 bytes of an X25519 public KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length);
}

/** The X25519 shared secret of a secret and a public key; refuses an all-zero one (a low-order point), as age does. */
export function x25519(secret: KeyObject, publicKey: Buffer): Buffer {
  const shared = diffieHellman({ privateKey: secret, publicKey: x25519PublicKey(publicKey) });
  if (shared.every((b) => b === 0)) throw new Error('X25519 produced an all-zero shared secret');
  return shared;
}

/** A new identity: its `AGE-SECRET-KEY-1…` text, to keep secret, and its `age1…` recipient, to encrypt to. */
export function generateAgeIdentity(): { identity: string; recipient: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const secret = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_X25519.length);
  return { identity: bech32Encode('AGE-SECRET-KEY-', secret).toUpperCase(), recipient: bech32Encode('age', rawPublicKey(publicKey)) };
}

/** The `age1…` recipient of an `AGE-SECRET-KEY-1…` identity. */
export function recipientOfIdentity(identity: string): string {
  const parsed = parseIdentityText(identity, 'the identity');
  const first = parsed[0]!;
  if (first.kind !== 'x25519') throw new Error('not an X25519 identity');
  return recipientOfSecretKey(first.secretKey);
}

/** The `age1…` recipient of a raw X25519 secret key. */
export function recipientOfSecretKey(secret: Buffer): string {
  return bech32Encode('age', rawPublicKey(createPublicKey(x25519PrivateKey(secret))));
}

/** Parses an `age1…` public key; `what` names where it came from in the message. */
export function parseRecipient(text: string, what: string): AgeRecipient {
  const trimmed = text.trim();
  if (/^AGE-SECRET-KEY-1/i.test(trimmed)) {
    throw new PagevaultError('INVALID_REQUEST', `${what} is an age identity (a secret key), not a recipient: encrypt to its public key (age1…), which \`age-keygen -y\` prints, and keep the secret key away from the command line`);
  }
  const decoded = bech32Decode(trimmed);
  if (!decoded || decoded.hrp !== 'age' || decoded.data.length !== 32 || trimmed !== trimmed.toLowerCase()) {
    const hint = trimmed.startsWith('age1pq') ? ' (a post-quantum recipient, which age 1.1.1 cannot read)' : trimmed.startsWith('ssh-') ? ' (an SSH key, which Pagevault does not encrypt to)' : '';
    throw new PagevaultError('INVALID_REQUEST', `${what} is not an age X25519 recipient${hint}: expected a public key starting with age1 (62 characters), as \`age-keygen\` prints`);
  }
  return { kind: 'x25519', publicKey: decoded.data };
}

/**
 * Parses the text of an age identity file: `AGE-SECRET-KEY-1…` lines, with `#` comments
 * and blank lines. A file that holds anything else (a passphrase, a public key) is
 * refused with what it seems to be, naming `what`.
 */
export function parseIdentityText(text: string, what: string): AgeIdentity[] {
  const identities: AgeIdentity[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const decoded = /^AGE-SECRET-KEY-1/.test(line) ? bech32Decode(line) : undefined;
    if (decoded && decoded.hrp === 'age-secret-key-' && decoded.data.length === 32) {
      identities.push({ kind: 'x25519', secretKey: decoded.data });
      continue;
    }
    if (/^AGE-SECRET-KEY-1/i.test(line)) throw new PagevaultError('WRONG_KEY', `${what} holds a damaged age identity (its checksum does not match): copy the AGE-SECRET-KEY-1… line again exactly`);
    if (/^age1/.test(line)) throw new PagevaultError('WRONG_KEY', `${what} holds an age public key (age1…), which only encrypts: give the identity file with the AGE-SECRET-KEY-1… line instead`);
    if (/^-----BEGIN|^ssh-/.test(line)) throw new PagevaultError('NOT_SUPPORTED', `${what} holds an SSH key; Pagevault reads age X25519 identities (AGE-SECRET-KEY-1…) only`);
    throw new PagevaultError('WRONG_KEY', `${what} is not an age identity file (no AGE-SECRET-KEY-1… line; it looks like a passphrase): give a passphrase with --passphrase-file, an identity with --identity`);
  }
  if (identities.length === 0) throw new PagevaultError('WRONG_KEY', `${what} holds no age identity (no AGE-SECRET-KEY-1… line)`);
  return identities;
}

/**
 * A passphrase from the text of a passphrase file: everything but one final line break.
 * An identity given as a passphrase is refused, since it would never open the file.
 */
export function parsePassphraseText(text: string, what: string): Buffer {
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') throw new PagevaultError('WRONG_KEY', `${what} is empty: put the passphrase in it`);
  if (/^\s*AGE-SECRET-KEY-1/.test(passphrase)) throw new PagevaultError('WRONG_KEY', `${what} holds an age identity, not a passphrase: give it with --identity`);
  return Buffer.from(passphrase, 'utf8');
}
