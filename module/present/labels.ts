/** Labels, numbers and identifiers as a person reads them (pt-BR); the JSON keeps the contract's English values. */
import type { AlertChannel, EntryStatus, Environment, Service, State } from '../enums.js';

// Each table is checked to name every value of its enum (`satisfies`) and stays indexable by any string, since
// callers also label values read from files and other servers.

const STATE_WORDS = { enabled: 'habilitado', disabled: 'desabilitado', degraded: 'degradado' } as const satisfies Record<State, string>;

/** The Status states. */
export const STATE_LABEL: Readonly<Record<string, string>> = STATE_WORDS;

/** The Status states where the word must stand alone (an alert, a report row): *degradado* says what it means. */
export const STATE_EXPLAINED: Readonly<Record<State, string>> = { ...STATE_WORDS, degraded: 'degradado (habilitado, mas sem condições de uso)' };

/** The environments, as a value (a table cell, a tag): *Produção*, *Homologação*. */
const ENVIRONMENT_LABEL: Readonly<Record<string, string>> = { producao: 'Produção', homologacao: 'Homologação' } satisfies Record<Environment, string>;

export function environmentLabel(environment: string): string {
  return ENVIRONMENT_LABEL[environment] ?? environment;
}

/** The services, with the article a sentence needs: *a RNDS*, *o CADSUS*. */
const SERVICE_WITH_ARTICLE: Readonly<Record<string, string>> = { RNDS: 'a RNDS', CADSUS: 'o CADSUS' } satisfies Record<Service, string>;

/** The alert channels, as a sentence names them: *por e-mail*. */
export const ALERT_CHANNEL_LABEL: Readonly<Record<AlertChannel, string>> = { email: 'e-mail', webhook: 'webhook' };

/** `['RNDS', 'CADSUS']` → *RNDS e CADSUS*. */
export function servicesLabel(services: readonly string[] | null | undefined): string {
  return joinPtBr(services ?? []);
}

/** `['RNDS', 'CADSUS']` → *a RNDS e o CADSUS* (for a sentence: "o PEC deixará de acessar …"). */
export function servicesInSentence(services: readonly string[] | null | undefined): string {
  return joinPtBr((services ?? []).map((s) => SERVICE_WITH_ARTICLE[s] ?? s));
}

function joinPtBr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} e ${items[items.length - 1]}`;
}

/** The chaves entry statuses, for the CLI's file list. */
export const ENTRY_STATUS_LABEL: Readonly<Record<string, string>> = {
  ready: 'pronto',
  incomplete: 'sendo copiado (incompleto)',
  unreadable: 'sem permissão de leitura',
  'too-large': 'grande demais para ser um certificado',
  'not-a-file': 'não é um arquivo comum (atalho, link, pasta ou dispositivo)',
  unusable: 'não pode ser habilitado',
} satisfies Record<EntryStatus, string>;

/** Why a listed file cannot be chosen yet, short, beside its name in the screen's select (the long reason is listed below it). */
export const ENTRY_REASON_SHORT = {
  incomplete: 'copiando…',
  unreadable: 'sem permissão de leitura',
  'too-large': 'arquivo grande demais',
  'not-a-file': 'não é um arquivo comum',
  unusable: 'não pode ser usado',
  // Not a status: two names that look the same (NFC/NFD), neither can be chosen until one is renamed.
  twin: 'outro arquivo tem o mesmo nome aparente: renomeie um deles',
  other: 'indisponível',
} as const satisfies Record<Exclude<EntryStatus, 'ready'> | 'twin' | 'other', string>;

/** 12345678000190 → 12.345.678/0001-90, also the alphanumeric CNPJ (`[0-9A-Z]{12}[0-9]{2}`); anything else unchanged. */
export function formatCnpj(cnpj: string | null | undefined): string {
  if (!cnpj) return '';
  const m = /^([0-9A-Z]{2})([0-9A-Z]{3})([0-9A-Z]{3})([0-9A-Z]{4})([0-9]{2})$/.exec(cnpj);
  return m ? `${m[1]}.${m[2]}.${m[3]}/${m[4]}-${m[5]}` : cnpj;
}

/** 12345678909 → 123.456.789-09; anything else unchanged. */
export function formatCpf(cpf: string | null | undefined): string {
  if (!cpf) return '';
  const m = /^(\d{3})(\d{3})(\d{3})(\d{2})$/.exec(cpf);
  return m ? `${m[1]}.${m[2]}.${m[3]}-${m[4]}` : cpf;
}

/** 1234567 → "1.234.567" (pt-BR digit grouping). */
export function formatNumber(n: number): string {
  return n.toLocaleString('pt-BR', { maximumFractionDigits: 1 });
}

/** 3456 → "3,4 KB"; 900 → "900 bytes" (multiples of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value)} ${units[unit]}`;
}
