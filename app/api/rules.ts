/**
 * Rules the core, the Electron shell and the renderer apply alike, written once. Kept
 * free of any import (as names.ts is), so the sandboxed renderer may import its values.
 */

/** True while a pause of the schedules (its end, or null for none) lasts at `now`. */
export function schedulesPaused(pausedUntil: string | null | undefined, now: Date): boolean {
  return pausedUntil != null && Date.parse(pausedUntil) > now.getTime();
}

/** The pauses offered in the tray and on the Schedules screen. */
export type PauseChoice = 'hour' | 'tomorrow';

/** When a pause chosen at `now` ends: an hour later, or the coming midnight in local time. */
export function pauseEnd(choice: PauseChoice, now: Date): Date {
  if (choice === 'hour') return new Date(now.getTime() + 3_600_000);
  const midnight = new Date(now);
  midnight.setDate(midnight.getDate() + 1);
  midnight.setHours(0, 0, 0, 0);
  return midnight;
}

/** The extensions a SQLite database or a Pagevault backup usually has (without the dot), for file dialogs and drops. */
export const databaseFileExtensions = ['db', 'sqlite', 'sqlite3', 'db3'] as const;

/**
 * The Content-Security-Policy of the UI, served by the host and on app://: nothing but
 * its own files, and the host's WebSocket (`connectTo`) in a browser; the desktop app's
 * window talks over IPC and connects nowhere.
 */
export function contentSecurityPolicy(connectTo: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connectTo.length > 0 ? `'self' ${connectTo.join(' ')}` : "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
