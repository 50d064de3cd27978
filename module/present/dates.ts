/**
 * Dates, times and days left as a person reads them. One rule for the screen, the Status problems, the alerts, the
 * CLI and the test-certificate generator: dd/mm/aaaa (hh:mm) in the installation's time zone, and days left counted
 * in calendar days of that time zone (a certificate that ends at 23:30 today "vence hoje", whatever the hour now).
 */
import type { UFS } from '../rnds/environments.js';

/** Without a UF or an explicit setting: Brasília time. */
export const DEFAULT_TIME_ZONE = 'America/Sao_Paulo';

/**
 * Each state's IANA zone. A state with more than one zone gets its capital's: Fernando de Noronha (America/Noronha,
 * part of PE) and the west of Amazonas (America/Eirunepe) need the explicit setting (`RNDS_TIME_ZONE` / `timeZone`).
 */
export const UF_TIME_ZONES: Readonly<Record<(typeof UFS)[number], string>> = {
  AC: 'America/Rio_Branco',
  AL: 'America/Maceio',
  AM: 'America/Manaus',
  AP: 'America/Belem',
  BA: 'America/Bahia',
  CE: 'America/Fortaleza',
  DF: 'America/Sao_Paulo',
  ES: 'America/Sao_Paulo',
  GO: 'America/Sao_Paulo',
  MA: 'America/Fortaleza',
  MG: 'America/Sao_Paulo',
  MS: 'America/Campo_Grande',
  MT: 'America/Cuiaba',
  PA: 'America/Belem',
  PB: 'America/Fortaleza',
  PE: 'America/Recife',
  PI: 'America/Fortaleza',
  PR: 'America/Sao_Paulo',
  RJ: 'America/Sao_Paulo',
  RN: 'America/Fortaleza',
  RO: 'America/Porto_Velho',
  RR: 'America/Boa_Vista',
  RS: 'America/Sao_Paulo',
  SC: 'America/Sao_Paulo',
  SE: 'America/Maceio',
  SP: 'America/Sao_Paulo',
  TO: 'America/Araguaina',
};

/** Days left at or under which the certificate is expiring: the Status problem, the renewal reminder, `npm run status`. */
export const EXPIRING_DAYS = 30;
/** The module's own e-mail/webhook alerts: one as the days left reach each of these (only the nearest one crossed). */
export const EXPIRY_ALERT_DAYS = [30, 15, 7, 1] as const;
/** From this many days left, an expiry alert is critical (before, a warning). */
export const EXPIRY_ALERT_CRITICAL_DAYS = 7;
/** The monitoring files (Prometheus rules, Zabbix template, Grafana panel): a warning under this many days left… */
export const MONITORING_WARNING_DAYS = 28;
/** …and critical under this many. */
export const MONITORING_CRITICAL_DAYS = 14;

const DAY_MS = 24 * 60 * 60 * 1000;

// Formatters by zone name (building one costs far more than formatting): a cache, never configuration.
const zones = new Map<string, ReturnType<typeof formatterFor>>();

/** The one formatter behind every date and time shown: numeric day, month, year, hour and minute (00–23). */
function formatterFor(timeZone: string) {
  return new Intl.DateTimeFormat('pt-BR', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

function zone(timeZone: string): ReturnType<typeof formatterFor> {
  let found = zones.get(timeZone);
  if (!found) {
    found = formatterFor(timeZone);
    zones.set(timeZone, found);
  }
  return found;
}

/** The IANA name as Intl spells it (`america/sao_paulo` → `America/Sao_Paulo`), or null when it is not a zone name. */
export function canonicalTimeZone(name: string): string | null {
  // Names only (America/Noronha, Etc/GMT+2, UTC): newer Intl versions also take offsets such as +03:00.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return null;
  try {
    return zone(name).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The explicit setting wins; else the UF's zone; else Brasília time. */
export function resolveTimeZone(settings: { timeZone?: string | null; uf?: string | null }): string {
  if (settings.timeZone) {
    const canonical = canonicalTimeZone(settings.timeZone);
    if (!canonical) throw new TypeError(`Fuso horário inválido: "${settings.timeZone}". ${TIME_ZONE_EXPECTED}`);
    return canonical;
  }
  const uf = settings.uf?.trim().toUpperCase();
  return (uf && (UF_TIME_ZONES as Record<string, string>)[uf]) || DEFAULT_TIME_ZONE;
}

/** What the time-zone setting must hold, for the person who set it wrong. */
export const TIME_ZONE_EXPECTED =
  'Use o nome IANA do fuso, por exemplo America/Noronha (Fernando de Noronha), America/Manaus ou America/Rio_Branco; sem ele, o fuso segue a UF (RNDS_UF).';

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: string;
  minute: string;
}

function local(value: string | Date, timeZone: string): LocalParts {
  const fields: Record<string, string> = {};
  for (const part of zone(timeZone).formatToParts(new Date(value))) fields[part.type] = part.value;
  return { year: Number(fields.year), month: Number(fields.month), day: Number(fields.day), hour: fields.hour ?? '00', minute: fields.minute ?? '00' };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** dd/mm/aaaa in `timeZone`. */
export function formatDate(value: string | Date, timeZone: string): string {
  const p = local(value, timeZone);
  return `${pad(p.day)}/${pad(p.month)}/${p.year}`;
}

/** dd/mm/aaaa hh:mm in `timeZone`. */
export function formatDateTime(value: string | Date, timeZone: string): string {
  const p = local(value, timeZone);
  return `${pad(p.day)}/${pad(p.month)}/${p.year} ${p.hour}:${p.minute}`;
}

/** aaaa-mm-dd in `timeZone` (the calendar day, for comparing with a date typed in a form). */
export function isoDay(value: string | Date, timeZone: string): string {
  const p = local(value, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The calendar day of `value` in `timeZone`, as a day number (days since 1970-01-01 of that calendar). */
function calendarDay(value: string | Date, timeZone: string): number {
  const p = local(value, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day) / DAY_MS;
}

/** Calendar days from today to the day of `notAfter`, both in `timeZone`: 0 on the last day, negative once past it. */
export function daysLeft(notAfter: string | Date, now: Date, timeZone: string): number {
  return calendarDay(notAfter, timeZone) - calendarDay(now, timeZone);
}

/**
 * The days left in words: *faltam N dias*, *vence amanhã*, *vence hoje* (*venceu hoje* once the hour has passed),
 * *venceu ontem*, *venceu há N dias*.
 */
export function daysLeftText(days: number, expired = days < 0): string {
  if (days >= 2) return `faltam ${days} dias`;
  if (days === 1) return 'vence amanhã';
  if (days === 0) return expired ? 'venceu hoje' : 'vence hoje';
  if (days === -1) return 'venceu ontem';
  return `venceu há ${-days} dias`;
}

/** `daysLeftText` straight from the dates. */
export function expiryText(notAfter: string | Date, now: Date, timeZone: string): string {
  return daysLeftText(daysLeft(notAfter, now, timeZone), new Date(notAfter).getTime() <= now.getTime());
}
