/**
 * The RNDS tab's lists: the records *não enviados* of a period (the error report, streamed newest first), the most
 * recent refusals, the records not sent per model in a period, and each RNDS code's count in a period. Each error
 * carries the dictionary's *o que fazer* and *quem resolve*.
 */
import { SEND_STATUSES, TAB_MODELS, recordOf, type SendModel, type SendStatus, type TabModel } from '../enums.js';
import { GROUP_LABELS, explain } from '../rnds/dictionary.js';
import type { SendsCore } from './core.js';
import { rangeOf, type Period } from './period.js';

export interface SendError {
  at: string;
  model: SendModel;
  recordId: string;
  status: SendStatus;
  codes: string[];
  /** RNDS's own text, or the host's detail of a send without an answer. */
  message: string;
  /** *O que fazer*, pt-BR. */
  action: string;
  /** *Quem resolve*, pt-BR. */
  group: string;
}

const NO_CONNECTION_ACTION =
  'O PEC não recebeu resposta da RNDS: confira a internet e o proxy deste servidor (Testar conexão, na aba Certificados). O registro é enviado de novo mais tarde.';
const CREDENTIAL_ACTION =
  'A RNDS recusou o certificado ou a credencial: confira na aba Certificados se o certificado habilitado está válido e, em e-Gestor AB › Credenciais geradas, se a credencial está com STATUS ATIVO; habilite de novo se preciso.';

/** The advice for a refused send: its first code that is not a duplicate, else by its status. */
export function adviceFor(status: SendStatus, codes: readonly string[]): { action: string; group: string } {
  const code = codes.find((c) => explain(c).group !== 'duplicado') ?? codes[0];
  if (code !== undefined) {
    const advice = explain(code);
    return { action: advice.action, group: advice.groupLabel };
  }
  if (status === 'SEM_CONEXAO') return { action: NO_CONNECTION_ACTION, group: GROUP_LABELS['rnds-fora'] };
  if (status === 'FALHA_CREDENCIAL') return { action: CREDENTIAL_ACTION, group: GROUP_LABELS.credencial };
  const generic = explain('');
  return { action: generic.action, group: generic.groupLabel };
}

interface Row {
  at: number;
  model: SendModel;
  record_id: string;
  status: SendStatus;
  codes: string;
  message: string | null;
}

// The advice by status and codes as stored: a report repeats a few combinations thousands of times.
const adviceCache = new Map<string, { codes: string[]; advice: { action: string; group: string } }>();

function toError(row: Row): SendError {
  const key = `${row.status} ${row.codes}`;
  let known = adviceCache.get(key);
  if (!known) {
    const codes = JSON.parse(row.codes) as string[];
    known = { codes, advice: adviceFor(row.status, codes) };
    if (adviceCache.size >= 1000) adviceCache.clear();
    adviceCache.set(key, known);
  }
  return { at: new Date(row.at).toISOString(), model: row.model, recordId: row.record_id, status: row.status, codes: [...known.codes], message: row.message ?? '', ...known.advice };
}

/**
 * A row read as one text, its fields joined by U+001F: the binding pays per column, and a report reads 100 000s of
 * rows. Codes are JSON (a U+001F in them is escaped); RNDS's text gets a space for one; the record id comes last, whole.
 */
const PACKED =
  "at || char(31) || tab_model || char(31) || model || char(31) || status || char(31) || codes || char(31) || replace(ifnull(message, ''), char(31), ' ') || char(31) || record_id AS packed";

function unpack(packed: string): Row & { tab_model: TabModel } {
  const fields = packed.split('\x1f');
  const [at, tab_model, model, status, codes, message] = fields as [string, TabModel, SendModel, SendStatus, string, string];
  return { at: Number(at), tab_model, model, status, codes, message: message === '' ? null : message, record_id: fields.slice(6).join('\x1f') };
}

const PAGE = 500;
const modelsOf = (tabs: readonly TabModel[]): SendModel[] => tabs.flatMap((tab): SendModel[] => (tab === 'RIA' ? ['RIA-C', 'RIA-R'] : [tab]));
const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/**
 * The records not sent whose latest send is in the period and within the retention (an older one has no RNDS text
 * left to show), newest first (ties by tab model, model and record id), page by page (no statement stays open between pages, so a slow reader never holds the
 * database).
 */
export async function* sendErrors(core: SendsCore, query: Period & { models: readonly TabModel[] }): AsyncIterable<SendError> {
  await core.db();
  const range = rangeOf(query, core.deps.timeZone);
  const tabs = [...new Set(query.models)].filter((m) => (TAB_MODELS as readonly string[]).includes(m));
  if (tabs.length === 0) return;
  // One range of the index records_at, whose key is (at, tab_model, sent, model, record_id) — a WITHOUT ROWID table's
  // index ends with the primary key — read backwards from the cursor: each page is a seek and 500 steps, and the order
  // below is the index's own, so no page sorts the rest of the period (an OR of two ranges did, and took minutes).
  const sql = `SELECT ${PACKED} FROM records
    WHERE at >= ? AND (at, tab_model, sent, model, record_id) < (?, ?, 0, ?, ?) AND sent = 0 AND tab_model IN (${placeholders(tabs.length)})
    ORDER BY at DESC, tab_model DESC, sent DESC, model DESC, record_id DESC LIMIT ${PAGE}`;
  const from = Math.max(range.from, core.retentionCutoff());
  // Below (range.to, '', …): every row of an instant before range.to, none of range.to itself.
  let cursor: [number, string, string, string] = [range.to, '', '', ''];
  for (;;) {
    await core.db();
    const rows = (core.stmt(sql).all([from, ...cursor, ...tabs]) as Array<{ packed: string }>).map((r) => unpack(r.packed));
    for (const row of rows) yield toError(row);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    cursor = [last.at, last.tab_model, last.model, last.record_id];
  }
}

/** The most recent refused sends (not delivered), optionally of one tab model and one status. */
export async function recentRefusals(core: SendsCore, limit: number, filter: { model?: TabModel; status?: SendStatus } = {}): Promise<SendError[]> {
  await core.db();
  const where = ["status NOT IN ('ENVIADO', 'ENVIADO_CENTRALIZADOR')"];
  const values: Array<string | number> = [];
  if (filter.model) {
    const models = modelsOf([filter.model]);
    where.push(`model IN (${placeholders(models.length)})`);
    values.push(...models);
  }
  if (filter.status && (SEND_STATUSES as readonly string[]).includes(filter.status)) {
    where.push('status = ?');
    values.push(filter.status);
  }
  const safeLimit = Math.max(0, Math.min(1000, Math.floor(limit)));
  const rows = core
    .stmt(`SELECT at, model, record_id, status, codes, COALESCE(message, detail) AS message FROM sends WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ?`)
    .all([...values, safeLimit]) as unknown as Row[];
  return rows.map(toError);
}

/** Records not sent per tab model whose latest send is in the period and the retention (the dialog's *N registros neste período*, the CSV's rows). */
export async function periodCounts(core: SendsCore, period: Period): Promise<Record<TabModel, number>> {
  await core.db();
  const range = rangeOf(period, core.deps.timeZone);
  const rows = core
    .stmt('SELECT tab_model, COUNT(*) AS n FROM records WHERE at >= ? AND at < ? AND sent = 0 GROUP BY tab_model')
    .all([Math.max(range.from, core.retentionCutoff()), range.to]) as Array<{ tab_model: TabModel; n: number }>;
  const counts = recordOf(TAB_MODELS, () => 0);
  for (const row of rows) if (row.tab_model in counts) counts[row.tab_model] = row.n;
  return counts;
}

/** How many sends of the period carried each RNDS code, most frequent first. */
export async function codeCounts(core: SendsCore, period: Period): Promise<Array<{ code: string; count: number }>> {
  await core.db();
  const range = rangeOf(period, core.deps.timeZone);
  const rows = core
    .stmt("SELECT j.value AS code, COUNT(*) AS count FROM sends, json_each(sends.codes) AS j WHERE sends.at >= ? AND sends.at < ? AND sends.codes <> '[]' GROUP BY j.value ORDER BY count DESC, code")
    .all([range.from, range.to]) as Array<{ code: string; count: number }>;
  return rows;
}
