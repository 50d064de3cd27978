import type { RndsErrorGroup } from '../enums.js';

/**
 * The RNDS error dictionary: an RNDS code (`EHR-ERR983`, `EDS-MSG010`, `VAL-PROFILE`, also written `ERR-EHR983` or a
 * bare `ERR983`) → what to do, in pt-BR, and who must do it. Source: the official catalogue *Lista de Mensagens e
 * Erros Apresentados pela RNDS* (v3.0, 20/09/2024) and the SAPS technical note on vaccine record correction (2024).
 *
 * The group also decides a send's status (CONTRACT.md *Sends*): `duplicado` counts as delivered, `credencial` is a
 * refused credential, `rnds-fora` is no connection; any other code is invalid data.
 */

/** Who resolves an error, as the tab, the report and the CSV's *Quem resolve* column say it. */
export const GROUP_LABELS: Record<RndsErrorGroup, string> = {
  credencial: 'Credencial (administrador, e-Gestor AB)',
  token: 'Sistema (renovar o token)',
  cidadao: 'Cadastro do cidadão (UBS, CADSUS)',
  'profissional-estabelecimento': 'Profissional ou estabelecimento (SCNES)',
  relogio: 'Relógio do servidor (instalador)',
  'atualizar-pec': 'Atualizar o PEC (suporte do PEC)',
  'rnds-fora': 'RNDS fora do ar (aguardar)',
  govbr: 'Conta gov.br do profissional',
  duplicado: 'Duplicado: já está na RNDS',
  desconhecido: 'Suporte (código não catalogado)',
};

export interface Advice {
  /** The code as RNDS's catalogue writes it (`EHR-ERR983`), or the text given when it is not a code. */
  code: string;
  /** Whether the catalogue lists the code; an unknown code gets the generic advice and keeps RNDS's own text. */
  known: boolean;
  group: RndsErrorGroup;
  /** *Quem resolve*. */
  groupLabel: string;
  /** *O que fazer*, pt-BR. */
  action: string;
}

interface Entry {
  group: RndsErrorGroup;
  action: string;
}

const DUPLICATE: Entry = { group: 'duplicado', action: 'O registro já está na RNDS: conta como enviado. Não envie de novo.' };
const RNDS_DOWN: Entry = { group: 'rnds-fora', action: 'A RNDS está fora do ar ou não respondeu: o PEC envia de novo mais tarde. Se durar horas e acontecer em outros municípios, não é um problema local.' };
const CREDENTIAL: Entry = {
  group: 'credencial',
  action: 'A credencial não foi aceita: confira em e-Gestor AB › Credenciais geradas se ela está com STATUS ATIVO para este ambiente; se não estiver, solicite de novo e habilite outra vez.',
};

/** The catalogue, keyed by the normalised code. The codes that decide a status (CONTRACT.md *Sends*) are all here. */
const ENTRIES: Record<string, Entry> = {
  // Duplicates: already in RNDS (CONTRACT.md: EDS-MSG010, EHR-ERR866, MSG017, ERR823).
  'EDS-MSG010': DUPLICATE,
  'EHR-ERR866': DUPLICATE,
  'EDS-MSG017': DUPLICATE,
  'EHR-ERR823': DUPLICATE,
  // The credential (CONTRACT.md: ERR880, 881, 883, 884, 833, 879, 897, 899, 906, 989).
  'EHR-ERR880': CREDENTIAL,
  'EHR-ERR881': CREDENTIAL,
  'EHR-ERR883': CREDENTIAL,
  'EHR-ERR884': CREDENTIAL,
  'EHR-ERR833': CREDENTIAL,
  'EHR-ERR879': CREDENTIAL,
  'EHR-ERR897': CREDENTIAL,
  'EHR-ERR899': CREDENTIAL,
  'EHR-ERR906': CREDENTIAL,
  'EHR-ERR989': CREDENTIAL,
  // RNDS unavailable (CONTRACT.md: ERR905, 992, 993, 994, 999).
  'EHR-ERR905': RNDS_DOWN,
  'EHR-ERR992': RNDS_DOWN,
  'EHR-ERR993': RNDS_DOWN,
  'EHR-ERR994': RNDS_DOWN,
  'EHR-ERR999': RNDS_DOWN,
};

const GENERIC: Entry = {
  group: 'desconhecido',
  action: 'Código fora do catálogo da RNDS conhecido por este módulo: leia a mensagem da RNDS ao lado e, se não souber o que fazer, envie-a ao suporte do PEC.',
};

/**
 * The catalogue's spelling of a code, or null when the text is not one: `ERR-EHR983`, `err983`, `EHR-ERR983` →
 * `EHR-ERR983`; `MSG010`, `EDS-MSG010` → `EDS-MSG010`; `VAL-PROFILE` as is.
 */
export function normalizeCode(raw: string): string | null {
  const text = raw.trim().toUpperCase();
  if (text === 'VAL-PROFILE') return text;
  const err = /^(?:EHR-ERR|ERR-EHR|ERR)-?(\d{3})$/.exec(text);
  if (err) return `EHR-ERR${err[1]}`;
  const msg = /^(?:EDS-MSG|MSG-EDS|MSG)-?(\d{3})$/.exec(text);
  if (msg) return `EDS-MSG${msg[1]}`;
  return null;
}

/**
 * The codes of an answer from the RNDS services (a FHIR OperationOutcome, as received): the `(CODE)` at the start of
 * each `issue.diagnostics`, and each `issue.details.coding[].code`; normalised, each once, in order.
 */
export function codesFromOutcome(outcome: unknown): string[] {
  const codes = new Set<string>();
  const issues = isObject(outcome) && Array.isArray(outcome.issue) ? outcome.issue : [];
  for (const issue of issues) {
    if (!isObject(issue)) continue;
    if (typeof issue.diagnostics === 'string') {
      const lead = /^\s*\(([A-Za-z-]+\d*|VAL-PROFILE)\)/i.exec(issue.diagnostics);
      const code = lead ? normalizeCode(lead[1]!) : null;
      if (code) codes.add(code);
    }
    const coding = isObject(issue.details) && Array.isArray(issue.details.coding) ? issue.details.coding : [];
    for (const c of coding) {
      const code = isObject(c) && typeof c.code === 'string' ? normalizeCode(c.code) : null;
      if (code) codes.add(code);
    }
  }
  return [...codes];
}

/** What to do about a code and who does it; any text is accepted (an unknown code gets the generic advice). */
export function explain(rawCode: string): Advice {
  const code = normalizeCode(rawCode);
  const entry = code === null ? undefined : ENTRIES[code];
  const { group, action } = entry ?? GENERIC;
  return { code: code ?? rawCode.trim(), known: entry !== undefined, group, groupLabel: GROUP_LABELS[group], action };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
