import { SEND_STATUSES, TAB_MODELS, type SendModel, type SendStatus, type TabModel } from '../enums.js';
import { explain } from '../rnds/dictionary.js';
import type { Problem } from '../types.js';
import { formatDateTime } from './dates.js';
import { displayName } from './names.js';
import { avisosRegion, type ProblemItem } from './screen-model.js';

/*
 * The RNDS tab's view-model: every rule about what the tab shows, from plain data (the sends store's answers, shaped
 * as docs/CONTRACT.md *Sends* says). views/rnds.ejs and its partials only place these values.
 */

import type { LastSendStatus, Period, SendError, SendsSummary } from '../sends/index.js';
export type { LastSendStatus, Period, SendError, SendsSummary };

/** Records per model sent in a period (the report dialog's *N registros neste período*). */
export type PeriodCounts = Record<TabModel, number>;
export interface CodeCount {
  code: string;
  count: number;
}
/** The refusals list's filter (the tab's GET form). */
export interface RefusalFilter {
  model?: TabModel;
  status?: SendStatus;
}

export interface RndsTabInput {
  /** A certificate is enabled for RNDS (PEC: "Certificado não configurado" otherwise). */
  enabled: boolean;
  /** The version of the stored sends this page shows (http/events.ts): rnds.js refreshes when the stream has another. */
  sendsVersion: string;
  summary: SendsSummary;
  /** The most recent refusals (at most REFUSALS_SHOWN), newest first, already filtered. */
  refusals: SendError[];
  /** Each code's count in `period`. */
  codeCounts: CodeCount[];
  /** Records per model in the report dialog's period. */
  periodCounts?: PeriodCounts;
  filter: RefusalFilter;
  /** The period of the code counts and the report dialog's initial dates. */
  period: Period;
  timeZone: string;
  base: string;
  /** The report form shown in place (no JavaScript: {base}/rnds/relatorio), with what was chosen and what is wrong. */
  reportForm?: ReportFormState;
  /** The Status's problems (the tab shows those that come from the sends: TAB_PROBLEMS). */
  problems?: readonly Problem[];
}

/** The report form as submitted without JavaScript (dates as the form shows them: dd/mm/aaaa, or as typed). */
export interface ReportFormState {
  de: string;
  ate: string;
  models: TabModel[];
  mascarar: boolean;
  errors: { period?: string; models?: string };
}

/**
 * The Status's problems that the direct sends raise: the tab shows them above *Status do último envio*, as the
 * Certificados screen's alerts do (same view-model, same partial). Their messages carry no RNDS diagnostics.
 */
export const TAB_PROBLEMS: readonly string[] = ['RNDS_CREDENTIAL_REFUSED', 'CLOCK_SKEW'];

/** How many refusals the tab lists (the most recent). */
export const REFUSALS_SHOWN = 20;

/** PEC's own text when nothing is enabled. */
export const NOT_CONFIGURED_TEXT = 'Certificado não configurado. Não há registros a serem exibidos.';
export const NO_SEND_TITLE = 'Nenhum envio registrado';
export const NO_SEND_TEXT =
  'O PEC ainda não informou a este módulo nenhum envio direto à RNDS. Os envios aparecem aqui quando o PEC (ou outro sistema que envia à RNDS) os informa; se registros já foram finalizados e nada aparece, peça ao responsável pela instalação que configure o PEC para informar os envios a este módulo (veja o INSTALL.md).';
export const MIN_MODEL_MESSAGE = 'Deverá ser marcado pelo menos um modelo de informação';

/** PEC 5.3's accordion names. */
export const MODEL_NAMES: Record<TabModel, string> = {
  RIA: 'Registro de Imunobiológico Administrado em: Campanha (RIA-C) ou Rotina (RIA-R)',
  RAC: 'Registro de Atendimento Clínico (RAC)',
  RPM: 'Registro de Prescrição de Medicamentos (RPM)',
};

/** The report dialog's checkbox labels (PEC). */
export const REPORT_MODEL_LABELS: Record<TabModel, string> = { RIA: 'RIAR e RIAC', RAC: 'RAC', RPM: 'RPM' };

/** Each send status as the tab names it (the CSV keeps the codes). */
export const SEND_STATUS_LABELS: Record<SendStatus, string> = {
  ENVIADO: 'Enviado',
  ENVIADO_CENTRALIZADOR: 'Enviado pelo centralizador',
  FALHA_CREDENCIAL: 'Falha na credencial',
  SEM_CONEXAO: 'Sem conexão',
  DADOS_INVALIDOS: 'Dados recusados',
};

/** The statuses a refusal can have: the filter offers these. */
export const REFUSAL_STATUSES: readonly SendStatus[] = SEND_STATUSES.filter((s) => s !== 'ENVIADO' && s !== 'ENVIADO_CENTRALIZADOR');

/** PEC's words for the last send; the message sent by the store is kept only when it is one of them. */
const LAST_SEND_WORDS: Record<LastSendStatus, { text: string; tone: 'success' | 'danger'; icon: 'success-outline' | 'danger' }> = {
  ok: { text: 'Conexão bem-sucedida', tone: 'success', icon: 'success-outline' },
  'no-connection': { text: 'Sem conexão', tone: 'danger', icon: 'danger' },
  'certificate-expired': { text: 'Certificado expirado', tone: 'danger', icon: 'danger' },
  'certificate-failure': { text: 'Falha no certificado', tone: 'danger', icon: 'danger' },
};

/** PEC writes the singular for 0 and 1: "0 registro", "1 registro", "2 registros". */
export function registros(n: number): string {
  return `${n} ${n <= 1 ? 'registro' : 'registros'}`;
}

/**
 * The share sent, one decimal with a dot as PEC writes it ("100.0%"). Rounded down, so 100.0% means every record was
 * sent (99.96% is "99.9%", not "100.0%"); 0 of 0 is "0.0%".
 */
export function percentSent(sent: number, total: number): string {
  if (total <= 0) return '0.0%';
  const tenths = Math.floor((sent * 1000) / total);
  return `${(tenths / 10).toFixed(1)}%`;
}

export interface ModelAccordion {
  model: TabModel;
  id: string;
  name: string;
  /** The header's "N registros". */
  totalText: string;
  /** "N registros | P%". */
  sentText: string;
  /** "N registro(s)". */
  notSentText: string;
  hasNotSent: boolean;
}

export interface RefusalRow {
  at: string;
  model: SendModel;
  recordId: string;
  statusText: string;
  message: string;
  action: string;
  group: string;
}

export interface CodeRow {
  code: string;
  count: number;
  countText: string;
  group: string;
  action: string;
}

export interface Option<V extends string> {
  value: V | '';
  label: string;
  selected: boolean;
}

export interface ReportDialogModel {
  /** Shown in place on the page (no JavaScript) instead of in the dialog. */
  inPlace: boolean;
  /** The period's dates as the form shows them (dd/mm/aaaa). */
  de: string;
  ate: string;
  mascarar: boolean;
  allChecked: boolean;
  models: Array<{ value: TabModel; id: string; label: string; countText: string; checked: boolean }>;
  errors: { period?: string; models?: string };
  minModelMessage: string;
  /** Where the form goes (it checks the choice and redirects to the CSV). */
  action: string;
  countsUrl: string;
}

export interface RndsTabModel {
  enabled: boolean;
  sendsVersion: string;
  /** The alerts of TAB_PROBLEMS, in the Certificados screen's shape (partials/avisos.ejs). */
  avisos: { problems: ProblemItem[] };
  notConfiguredText: string;
  lastSend:
    | null
    | { text: string; tone: 'success' | 'danger'; icon: string; detail: string }
  noSend: null | { title: string; text: string };
  accordions: ModelAccordion[];
  refusals: {
    rows: RefusalRow[];
    /** What the list says when it is empty (with or without a filter). */
    emptyText: string;
    title: string;
    filtered: boolean;
    modelOptions: Option<TabModel>[];
    statusOptions: Option<SendStatus>[];
    action: string;
  };
  codes: { rows: CodeRow[]; title: string; emptyText: string };
  report: ReportDialogModel;
}


/** dd/mm/aaaa from aaaa-mm-dd (no time zone involved: it is already a calendar day). */
export function dayText(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

/** The default period: the last 30 calendar days up to today, in `timeZone`. */
export function lastDays(now: Date, timeZone: string, days = 30): Period {
  const today = calendarDate(now, timeZone);
  const start = new Date(Date.UTC(today.y, today.m - 1, today.d - (days - 1)));
  return { de: start.toISOString().slice(0, 10), ate: `${today.y}-${pad(today.m)}-${pad(today.d)}` };
}

const pad = (n: number): string => String(n).padStart(2, '0');

function calendarDate(now: Date, timeZone: string): { y: number; m: number; d: number } {
  const parts: Record<string, string> = {};
  for (const p of new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now)) parts[p.type] = p.value;
  return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day) };
}

/**
 * A day as typed in the report form (dd/mm/aaaa, as PEC shows it) or as the API writes it (aaaa-mm-dd), as aaaa-mm-dd;
 * null when it is not a real calendar day.
 */
export function parseDay(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  const br = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const day = br ? `${br[3]}-${br[2]!.padStart(2, '0')}-${br[1]!.padStart(2, '0')}` : text;
  return isDay(day) ? day : null;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar day written aaaa-mm-dd. */
export function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** The filter from the query string: unknown values are ignored (the list shows everything). */
export function filterFrom(query: Record<string, unknown>): RefusalFilter {
  const filter: RefusalFilter = {};
  if (typeof query.modelo === 'string' && (TAB_MODELS as readonly string[]).includes(query.modelo)) filter.model = query.modelo as TabModel;
  if (typeof query.status === 'string' && REFUSAL_STATUSES.includes(query.status as SendStatus)) filter.status = query.status as SendStatus;
  return filter;
}

/** An empty summary: what the tab shows before anything was reported (or without a sends store). */
export function emptySummary(): SendsSummary {
  return { lastSend: null, models: TAB_MODELS.map((model) => ({ model, total: 0, sent: 0, notSent: 0 })) };
}

export function rndsTabModel(input: RndsTabInput): RndsTabModel {
  const { summary, timeZone, base, filter, period } = input;
  const byModel = new Map(summary.models.map((m) => [m.model, m]));
  const accordions = TAB_MODELS.map((model): ModelAccordion => {
    const m = byModel.get(model) ?? { model, total: 0, sent: 0, notSent: 0 };
    return {
      model,
      id: `modelo-${model.toLowerCase()}`,
      name: MODEL_NAMES[model],
      totalText: registros(m.total),
      sentText: `${registros(m.sent)} | ${percentSent(m.sent, m.total)}`,
      notSentText: registros(m.notSent),
      hasNotSent: m.notSent > 0,
    };
  });

  const last = summary.lastSend;
  const words = last ? LAST_SEND_WORDS[last.status] : null;
  const filtered = filter.model !== undefined || filter.status !== undefined;

  return {
    enabled: input.enabled,
    sendsVersion: input.sendsVersion,
    avisos: avisosRegion((input.problems ?? []).filter((p) => TAB_PROBLEMS.includes(p.code))),
    notConfiguredText: NOT_CONFIGURED_TEXT,
    lastSend:
      last && words
        ? { text: words.text, tone: words.tone, icon: words.icon, detail: `Último envio em ${formatDateTime(last.at, timeZone)} (${last.model})` }
        : null,
    noSend: input.enabled && !last ? { title: NO_SEND_TITLE, text: NO_SEND_TEXT } : null,
    accordions,
    refusals: {
      title: `Últimas recusas (até ${REFUSALS_SHOWN} mais recentes)`,
      rows: input.refusals.slice(0, REFUSALS_SHOWN).map((r) => ({
        at: formatDateTime(r.at, timeZone),
        model: r.model,
        recordId: displayName(r.recordId),
        statusText: SEND_STATUS_LABELS[r.status],
        message: displayName(r.message),
        action: r.action,
        group: r.group,
      })),
      emptyText: filtered
        ? 'Nenhum registro não enviado com este filtro. Escolha outro modelo ou status, ou limpe o filtro.'
        : last
          ? 'Nenhum registro não enviado: tudo o que o PEC informou chegou à RNDS.'
          : 'Nenhum registro não enviado.',
      filtered,
      modelOptions: [
        { value: '', label: 'Todos', selected: filter.model === undefined },
        ...TAB_MODELS.map((m) => ({ value: m, label: m === 'RIA' ? 'RIA (RIA-C e RIA-R)' : m, selected: filter.model === m })),
      ],
      statusOptions: [
        { value: '', label: 'Todos', selected: filter.status === undefined },
        ...REFUSAL_STATUSES.map((s) => ({ value: s, label: SEND_STATUS_LABELS[s], selected: filter.status === s })),
      ],
      action: `${base}/rnds#recusas`,
    },
    codes: {
      title: `Erros por código de ${dayText(period.de)} a ${dayText(period.ate)}`,
      emptyText: 'Nenhum erro retornado pela RNDS neste período.',
      rows: [...input.codeCounts]
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
        .map((c) => {
          const advice = explain(c.code);
          return { code: displayName(c.code), count: c.count, countText: registros(c.count), group: advice.groupLabel, action: advice.action };
        }),
    },
    report: reportDialogModel(input),
  };
}

function reportDialogModel(input: Pick<RndsTabInput, 'period' | 'periodCounts' | 'base' | 'reportForm'>): ReportDialogModel {
  const counts = input.periodCounts ?? { RIA: 0, RAC: 0, RPM: 0 };
  const form = input.reportForm;
  const checked = new Set(form?.models ?? []);
  return {
    inPlace: form !== undefined,
    de: form ? form.de : dayText(input.period.de),
    ate: form ? form.ate : dayText(input.period.ate),
    mascarar: form?.mascarar ?? false,
    allChecked: TAB_MODELS.every((m) => checked.has(m)),
    errors: form?.errors ?? {},
    models: TAB_MODELS.map((m) => ({
      value: m,
      id: `relatorio-${m.toLowerCase()}`,
      label: REPORT_MODEL_LABELS[m],
      countText: periodCountText(counts[m]),
      checked: checked.has(m),
    })),
    minModelMessage: MIN_MODEL_MESSAGE,
    // Without JavaScript the form is at the end of the page: the fragment brings it into view.
    action: `${input.base}/rnds/relatorio#relatorio`,
    countsUrl: `${input.base}/rnds/contagens`,
  };
}

export const PERIOD_MESSAGES = {
  missing: 'Informe as duas datas do período (dd/mm/aaaa).',
  order: 'A data final deve ser igual ou posterior à data inicial.',
} as const;

/**
 * The report form's answer, checked: the CSV's query (modelos joined by commas, as the CSV route reads them), or the
 * form again with what is wrong. `todos` (Marcar todos) ticks every model, also without JavaScript.
 */
export function checkReportForm(query: Record<string, unknown>): { ok: true; query: string } | { ok: false; form: ReportFormState } {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(list) : typeof v === 'string' ? v.split(',') : []);
  const all = query.todos === '1';
  const models = TAB_MODELS.filter((m) => all || list(query.modelos).includes(m));
  const typed = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 20) : '');
  const de = parseDay(query.de);
  const ate = parseDay(query.ate);
  const mascarar = query.mascarar === '1';
  const errors: ReportFormState['errors'] = {};
  if (!de || !ate) errors.period = PERIOD_MESSAGES.missing;
  else if (ate < de) errors.period = PERIOD_MESSAGES.order;
  if (models.length === 0) errors.models = MIN_MODEL_MESSAGE;
  if (!de || !ate || errors.period || errors.models) {
    // The dates go back as typed (a valid one in dd/mm/aaaa), so the admin corrects only what is wrong.
    return { ok: false, form: { de: de ? dayText(de) : typed(query.de), ate: ate ? dayText(ate) : typed(query.ate), models, mascarar, errors } };
  }
  const params = new URLSearchParams({ de, ate, modelos: models.join(',') });
  if (mascarar) params.set('mascarar', '1');
  return { ok: true, query: params.toString().replaceAll('%2C', ',') };
}

/** "N registros neste período" (PEC's singular for 0 and 1). */
export function periodCountText(n: number): string {
  return `${registros(n)} neste período`;
}



/** What the tab's handler reads from the store; the page adds the base path and the time zone. */
export type RndsTabData = Omit<RndsTabInput, 'timeZone' | 'base' | 'problems'>;

/** The RNDS page's locals: the frame shared with the Certificados page (with its Status), and the tab. */
export function rndsPageModel(
  frame: { base: string; csrfToken: string; loginEnabled: boolean; timeZone: string; status?: { problems: readonly Problem[] } },
  data: RndsTabData,
) {
  return {
    base: frame.base,
    csrfToken: frame.csrfToken,
    loginEnabled: frame.loginEnabled,
    tab: rndsTabModel({ ...data, base: frame.base, timeZone: frame.timeZone, problems: frame.status?.problems ?? [] }),
  };
}
