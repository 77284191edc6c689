/**
 * The one place where what the system and SQLite say goes wrong becomes a PagevaultError:
 * errno codes of file operations and SQLite's result codes, plus the busy and read-only
 * conditions the engine detects itself. Every code is worded here once, so a user sees
 * the same cause in the same words whichever operation ran into it.
 */
import { PagevaultError } from '../api/errors.ts';

/** What a failed file operation was working on: a file (the default) or a folder, named. */
export interface FailedPlace {
  folder?: string;
}

/** READ_ONLY, worded once: `place` ("the folder /a", "the database file or its folder") and why. */
export function readOnlyError(subject: string, place: string, why: string, cause?: unknown): PagevaultError {
  return PagevaultError.about('READ_ONLY', subject, `${place} is read-only (${why})`, { cause });
}

/**
 * SOURCE_BUSY, worded once. `waitedMs` is how long the engine waited for a pause in the
 * other program's writes, when it did; `detail` is SQLite's own words, when it spoke.
 */
export function sourceBusyError(subject: string, options: { waitedMs?: number; detail?: string; cause?: unknown } = {}): PagevaultError {
  const waited = options.waitedMs === undefined ? '' : ` for ${Math.round(options.waitedMs / 1000)} s without a pause long enough to read it`;
  const detail = options.detail === undefined ? '' : ` (${options.detail})`;
  return PagevaultError.about('SOURCE_BUSY', subject, `another program kept the database locked${waited}${detail}; try again when it is idle`, { cause: options.cause });
}

/** TARGET_BUSY, worded once: a restore waited `waitedMs` for the target's other connections and wrote nothing. */
export function targetBusyError(subject: string, waitedMs: number, cause?: unknown): PagevaultError {
  return PagevaultError.about('TARGET_BUSY', subject, `another program kept the target locked for ${Math.round(waitedMs / 1000)} s; the target is unchanged`, { cause });
}

/**
 * TARGET_BUSY before a restore starts: `inUse` is how the target is in use ("another
 * program holds a lock on it right now"); nothing was written, and the user may go ahead.
 */
export function targetInUseError(subject: string, inUse: string): PagevaultError {
  return PagevaultError.about('TARGET_BUSY', subject, `${inUse}; the target is unchanged: close that program, or confirm that you want to restore anyway`);
}

/**
 * Turns an fs error into a PagevaultError that names the file (or `place.folder`) and
 * the cause; anything without an errno Pagevault knows is INTERNAL with its own words.
 */
export function fileSystemError(error: unknown, subject: string, place: FailedPlace = {}): PagevaultError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const what = place.folder === undefined ? 'the file' : `the folder ${place.folder}`;
  switch (code) {
    case 'ENOENT':
      return PagevaultError.about('NOT_FOUND', subject, `${what} does not exist`, { cause: error });
    case 'ENOTDIR':
    case 'EEXIST':
      if (place.folder !== undefined || code === 'EEXIST') {
        return PagevaultError.about('NOT_A_FOLDER', subject, `part of the path is a file, not a folder`, { cause: error });
      }
      return PagevaultError.about('NOT_FOUND', subject, `part of the path is a file, not a folder`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return PagevaultError.about('PERMISSION_DENIED', subject, `${place.folder === undefined ? 'permission denied' : `${what} is not writable (permission denied)`}`, { cause: error });
    case 'EISDIR':
      return PagevaultError.about('IS_A_DIRECTORY', subject, `it is a folder, not a file`, { cause: error });
    case 'ENOSPC':
    case 'EDQUOT':
      return PagevaultError.about('DISK_FULL', subject, `the disk is full`, { cause: error });
    case 'EROFS':
      return readOnlyError(subject, place.folder === undefined ? 'the file' : what, 'its file system is mounted read-only', error);
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return PagevaultError.about('INTERNAL', subject, `${detail}`, { cause: error });
    }
  }
}

/**
 * Wraps anything thrown while working on `subject` ("Cannot back up /a/b.db") into a
 * PagevaultError; a PagevaultError passes through unchanged.
 */
export function toPagevaultError(error: unknown, subject: string): PagevaultError {
  if (error instanceof PagevaultError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    const primary = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
    switch (primary) {
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return sourceBusyError(subject, { detail, cause: error });
      case 'SQLITE_NOTADB':
        return PagevaultError.about('NOT_A_DATABASE', subject, `the file is not a SQLite database or is encrypted (${detail})`, { cause: error });
      case 'SQLITE_CORRUPT':
        return PagevaultError.about('CORRUPT', subject, `the database is damaged (${detail})`, { cause: error });
      case 'SQLITE_FULL':
        return PagevaultError.about('DISK_FULL', subject, `the disk is full`, { cause: error });
      case 'SQLITE_READONLY':
        return readOnlyError(subject, 'the database file or its folder', detail, error);
      case 'SQLITE_PERM':
      case 'SQLITE_AUTH':
        return PagevaultError.about('PERMISSION_DENIED', subject, `permission denied (${detail})`, { cause: error });
      case 'SQLITE_CANTOPEN':
        return PagevaultError.about('PERMISSION_DENIED', subject, `the file cannot be opened; check that it and its folder are readable and writable (${detail})`, { cause: error });
      case 'SQLITE_IOERR':
        if (/disk is full|ENOSPC/i.test(detail) || code === 'SQLITE_IOERR_WRITE') {
          return PagevaultError.about('DISK_FULL', subject, `writing failed, the disk is probably full (${detail})`, { cause: error });
        }
        return PagevaultError.about('INTERNAL', subject, `an I/O error occurred (${detail})`, { cause: error });
      default:
        return PagevaultError.about('INTERNAL', subject, `${detail}`, { cause: error });
    }
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return fileSystemError(error, subject);
  return PagevaultError.about('INTERNAL', subject, `${detail}`, { cause: error });
}
