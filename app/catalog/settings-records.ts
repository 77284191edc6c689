/** The `settings` table: one JSON value per key, with defaults for what was never set. */
import type { Settings } from '../api/types.ts';
import type { CatalogConnection } from './catalog.ts';

/** The app-wide settings, stored key by key; a key never written reads as its default. */
export class SettingsRecords {
  readonly #db: CatalogConnection;
  readonly #defaults: Settings;

  constructor(db: CatalogConnection, defaults: Settings) {
    this.#db = db;
    this.#defaults = defaults;
  }

  /** Every setting: the stored value, or the default. */
  get(): Settings {
    const rows = this.#db.prepare('SELECT key, value FROM settings').all() as Array<{ key: string; value: string }>;
    const settings: Settings = { ...this.#defaults };
    for (const { key, value } of rows) {
      if (key in settings) (settings as unknown as Record<string, unknown>)[key] = JSON.parse(value);
    }
    return settings;
  }

  /** Stores the given settings (already validated) and returns all of them. */
  update(changes: Partial<Settings>): Settings {
    const upsert = this.#db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.#db.transaction(() => {
      for (const [key, value] of Object.entries(changes)) if (value !== undefined) upsert.run(key, JSON.stringify(value));
    })();
    return this.get();
  }
}
