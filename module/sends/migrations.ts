/**
 * The sends database's schema, as an ordered list of migrations. `PRAGMA user_version` is the number of migrations
 * applied; opening a database runs the missing ones, each in its own transaction with the version bump, so a crash
 * leaves it at one version or the next. Never edit a released migration: add the next one.
 */
import type { Database } from 'node-sqlite3-wasm';

export interface Migration {
  /** One line on what it changes. */
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'sends, the latest send of each record, counters per tab model, the last direct send',
    sql: `
      -- One row per reported send (removed after the retention period). at: ms since the epoch; at_text: as reported.
      CREATE TABLE sends (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL,
        record_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        at_text TEXT NOT NULL,
        status TEXT NOT NULL,
        direct INTEGER NOT NULL,
        http_status INTEGER,
        failure TEXT,
        codes TEXT NOT NULL,
        message TEXT,
        detail TEXT,
        rnds_id TEXT,
        cnes TEXT,
        environment TEXT,
        UNIQUE (model, record_id, at)
      );
      CREATE INDEX sends_at ON sends (at);
      -- A record (model + record_id) by its latest send: what the counters and the error list count.
      CREATE TABLE records (
        model TEXT NOT NULL,
        record_id TEXT NOT NULL,
        tab_model TEXT NOT NULL,
        at INTEGER NOT NULL,
        at_text TEXT NOT NULL,
        status TEXT NOT NULL,
        sent INTEGER NOT NULL,
        codes TEXT NOT NULL,
        message TEXT,
        PRIMARY KEY (model, record_id)
      ) WITHOUT ROWID;
      CREATE INDEX records_at ON records (at, tab_model, sent);
      -- Kept on write, never counted on read: the summary reads three rows.
      CREATE TABLE counters (
        tab_model TEXT PRIMARY KEY,
        total INTEGER NOT NULL,
        sent INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO counters (tab_model, total, sent) VALUES ('RIA', 0, 0), ('RAC', 0, 0), ('RPM', 0, 0);
      -- The counters follow the records inside SQLite, in the same transaction as the change.
      CREATE TRIGGER records_counted AFTER INSERT ON records BEGIN
        UPDATE counters SET total = total + 1, sent = sent + NEW.sent WHERE tab_model = NEW.tab_model;
      END;
      CREATE TRIGGER records_recounted AFTER UPDATE OF sent ON records WHEN NEW.sent <> OLD.sent BEGIN
        UPDATE counters SET sent = sent + NEW.sent - OLD.sent WHERE tab_model = NEW.tab_model;
      END;
      -- The latest direct send (httpStatus or failure) by at: one row at most.
      CREATE TABLE last_direct (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at INTEGER NOT NULL,
        at_text TEXT NOT NULL,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        codes TEXT NOT NULL
      );
      -- Housekeeping: when the retention last ran (ms).
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database up to SCHEMA_VERSION. A database written by a newer release is refused: this code would not
 * know what its tables mean.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = Number(db.get('PRAGMA user_version')?.user_version ?? 0);
  if (from > migrations.length) {
    throw new Error(`o banco de envios é da versão ${from} do esquema, mais nova que esta versão do pec-rnds (${migrations.length}): atualize o pec-rnds`);
  }
  for (let version = from; version < migrations.length; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(migrations[version]!.sql);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return { from, to: migrations.length };
}
