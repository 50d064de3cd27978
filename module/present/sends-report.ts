/**
 * The RNDS error report as CSV (CONTRACT.md *Sends*): PEC's header block and columns, plus *O que fazer* and *Quem
 * resolve*, one line per record not sent. Optionally masked: every run of digits keeps only its last 4, so a CNS or CPF
 * in a record id or in RNDS's text cannot be read back from a report that leaves the unit.
 */
import type { TabModel } from '../enums.js';
import type { SendError } from '../sends/index.js';
import { csvLine, reportHeader } from './csv.js';
import { formatDateTime } from './dates.js';
import { periodText } from './history.js';
import { displayName } from './names.js';
import { REPORT_MODEL_LABELS } from './rnds-tab.js';

export const SENDS_REPORT_TITLE = 'Relatório de Erros da RNDS';

export const SENDS_REPORT_COLUMNS = ['Data do envio', 'Tipo de registro', 'Id do registro', 'Status do envio', 'Erro retornado pela RNDS', 'O que fazer', 'Quem resolve'] as const;

/** Every digit but the last 4 of each run of digits becomes `*` (`01100126660` → `*******6660`). */
export function maskDigits(text: string): string {
  return text.replace(/\d{5,}/g, (run) => '*'.repeat(run.length - 4) + run.slice(-4));
}

export interface SendsReportMeta {
  period: { de: string; ate: string };
  models: readonly TabModel[];
  mask: boolean;
  generatedAt: Date;
  by: string;
  timeZone: string;
}

/** The file name: relatorio-erros-rnds-<de>-<ate>.csv (the days as asked, aaaa-mm-dd). */
export function sendsReportFileName(period: { de: string; ate: string }): string {
  return `relatorio-erros-rnds-${period.de}-${period.ate}.csv`;
}

/**
 * `formatDateTime` for many instants in a row: the zone's offset is looked up once per quarter hour (every offset
 * change of the zones in use falls on one) and the rest is arithmetic — Intl's formatToParts on every line was a quarter
 * of a large report's time (`npm run bench -- sends-report`).
 */
export function dateTimeFormatter(timeZone: string): (iso: string) => string {
  const QUARTER = 900_000;
  let bucket = Number.NaN;
  let offset = 0;
  const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));
  return (iso) => {
    const ms = Date.parse(iso);
    const quarter = Math.floor(ms / QUARTER);
    if (quarter !== bucket) {
      const start = quarter * QUARTER;
      const [date, time] = formatDateTime(new Date(start), timeZone).split(' ') as [string, string];
      const [d, m, y] = date.split('/').map(Number) as [number, number, number];
      const [h, min] = time.split(':').map(Number) as [number, number];
      offset = Date.UTC(y, m - 1, d, h, min) - start;
      bucket = quarter;
    }
    const local = new Date(ms + offset);
    return `${pad(local.getUTCDate())}/${pad(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  };
}

/** The CSV, written as the errors are read (newest first, as given), in batches of lines. */
export async function* sendsReportCsv(errors: AsyncIterable<SendError>, meta: SendsReportMeta): AsyncGenerator<string> {
  const filters = [`Período: ${periodText({ from: meta.period.de, to: meta.period.ate })}`, `Modelos: ${meta.models.map((m) => REPORT_MODEL_LABELS[m]).join(', ')}`];
  if (meta.mask) filters.push('CNS/CPF mascarados');
  yield reportHeader({ title: SENDS_REPORT_TITLE, filters, generatedAt: meta.generatedAt, by: displayName(meta.by), timeZone: meta.timeZone }) + csvLine(SENDS_REPORT_COLUMNS);
  const hide = meta.mask ? maskDigits : (text: string) => text;
  const when = dateTimeFormatter(meta.timeZone);
  let batch = '';
  let count = 0;
  for await (const error of errors) {
    batch += csvLine([when(error.at), error.model, hide(error.recordId), error.status, hide(error.message), error.action, error.group]);
    if (++count % 200 === 0) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}
