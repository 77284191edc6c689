/**
 * Limits and defaults the core owns and the UI shows beside its fields. Free of any
 * import, like names.ts, so the renderer may import its values (lint allows this file
 * alone of app/api) and a limit changed here changes the check and the form together.
 */

/** Limits the UI shows next to the fields they apply to; the request schemas enforce them. */
export const limits = {
  labelLength: 80,
  concurrency: { min: 1, max: 8 },
  pagesPerStep: { min: 1, max: 1_000_000 },
  pauseMs: { min: 0, max: 10_000 },
  historyPageSize: { max: 500 },
  /** The largest file the browser shell accepts dropped onto its window. */
  stagedFileBytes: 8 * 1024 ** 3,
} as const;

/** What the core uses where the user set nothing; the UI shows them as the fields' placeholders. */
export const defaults = {
  /** Stepped mode copies this much per step when a database has no pages per step of its own. */
  steppedBytesPerStep: 16 * 1024 ** 2,
  /** Stepped mode's pause between steps, with no lock held, when a database has none of its own. */
  pauseMs: 2,
  /** Backups at the same time in a fresh catalog. */
  concurrency: 2,
} as const;

/** "16 MiB": a size in the binary units the defaults are given in. */
export function formatMebibytes(bytes: number): string {
  return `${bytes / 1024 ** 2} MiB`;
}
