/**
 * The history of the certificates as a person reads it (the screen's Histórico and its CSV): what happened in pt-BR,
 * when (dd/mm/aaaa hh:mm in the installation's zone), on which file and by whom. The records hold no password field;
 * nothing here adds one.
 */
import type { AuditAction } from '../enums.js';
import type { ErrorCode } from '../errors.js';
import type { AuditRecord } from '../state/audit.js';
import { formatDate, formatDateTime } from './dates.js';
import { csvLine, reportHeader } from './csv.js';
import { displayName } from './names.js';

/** The tone of each kind of event on the screen (a tag's colour, with its words: never colour alone). */
export type HistoryTone = 'success' | 'danger' | 'info' | 'neutral';

const EVENT: Record<AuditAction, { text: string; tone: HistoryTone }> = {
  enable: { text: 'Certificado habilitado', tone: 'success' },
  'enable-failed': { text: 'Tentativa de habilitação recusada', tone: 'danger' },
  disable: { text: 'RNDS desabilitado', tone: 'neutral' },
  renew: { text: 'Certificado renovado', tone: 'success' },
  'renew-failed': { text: 'Troca pelo certificado renovado recusada', tone: 'danger' },
  'contra-chave': { text: 'Contra-chave alterada', tone: 'info' },
};

/** Why an attempt was refused, short, after the event's words. */
const REFUSAL_REASON: Partial<Record<ErrorCode, string>> = {
  WRONG_PASSWORD: 'senha incorreta',
  CERTIFICATE_NOT_FOUND: 'arquivo não encontrado na pasta chaves',
  INVALID_CERTIFICATE: 'o arquivo não é um certificado válido',
  UNSUPPORTED_CERTIFICATE: 'formato de certificado não suportado',
  NO_PRIVATE_KEY: 'o arquivo não tem a chave privada',
  KEY_MISMATCH: 'a chave privada não corresponde ao certificado',
  CERTIFICATE_EXPIRED: 'certificado vencido',
  CERTIFICATE_NOT_YET_VALID: 'certificado ainda não válido',
  CERTIFICATE_TOO_LARGE: 'arquivo grande demais',
  TOO_EXPENSIVE: 'o arquivo exige processamento demais para ser aberto',
  TOO_MANY_ATTEMPTS: 'tentativas demais com senha incorreta',
  SECRET_KEY_UNUSABLE: 'a chave secreta da pasta de dados não pode ser usada',
  SECRET_UNREADABLE: 'a senha guardada não pôde ser lida',
  INVALID_INPUT: 'dados do formulário inválidos',
  NOT_ENABLED: 'nenhum certificado estava habilitado',
  RNDS_UNAVAILABLE: 'a RNDS não respondeu',
  RNDS_CERTIFICATE_REJECTED: 'a RNDS recusou o certificado',
};

/** Where a new contra-chave came from. */
const CONTRA_CHAVE_SOURCE: Readonly<Record<string, string>> = {
  tela: 'informada na tela',
  api: 'informada pela API',
  opcao: 'configurada pelo PEC',
  RNDS_CONTRA_CHAVE: 'configurada em RNDS_CONTRA_CHAVE',
};

/** What happened, in pt-BR: *Certificado habilitado*, *Tentativa de habilitação recusada: senha incorreta*… */
export function historyEventText(record: Pick<AuditRecord, 'action' | 'code'>): string {
  const event = EVENT[record.action];
  if (record.action !== 'enable-failed' && record.action !== 'renew-failed') return event.text;
  const code = record.code ?? '';
  const reason = REFUSAL_REASON[code as ErrorCode] ?? (code ? `erro ${code}` : 'motivo não registrado');
  return `${event.text}: ${reason}`;
}

/** One line of the history, every field ready to show (names made safe to read). */
export interface HistoryRow {
  /** ISO, for a `<time datetime>`. */
  at: string;
  when: string;
  event: string;
  tone: HistoryTone;
  /** The certificate file, or '' (a contra-chave change has none). */
  file: string;
  details: string;
  actor: string;
}

function detailsOf(record: AuditRecord): string {
  switch (record.action) {
    case 'enable':
    case 'renew':
      return record.identificadorSolicitante ? `Identificador solicitante ${displayName(record.identificadorSolicitante)}` : '';
    case 'enable-failed':
    case 'renew-failed':
      return record.code ? `Código ${displayName(record.code)}` : '';
    case 'contra-chave': {
      const source = record.source ? CONTRA_CHAVE_SOURCE[record.source] ?? displayName(record.source) : null;
      const change = record.previousContraChave ? `De ${displayName(record.previousContraChave)} para ${displayName(record.contraChave ?? '')}` : `Nova: ${displayName(record.contraChave ?? '')}`;
      return source ? `${change} (${source})` : change;
    }
    case 'disable':
      return '';
  }
}

export function historyRow(record: AuditRecord, timeZone: string): HistoryRow {
  return {
    at: record.at,
    when: formatDateTime(record.at, timeZone),
    event: historyEventText(record),
    tone: EVENT[record.action].tone,
    file: record.file ? displayName(record.file) : '',
    details: detailsOf(record),
    actor: displayName(record.actor),
  };
}

/** The period as the history names it: *de 01/03/2026 até 31/03/2026*, *a partir de …*, *até …*, or everything. */
export function periodText(period: { from: string | null; to: string | null }): string {
  // Calendar days: shown as typed, no time zone shift (noon UTC is the same day in every zone of Brazil).
  const day = (iso: string) => formatDate(`${iso}T12:00:00Z`, 'UTC');
  if (period.from && period.to) return period.from === period.to ? `em ${day(period.from)}` : `de ${day(period.from)} até ${day(period.to)}`;
  if (period.from) return `a partir de ${day(period.from)}`;
  if (period.to) return `até ${day(period.to)}`;
  return 'todo o histórico';
}

/** The CSV's columns. */
export const HISTORY_CSV_COLUMNS = ['Data e hora', 'Evento', 'Certificado', 'Detalhes', 'Realizado por'] as const;

export const HISTORY_CSV_TITLE = 'Histórico de certificados da RNDS';

/**
 * The CSV, written as it is read: PEC's header block, the columns, one line per record (newest first, as given).
 * Lines go out in batches, so a long period is a stream of small writes, never one string.
 */
export async function* historyCsv(
  records: AsyncIterable<AuditRecord>,
  meta: { period: { from: string | null; to: string | null }; generatedAt: Date; by: string; timeZone: string },
): AsyncGenerator<string> {
  yield reportHeader({ title: HISTORY_CSV_TITLE, filters: [`Período: ${periodText(meta.period)}`], generatedAt: meta.generatedAt, by: displayName(meta.by), timeZone: meta.timeZone }) +
    csvLine(HISTORY_CSV_COLUMNS);
  let batch = '';
  let count = 0;
  for await (const record of records) {
    const row = historyRow(record, meta.timeZone);
    batch += csvLine([row.when, row.event, row.file, row.details, row.actor]);
    if (++count % 200 === 0) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

/** The download's file name: historico-rnds-aaaa-mm-dd-hhmm.csv, in the installation's zone. */
export function historyCsvFileName(generatedAt: Date, timeZone: string): string {
  const [date, time] = formatDateTime(generatedAt, timeZone).split(' ') as [string, string];
  const [d, m, y] = date.split('/');
  return `historico-rnds-${y}-${m}-${d}-${time.replace(':', '')}.csv`;
}

/** What the history page is built from (besides the request's base, CSRF token and login mode). */
export interface HistoryPageData {
  /** The latest records of the period, newest first; null when the period typed is invalid (nothing was read). */
  records: readonly AuditRecord[] | null;
  /** How many the page shows at most. */
  limit: number;
  /** The period read (when valid) and what was typed, with its errors by field. */
  period: { from: string | null; to: string | null } | null;
  values: { de: string; ate: string };
  errors: Partial<Record<'de' | 'ate', string>>;
}

export interface HistoryField {
  id: string;
  name: 'de' | 'ate';
  label: string;
  value: string;
  error: string;
  errorId: string;
  invalid: boolean;
}

/** The history page's view-model (views/historico.ejs only places it). */
export function historyPageModel(request: { base: string; csrfToken: string; loginEnabled: boolean; timeZone: string }, data: HistoryPageData) {
  const field = (name: 'de' | 'ate', label: string, parsed: string | null | undefined): HistoryField => ({
    id: `historico-${name}`,
    name,
    label,
    // A valid day goes back in the date field's own format; an invalid text goes back as typed, with its error.
    value: parsed ?? data.values[name],
    error: data.errors[name] ?? '',
    errorId: `erro-${name}`,
    invalid: Boolean(data.errors[name]),
  });
  const rows = (data.records ?? []).map((record) => historyRow(record, request.timeZone));
  const period = data.period;
  const filtered = Boolean(period && (period.from || period.to)) || data.values.de !== '' || data.values.ate !== '';
  const when = period ? periodText(period) : '';
  let summary: string;
  let empty = '';
  if (!period) {
    summary = 'Corrija o período para ver o histórico.';
  } else if (rows.length === 0) {
    summary = '';
    empty = filtered
      ? `Nenhum evento ${when}. Escolha outro período ou limpe o filtro.`
      : 'Nenhum evento registrado ainda. Cada habilitação, desabilitação, tentativa recusada, renovação e troca de contra-chave aparecerá aqui.';
  } else if (rows.length >= data.limit) {
    summary = `Os ${data.limit} eventos mais recentes (${when}), do mais novo ao mais antigo. Para ver todos, exporte o CSV.`;
  } else {
    summary = `${rows.length === 1 ? '1 evento' : `${rows.length} eventos`} (${when}), do mais novo ao mais antigo.`;
  }
  return {
    base: request.base,
    csrfToken: request.csrfToken,
    loginEnabled: request.loginEnabled,
    fields: [field('de', 'De', period?.from), field('ate', 'Até', period?.to)],
    filtered,
    rows,
    summary,
    empty,
    columns: HISTORY_CSV_COLUMNS,
  };
}
export type HistoryPageModel = ReturnType<typeof historyPageModel>;
