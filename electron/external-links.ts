/**
 * The links the window may open in the user's browser. Anything else a page asks to open
 * (a compromised renderer, a link in a database's content) is refused: `shell.openExternal`
 * hands a URL to the operating system, which would run any registered scheme handler.
 */
export const EXTERNAL_LINKS: readonly string[] = [
  // Cron expressions, as the Schedules editor accepts them (croner's syntax).
  'https://croner.56k.guru/usage/pattern/',
  // Daylight-saving and time zones in schedules.
  'https://croner.56k.guru/usage/configuration/',
  // What the backup modes build on.
  'https://www.sqlite.org/backup.html',
  'https://www.sqlite.org/wal.html',
];

/** Whether `url` is one of EXTERNAL_LINKS, exactly: no other path, query, port or credentials. */
export function isAllowedExternalLink(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return false;
  return EXTERNAL_LINKS.includes(parsed.href);
}
