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
  'ENCRYPTED',
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
  /** A key, identity or passphrase was given but does not open the file. */
  'WRONG_KEY',
  /** The file is encrypted and no key for it was given or kept. */
  'KEY_NEEDED',
  'INTERNAL',
] as const;

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

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; issues?: readonly ErrorIssue[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues ?? [];
  }

  /** The error again from its plain form, as it arrived over IPC, a socket or a worker message. */
  static fromBody(body: ApiErrorBody): PagevaultError {
    return new PagevaultError(body.code, body.message, { issues: body.issues });
  }

  /** The plain object form that crosses a process boundary. */
  toBody(): ApiErrorBody {
    return this.issues.length > 0 ? { code: this.code, message: this.message, issues: [...this.issues] } : { code: this.code, message: this.message };
  }
}

/** True for anything shaped like a PagevaultError, including one rebuilt from a worker message. */
export function isPagevaultError(value: unknown): value is PagevaultError {
  return value instanceof PagevaultError;
}
