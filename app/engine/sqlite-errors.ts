/** Maps SQLite's result codes to PagevaultError codes with a message naming the file. */
import { PagevaultError } from '../api/errors.ts';
import { fileSystemError } from './sqlite-file.ts';

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
        return new PagevaultError('SOURCE_BUSY', `${subject}: another program is holding a lock on the database (${detail})`, { cause: error });
      case 'SQLITE_NOTADB':
        return new PagevaultError('NOT_A_DATABASE', `${subject}: the file is not a SQLite database or is encrypted (${detail})`, { cause: error });
      case 'SQLITE_CORRUPT':
        return new PagevaultError('CORRUPT', `${subject}: the database is damaged (${detail})`, { cause: error });
      case 'SQLITE_FULL':
        return new PagevaultError('DISK_FULL', `${subject}: the disk is full`, { cause: error });
      case 'SQLITE_READONLY':
        return new PagevaultError('READ_ONLY', `${subject}: the file or its folder is read-only (${detail})`, { cause: error });
      case 'SQLITE_PERM':
      case 'SQLITE_AUTH':
        return new PagevaultError('PERMISSION_DENIED', `${subject}: permission denied (${detail})`, { cause: error });
      case 'SQLITE_CANTOPEN':
        return new PagevaultError('PERMISSION_DENIED', `${subject}: the file cannot be opened; check that it and its folder are readable and writable (${detail})`, { cause: error });
      case 'SQLITE_IOERR':
        if (/disk is full|ENOSPC/i.test(detail) || code === 'SQLITE_IOERR_WRITE') {
          return new PagevaultError('DISK_FULL', `${subject}: writing failed, the disk is probably full (${detail})`, { cause: error });
        }
        return new PagevaultError('INTERNAL', `${subject}: an I/O error occurred (${detail})`, { cause: error });
      default:
        return new PagevaultError('INTERNAL', `${subject}: ${detail}`, { cause: error });
    }
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return fileSystemError(error, subject);
  return new PagevaultError('INTERNAL', `${subject}: ${detail}`, { cause: error });
}
