/**
 * The catalog's schema, one SQL script per version. Append only: a shipped migration is
 * never edited, a change is a new entry.
 */
export const migrations: readonly string[] = [
  // 1: databases, backup history, settings, event log.
  `
  CREATE TABLE databases (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    destination TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('snapshot', 'stepped', 'compact')),
    pages_per_step INTEGER,
    pause_ms INTEGER,
    journal_mode TEXT NOT NULL,
    page_size INTEGER NOT NULL,
    added_at TEXT NOT NULL
  );

  CREATE TABLE backups (
    id INTEGER PRIMARY KEY,
    database_id INTEGER REFERENCES databases (id) ON DELETE SET NULL,
    database_label TEXT NOT NULL,
    source TEXT NOT NULL,
    path TEXT,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
    trigger TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    bytes INTEGER,
    page_size INTEGER,
    page_count INTEGER,
    sha256 TEXT,
    restarts INTEGER NOT NULL DEFAULT 0,
    verification TEXT NOT NULL CHECK (verification IN ('passed', 'failed', 'skipped')),
    verification_problems TEXT NOT NULL DEFAULT '[]',
    verified_at TEXT,
    error_code TEXT,
    error_message TEXT
  );
  CREATE INDEX backups_by_time ON backups (started_at DESC, id DESC);
  CREATE INDEX backups_by_database ON backups (database_id, started_at DESC, id DESC);
  CREATE UNIQUE INDEX backups_by_path ON backups (path) WHERE path IS NOT NULL;

  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    database_id INTEGER,
    message TEXT NOT NULL
  );
  CREATE INDEX events_by_time ON events (at DESC);
  `,
];
