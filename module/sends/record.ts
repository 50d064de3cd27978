/**
 * Recording a batch of reported sends: validated whole, stored in one transaction (all or none). A send already
 * stored (same model, recordId and instant) is a duplicate, never counted twice. Each record keeps its latest send,
 * and the counters per tab model change with it, so reads never count rows; the counters of /metrics (metrics.ts)
 * change in the same transaction.
 */
import { RndsError } from '../errors.js';
import { type SendsCore, tabModelOf } from './core.js';
import { parseReport } from './inputs.js';
import { countSends, type CountedSend, type SendsMetricsSnapshot } from './metrics.js';
import { deriveStatus, isSent } from './status.js';

export interface RecordResult {
  accepted: number;
  duplicates: number;
}

const INSERT_SEND = `INSERT OR IGNORE INTO sends (model, record_id, at, at_text, status, direct, http_status, failure, codes, message, detail, rnds_id, cnes, environment)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
// A record takes a send only if it is later than the one it has; the counters follow by trigger (migrations.ts).
const UPSERT_RECORD = `INSERT INTO records (model, record_id, tab_model, at, at_text, status, sent, codes, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (model, record_id) DO UPDATE SET at = excluded.at, at_text = excluded.at_text, status = excluded.status, sent = excluded.sent,
  codes = excluded.codes, message = excluded.message WHERE excluded.at > records.at`;
const SET_LAST_DIRECT = `INSERT INTO last_direct (id, at, at_text, model, status, codes) VALUES (1, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET at = excluded.at, at_text = excluded.at_text, model = excluded.model, status = excluded.status, codes = excluded.codes
  WHERE excluded.at > last_direct.at`;

export async function recordSends(core: SendsCore, input: unknown, metrics: SendsMetricsSnapshot): Promise<RecordResult> {
  const sends = parseReport(input);
  try {
    await core.db();
    return store(core, sends, metrics);
  } catch (error) {
    // SQLite's own failures (disk full, a damaged file, no permission): nothing of the batch was kept.
    if (error instanceof Error && error.name === 'SQLite3Error') {
      throw new RndsError('WRITE_FAILED', 'Não foi possível gravar os envios no banco da pasta de dados (sends.sqlite): nada deste lote foi guardado. Confira o espaço livre e a permissão da pasta de dados e envie o lote de novo.', { cause: error });
    }
    throw error;
  }
}

function store(core: SendsCore, sends: ReturnType<typeof parseReport>, metrics: SendsMetricsSnapshot): RecordResult {
  const insertSend = core.stmt(INSERT_SEND);
  const upsertRecord = core.stmt(UPSERT_RECORD);
  const { result, counters } = core.transaction(() => {
    let last: { at: number; values: Array<string | number> } | null = null;
    const counted: CountedSend[] = [];
    for (const [index, send] of sends.entries()) {
      const derived = deriveStatus(send);
      const codes = JSON.stringify(derived.codes);
      const message = derived.message ?? send.detail ?? null;
      const stored = insertSend.run([
        send.model, send.recordId, send.atMs, send.at, derived.status, derived.direct ? 1 : 0, send.httpStatus ?? null, send.failure ?? null,
        codes, derived.message, send.detail ?? null, send.rndsId ?? null, send.cnes ?? null, send.environment ?? null,
      ]);
      if (stored.changes === 0) continue;
      counted.push({ model: send.model, status: derived.status, codes: derived.codes, direct: derived.direct, atMs: send.atMs });
      upsertRecord.run([send.model, send.recordId, tabModelOf(send.model), send.atMs, send.at, derived.status, isSent(derived.status) ? 1 : 0, codes, message]);
      if (derived.direct && (last === null || send.atMs > last.at)) last = { at: send.atMs, values: [send.atMs, send.at, send.model, derived.status, codes] };
      core.deps.afterSend?.(index);
    }
    if (last) core.stmt(SET_LAST_DIRECT).run(last.values);
    return { result: { accepted: counted.length, duplicates: sends.length - counted.length }, counters: countSends(core, counted) };
  });
  metrics.replace(counters); // committed: the scrape may show them
  return result;
}
