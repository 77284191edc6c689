/**
 * Opening an encrypted database, with its key.
 *
 * Two SQLite libraries, each for its own files. better-sqlite3 (SQLite 3.54.1) opens the
 * catalog and every plain database; better-sqlite3-multiple-ciphers (SQLite3MultipleCiphers
 * on SQLite 3.53.4) opens only files whose first bytes are not SQLite's header, that is,
 * encrypted ones, and only here. Measured on this machine: both have the same compile
 * options (USE_URI, FTS5, STAT4, no `sqlite_dbpage`, no snapshot API exposed to
 * JavaScript, no file control call), and a plain `backup()` of a 308 MB WAL database took
 * 2.7–3.6 s with better-sqlite3 and 3.4–3.9 s with the multiple-ciphers build (README,
 * "Encrypted databases"). Nothing would pay for moving the catalog and every plain
 * database to the older SQLite; keeping better-sqlite3 keeps the rest of the engine as it is.
 *
 * Why never both libraries on one file: POSIX record locks belong to the process, and
 * each SQLite keeps its own table of the files it has open to avoid closing a descriptor
 * while another of its connections holds locks on that file. Two SQLite libraries in one
 * process do not see each other's table, so a close in one drops the other's locks (the
 * "multiple copies of SQLite in one application" case of sqlite.org/howtocorrupt.html).
 * A file with SQLite's header is never handed to this module; a file without one is
 * refused by better-sqlite3's callers before they open it (sqlite-file.ts). A SQLCipher
 * database with a plaintext header (`cipher_plaintext_header_size`) would break that rule
 * and is not supported.
 *
 * What works between encrypted connections (measured): the backup API from an encrypted
 * source to a plain target fails ("incompatible source and target databases"), and
 * better-sqlite3's `backup()` cannot key its target (it opens the file itself and refuses
 * a URI). `VACUUM INTO` writes a copy encrypted with the same key, cipher and salt. And a
 * copy of the file's bytes is the same pages, encrypted as they are: that is how the
 * engine's file-level copies (the WAL snapshot, stepped copy) back up an encrypted source,
 * with only the header switch to rollback-journal mode done through a keyed connection.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { cipherNames, type CipherName, type SourceKey } from '../api/types.ts';
import { checkSqliteFile, type CheckedFile } from './sqlite-file.ts';
import { encryptedPageSize } from './held-copy.ts';
import { whenReadable } from './read-lock.ts';
import { removeWalCompanionsMade, walCompanionsAbsent } from './wal-companions.ts';

const require = createRequire(import.meta.url);

import './uri-filenames.ts';

let cipherLibrary: typeof Database | undefined;
/** Loaded on first use: a worker that never meets an encrypted file never loads a second SQLite. */
function CipherDatabase(): typeof Database {
  // Its API is better-sqlite3's, and so are its types.
  cipherLibrary ??= require('better-sqlite3-multiple-ciphers') as typeof Database;
  return cipherLibrary;
}

/** Each cipher's SQLite3MultipleCiphers settings, and its name in words. */
const CIPHERS: Record<CipherName, { label: string; pragmas: string[] }> = {
  'sqlcipher-4': { label: 'SQLCipher 4', pragmas: ["cipher = 'sqlcipher'", 'legacy = 4'] },
  'sqlcipher-3': { label: 'SQLCipher 3', pragmas: ["cipher = 'sqlcipher'", 'legacy = 3'] },
  'sqlcipher-2': { label: 'SQLCipher 2', pragmas: ["cipher = 'sqlcipher'", 'legacy = 2'] },
  'sqlcipher-1': { label: 'SQLCipher 1', pragmas: ["cipher = 'sqlcipher'", 'legacy = 1'] },
  aes256cbc: { label: 'wxSQLite3 AES-256', pragmas: ["cipher = 'aes256cbc'"] },
  aes128cbc: { label: 'wxSQLite3 AES-128', pragmas: ["cipher = 'aes128cbc'"] },
  sqleet: { label: 'sqleet (ChaCha20-Poly1305)', pragmas: ["cipher = 'chacha20'", 'legacy = 1'] },
  chacha20: { label: 'SQLite3MultipleCiphers ChaCha20-Poly1305', pragmas: ["cipher = 'chacha20'"] },
  rc4: { label: 'System.Data.SQLite RC4', pragmas: ["cipher = 'rc4'", 'legacy = 1'] },
  ascon128: { label: 'Ascon-128', pragmas: ["cipher = 'ascon128'"] },
};

/** The order "Detect" tries: the schemes apps use most first. */
export const DETECT_ORDER: readonly CipherName[] = ['sqlcipher-4', 'sqlcipher-3', 'chacha20', 'sqleet', 'aes256cbc', 'aes128cbc', 'sqlcipher-2', 'sqlcipher-1', 'ascon128', 'rc4'];

/** "SQLCipher 4" for 'sqlcipher-4'. */
export function cipherLabel(cipher: CipherName): string {
  return CIPHERS[cipher].label;
}

/** True for a name `--cipher` and the API accept. */
export function isCipherName(value: string): value is CipherName {
  return (cipherNames as readonly string[]).includes(value);
}

const RAW_KEY = /^x'([0-9a-fA-F]+)'$/;

/**
 * Reads a key as a user gives it (a key file's content, a field): `x'<hex>'` is a raw
 * key, anything else a passphrase. One trailing newline is dropped, as editors add one.
 */
export function parseKey(text: string, cipher: CipherName = 'sqlcipher-4'): SourceKey {
  const key = text.replace(/\r?\n$/, '');
  if (key.length === 0) throw new PagevaultError('INVALID_REQUEST', 'The key is empty');
  if (key.includes('\0')) throw new PagevaultError('INVALID_REQUEST', NUL_IN_KEY);
  return { key, kind: RAW_KEY.test(key) ? 'raw' : 'passphrase', cipher };
}

/** How openEncrypted opens a file: better-sqlite3's options that an encrypted open honours. */
export interface OpenOptions {
  readonly?: boolean;
  fileMustExist?: boolean;
  /** Busy timeout in milliseconds. */
  timeout?: number;
  /** `locking_mode = EXCLUSIVE` before the first read: a copy taken without a lock is recovered with its wal-index in memory, so no -shm is made beside it. */
  exclusive?: boolean;
  /**
   * The file is a backup that nothing writes (verify, a restore's source): with nothing
   * beside it (-wal, -shm, -journal), it is opened as SQLite's `immutable=1`, so that the
   * WAL mode its encrypted header may still say (a raw copy's does, raw-copy.ts) does not
   * make a read-only open create a -wal and a -shm beside it. Its journal_mode then reads
   * as delete. Anything beside it, or URI filenames turned off: an ordinary open.
   */
  unchanging?: boolean;
}

/**
 * Opens the encrypted database `path` with `key`, and proves the key by reading the
 * schema. A wrong key or a wrong cipher both read as "not a database" to SQLite: that
 * is WRONG_KEY, with a message starting `subject` that never contains the key.
 */
export function openEncrypted(path: string, key: SourceKey, subject: string, options: OpenOptions = {}): Database.Database {
  return openKeyed(path, key, subject, options, (db) => ({ value: db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() }))!;
}

/**
 * openEncrypted, but the read that proves the key is tried again at once while another
 * connection writes (read-lock.ts), for at most `heldAfterMs`. Undefined when the read
 * lock stayed taken all along (another program holds the database exclusively, as
 * `locking_mode=EXCLUSIVE` in rollback-journal mode does) or a hot journal nobody holds
 * needs a recovery a read-only connection may not run: the key cannot be checked now.
 */
export function openEncryptedUnlessHeld(path: string, key: SourceKey, subject: string, options: OpenOptions & { heldAfterMs: number }): Database.Database | undefined {
  return openKeyed(path, key, subject, options, (db) => {
    try {
      return whenReadable(db, options.heldAfterMs, () => db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY') return undefined;
      throw error;
    }
  });
}

/**
 * Proves `key` on page 1 of `path` alone (WRONG_KEY when it does not open it), reading
 * nothing else and replaying nothing: a copy taken without a lock may hold a hot journal,
 * and rolled back with a wrong key its pages come out as garbage, which SQLite calls a
 * damaged database. Immutable, so no lock is taken and no journal is looked at.
 */
export function proveKeyOnFirstPage(path: string, key: SourceKey, subject: string): void {
  if (process.env.SQLITE_USE_URI === '0') return;
  openKeyed(`${pathToFileURL(path).href}?immutable=1`, key, subject, { readonly: true }, (db) => ({ value: db.pragma('user_version', { simple: true }) }))!.close();
}

/** Opens `path` with `key` and runs `prove` (a first read); the connection, or undefined (closed) when `prove` gives nothing. */
function openKeyed(path: string, key: SourceKey, subject: string, options: OpenOptions, prove: (db: Database.Database) => { value: unknown } | undefined): Database.Database | undefined {
  const file = options.unchanging && options.readonly && process.env.SQLITE_USE_URI !== '0' && !hasCompanions(path) ? `${pathToFileURL(path).href}?immutable=1` : path;
  const db = new (CipherDatabase())(file, { readonly: options.readonly ?? false, fileMustExist: options.fileMustExist ?? true, timeout: options.timeout ?? 5000 });
  try {
    applyKey(db, key, subject);
    if (options.exclusive) db.pragma('locking_mode = EXCLUSIVE');
    if (prove(db)) return db;
    db.close();
    return undefined;
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new PagevaultError('WRONG_KEY', `${subject}: the key does not open it as ${cipherLabel(key.cipher)}; check the key and the cipher (or use Detect)`, { cause: error });
    }
    throw error;
  }
}

/** Whether a -wal, -shm or -journal is beside `path`: SQLite must then read it as a live database. */
function hasCompanions(path: string): boolean {
  return ['-wal', '-shm', '-journal'].some((suffix) => existsSync(`${path}${suffix}`));
}

/**
 * Opens a new file that will take a copy of an encrypted database (VACUUM INTO's target
 * needs none; a restore's new target does), keyed so that what is written is encrypted.
 */
export function openEncryptedForWriting(path: string, key: SourceKey, options: OpenOptions = {}): Database.Database {
  const db = new (CipherDatabase())(path, { fileMustExist: options.fileMustExist ?? false, timeout: options.timeout ?? 5000 });
  try {
    applyKey(db, key, `Cannot write ${path}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Tries each cipher of DETECT_ORDER with the key; the first that opens the file, or undefined. */
export function detectCipher(path: string, key: Omit<SourceKey, 'cipher'>): CipherName | undefined {
  for (const cipher of DETECT_ORDER) {
    try {
      openEncrypted(path, { ...key, cipher }, 'detect', { readonly: true, timeout: 0 }).close();
      return cipher;
    } catch {
      // the next setting
    }
  }
  return undefined;
}

/** Why a key with a NUL character is refused; names no part of the key. */
const NUL_IN_KEY = "The key holds a NUL character, which SQLite cannot take (it would end the key there); check the key file or field (a raw key is written x'<hex>')";

/**
 * The cipher's settings, then the key: SQLite3MultipleCiphers reads both when the first
 * page is. SQLite's own message for a key it cannot parse quotes the key's text (at a NUL,
 * "unrecognized token: \"'<the key up to it>\""), so none of its messages about the key
 * pragma is passed on, and neither is its error as a cause.
 */
function applyKey(db: Database.Database, key: SourceKey, subject: string): void {
  if (key.key.includes('\0')) throw new PagevaultError('WRONG_KEY', `${subject}: ${NUL_IN_KEY}`);
  for (const pragma of CIPHERS[key.cipher].pragmas) db.pragma(pragma);
  // A raw key stays in SQLCipher's x'…' form, which its scheme reads as key bytes; for the
  // other schemes hexkey passes the bytes themselves.
  const raw = RAW_KEY.exec(key.key)?.[1];
  try {
    if (raw && !key.cipher.startsWith('sqlcipher')) db.pragma(`hexkey = '${raw}'`);
    else db.pragma(`key = '${key.key.replaceAll("'", "''")}'`);
  } catch {
    throw new PagevaultError('WRONG_KEY', `${subject}: SQLite did not take the key for ${cipherLabel(key.cipher)}; check the key and the cipher`);
  }
}

/** A checked file, and whether it is an encrypted database opened with its key. */
export interface CheckedDatabase extends CheckedFile {
  encrypted: boolean;
  /**
   * An encrypted database that another program holds exclusively, found so by the check
   * itself (which needs a read lock to prove the key): it is copied without a lock, and its
   * key is proven on the copy. Only with `heldCopy`.
   */
  held?: boolean;
}

/**
 * How long the check tries for a read lock on an encrypted rollback-journal database
 * before it takes it as held, as the strategies do for a plain one (strategy.ts): a writer
 * committing back to back leaves a gap every few milliseconds.
 */
const HELD_DETECT_MS = 1000;
/** The same for a caller that does not copy a held database (a restore's target): as long as this check's busy timeout was. */
const DEFAULT_HELD_AFTER_MS = 5000;

/** Why a held encrypted database's key is not checked; the rest of the sentence says how it was found held. */
const heldKeyUnchecked = (subject: string, how: string) =>
  new PagevaultError('SOURCE_BUSY', `${subject}: another program holds this encrypted database exclusively (${how}), so its key cannot be checked now; try again once that program is closed. Its backups are taken all the same, without a lock`);

/**
 * checkSqliteFile, and for a file it finds encrypted, a check of `key` (WRONG_KEY when it
 * does not open it; ENCRYPTED as before without one). `heldCopy`: the caller copies a held
 * database without a lock and proves the key on the copy (backup.ts), so one that another
 * program holds exclusively (WAL: a -wal and no -shm; rollback journal: no read lock to be
 * had) comes back `held`, its key unchecked; otherwise that is SOURCE_BUSY. `unchanging`:
 * a backup that nothing writes (OpenOptions.unchanging), whose journal mode may then read
 * as rollback; never for a source about to be copied. `heldAfterMs`: how long a read lock
 * on an encrypted rollback-journal database is tried for before it is taken as held (1 s
 * with `heldCopy`, else 5 s, the busy timeout this check had). The header of an encrypted file is
 * encrypted too: its facts come from the keyed connection (the change counter and SQLite
 * version are unknown, 0).
 */
export async function checkDatabaseFile(path: string, action: string, key?: SourceKey, options: { heldCopy?: boolean; unchanging?: boolean; heldAfterMs?: number } = {}): Promise<CheckedDatabase> {
  try {
    return { ...(await checkSqliteFile(path, action)), encrypted: false };
  } catch (error) {
    if (!key || (error as { code?: string }).code !== 'ENCRYPTED') throw error;
  }
  const subject = `${action} ${path}`;
  const exists = (file: string) => stat(file).then(() => true, () => false);
  // A -wal without a -shm: a program holds it in exclusive mode (or crashed so), and any
  // connection would create a -shm beside it. A backup copies it without a lock
  // (`heldCopy`, held-copy.ts), its facts taken from its WAL header, which is plain, and
  // proves the key on the copy; anything else would have to say the key is good unchecked.
  const heldFacts = async (writeVersion: 1 | 2): Promise<CheckedDatabase> => {
    const stats = await stat(path);
    const pageSize = encryptedPageSize(path);
    return {
      path,
      stats,
      encrypted: true,
      held: true,
      header: { pageSize, pageCount: Math.max(1, Math.ceil(stats.size / pageSize)), changeCounter: 0, writeVersion, sqliteVersionNumber: 0, bytes: Buffer.alloc(100) },
    };
  };
  if ((await exists(`${path}-wal`)) && !(await exists(`${path}-shm`))) {
    if (!options.heldCopy) throw heldKeyUnchecked(subject, 'it has a -wal and no -shm');
    return heldFacts(2);
  }
  const stats = await stat(path);
  // In rollback-journal mode the holder's lock is the only sign: no connection gets the
  // read lock that proving the key takes (or a hot journal nobody holds needs a writer to
  // roll it back). A backup then copies it without a lock: the rollback-journal proof
  // reads only what stays plain (the journal's 28-byte header; page 1's bytes standing
  // in for the encrypted database header, held-copy.ts), and the copy, its hot journal
  // rolled back with the key as it is finalized, proves the key (backup.ts).
  const closedWal = walCompanionsAbsent(path);
  const db = openEncryptedUnlessHeld(path, key, subject, { readonly: true, unchanging: options.unchanging === true, heldAfterMs: options.heldAfterMs ?? (options.heldCopy ? HELD_DETECT_MS : DEFAULT_HELD_AFTER_MS) });
  if (!db) {
    if (!options.heldCopy) throw heldKeyUnchecked(subject, 'no other connection gets even a read lock on it, or it left a transaction in progress that only a writer may roll back');
    return heldFacts(1);
  }
  try {
    const pragma = (name: string) => db.pragma(name, { simple: true });
    const pageSize = Number(pragma('page_size'));
    return {
      path,
      stats,
      encrypted: true,
      header: {
        pageSize,
        pageCount: Number(pragma('page_count')),
        changeCounter: 0,
        writeVersion: String(pragma('journal_mode')).toLowerCase() === 'wal' ? 2 : 1,
        sqliteVersionNumber: 0,
        bytes: Buffer.alloc(100),
      },
    };
  } finally {
    db.close();
    if (closedWal) removeWalCompanionsMade(path, () => openEncrypted(path, key, subject, { timeout: 0 }));
  }
}

/**
 * `key` with the cipher that opens `path`, tried in DETECT_ORDER ("Detect" in the add
 * flow); WRONG_KEY naming the file when none does. A plain file keeps `key` as it is.
 */
export async function withDetectedCipher(path: string, key: SourceKey, action: string): Promise<SourceKey> {
  try {
    await checkSqliteFile(path, action);
    return key;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENCRYPTED') return key; // judged again, with its message, by the caller
  }
  const cipher = detectCipher(path, key);
  if (!cipher) {
    throw new PagevaultError('WRONG_KEY', `${action} ${path}: the key opens it with none of the ciphers Pagevault knows (${DETECT_ORDER.map(cipherLabel).join(', ')}); check the key`);
  }
  return { ...key, cipher };
}

/** `key` as the query of a URI filename, the form SQLite3MultipleCiphers reads when it opens a file itself. */
function keyParameters(key: SourceKey): string {
  const params = new URLSearchParams();
  for (const pragma of CIPHERS[key.cipher].pragmas) {
    const [name, value] = pragma.split('=').map((part) => part.trim().replace(/^'|'$/g, ''));
    params.set(name!, value!);
  }
  const raw = RAW_KEY.exec(key.key)?.[1];
  if (raw && !key.cipher.startsWith('sqlcipher')) params.set('hexkey', raw);
  else params.set('key', key.key);
  // URLSearchParams writes a space as '+', which SQLite would keep as a '+'.
  return params.toString().replaceAll('+', '%20');
}

/**
 * Starts SQLite's backup API from `source` (an open, keyed connection) into the existing
 * encrypted database `target`, opened with `key`: pages are decrypted with the source's key
 * and written encrypted with the target's, so the target keeps its own key and cipher.
 * better-sqlite3's `backup()` opens its destination by a plain path and cannot key it; the
 * same native call is given a URI filename carrying the key instead (never logged: SQLite's
 * messages do not quote the filename). Same contract as `db.backup(target, options)`.
 */
export function backupIntoEncrypted(source: Database.Database, target: string, key: SourceKey, subject: string): (options: { progress: (info: Database.BackupMetadata) => number }) => Promise<Database.BackupMetadata> {
  const native = Object.getOwnPropertySymbols(source)
    .map((symbol) => (source as unknown as Record<symbol, { backup?: unknown }>)[symbol])
    .find((value): value is { backup: (db: unknown, schema: string, file: string, unlink: boolean) => NativeBackup } => typeof value?.backup === 'function');
  if (!native) throw new PagevaultError('INTERNAL', `${subject}: this build of better-sqlite3-multiple-ciphers has no backup call to load an encrypted database with`);
  const uri = `${pathToFileURL(target).href}?${keyParameters(key)}`;
  return ({ progress }) =>
    new Promise((resolvePromise, rejectPromise) => {
      let backup: NativeBackup;
      try {
        backup = native.backup(source, 'main', uri, false);
      } catch (error) {
        rejectPromise(uriRefused(error, subject));
        return;
      }
      // The loop of better-sqlite3's own backup(): one step per turn of the event loop.
      let rate = 0;
      const step = () => {
        try {
          const info = backup.transfer(rate);
          if (!info.remainingPages) {
            backup.close();
            resolvePromise(info);
            return;
          }
          rate = progress(info);
          setImmediate(step);
        } catch (error) {
          backup.close();
          rejectPromise(error);
        }
      };
      setImmediate(step);
    });
}

interface NativeBackup {
  transfer(pages: number): Database.BackupMetadata;
  close(): void;
}

/** SQLITE_CANTOPEN for a URI filename: URIs were turned off in this process (SQLITE_USE_URI=0). */
function uriRefused(error: unknown, subject: string): unknown {
  if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN' || process.env.SQLITE_USE_URI !== '0') return error;
  return new PagevaultError('NOT_SUPPORTED', `${subject}: loading into an encrypted database needs SQLite's URI filenames, which SQLITE_USE_URI=0 in Pagevault's environment turns off; unset it, or restore into a new file`, { cause: error });
}
