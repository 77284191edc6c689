/** The `schedules` table: at most one schedule per database, and where it got to. */
import type { Schedule, ScheduleSpec } from '../api/types.ts';
import type { CatalogConnection } from './catalog.ts';

/** A schedule as stored, with what the scheduler needs to count its slots and catch up. */
export interface ScheduleRow extends Schedule {
  databaseId: number;
  /** Slots are counted from here: when the schedule was last saved. */
  anchorAt: string;
  /** The latest slot the scheduler acted on (ran, caught up or recorded as missed). */
  lastSlotAt: string | null;
  updatedAt: string;
}

interface RawRow {
  databaseId: number;
  spec: string;
  enabled: number;
  skipIfUnchanged: number;
  anchorAt: string;
  lastSlotAt: string | null;
  updatedAt: string;
}

const columns = 'database_id AS databaseId, spec, enabled, skip_if_unchanged AS skipIfUnchanged, anchor_at AS anchorAt, last_slot_at AS lastSlotAt, updated_at AS updatedAt';

const toRow = (raw: RawRow): ScheduleRow => ({
  ...raw,
  spec: JSON.parse(raw.spec) as ScheduleSpec,
  enabled: raw.enabled === 1,
  skipIfUnchanged: raw.skipIfUnchanged === 1,
});

/** The `schedules` table: one schedule per database, and when each last ran. */
export class ScheduleRecords {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  list(): ScheduleRow[] {
    return (this.#db.prepare(`SELECT ${columns} FROM schedules ORDER BY database_id`).all() as RawRow[]).map(toRow);
  }

  get(databaseId: number): ScheduleRow | undefined {
    const raw = this.#db.prepare(`SELECT ${columns} FROM schedules WHERE database_id = ?`).get(databaseId) as RawRow | undefined;
    return raw && toRow(raw);
  }

  /**
   * Saves a database's schedule. A changed spec counts its slots from `now`, so editing a
   * schedule never makes it "miss" runs it did not have; enabling or disabling keeps them.
   */
  set(databaseId: number, schedule: Schedule, now: Date): ScheduleRow {
    const existing = this.get(databaseId);
    const specText = JSON.stringify(schedule.spec);
    const respan = !existing || JSON.stringify(existing.spec) !== specText || (!existing.enabled && schedule.enabled);
    this.#db
      .prepare(
        `INSERT INTO schedules (database_id, spec, enabled, skip_if_unchanged, anchor_at, last_slot_at, updated_at)
         VALUES (@databaseId, @spec, @enabled, @skip, @anchor, NULL, @now)
         ON CONFLICT (database_id) DO UPDATE SET spec = excluded.spec, enabled = excluded.enabled,
           skip_if_unchanged = excluded.skip_if_unchanged, updated_at = excluded.updated_at,
           anchor_at = CASE WHEN @respan THEN excluded.anchor_at ELSE anchor_at END,
           last_slot_at = CASE WHEN @respan THEN NULL ELSE last_slot_at END`,
      )
      .run({ databaseId, spec: specText, enabled: schedule.enabled ? 1 : 0, skip: schedule.skipIfUnchanged ? 1 : 0, anchor: now.toISOString(), now: now.toISOString(), respan: respan ? 1 : 0 });
    return this.get(databaseId)!;
  }

  /** Records the latest slot acted on. */
  setLastSlot(databaseId: number, slot: Date): void {
    this.#db.prepare('UPDATE schedules SET last_slot_at = ? WHERE database_id = ?').run(slot.toISOString(), databaseId);
  }

  remove(databaseId: number): boolean {
    return this.#db.prepare('DELETE FROM schedules WHERE database_id = ?').run(databaseId).changes > 0;
  }
}
