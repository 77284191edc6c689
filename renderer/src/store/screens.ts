/** The app's screens and which one a location names. */
export const screens = ['databases', 'schedules', 'history', 'restore', 'settings'] as const;
export type Screen = (typeof screens)[number];

/** The screen a location hash names (`#/history`), or Databases for anything else. */
export function screenFromHash(hash: string): Screen {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
  return (screens as readonly string[]).includes(name) ? (name as Screen) : 'databases';
}
