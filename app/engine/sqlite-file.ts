/**
 * Reads and judges a file before SQLite is allowed near it, so that every bad path a
 * user can give gets an error naming the file and the cause instead of SQLite's
 * "file is not a database".
 */
import { stat } from 'node:fs/promises';
import { read as readCallback, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { PagevaultError } from '../api/errors.ts';
import { checkCompanions, closeDatabaseFile, notARegularFile, openDatabaseFile } from './database-files.ts';
import { fileSystemError } from './sqlite-errors.ts';

const readAsync = promisify(readCallback);

/** The first 16 bytes of every SQLite database file; what tells a database from anything else picked. */
export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;
const SNIFF_BYTES = 4096;

/** The facts the 100-byte database header states about itself. */
export interface SqliteHeader {
  pageSize: number;
  /** Page count from the header, or null when the header's count is not valid. */
  pageCount: number | null;
  changeCounter: number;
  /** 1 = legacy rollback journal, 2 = WAL (bytes 18 and 19). */
  writeVersion: number;
  sqliteVersionNumber: number;
  /** The first 100 bytes of the file, for the fields not parsed here. */
  bytes: Buffer;
}

/** A file that passed the checks, with what was read on the way so no one opens it again to learn it. */
export interface CheckedFile {
  path: string;
  stats: Stats;
  header: SqliteHeader;
}

/** True when `path` reaches `bytes` within about 100 ms (a commit in progress). */
async function growsTo(path: string, bytes: number): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size >= bytes) return true;
  }
  return false;
}

/**
 * Stats and reads the header of `path`, throwing a PagevaultError for anything that is
 * not a readable, complete SQLite database. `action` words the message ("Cannot back up").
 */
export async function checkSqliteFile(path: string, action: string): Promise<CheckedFile> {
  const subject = `${action} ${path}`;
  let stats: Stats;
  try {
    stats = await stat(path);
  } catch (error) {
    throw fileSystemError(error, subject);
  }
  // A named pipe, socket or device is refused by its type: opening one can wait forever.
  if (!stats.isFile()) throw notARegularFile(path, stats, subject);
  await checkCompanions(path, subject);
  if (stats.size === 0) {
    throw PagevaultError.about('EMPTY_FILE', subject, `the file is empty (0 bytes)`);
  }

  let bytes: Buffer;
  try {
    // Not a FileHandle: a database file is closed only when that is safe (database-files.ts).
    const file = openDatabaseFile(path, subject);
    try {
      const buffer = Buffer.alloc(Math.min(SNIFF_BYTES, stats.size));
      const { bytesRead } = await readAsync(file.fd, buffer, 0, buffer.length, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      closeDatabaseFile(file);
    }
  } catch (error) {
    throw error instanceof PagevaultError ? error : fileSystemError(error, subject);
  }

  if (!bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    if (looksEncrypted(bytes)) {
      throw PagevaultError.about('ENCRYPTED', subject, `the file has no SQLite header and its bytes look random; it is probably an encrypted database (SQLCipher or similar), which Pagevault cannot read without its key`,
      );
    }
    throw PagevaultError.about('NOT_A_DATABASE', subject, `the file is not a SQLite database (${describeHeader(bytes)})`);
  }
  if (bytes.length < HEADER_BYTES) {
    throw PagevaultError.about('TRUNCATED', subject, `the file is only ${stats.size} bytes, shorter than a SQLite header; it was cut short`,
    );
  }

  const header = parseHeader(bytes);
  // A live WAL database is checked by SQLite itself: while a checkpoint runs, page 1 can
  // already carry the new size before the file has grown to it.
  const liveWal = header.writeVersion === 2 && (await stat(`${path}-wal`).then(() => true, () => false));
  if (header.pageCount !== null && !liveWal) {
    const expected = header.pageCount * header.pageSize;
    // A writer of a rollback-journal database writes page 1 and grows the file in one
    // transaction: a size read a moment before the header can be short. A file that was
    // really cut short stays short; look again before calling it truncated.
    if (stats.size < expected && !(await growsTo(path, expected))) {
      throw PagevaultError.about('TRUNCATED', subject, `the file is ${formatCount(stats.size)} bytes but its header says ${formatCount(header.pageCount)} pages of ${header.pageSize} bytes (${formatCount(expected)} bytes); it was cut short`,
      );
    }
  }
  return { path, stats, header };
}

/** Parses the fixed part of a database header (see sqlite.org/fileformat.html). */
export function parseHeader(bytes: Buffer): SqliteHeader {
  const rawPageSize = bytes.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const changeCounter = bytes.readUInt32BE(24);
  const inHeaderCount = bytes.readUInt32BE(28);
  const versionValidFor = bytes.readUInt32BE(92);
  return {
    pageSize,
    // The in-header page count is only trustworthy when written by SQLite ≥ 3.7.0,
    // which also stamps the change counter into "version-valid-for".
    pageCount: inHeaderCount > 0 && versionValidFor === changeCounter ? inHeaderCount : null,
    changeCounter,
    writeVersion: bytes.readUInt8(18),
    sqliteVersionNumber: bytes.readUInt32BE(96),
    bytes: Buffer.from(bytes.subarray(0, 100)),
  };
}

const knownSignatures: Array<[Buffer, string]> = [
  [Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'a ZIP archive'],
  [Buffer.from('%PDF', 'latin1'), 'a PDF document'],
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'a PNG image'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'a JPEG image'],
  [Buffer.from([0x1f, 0x8b]), 'a gzip archive'],
  [Buffer.from('BZh', 'latin1'), 'a bzip2 archive'],
  [Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), 'an xz archive'],
  [Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'a Zstandard archive'],
  [Buffer.from([0x37, 0x7a, 0xbc, 0xaf]), 'a 7-Zip archive'],
  [Buffer.from('SQLite format 3', 'latin1'), 'a damaged SQLite header'],
  [Buffer.from([0x37, 0x7f, 0x06, 0x82]), 'a SQLite WAL file; choose the database file without "-wal"'],
  [Buffer.from([0x37, 0x7f, 0x06, 0x83]), 'a SQLite WAL file; choose the database file without "-wal"'],
  [Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]), 'a SQLite rollback journal; choose the database file without "-journal"'],
];

/** Says in words what the first bytes of a non-SQLite file look like. */
export function describeHeader(bytes: Buffer): string {
  const head = bytes.subarray(0, 16);
  const shown = `header is '${escapeBytes(head)}'`;
  for (const [signature, what] of knownSignatures) {
    if (head.subarray(0, signature.length).equals(signature)) return `${shown}, ${what}`;
  }
  if (isMostlyText(bytes)) {
    const firstLine = bytes.toString('utf8').split(/\r?\n/, 1)[0] ?? '';
    const preview = firstLine.length > 40 ? `${firstLine.slice(0, 40)}…` : firstLine;
    return `it is a text file starting with '${preview}'`;
  }
  return shown;
}

function escapeBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x27 && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function isMostlyText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  let printable = 0;
  for (const byte of bytes) {
    if (byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f) || byte >= 0x80) printable += 1;
    if (byte === 0) return false;
  }
  return printable / bytes.length > 0.95;
}

/** Random-looking bytes (high entropy over the sniffed block) are what encryption leaves. */
export function looksEncrypted(bytes: Buffer): boolean {
  if (bytes.length < 512) return false;
  const counts = new Array<number>(256).fill(0);
  for (const byte of bytes) counts[byte] = (counts[byte] ?? 0) + 1;
  let entropy = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / bytes.length;
    entropy -= p * Math.log2(p);
  }
  return entropy > 7.5;
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

let cachedSqliteVersion: string | undefined;
/** The SQLite library version better-sqlite3 was built with (the checkpoint helper's too: it loads the same library). */
export function sqliteVersion(): string {
  if (!cachedSqliteVersion) {
    const db = new Database(':memory:');
    cachedSqliteVersion = String(db.prepare('SELECT sqlite_version()').pluck().get());
    db.close();
  }
  return cachedSqliteVersion;
}
