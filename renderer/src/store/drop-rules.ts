/** What a drop onto the window may hold: exactly one database or backup file. */
import { databaseFileExtensions } from '../../../app/api/rules.ts';

/** Databases by their extensions, and backups encrypted at rest (`.db.age`). */
export const restorableExtensions = [...databaseFileExtensions.map((extension) => `.${extension}`), '.age'];

/** One dropped item as the browser describes it. */
export interface DroppedItem {
  name: string;
  /** 'directory' when the browser says the item is a folder. */
  kind: 'file' | 'directory';
}

export type DropVerdict<T> = { ok: true; item: T } | { ok: false; message: string };

const expected = `a SQLite database or Pagevault backup file (${databaseFileExtensions.map((extension) => `.${extension}`).join(', ')}, or an encrypted .db.age)`;

/** Accepts exactly one file with a database extension; says what was expected otherwise. */
export function judgeDrop<T extends DroppedItem>(items: readonly T[]): DropVerdict<T> {
  if (items.length === 0) return { ok: false, message: `Nothing to restore was dropped. Drop ${expected}.` };
  if (items.length > 1) return { ok: false, message: `${items.length} items were dropped; drop one backup at a time: ${expected}.` };
  const item = items[0]!;
  if (item.kind === 'directory') return { ok: false, message: `${item.name} is a folder. Drop ${expected}.` };
  const dot = item.name.lastIndexOf('.');
  const extension = dot > 0 ? item.name.slice(dot).toLowerCase() : '';
  if (!restorableExtensions.includes(extension)) {
    return { ok: false, message: `${item.name} is not a database backup. Drop ${expected}.` };
  }
  return { ok: true, item };
}
