/** The catalog with its tables, opened once per core. */
import { existsSync } from 'node:fs';
import type { Settings } from '../api/types.ts';
import { BackupRecords } from './backup-records.ts';
import { openCatalog, type CatalogConnection } from './catalog.ts';
import { DatabaseRecords } from './database-records.ts';
import { EventLog } from './event-log.ts';
import { RetentionRecords } from './retention-records.ts';
import { ScheduleRecords } from './schedule-records.ts';
import { SettingsRecords } from './settings-records.ts';

export { CATALOG_FILE_NAME, CATALOG_VERSION } from './catalog.ts';
export type { DatabaseRow } from './database-records.ts';
export type { ScheduleRow } from './schedule-records.ts';
export type { NewBackup, HistoryQuery } from './backup-records.ts';
export { entryFromManifest, entryWithoutFile } from './backup-records.ts';

export class Catalog {
  readonly connection: CatalogConnection;
  readonly databases: DatabaseRecords;
  readonly backups: BackupRecords;
  readonly settings: SettingsRecords;
  readonly events: EventLog;
  readonly schedules: ScheduleRecords;
  readonly retention: RetentionRecords;

  constructor(dataDir: string, defaults: Settings, options: { fileExists?: (path: string) => boolean } = {}) {
    this.connection = openCatalog(dataDir);
    this.databases = new DatabaseRecords(this.connection);
    this.backups = new BackupRecords(this.connection, options.fileExists ?? existsSync);
    this.settings = new SettingsRecords(this.connection, defaults);
    this.events = new EventLog(this.connection);
    this.schedules = new ScheduleRecords(this.connection);
    this.retention = new RetentionRecords(this.connection);
  }

  close(): void {
    if (this.connection.open) this.connection.close();
  }
}
