/**
 * The RNDS tab's summary (CONTRACT.md SendsSummary): *Status do último envio* from the last direct send, and per tab
 * model the records, sent and not sent — from the counters kept on write, or counted over a period's records.
 */
import { CONNECTION_MESSAGES, SEND_STATUSES, TAB_MODELS, type ConnectionStatus, type SendModel, type SendStatus, type TabModel } from '../enums.js';
import type { SendsCore } from './core.js';
import { rangeOf, type Period } from './period.js';

/** The last send's status speaks the connection test's four words (PEC's). */
export type LastSendStatus = ConnectionStatus;

export interface LastDirectSend {
  at: string;
  model: SendModel;
  status: SendStatus;
  codes: string[];
}

export interface SendsSummary {
  lastSend: { at: string; model: SendModel; status: LastSendStatus; message: string } | null;
  models: Array<{ model: TabModel; total: number; sent: number; notSent: number }>;
}

export async function lastDirectSend(core: SendsCore): Promise<LastDirectSend | null> {
  await core.db();
  if (core.schemaVersion === 0) return null; // read-only: a file where nothing was ever stored has no tables
  const row = core.stmt('SELECT at, model, status, codes FROM last_direct WHERE id = 1').get() as { at: number; model: SendModel; status: SendStatus; codes: string } | null;
  if (!row || !(SEND_STATUSES as readonly string[]).includes(row.status)) return null;
  return { at: new Date(row.at).toISOString(), model: row.model, status: row.status, codes: JSON.parse(row.codes) as string[] };
}

/** *Status do último envio* (SendsSummary.lastSend): the last direct send in PEC's four words. */
export function lastSendOf(send: LastDirectSend, enabledNotAfter: string): NonNullable<SendsSummary['lastSend']> {
  const status = lastSendStatus(send, enabledNotAfter);
  return { at: send.at, model: send.model, status, message: CONNECTION_MESSAGES[status] };
}

function lastSendStatus(send: LastDirectSend, notAfter: string): LastSendStatus {
  if (Date.parse(send.at) > Date.parse(notAfter)) return 'certificate-expired';
  if (send.status === 'FALHA_CREDENCIAL') return 'certificate-failure';
  if (send.status === 'SEM_CONEXAO') return 'no-connection';
  return 'ok';
}

export async function sendsSummary(core: SendsCore, period?: Period): Promise<SendsSummary> {
  await core.db();
  const rows = (
    period
      ? core
          .stmt('SELECT tab_model, COUNT(*) AS total, COALESCE(SUM(sent), 0) AS sent FROM records WHERE at >= ? AND at < ? GROUP BY tab_model')
          .all(Object.values(rangeOf(period, core.deps.timeZone)))
      : core.stmt('SELECT tab_model, total, sent FROM counters').all()
  ) as Array<{ tab_model: TabModel; total: number; sent: number }>;
  const byModel = new Map(rows.map((row) => [row.tab_model, row]));
  const models = TAB_MODELS.map((model) => {
    const { total = 0, sent = 0 } = byModel.get(model) ?? {};
    return { model, total, sent, notSent: total - sent };
  });
  const notAfter = core.deps.enabledNotAfter();
  const last = notAfter === null ? null : await lastDirectSend(core);
  return { lastSend: last && notAfter !== null ? lastSendOf(last, notAfter) : null, models };
}
