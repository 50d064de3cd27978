/**
 * The sends database: one SQLite file in the data folder, through node-sqlite3-wasm (SQLite compiled to WebAssembly
 * with a VFS on node:fs — nothing compiled or downloaded at install, the same on Node 20 and 24; docs/libraries.md).
 * Loaded at first use only: the WebAssembly module costs memory the idle server does not pay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'node-sqlite3-wasm';
import { migrate, type Migration, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export type { Database } from 'node-sqlite3-wasm';

/** The file in the data folder; back it up with the folder. */
export const SENDS_FILE = 'sends.sqlite';

type Binding = typeof import('node-sqlite3-wasm');

let binding: Promise<Binding> | undefined;

async function loadBinding(): Promise<Binding> {
  // A CommonJS module: its exports arrive as the default export.
  binding ??= import('node-sqlite3-wasm').then((mod) => ((mod as unknown as { default?: Binding }).default ?? mod) as Binding);
  return binding;
}

/**
 * Opens (creating) the database and migrates it. Journal: WAL with `locking_mode = EXCLUSIVE` and synchronous=FULL.
 * Measured against a SIGKILL in the middle of a batch (test/unit/sends-crash.test.ts): this binding's VFS never
 * rolls back a hot rollback journal — its lock is a `<file>.lock` folder that the opening connection itself holds
 * when SQLite asks whether another process holds it, so DELETE/TRUNCATE journals leave a half-written batch in the
 * file ("database disk image is malformed"). WAL recovery needs no such check: frames without a commit are ignored.
 * The VFS has no shared memory, so WAL works only in exclusive locking mode — fine, since one process owns the data
 * folder (state/lock.ts): the `.lock` folder a killed process leaves is stale and removed here. `secure_delete` is on.
 */
export async function openDatabase(file: string, options: { migrations?: readonly Migration[]; cacheKiB?: number; secureDelete?: boolean } = {}): Promise<Database> {
  const { Database: SqliteDatabase } = await loadBinding();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.rmSync(`${file}.lock`, { recursive: true, force: true });
  const db = new SqliteDatabase(file);
  try {
    fs.chmodSync(file, 0o600);
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const mode = db.get('PRAGMA journal_mode = WAL')?.journal_mode;
    if (mode !== 'wal') throw new Error(`o banco de envios não aceitou o modo WAL (ficou em ${String(mode)})`);
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    // Deleted and overwritten bytes are zeroed, not left in free pages: RNDS's text can name a patient, and it must be
    // gone from the file once the retention clears it (retention.ts; its cost is in `npm run bench -- sends-report`).
    db.exec(`PRAGMA secure_delete = ${options.secureDelete === false ? 'OFF' : 'ON'}`);
    if (options.cacheKiB !== undefined) db.exec(`PRAGMA cache_size = -${options.cacheKiB}`);
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens an existing database for reading only (`npm run status` while the server is down): never created, migrated,
 * pruned or checkpointed — the server migrates at its start, and a CLI run as another user (root) must leave no file
 * the service cannot open. Its lock is taken like the server's (the `.lock` folder, exclusive mode: the only way this
 * VFS reads a WAL), so it fails with "database is locked" while another process holds the file; a stale lock is the
 * caller's to judge (it knows whether the data folder's owner is alive). Resolves with the schema version found:
 * 0 is a file whose first migration never committed (no tables: nothing reported).
 */
export async function openDatabaseForReading(file: string): Promise<{ db: Database; schemaVersion: number }> {
  const { Database: SqliteDatabase } = await loadBinding();
  const db = new SqliteDatabase(file, { readOnly: true });
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    const schemaVersion = Number(db.get('PRAGMA user_version')?.user_version ?? 0);
    if (schemaVersion > SCHEMA_VERSION) {
      throw new Error(`o banco de envios é da versão ${schemaVersion} do esquema, mais nova que esta versão do pec-rnds (${SCHEMA_VERSION}): atualize o pec-rnds`);
    }
    return { db, schemaVersion };
  } catch (error) {
    db.close();
    throw error;
  }
}
