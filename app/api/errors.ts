/**
 * Error codes that cross the API boundary. Stable: the UI and tests match on them,
 * the message is for people.
 */
export const errorCodes = [
  'INVALID_REQUEST',
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'IS_A_DIRECTORY',
  'PERMISSION_DENIED',
  'EMPTY_FILE',
  'NOT_A_DATABASE',
  'TRUNCATED',
  /** Encrypted, and no key was given (or the one kept for it was removed). */
  'ENCRYPTED',
  /** Encrypted, and the key given (or the cipher chosen) does not open it. */
  'WRONG_KEY',
  'CORRUPT',
  'SOURCE_BUSY',
  /** Another program held the database and kept writing: no consistent copy in the tries allowed. */
  'DEFERRED',
  'TARGET_BUSY',
  'DISK_FULL',
  'DEST_EXISTS',
  'DEST_IS_SOURCE',
  'READ_ONLY',
  'CANCELLED',
  'VERIFY_FAILED',
  'ALREADY_ADDED',
  'ALREADY_RUNNING',
  'UNKNOWN_ID',
  'NOT_SUPPORTED',
  'CATALOG_TOO_NEW',
  'CATALOG_DAMAGED',
  'CATALOG_BUSY',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** What an error looks like once it has crossed IPC or the WebSocket. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
}

/**
 * The one error class of Pagevault. `code` is stable and machine-readable; `message`
 * names the operation, the file and the cause in words a user can act on.
 */
export class PagevaultError extends Error {
  override readonly name = 'PagevaultError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The plain object form that crosses a process boundary. */
  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** True for anything shaped like a PagevaultError, including one rebuilt from a worker message. */
export function isPagevaultError(value: unknown): value is PagevaultError {
  return value instanceof PagevaultError;
}
