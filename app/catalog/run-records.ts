/**
 * The `running_backups` table: the backups running right now, with the process running
 * each. A row outlives its run only when that process died; the next start finds it.
 */
import type { BackupMode, BackupTrigger } from '../api/types.ts';
import type { CatalogConnection } from './catalog.ts';

/** One backup in progress as recorded before it starts, so a crash leaves a row the next start turns into an interrupted entry. */
export interface RunningBackup {
  id: number;
  databaseId: number | null;
  databaseLabel: string;
  source: string;
  /** The folder the backup writes into, where its partial file is. */
  destination: string;
  mode: BackupMode;
  trigger: BackupTrigger;
  startedAt: string;
  pid: number;
  host: string;
  /**
   * Random per process: tells this process's runs from those of an earlier one with the
   * same process id (a container's Pagevault gets the same one at every start).
   */
  instance: string;
}

const columns = 'id, database_id AS databaseId, database_label AS databaseLabel, source, destination, mode, trigger, started_at AS startedAt, pid, host, instance';

/** The running backups, one row per run, written at its start and removed with its history entry. */
export class RunRecords {
  readonly #db: CatalogConnection;

  constructor(db: CatalogConnection) {
    this.#db = db;
  }

  /** Records a backup as running; returns its row id. */
  start(run: Omit<RunningBackup, 'id'>): number {
    const info = this.#db
      .prepare(
        `INSERT INTO running_backups (database_id, database_label, source, destination, mode, trigger, started_at, pid, host, instance)
         VALUES (@databaseId, @databaseLabel, @source, @destination, @mode, @trigger, @startedAt, @pid, @host, @instance)`,
      )
      .run(run);
    return Number(info.lastInsertRowid);
  }

  /** Forgets a run that ended (its history entry says how). */
  end(id: number): void {
    this.#db.prepare('DELETE FROM running_backups WHERE id = ?').run(id);
  }

  /** Every run recorded as running, oldest first: at start-up, those whose process is gone were interrupted. */
  list(): RunningBackup[] {
    return this.#db.prepare(`SELECT ${columns} FROM running_backups ORDER BY id`).all() as RunningBackup[];
  }
}
