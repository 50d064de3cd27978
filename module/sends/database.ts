/**
 * The sends database: one SQLite file in the data folder, through node-sqlite3-wasm (SQLite compiled to WebAssembly
 * with a VFS on node:fs — nothing compiled or downloaded at install, the same on Node 20 and 24; docs/libraries.md).
 * Loaded at first use only: the WebAssembly module costs memory the idle server does not pay.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'node-sqlite3-wasm';
import { migrate, type Migration, MIGRATIONS } from './migrations.js';

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
 * Opens (creating) the database and migrates it. The binding's VFS locks with a `<file>.lock` folder that a killed
 * process leaves behind; the data folder belongs to one process (state/lock.ts holds it), so one found at open is
 * stale and removed. Journal: DELETE with synchronous=FULL — the VFS has no shared memory, so SQLite refuses WAL
 * (it stays in DELETE); a rolled-back journal left by a crash is replayed by SQLite at the next open.
 */
export async function openDatabase(file: string, options: { migrations?: readonly Migration[]; cacheKiB?: number } = {}): Promise<Database> {
  const { Database: SqliteDatabase } = await loadBinding();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.rmSync(`${file}.lock`, { recursive: true, force: true });
  const db = new SqliteDatabase(file);
  try {
    fs.chmodSync(file, 0o600);
    db.exec('PRAGMA journal_mode = DELETE');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    if (options.cacheKiB !== undefined) db.exec(`PRAGMA cache_size = -${options.cacheKiB}`);
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
