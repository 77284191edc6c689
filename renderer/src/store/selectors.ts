/** Small pure functions the UI reads state through; tested on their own. */

export const screens = ['databases', 'schedules', 'history', 'restore', 'settings'] as const;
export type Screen = (typeof screens)[number];

/** The screen a location hash names (`#/history`), or Databases for anything else. */
export function screenFromHash(hash: string): Screen {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0] ?? '';
  return (screens as readonly string[]).includes(name) ? (name as Screen) : 'databases';
}

/** Shortens a long path in the middle, keeping the file name whole when it can. */
export function shortenMiddle(path: string, max = 60): string {
  if (path.length <= max) return path;
  const cut = path.lastIndexOf('/') >= 0 ? path.lastIndexOf('/') : path.lastIndexOf('\\');
  const tail = cut >= 0 ? path.slice(cut) : path.slice(-Math.floor(max / 2));
  if (tail.length >= max - 4) return `…${path.slice(-(max - 1))}`;
  const headLength = max - tail.length - 1;
  return `${path.slice(0, headLength)}…${tail}`;
}

const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (decimal units, as file managers show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
