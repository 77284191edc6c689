/**
 * The page vault: versions of one database, each costing only the pages it changed.
 *
 * Format. A vault is a folder holding one SQLite file, `vault.sqlite` (page size 16 KiB,
 * rollback journal, `synchronous=FULL`, incremental auto-vacuum), with these tables:
 * - `meta(key, value)`: `format = pagevault-vault`, `formatVersion = 2` (3 for an encrypted vault, so that a Pagevault that cannot open one says so), `nextBlock` (the
 *   next block id; ids only grow, never reused), `tipVersion` (see `tip`), `tipGroupVersion` (see `tip_group`) and `tipSource`:
 *   for a tip version read from a WAL snapshot, what it saw of the source (its files'
 *   inodes, the WAL's generation, the snapshot's last frame and its header, the file's
 *   change counter) as JSON, else empty. Part of the tip, written and dropped with it.
 * - `block(id INTEGER PRIMARY KEY, pages, page_size, digest, hashes, data)`: up to 64
 *   distinct page contents stored together. `data` is their bytes, concatenated,
 *   compressed with zstd (node:zlib) in one frame, so a restore decompresses a block once,
 *   not 64 times; `hashes` their SHA-256s, 32 bytes each, in the same order; `digest` the
 *   SHA-256 of all their bytes, so a restore that takes most of a block checks it with one
 *   hash (verify checks every page against its own).
 * - `page(id INTEGER PRIMARY KEY, hash BLOB UNIQUE)`: the index from content to where it
 *   is stored. A page's id is `block * 64 + slot`, so a restore needs no look-up to find
 *   it. A page stored once is shared by every version that has it, at any page number.
 * - `version(id INTEGER PRIMARY KEY AUTOINCREMENT, created_at, source, page_size,
 *   page_count, new_pages, new_bytes, map)`: `map` is the zstd-compressed array of
 *   little-endian u32 page ids, one per page number (entry k = page k+1). Ids grow with
 *   time and most pages keep theirs, so a map of 262,144 pages compresses to a few
 *   kilobytes instead of 8 MB of hashes.
 * - `tip(chunk INTEGER PRIMARY KEY, hashes)`: the SHA-256 of every page of the version
 *   `meta.tipVersion` names, 4096 pages a row. Only a cache: the next backup compares each
 *   page's hash with the tip's at the same page number, and where they are equal takes
 *   that version's page id from its map without a look-up in `page`. It is written in the
 *   transaction that adds its version, and a prune or a delete by hand that deletes that
 *   version deletes it in the same transaction, so the tip always describes a version that exists, whose
 *   pages exist (a prune never collects a page a version names); a backup uses it only
 *   when it names the newest version. Without it a backup looks every page up. With
 *   `tipSource`, a backup of a WAL source whose WAL proves which pages can have changed
 *   since (vault.ts, `changedSince`) reads and hashes only those, and takes every other
 *   page's id from the tip version's map and its hash from the tip.
 * - `tip_group(chunk INTEGER PRIMARY KEY, hashes)`: for the same rows of 4096 pages, the
 *   hash of each group of pages hashed together (32 KiB of pages: page-reader.ts), or 32
 *   zero bytes for a group not known. Part of the tip, and used only when
 *   `meta.tipGroupVersion` names the tip's version: a backup that reads every page
 *   hashes a group whose hash is the tip's no further, and takes its pages' hashes from
 *   the tip. A backup that reads every page writes every group; one that reads only the
 *   pages the WAL names zeroes the group of each page that changed; a prune that drops
 *   the tip drops these with it. The invariant: a group hash that is not zero is the hash
 *   of the bytes that the tip version has at those page numbers, for every one of them
 *   the tip version has. Vaults made before it gain the table with their next backup; a
 *   Pagevault that does not know it leaves `tipGroupVersion` behind, so it is not used.
 * Page 1 is stored as a standalone backup has it (header bytes 18/19 = 1, rollback
 * journal), so a restored version never grows a `-wal`; every other byte is the source's.
 *
 * Encryption (an encrypted vault; vault-crypto.ts). Made with an age recipient, an X25519
 * `age1…` key or a passphrase (age's scrypt recipient), the same `BackupEncryption` a
 * backup is encrypted at rest with, a vault keeps a random 32-byte data key, stored only
 * as an ASCII-armored age file sealed to that recipient in `meta.dataKey`:
 * `sqlite3 vault.sqlite "SELECT value FROM meta WHERE key = 'dataKey'" | age -d -i key.txt`
 * gives the key. `meta.encryption = age` and `meta.recipient` (the `age1…` key, or
 * `scrypt`) say so without the key. From the data key, HKDF-SHA256 (empty salt, info
 * `pagevault-vault/v1 ` + `block` / `page hash` / `map`) derives three keys:
 * - each block's `data` (its zstd frame) is sealed with ChaCha20-Poly1305 (node:crypto):
 *   `data` = 8 random bytes ‖ ciphertext ‖ 16-byte tag; the nonce is the block id (u32
 *   big-endian) followed by those 8 bytes, and the additional data is
 *   `pagevault-vault/v1 block` ‖ id (u64) ‖ pages (u32) ‖ page_size (u32), so a block
 *   moved to another id, or its row's counts changed, fails authentication. Block ids only
 *   grow and are never reused by a committed block, so the id alone would make nonces
 *   unique among the blocks the vault keeps; but a backup rolled back by a crash or a
 *   cancel leaves its sealed bytes on the disk (free pages, the journal, a file system
 *   snapshot) and the next backup seals other pages under the same id, so the random
 *   half keeps the two nonces apart (a collision needs 2^32 attempts at one id).
 * - every page hash stored (`page.hash`, `block.hashes`, `block.digest`, `tip`, `tip_group`) is
 *   HMAC-SHA256 under the `page hash` key: a plain SHA-256 would let anyone holding the
 *   vault confirm a guessed page. A restore and a verify check pages against it.
 * - version maps stay zstd-compressed page ids in the clear: they hold no content (only
 *   which page numbers changed between versions, as `new_pages` already says), and a
 *   prune reads them to collect pages, which therefore needs no key. Each map is
 *   authenticated instead: `version.mac` (a column only encrypted vaults have) is
 *   HMAC-SHA256 under the `map` key of id (u64) ‖ page_size ‖ page_count (u32) ‖ map,
 *   checked before a restore or a backup uses the map, so a map changed to name other
 *   pages is refused. What stays in the clear: each version's time, source path, page
 *   size and count, and sizes.
 * Adding a version, restoring and verifying contents need the identity or passphrase
 * (KEY_NEEDED without one, WRONG_KEY for one that does not open `meta.dataKey`, before
 * anything is written); listing and pruning need none; a verify without the key checks
 * only what needs none (every page a map names is stored, the index matches the blocks)
 * and says what it did not. A plain vault never becomes encrypted nor the reverse: a
 * backup asking for the other kind is refused. A source read through a temporary copy (a
 * rollback-journal database) is copied into a private temporary folder (0700; one a killed
 * backup left is removed by the next, app/engine/private-folder.ts), never
 * into an encrypted vault's folder. Plain vaults are unchanged (format 2); an encrypted
 * vault is format 3 and has `meta.encryption`, so a Pagevault that reads only format 2
 * refuses it, naming the update it needs.
 *
 * Why page granularity. SQLite rewrites pages in place at fixed offsets, so the page is
 * the unit that changes: 1 % of pages changed at random costs 1 % here, where ~1 MiB
 * content-defined chunks (restic, Borg, Kopia) would cost nearly a full copy.
 *
 * Why SQLite as the container. The alternative is a folder of immutable pack files named
 * by their hash plus one index object per version (temp + fsync + rename each, index
 * last). That ships to object storage as is, but every part of the crash-safety argument
 * (a pack without an index, an index naming a missing pack, collecting pages that live in
 * packs shared with kept versions, which means repacking) would be ours to get right and
 * to test. SQLite's atomic commit gives all of it: a version, with its new pages and its
 * map, is one transaction, and so is a prune. The file is self-describing (any `sqlite3`
 * reads it; `pagevault vault restore` needs no catalog). For an off-site copy, block ids
 * only grow and are never reused (`meta.nextBlock`), so version k's new data is exactly
 * the blocks it wrote, with ids in (max id before k, max id of k]: it exports as one
 * immutable object per version (its new blocks and its map), and a pruned block is an
 * object the remote may drop.
 *
 * Crash safety. With `synchronous=FULL` and a rollback journal, a transaction is either
 * wholly in the file or wholly absent after a power cut (SQLite's journal is fsynced, and
 * its directory, before the file is changed). A backup writes its pages and then its
 * version row in one transaction: a crash leaves the vault as before (the pages it wrote
 * vanish with the transaction), never a version with missing pages. A prune is
 * mark-then-sweep in one transaction with the version table as the root: inside a write
 * transaction (no other writer can add a version meanwhile) it deletes the versions
 * retention drops, marks every page id the remaining maps name, deletes every block none
 * of whose pages is marked, and deletes the index row of every unmarked page (the bytes
 * of an unmarked page in a block a kept version still names stay until the block goes;
 * without its index row no new version shares it); a crash at any moment rolls all of it
 * back. A version deleted by hand (`deleteVersions`, History > Delete) is the same
 * collection with the versions named instead of those retention drops; a version pinned in
 * the app is passed to a prune as one to keep. The freed space is given back to the
 * file system afterwards by `incremental_vacuum`, in its own transaction, which moves no
 * data a version can see. A backup holds the write lock from before it looks up pages
 * until it commits, so a prune can never collect a page a backup is about to reference.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import type { AgeKeyInput } from '../api/types.ts';
import { sha256 } from './page-hash.ts';
import { openDataKey, VaultCipher } from './vault-crypto.ts';

/** The vault's one file inside its folder; the folder alone restores. */
export const VAULT_FILE = 'vault.sqlite';
const FORMAT = 'pagevault-vault';
const FORMAT_VERSION = '2';
/** An encrypted vault's format: the same tables and `version.mac`, its blocks sealed (see the header). A Pagevault that reads only format 2 refuses it, naming the update it needs, instead of failing on sealed blocks. */
const ENCRYPTED_FORMAT_VERSION = '3';
/** Pages a block holds at most; a page id is `block * BLOCK_PAGES + slot`. */
export const BLOCK_PAGES = 64;
/** Pages a row of `tip` holds. */
export const TIP_CHUNK_PAGES = 4096;
/** The tip's group hashes (see the header), made by the first backup that needs them in a vault older than the table. */
export const TIP_GROUP_TABLE = 'CREATE TABLE IF NOT EXISTS tip_group (chunk INTEGER PRIMARY KEY, hashes BLOB NOT NULL)';

/** One version as listed. */
export interface VaultVersion {
  id: number;
  createdAt: string;
  source: string;
  pageSize: number;
  pageCount: number;
  /** Pages this version stored that no earlier version had. */
  newPages: number;
  /** Compressed bytes of those pages. */
  newBytes: number;
}

/** A damaged page or map found by `VaultStore.verify`. */
export interface VaultProblem {
  version: number | null;
  pageNumber: number | null;
  pageId: number | null;
  message: string;
}

/**
 * Compresses a block of pages. Told the input's size, zstd sizes its window and context
 * to it; one frame for up to 64 pages costs half the time per page of one per page.
 */
export function compressBlock(pages: Buffer): Buffer {
  return zstdCompressSync(pages, { pledgedSrcSize: pages.length });
}

/** Encodes a version's page ids, one per page number, as stored in `version.map`. */
export function encodeMap(ids: Uint32Array): Buffer {
  return zstdCompressSync(Buffer.from(ids.buffer, ids.byteOffset, ids.byteLength));
}

/** Decodes `version.map`; throws when it is damaged. */
export function decodeMap(map: Buffer, pageCount: number): Uint32Array {
  const bytes = zstdDecompressSync(map);
  if (bytes.length !== pageCount * 4) throw new Error(`the page map holds ${bytes.length / 4} pages, not ${pageCount}`);
  // The output is this call's own; a view of it saves a copy of the map (10 MB at 10 GB).
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, pageCount);
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** How a new vault is encrypted: its data key, and that key sealed to the recipient (vault-crypto.ts). */
export interface NewVaultKey {
  dataKey: Buffer;
  sealed: string;
  recipient: string;
}

/**
 * An open vault. Opens `vault.sqlite` in `dir`; with `create`, makes the folder and the
 * file on first use. Refuses a folder that holds something else.
 */
export class VaultStore {
  readonly dir: string;
  readonly db: Database.Database;
  /** An encrypted vault's recipient (`age1…`, or `scrypt` for a passphrase); null for a plain one. */
  readonly recipient: string | null;
  /** The data key's derivations, once `unlock` opened it (or the vault was created with it). */
  cipher: VaultCipher | undefined;
  /** The passphrase that opened a passphrase vault, to encrypt a restore's safety copy with. */
  openedWithPassphrase: string | undefined;

  private constructor(dir: string, db: Database.Database) {
    this.dir = dir;
    this.db = db;
    const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.recipient = get.get('encryption') === 'age' ? String(get.get('recipient')) : null;
  }

  /** True for a vault whose blocks are encrypted. */
  get encrypted(): boolean {
    return this.recipient !== null;
  }

  /**
   * Opens the data key with `keys` (KEY_NEEDED without, WRONG_KEY when they do not open
   * it, naming the vault in `subject`); a plain vault needs none and ignores them.
   */
  unlock(keys: AgeKeyInput[] | undefined, subject: string): void {
    if (!this.recipient || this.cipher) return;
    const sealed = String(this.db.prepare("SELECT value FROM meta WHERE key = 'dataKey'").pluck().get() ?? '');
    const passphrases = this.recipient === 'scrypt' ? (keys ?? []).filter((key) => key.kind === 'passphrase') : [];
    // Each passphrase on its own, so the one that opens it is known; the first error stands for all.
    let failure: unknown;
    for (const key of passphrases) {
      try {
        this.cipher = new VaultCipher(openDataKey(sealed, [key], this.recipient, subject));
        this.openedWithPassphrase = key.passphrase;
        return;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
    this.cipher = new VaultCipher(openDataKey(sealed, keys, this.recipient, subject));
  }

  /** An encrypted vault's key for its keyed page hash (page-reader.ts hashes with it on its threads); undefined for a plain vault. */
  pageHashKey(): Buffer | undefined {
    if (!this.recipient) return undefined;
    if (!this.cipher) throw new Error('the vault is encrypted and was not unlocked');
    return this.cipher.hashKey;
  }

  /** The hash a page is stored under: SHA-256, or in an encrypted vault the keyed hash (unlock first). */
  hash(data: Uint8Array): Buffer {
    if (!this.recipient) return sha256(data);
    if (!this.cipher) throw new Error('the vault is encrypted and was not unlocked');
    return this.cipher.hash(data);
  }

  /** A block's compressed bytes as stored: sealed in an encrypted vault. */
  sealBlock(id: number, pages: number, pageSize: number, data: Buffer): Buffer {
    return this.cipher ? this.cipher.sealBlock(id, pages, pageSize, data) : data;
  }

  /** A stored block's compressed bytes, or undefined when an encrypted one fails authentication. */
  openBlock(id: number, pages: number, pageSize: number, stored: Buffer): Buffer | undefined {
    if (!this.recipient) return stored;
    if (!this.cipher) throw new Error('the vault is encrypted and was not unlocked');
    return this.cipher.openBlock(id, pages, pageSize, stored);
  }

  /**
   * Opens the vault in `dirArg`; `create` makes it when missing, encrypted with `key` when
   * given (an existing vault ignores `key`: the caller compares `recipient`). `subject` words errors.
   */
  static open(dirArg: string, subject: string, options: { create?: boolean; key?: NewVaultKey } = {}): VaultStore {
    const dir = resolve(dirArg);
    const file = join(dir, VAULT_FILE);
    const exists = existsSync(file);
    if (!exists && !options.create) {
      throw new PagevaultError('NOT_FOUND', `${subject}: ${dir} is not a Pagevault vault (no ${VAULT_FILE} in it); back up with --vault ${dir} first`);
    }
    if (!exists) mkdirSync(dir, { recursive: true });
    let db: Database.Database;
    try {
      // Opened for writing even to read: after a crash, SQLite rolls back the hot journal
      // on the first read, which a read-only connection cannot (SQLITE_READONLY_ROLLBACK).
      // A vault the user may not write to is opened read-only by SQLite itself.
      db = new Database(file, { timeout: 10_000 });
    } catch (error) {
      throw new PagevaultError('PERMISSION_DENIED', `${subject}: cannot open ${file} (${(error as Error).message})`);
    }
    try {
      if (!exists) {
        db.pragma('page_size = 16384');
        db.pragma('auto_vacuum = INCREMENTAL');
        db.pragma('journal_mode = DELETE');
        db.exec(`
          BEGIN;
          CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
          CREATE TABLE block (id INTEGER PRIMARY KEY, pages INTEGER NOT NULL, page_size INTEGER NOT NULL, digest BLOB NOT NULL, hashes BLOB NOT NULL, data BLOB NOT NULL);
          CREATE TABLE page (id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE);
          CREATE TABLE tip (chunk INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
          ${TIP_GROUP_TABLE};
          CREATE TABLE version (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, source TEXT NOT NULL,
            page_size INTEGER NOT NULL, page_count INTEGER NOT NULL, new_pages INTEGER NOT NULL, new_bytes INTEGER NOT NULL, map BLOB NOT NULL);
          INSERT INTO meta VALUES ('format', '${FORMAT}'), ('formatVersion', '${FORMAT_VERSION}'), ('nextBlock', '1'), ('tipVersion', '0');`);
        if (options.key) {
          db.exec('ALTER TABLE version ADD COLUMN mac BLOB');
          const put = db.prepare('INSERT INTO meta VALUES (?, ?)');
          put.run('encryption', 'age');
          put.run('recipient', options.key.recipient);
          put.run('dataKey', options.key.sealed);
          db.prepare("UPDATE meta SET value = ? WHERE key = 'formatVersion'").run(ENCRYPTED_FORMAT_VERSION);
        }
        db.exec('COMMIT');
      }
      db.pragma('synchronous = FULL');
      // SQLite's own default cache (2 MiB), not better-sqlite3's 16 MiB: a version looks up
      // only changed pages in the hash index, each at a random place, and streams the tip's
      // rows once, so a larger cache holds nothing read twice and only adds to the peak
      // memory (12 MB at 10 GB, measured).
      db.pragma('cache_size = -2000');
      const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get();
      const version = db.prepare("SELECT value FROM meta WHERE key = 'formatVersion'").pluck().get();
      if (format !== FORMAT) throw new Error('not a vault');
      const sealed = db.prepare("SELECT count(*) FROM meta WHERE key = 'encryption'").pluck().get() !== 0;
      if (version !== (sealed ? ENCRYPTED_FORMAT_VERSION : FORMAT_VERSION)) {
        db.close();
        throw new PagevaultError('NOT_SUPPORTED', `${subject}: ${file} is a vault of format ${String(version)}; this Pagevault reads formats ${FORMAT_VERSION} and ${ENCRYPTED_FORMAT_VERSION} (encrypted), update Pagevault`);
      }
    } catch (error) {
      if (db.open) db.close();
      if (error instanceof PagevaultError) throw error;
      throw new PagevaultError('NOT_A_DATABASE', `${subject}: ${file} is not a Pagevault vault (${(error as Error).message})`);
    }
    const store = new VaultStore(dir, db);
    if (!exists && options.key) store.cipher = new VaultCipher(options.key.dataKey);
    return store;
  }

  /** Every version, oldest first. */
  versions(): VaultVersion[] {
    return (this.db.prepare('SELECT id, created_at, source, page_size, page_count, new_pages, new_bytes FROM version ORDER BY id').all() as Array<Record<string, number | string>>).map(
      (row) => ({
        id: Number(row.id),
        createdAt: String(row.created_at),
        source: String(row.source),
        pageSize: Number(row.page_size),
        pageCount: Number(row.page_count),
        newPages: Number(row.new_pages),
        newBytes: Number(row.new_bytes),
      }),
    );
  }

  /** The version `spec` names: its number as listed, or `latest`. */
  resolveVersion(spec: string, subject: string): VaultVersion {
    const all = this.versions();
    const found = spec === 'latest' ? all.at(-1) : /^\d+$/.test(spec) ? all.find((v) => v.id === Number(spec)) : undefined;
    if (!found) {
      const listed = all.length === 0 ? 'the vault has no versions yet' : `versions are ${all[0]!.id}..${all.at(-1)!.id} (see pagevault vault list ${this.dir})`;
      throw new PagevaultError('NOT_FOUND', `${subject}: no version '${spec}' in ${this.dir}; ${listed}`);
    }
    return found;
  }

  /** The page ids of version `id`, one per page number. */
  pageMap(id: number): Uint32Array {
    if (this.cipher) {
      // An encrypted vault's map is proven by its MAC: a map changed to name other pages would restore them unnoticed.
      const row = this.db.prepare('SELECT map, page_size, page_count, mac FROM version WHERE id = ?').get(id) as { map: Buffer; page_size: number; page_count: number; mac: Buffer | null };
      if (!this.cipher.checkMap(id, row.page_size, row.page_count, row.map, row.mac)) throw new Error('its MAC does not match: the map was changed');
      return decodeMap(row.map, row.page_count);
    }
    const row = this.db.prepare('SELECT map, page_count FROM version WHERE id = ?').get(id) as { map: Buffer; page_count: number };
    return decodeMap(row.map, row.page_count);
  }

  /** A number kept in `meta`. */
  metaNumber(key: 'nextBlock' | 'tipVersion' | 'tipGroupVersion'): number {
    return Number(this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) ?? 0);
  }

  /** Sets a number kept in `meta`; inside the caller's transaction. */
  setMetaNumber(key: 'nextBlock' | 'tipVersion' | 'tipGroupVersion', value: number): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, String(value));
  }

  /** A text kept in `meta`, or undefined. */
  metaText(key: 'tipSource'): string | undefined {
    const value = this.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key);
    return value === undefined ? undefined : String(value);
  }

  /** Sets a text kept in `meta`; inside the caller's transaction. */
  setMetaText(key: 'tipSource', value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /** Closes the vault's connection; a second call does nothing. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
