/**
 * Error codes that cross the API boundary. Stable: the UI and tests match on them,
 * the message is for people.
 */
export const errorCodes = [
  'INVALID_REQUEST',
  'UNKNOWN_METHOD',
  'NOT_FOUND',
  'IS_A_DIRECTORY',
  /** A folder was asked for, and the path (or a part of it) is a file. */
  'NOT_A_FOLDER',
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
  /** One of Pagevault's own files or folders (the catalog, its backups, staging), which it never backs up, adds or writes into. */
  'OWN_FILE',
  /** More than Pagevault accepts in one piece (a file dropped onto the browser window over the limit). */
  'TOO_LARGE',
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
  /** A key, identity or passphrase was given but does not open the file. */
  'WRONG_KEY',
  /** The file is encrypted and no key for it was given or kept. */
  'KEY_NEEDED',
  'INTERNAL',
] as const;

/** A stable code a caller may branch on; the UI shows the message, tests assert the code. */
export type ErrorCode = (typeof errorCodes)[number];

/**
 * One field of a request that is wrong, and why, as data: a form shows `message` under the
 * field `path` names (dotted, from the request's params: `spec.everyMinutes`), and nobody
 * takes a message apart to find it.
 */
export interface ErrorIssue {
  path: string;
  /** Why the value is refused, in words for the field, without the request's name. */
  message: string;
}

/**
 * The HTTP status of each code, for the host's plain HTTP answers (an upload): 4xx for
 * what the request asked, 5xx for the state of the machine Pagevault runs on (its disk,
 * its permissions, its catalog). A `Record` over the union: a new code does not compile
 * until it has one.
 */
export const httpStatusOfCode = {
  INVALID_REQUEST: 400,
  UNKNOWN_METHOD: 404,
  NOT_FOUND: 404,
  IS_A_DIRECTORY: 422,
  NOT_A_FOLDER: 422,
  PERMISSION_DENIED: 500,
  EMPTY_FILE: 422,
  NOT_A_DATABASE: 422,
  TRUNCATED: 422,
  ENCRYPTED: 422,
  CORRUPT: 422,
  SOURCE_BUSY: 409,
  DEFERRED: 503,
  TARGET_BUSY: 409,
  DISK_FULL: 507,
  DEST_EXISTS: 409,
  DEST_IS_SOURCE: 422,
  OWN_FILE: 422,
  TOO_LARGE: 413,
  READ_ONLY: 500,
  CANCELLED: 400,
  VERIFY_FAILED: 422,
  ALREADY_ADDED: 409,
  ALREADY_RUNNING: 409,
  UNKNOWN_ID: 404,
  NOT_SUPPORTED: 422,
  WRONG_KEY: 422,
  KEY_NEEDED: 422,
  CATALOG_TOO_NEW: 500,
  CATALOG_DAMAGED: 500,
  CATALOG_BUSY: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

/**
 * What a history entry without a file says happened when no operation failed: a run
 * skipped because the database had not changed, scheduled runs missed while the computer
 * was off, a run that Pagevault itself stopping cut short. Outcomes, not errors: no
 * PagevaultError carries them.
 */
export const outcomeCodes = ['UNCHANGED', 'MISSED', 'INTERRUPTED'] as const;

/** What a history entry records when nothing failed but no backup was made. */
export type OutcomeCode = (typeof outcomeCodes)[number];

/** The note of a history entry: why it failed (an error code), or what happened instead (an outcome code). */
export interface EntryNote {
  code: ErrorCode | OutcomeCode;
  message: string;
}

/** What an error looks like once it has crossed IPC or the WebSocket. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  /** The fields of the request that are wrong, when the error is about some. */
  issues?: ErrorIssue[];
}

/**
 * The one error class of Pagevault. `code` is stable and machine-readable; `message`
 * names the operation, the file and the cause in words a user can act on.
 */
export class PagevaultError extends Error {
  override readonly name = 'PagevaultError';
  readonly code: ErrorCode;
  /** The request's fields that are wrong; empty when the error is not about a field. */
  readonly issues: readonly ErrorIssue[];
  /**
   * The cause without its subject ("the file is empty (0 bytes)"), so a caller in the core
   * that words its own subject reuses it as data instead of cutting up the message. It
   * crosses the engine's worker boundary, not the API: users read the whole message.
   */
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; issues?: readonly ErrorIssue[]; reason?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues ?? [];
    this.reason = options?.reason;
  }

  /** An error whose message is `subject: reason`, keeping `reason` apart for callers that word their own subject. */
  static about(code: ErrorCode, subject: string, reason: string, options?: { cause?: unknown; issues?: readonly ErrorIssue[] }): PagevaultError {
    return new PagevaultError(code, `${subject}: ${reason}`, { ...options, reason });
  }

  /** The error again from its plain form, as it arrived over IPC, a socket or a worker message. */
  static fromBody(body: ApiErrorBody, reason?: string): PagevaultError {
    return new PagevaultError(body.code, body.message, { issues: body.issues, reason });
  }

  /** The plain object form that crosses a process boundary. */
  toBody(): ApiErrorBody {
    return this.issues.length > 0 ? { code: this.code, message: this.message, issues: [...this.issues] } : { code: this.code, message: this.message };
  }
}
