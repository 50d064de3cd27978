/**
 * The period of the history (GET ?de=&ate=): calendar days in the installation's time zone, both inclusive, either
 * one optional. Typed as the date field sends them (aaaa-mm-dd) or by hand (dd/mm/aaaa).
 */
import { isoDay } from '../present/dates.js';
import type { AuditRecord } from '../state/audit.js';

/** Calendar days `aaaa-mm-dd`; null is open on that side. */
export interface Period {
  from: string | null;
  to: string | null;
}

export type PeriodField = 'de' | 'ate';

export type PeriodInput =
  | { ok: true; period: Period; values: Record<PeriodField, string> }
  | { ok: false; errors: Partial<Record<PeriodField, string>>; values: Record<PeriodField, string> };

export const NO_PERIOD: Period = { from: null, to: null };

const INVALID: Record<PeriodField, string> = {
  de: 'Data inicial inválida: use dd/mm/aaaa, por exemplo 01/03/2026.',
  ate: 'Data final inválida: use dd/mm/aaaa, por exemplo 31/03/2026.',
};
const REVERSED = 'A data final é anterior à inicial: troque as datas ou corrija uma delas.';

/** `aaaa-mm-dd` or `dd/mm/aaaa` as `aaaa-mm-dd` when it names a real day; '' stays open; undefined when invalid. */
function dayOf(text: string): string | null | undefined {
  const value = text.trim();
  if (value === '') return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) ?? /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = match[1]!.length === 4 ? [match[1]!, match[2]!, match[3]!] : [match[3]!, match[2]!, match[1]!];
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const iso = `${year}-${month}-${day}`;
  return Number(year) >= 1970 && date.toISOString().slice(0, 10) === iso ? iso : undefined;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.slice(0, 40) : '');

/** The query's period, or an error by field in pt-BR (what the person typed comes back to the form). */
export function periodFromQuery(query: Record<string, unknown>): PeriodInput {
  const values = { de: text(query.de), ate: text(query.ate) };
  const from = dayOf(values.de);
  const to = dayOf(values.ate);
  const errors: Partial<Record<PeriodField, string>> = {};
  if (from === undefined) errors.de = INVALID.de;
  if (to === undefined) errors.ate = INVALID.ate;
  if (from && to && to < from) errors.ate = REVERSED;
  if (errors.de || errors.ate) return { ok: false, errors, values };
  return { ok: true, period: { from: from ?? null, to: to ?? null }, values };
}

/** Whether the record happened on a day of the period, in `timeZone`. */
export function inPeriod(record: AuditRecord, period: Period, timeZone: string): boolean {
  if (period.from === null && period.to === null) return true;
  const day = isoDay(record.at, timeZone);
  return (period.from === null || day >= period.from) && (period.to === null || day <= period.to);
}
