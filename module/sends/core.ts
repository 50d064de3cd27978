/**
 * What the sends use cases share: the database, opened at first use (the idle server never loads SQLite), its
 * prepared statements, the clock, and the retention run due at most once a day. It imports none of the use cases.
 */
import path from 'node:path';
import type { Statement } from 'node-sqlite3-wasm';
import type { SendModel, TabModel } from '../enums.js';
import { openDatabase, openDatabaseForReading, SENDS_FILE, type Database } from './database.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** What a retention run did (retention.ts). */
export interface RetentionResult {
  /** Send rows removed. */
  removed: number;
  /** Records whose RNDS text was cleared. */
  cleared: number;
}

export interface SendsDeps {
  dataDir: string;
  /** Days a send row and a record's RNDS text are kept (RNDS_SENDS_RETENTION_DAYS); the counters stay. */
  retentionDays: number;
  /** The installation's time zone: a period's days are its days. */
  timeZone: string;
  now: () => Date;
  /** The enabled certificate's notAfter, or null while nothing is enabled (the summary's lastSend). */
  enabledNotAfter: () => string | null;
  /**
   * Reading only (`npm run status` with the server down): an existing file, opened as it is — nothing created,
   * migrated or pruned (database.ts openDatabaseForReading). Only the reads may be called.
   */
  readOnly?: boolean;
  /** Tests: called inside a batch's transaction after each stored send (the crash test kills the process there). */
  afterSend?: (index: number) => void;
  /** Tests: the migrations to apply (an older release's list). */
  migrations?: readonly Migration[];
  /** Tests: SQLite's page cache, in KiB (a small one makes a batch write pages before it commits). */
  cacheKiB?: number;
  /** The bench only: false measures deleting without overwriting the freed bytes (database.ts). */
  secureDelete?: boolean;
}

export const DAY_MS = 86_400_000;

export const tabModelOf = (model: SendModel): TabModel => (model === 'RIA-C' || model === 'RIA-R' ? 'RIA' : model);

export class SendsCore {
  #db: Database | null = null;
  #opening: Promise<Database> | null = null;
  #statements = new Map<string, Statement>();
  #closed = false;
  #nextRetention = 0;
  #schemaVersion = 0;

  constructor(
    readonly deps: SendsDeps,
    /** Run at open and then at most once a day, before a use case reads or writes (retention.ts). */
    private readonly retention: (core: SendsCore) => RetentionResult,
  ) {}

  get file(): string {
    return path.join(this.deps.dataDir, SENDS_FILE);
  }

  /** True once something opened the database (the lean-loading checks look at it). */
  get opened(): boolean {
    return this.#db !== null;
  }

  /** The open database's schema version (`PRAGMA user_version`); read-only, 0 is a file where nothing was ever stored. */
  get schemaVersion(): number {
    return this.#schemaVersion;
  }

  /** The database, opened (and migrated) at the first call, the retention run when due (unless `prune: false` or read-only). */
  async db(options: { prune?: boolean } = {}): Promise<Database> {
    if (this.#closed) throw new Error('o registro de envios foi fechado');
    const db = this.#db ?? (await (this.#opening ??= this.#open()));
    if (!this.deps.readOnly && options.prune !== false && this.deps.now().getTime() >= this.#nextRetention) this.runRetention();
    return db;
  }

  async #open(): Promise<Database> {
    let db: Database;
    try {
      if (this.deps.readOnly) ({ db, schemaVersion: this.#schemaVersion } = await openDatabaseForReading(this.file));
      else {
        db = await openDatabase(this.file, { migrations: this.deps.migrations, cacheKiB: this.deps.cacheKiB, secureDelete: this.deps.secureDelete });
        this.#schemaVersion = (this.deps.migrations ?? MIGRATIONS).length;
      }
    } catch (error) {
      this.#opening = null; // the next call tries again (the file may be fixed, the disk freed)
      throw error;
    }
    if (this.#closed) {
      db.close();
      throw new Error('o registro de envios foi fechado');
    }
    this.#db = db;
    return db;
  }

  /** The first instant within the retention: sends before it are removed, records before it keep no RNDS text. */
  retentionCutoff(): number {
    return this.deps.now().getTime() - this.deps.retentionDays * DAY_MS;
  }

  /** Runs the retention now (also at open and once a day by itself): retention.ts. */
  runRetention(): RetentionResult {
    if (!this.#db) return { removed: 0, cleared: 0 };
    this.#nextRetention = this.deps.now().getTime() + DAY_MS;
    return this.retention(this);
  }

  /** A prepared statement, kept until close (the binding needs them finalized by hand). */
  stmt(sql: string): Statement {
    if (!this.#db) throw new Error('banco de envios não aberto');
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in one write transaction: all of it or none. */
  transaction<T>(work: () => T): T {
    const db = this.#db!;
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Copies the WAL into the database file and truncates the WAL to nothing: the old frames (a cleared text's previous
   * page) leave the disk. A statement left mid-read (`get()` stops after one row) would hold it back, so the kept
   * statements are finalized first; they are prepared again when next used.
   */
  checkpoint(): void {
    if (!this.#db) return;
    this.#finalizeStatements();
    this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  }

  #finalizeStatements(): void {
    for (const statement of this.#statements.values()) if (!statement.isFinalized) statement.finalize();
    this.#statements.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const db = this.#db ?? (this.#opening ? await this.#opening.catch(() => null) : null);
    this.#finalizeStatements();
    if (db?.isOpen) db.close();
    this.#db = null;
  }
}
