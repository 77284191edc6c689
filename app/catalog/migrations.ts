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
  // 2: schedules and retention per database; backups can be pinned, skipped or missed,
  // and remember the source's change mark for skip-if-unchanged. SQLite cannot widen a
  // CHECK constraint, so the backups table is rebuilt (nothing references it).
  `
  CREATE TABLE backups_v2 (
    id INTEGER PRIMARY KEY,
    database_id INTEGER REFERENCES databases (id) ON DELETE SET NULL,
    database_label TEXT NOT NULL,
    source TEXT NOT NULL,
    path TEXT,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled', 'skipped', 'missed')),
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
    error_message TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    change_mark TEXT
  );
  INSERT INTO backups_v2 (id, database_id, database_label, source, path, status, trigger, mode, started_at, finished_at,
    duration_ms, bytes, page_size, page_count, sha256, restarts, verification, verification_problems, verified_at,
    error_code, error_message)
  SELECT id, database_id, database_label, source, path, status, trigger, mode, started_at, finished_at,
    duration_ms, bytes, page_size, page_count, sha256, restarts, verification, verification_problems, verified_at,
    error_code, error_message FROM backups;
  DROP TABLE backups;
  ALTER TABLE backups_v2 RENAME TO backups;
  CREATE INDEX backups_by_time ON backups (started_at DESC, id DESC);
  CREATE INDEX backups_by_database ON backups (database_id, started_at DESC, id DESC);
  CREATE UNIQUE INDEX backups_by_path ON backups (path) WHERE path IS NOT NULL;
  CREATE INDEX backups_by_sha256 ON backups (sha256) WHERE sha256 IS NOT NULL;

  CREATE TABLE schedules (
    database_id INTEGER PRIMARY KEY REFERENCES databases (id) ON DELETE CASCADE,
    spec TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    skip_if_unchanged INTEGER NOT NULL,
    anchor_at TEXT NOT NULL,
    last_slot_at TEXT,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE retention (
    database_id INTEGER PRIMARY KEY REFERENCES databases (id) ON DELETE CASCADE,
    policy TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // 3: a backup is recorded as running while it runs, so that one the process died in is
  // found at the next start and recorded as interrupted (a new status: the table is rebuilt
  // again to widen its CHECK).
  `
  CREATE TABLE backups_v3 (
    id INTEGER PRIMARY KEY,
    database_id INTEGER REFERENCES databases (id) ON DELETE SET NULL,
    database_label TEXT NOT NULL,
    source TEXT NOT NULL,
    path TEXT,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled', 'skipped', 'missed', 'interrupted')),
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
    error_message TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    change_mark TEXT
  );
  INSERT INTO backups_v3 SELECT id, database_id, database_label, source, path, status, trigger, mode, started_at, finished_at,
    duration_ms, bytes, page_size, page_count, sha256, restarts, verification, verification_problems, verified_at,
    error_code, error_message, pinned, change_mark FROM backups;
  DROP TABLE backups;
  ALTER TABLE backups_v3 RENAME TO backups;
  CREATE INDEX backups_by_time ON backups (started_at DESC, id DESC);
  CREATE INDEX backups_by_database ON backups (database_id, started_at DESC, id DESC);
  CREATE UNIQUE INDEX backups_by_path ON backups (path) WHERE path IS NOT NULL;
  CREATE INDEX backups_by_sha256 ON backups (sha256) WHERE sha256 IS NOT NULL;

  CREATE TABLE running_backups (
    id INTEGER PRIMARY KEY,
    database_id INTEGER,
    database_label TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    mode TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    instance TEXT NOT NULL
  );
  `,
  // 4: a backup of a database another program held can be deferred (it kept writing, no
  // consistent copy in the tries allowed), and a backup copied without a lock says how
  // (held_copy: the manifest's heldCopy as JSON). A new status: the table is rebuilt again.
  `
  CREATE TABLE backups_v4 (
    id INTEGER PRIMARY KEY,
    database_id INTEGER REFERENCES databases (id) ON DELETE SET NULL,
    database_label TEXT NOT NULL,
    source TEXT NOT NULL,
    path TEXT,
    status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled', 'skipped', 'missed', 'interrupted', 'deferred')),
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
    error_message TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    change_mark TEXT,
    held_copy TEXT CHECK (held_copy IS NULL OR json_valid(held_copy))
  );
  INSERT INTO backups_v4 SELECT id, database_id, database_label, source, path, status, trigger, mode, started_at, finished_at,
    duration_ms, bytes, page_size, page_count, sha256, restarts, verification, verification_problems, verified_at,
    error_code, error_message, pinned, change_mark, NULL FROM backups;
  DROP TABLE backups;
  ALTER TABLE backups_v4 RENAME TO backups;
  CREATE INDEX backups_by_time ON backups (started_at DESC, id DESC);
  CREATE INDEX backups_by_database ON backups (database_id, started_at DESC, id DESC);
  CREATE UNIQUE INDEX backups_by_path ON backups (path) WHERE path IS NOT NULL;
  CREATE INDEX backups_by_sha256 ON backups (sha256) WHERE sha256 IS NOT NULL;
  `,
  // 5: a backup says whether its file was cloned on a copy-on-write file system (sharing
  // blocks with the source) or copied (copy_method; NULL for entries from before, and for
  // runs that made no file).
  `
  ALTER TABLE backups ADD COLUMN copy_method TEXT CHECK (copy_method IS NULL OR copy_method IN ('cloned', 'copied'));
  `,
  // 6: what went wrong around a backup that still succeeded (the checkpoint helper's
  // write-back failures), as a JSON list of sentences; empty for entries from before.
  `
  ALTER TABLE backups ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings));
  `,
  // 7: a database keeps Copies (plain SQLite files) or Versions (its page vault); databases
  // from before keep Copies, as they did. A history entry of a version names it in its vault
  // (vault_version) and the compressed bytes it added (new_bytes); its path is
  // '<vault folder>#<version>', unique as every path is.
  `
  ALTER TABLE databases ADD COLUMN storage TEXT NOT NULL DEFAULT 'copies' CHECK (storage IN ('copies', 'versions'));
  ALTER TABLE backups ADD COLUMN vault_version INTEGER;
  ALTER TABLE backups ADD COLUMN new_bytes INTEGER;
  `,
];
