/**
 * A sends database as the first release (schema version 1) left it: the rows its record.ts wrote (sends, records,
 * last_direct), without the counters of /metrics that migration 2 adds. Built with the `migrations` option, so the
 * schema is exactly migration 1's.
 */
import { openDatabase } from '../../module/sends/database.js';
import { MIGRATIONS } from '../../module/sends/migrations.js';
import { deriveStatus } from '../../module/sends/index.js';
import type { SendModel } from '../../module/enums.js';

export interface Version1Send {
  at: string;
  model: SendModel;
  recordId: string;
  httpStatus?: number;
  operationOutcome?: unknown;
  failure?: 'no-connection' | 'certificate-failure';
  delivery?: 'ENVIADO_CENTRALIZADOR';
}

/**
 * Writes `sends` as rows of a version-1 database; `lastDirect`, when given, is the last_direct row (the retention of
 * version 1 kept it after removing its send row).
 */
export async function writeVersion1Database(file: string, sends: readonly Version1Send[], lastDirect?: Version1Send): Promise<void> {
  const db = await openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const send of sends) {
      const derived = deriveStatus(send);
      const atMs = Date.parse(send.at);
      db.run(
        `INSERT INTO sends (model, record_id, at, at_text, status, direct, http_status, failure, codes, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [send.model, send.recordId, atMs, send.at, derived.status, derived.direct ? 1 : 0, send.httpStatus ?? null, send.failure ?? null, JSON.stringify(derived.codes), derived.message],
      );
      const sent = derived.status === 'ENVIADO' || derived.status === 'ENVIADO_CENTRALIZADOR' ? 1 : 0;
      db.run(
        `INSERT INTO records (model, record_id, tab_model, at, at_text, status, sent, codes, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (model, record_id) DO UPDATE SET at = excluded.at, at_text = excluded.at_text, status = excluded.status, sent = excluded.sent,
          codes = excluded.codes, message = excluded.message WHERE excluded.at > records.at`,
        [send.model, send.recordId, send.model.startsWith('RIA') ? 'RIA' : send.model, atMs, send.at, derived.status, sent, JSON.stringify(derived.codes), derived.message],
      );
    }
    const direct = [...sends, ...(lastDirect ? [lastDirect] : [])].filter((send) => deriveStatus(send).direct);
    const last = direct.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))[0];
    if (last) {
      const derived = deriveStatus(last);
      db.run('INSERT INTO last_direct (id, at, at_text, model, status, codes) VALUES (1, ?, ?, ?, ?, ?)', [Date.parse(last.at), last.at, last.model, derived.status, JSON.stringify(derived.codes)]);
    }
    db.exec('COMMIT');
    if (db.get('PRAGMA user_version')?.user_version !== 1) throw new Error('not a version-1 database');
  } finally {
    db.close();
  }
}
