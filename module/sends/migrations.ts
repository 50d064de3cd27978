/**
 * The sends database's schema, as an ordered list of migrations. `PRAGMA user_version` is the number of migrations
 * applied; opening a database runs the missing ones, each in its own transaction with the version bump, so a crash
 * leaves it at one version or the next. Never edit a released migration: add the next one.
 */
import type { Database } from 'node-sqlite3-wasm';
import type { SendStatus } from '../enums.js';
import { refusalGroup } from './status.js';

export interface Migration {
  /** One line on what it changes. */
  description: string;
  sql: string;
  /** Runs after `sql`, in the same transaction: filling new tables where SQL alone cannot (the dictionary's groups). */
  data?: (db: Database) => void;
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
  {
    description: 'the counters of /metrics: sends per model and status, refusals per model and group, the latest direct sends per model',
    // Kept by record.ts in the batch's transaction (sends/metrics.ts), never touched by the retention, so they count
    // every send since the first report. A row exists once its count is above 0; readers start every series at 0.
    // A database written before them starts from the send rows it still has (the retention may have removed older
    // ones) and from last_direct, which the retention keeps.
    sql: `
      CREATE TABLE send_counts (
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (model, status)
      ) WITHOUT ROWID;
      CREATE TABLE refusal_counts (
        model TEXT NOT NULL,
        grp TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (model, grp)
      ) WITHOUT ROWID;
      -- Per model: the latest direct send's at, and the latest direct send with status ENVIADO's (ms).
      CREATE TABLE last_sends (
        model TEXT PRIMARY KEY,
        at INTEGER NOT NULL,
        delivered_at INTEGER
      ) WITHOUT ROWID;
      INSERT INTO send_counts (model, status, count) SELECT model, status, COUNT(*) FROM sends GROUP BY model, status;
      INSERT INTO last_sends (model, at, delivered_at)
        SELECT model, MAX(at), MAX(CASE WHEN status = 'ENVIADO' THEN at END) FROM sends WHERE direct = 1 GROUP BY model;
      INSERT INTO last_sends (model, at, delivered_at)
        SELECT model, at, CASE WHEN status = 'ENVIADO' THEN at END FROM last_direct WHERE true
        ON CONFLICT (model) DO UPDATE SET at = MAX(last_sends.at, excluded.at),
          delivered_at = COALESCE(MAX(last_sends.delivered_at, excluded.delivered_at), last_sends.delivered_at, excluded.delivered_at);
    `,
    data(db) {
      // The refusals' groups come from the dictionary: one row per distinct (model, status, codes), not per send.
      const rows = db.all(
        "SELECT model, status, codes, COUNT(*) AS n FROM sends WHERE status IN ('FALHA_CREDENCIAL', 'SEM_CONEXAO', 'DADOS_INVALIDOS') GROUP BY model, status, codes",
      ) as Array<{ model: string; status: SendStatus; codes: string; n: number }>;
      const counts = new Map<string, { model: string; group: string; n: number }>();
      for (const row of rows) {
        const group = refusalGroup(row.status, parseCodes(row.codes));
        if (group === null) continue;
        const key = `${row.model}\t${group}`;
        const entry = counts.get(key) ?? { model: row.model, group, n: 0 };
        entry.n += Number(row.n);
        counts.set(key, entry);
      }
      for (const { model, group, n } of counts.values()) db.run('INSERT INTO refusal_counts (model, grp, count) VALUES (?, ?, ?)', [model, group, n]);
    },
  },
];

function parseCodes(text: string): string[] {
  try {
    const codes: unknown = JSON.parse(text);
    return Array.isArray(codes) ? codes.filter((code): code is string => typeof code === 'string') : [];
  } catch {
    return [];
  }
}

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
      const migration = migrations[version]!;
      db.exec(migration.sql);
      migration.data?.(db);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  }
  return { from, to: migrations.length };
}
