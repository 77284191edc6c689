/** What a backup may be asked to do differently, and the defaults; shared by the pipeline and its strategies. */
import { defaults } from '../api/limits.ts';
import type { BackupEncryption, BackupMode, SourceKey } from '../api/types.ts';

/** How a caller shapes one backup: the mode, overwriting, verifying, encryption and the stepped copy's pacing. */
export interface BackupOptions {
  /** Default: snapshot for WAL sources, stepped for rollback-journal sources. */
  mode?: BackupMode;
  /** Replace an existing destination file (default: refuse with DEST_EXISTS). */
  overwrite?: boolean;
  /** Verify the copy before publishing it (default true). */
  verify?: boolean;
  /** Verify with integrity_check instead of quick_check. */
  fullVerify?: boolean;
  /**
   * The copy is only hashed (as it was written, or read once for it: a clone, an encrypted
   * copy) and published with that SHA-256 in its manifest, not checked by SQLite (verdict
   * `skipped`). For a restore's safety copy: its pages are the target's as they are, and
   * restoring it (undo) checks them then.
   */
  hashOnly?: boolean;
  /** Stepped mode: pages per step (default: 16 MiB worth of pages). */
  pagesPerStep?: number;
  /** Stepped mode: pause between steps, in milliseconds (default 2). */
  pauseMs?: number;
  /** Stepped mode: restarts after which the rest is copied in one step (default 10). */
  maxRestarts?: number;
  /** How long to wait for a lock held by another program (default 5000 ms). */
  busyTimeoutMs?: number;
  /** A database another program holds: copies tried without a lock before the backup is deferred. */
  heldCopyTries?: number;
  /** Write the JSON manifest beside the backup (default true). */
  manifest?: boolean;
  /** Directory mode: a word added to the file name ("before-restore"). */
  label?: string;
  /** Directory mode: the time the file name is made from (default now). */
  now?: Date;
  /**
   * How messages name what failed, "Cannot <action> <source> to <destination>: …"
   * (default "back up"; a restore into a new file says "restore").
   */
  action?: string;
  /**
   * The key of an encrypted source (connection.ts). The backup is then encrypted with the
   * same key and cipher: the file-level copies copy its pages as they are, encrypted, and
   * VACUUM INTO (compact, and where the backup API would run) keeps its encryption.
   */
  key?: SourceKey;
  /**
   * An encrypted source without `key` is copied as raw bytes (raw-copy.ts) instead of
   * refused with ENCRYPTED: consistent, encrypted as the source is, and checkable only by
   * its SHA-256. Opted into, since nothing inside such a copy can be checked.
   */
  raw?: boolean;
  /**
   * Encrypt the backup at rest with age: the published file is `<name>.db.age`, and the
   * plain copy exists only as a 0600 partial until it has been verified and encrypted.
   * Independent of `key`: a backup of an encrypted source can be encrypted at rest too.
   */
  encryption?: BackupEncryption;
}

/** The pause between two steps of a stepped copy, with no lock held, so a writer waits at most one step. */
export const DEFAULT_PAUSE_MS = defaults.pauseMs;
/** Restarts of a stepped copy before the rest is copied in one step, so a busy database still gets a backup. */
export const DEFAULT_MAX_RESTARTS = 10;
/** How long a backup or restore waits for a lock another connection holds before it fails with SOURCE_BUSY. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const STEPPED_BYTES_PER_STEP = defaults.steppedBytesPerStep;

/** Stepped mode's step size, pause and restart bound, from the options or the defaults. */
export function steppedOptions(pageSize: number, options: BackupOptions): { pagesPerStep: number; pauseMs: number; maxRestarts: number } {
  return {
    pagesPerStep: Math.max(1, Math.round(options.pagesPerStep ?? Math.max(16, STEPPED_BYTES_PER_STEP / pageSize))),
    pauseMs: Math.max(0, options.pauseMs ?? DEFAULT_PAUSE_MS),
    maxRestarts: Math.max(0, options.maxRestarts ?? DEFAULT_MAX_RESTARTS),
  };
}
