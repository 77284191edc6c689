/** The catalog with its tables, opened once per core. */
import type { Settings } from '../api/types.ts';
import { BackupRecords } from './backup-records.ts';
import { openCatalog, type CatalogConnection } from './catalog.ts';
import { DatabaseRecords } from './database-records.ts';
import { EventLog } from './event-log.ts';
import { RetentionRecords } from './retention-records.ts';
import { RunRecords } from './run-records.ts';
import { ScheduleRecords } from './schedule-records.ts';
import { SettingsRecords } from './settings-records.ts';

export { CATALOG_FILE_NAME, CATALOG_VERSION, openDataDir } from './catalog.ts';
export { CatalogBackups, restoreCatalogBackup, CATALOG_BACKUPS_KEPT, type CatalogRestoreResult } from './catalog-backups.ts';
export { CATALOG_COMPANIONS, CATALOG_BACKUPS_FOLDER, catalogPathOf, catalogBackupsDir, listCatalogBackups, isBusyError, isDamageError, ownPathProblem, realPathOf, shellQuote, STAGING_FOLDER } from './catalog-files.ts';
export type { DatabaseRow } from './database-records.ts';
export type { ScheduleRow } from './schedule-records.ts';
export type { RunningBackup } from './run-records.ts';
export type { NewBackup, HistoryQuery } from './backup-records.ts';
export { entryFromManifest, entryWithoutFile } from './backup-records.ts';

/** The catalog's tables, each behind its own records class, on one connection. */
export class Catalog {
  readonly connection: CatalogConnection;
  readonly databases: DatabaseRecords;
  readonly backups: BackupRecords;
  readonly settings: SettingsRecords;
  readonly events: EventLog;
  readonly schedules: ScheduleRecords;
  readonly retention: RetentionRecords;
  readonly runs: RunRecords;

  constructor(dataDir: string, defaults: Settings) {
    this.connection = openCatalog(dataDir);
    this.databases = new DatabaseRecords(this.connection);
    this.backups = new BackupRecords(this.connection);
    this.settings = new SettingsRecords(this.connection, defaults);
    this.events = new EventLog(this.connection);
    this.schedules = new ScheduleRecords(this.connection);
    this.retention = new RetentionRecords(this.connection);
    this.runs = new RunRecords(this.connection);
  }

  /** Closes the connection; a second call does nothing. */
  close(): void {
    if (this.connection.open) this.connection.close();
  }
}
