/** A reported send's status (CONTRACT.md *Sends*), from its answer and the error dictionary's groups. */
import type { RndsErrorGroup, SendStatus } from '../enums.js';
import { codesFromOutcome, explain } from '../rnds/dictionary.js';

/** What decides a status: exactly one of the three kinds of report. */
export interface SendOutcome {
  httpStatus?: number;
  operationOutcome?: unknown;
  failure?: 'no-connection' | 'certificate-failure';
  delivery?: 'ENVIADO_CENTRALIZADOR';
}

export interface DerivedStatus {
  status: SendStatus;
  /** The RNDS codes of the answer, as the catalogue writes them, each once. */
  codes: string[];
  /** RNDS's own text (the issues' diagnostics), kept for the error list and the CSV; null when there is none. */
  message: string | null;
  /** A direct send (httpStatus or failure) sets *Status do último envio*; a delivery does not. */
  direct: boolean;
}

const MAX_MESSAGE = 2000;

/** The status of one send. A 4xx is decided by its codes: all duplicates → delivered; then credential, then RNDS down. */
export function deriveStatus(send: SendOutcome): DerivedStatus {
  if (send.delivery !== undefined) return { status: 'ENVIADO_CENTRALIZADOR', codes: [], message: null, direct: false };
  if (send.failure !== undefined) {
    return { status: send.failure === 'certificate-failure' ? 'FALHA_CREDENCIAL' : 'SEM_CONEXAO', codes: [], message: null, direct: true };
  }
  const http = send.httpStatus ?? 0;
  const codes = send.operationOutcome === undefined ? [] : codesFromOutcome(send.operationOutcome);
  const message = diagnostics(send.operationOutcome);
  const status = statusOf(http, codes);
  return { status, codes, message, direct: true };
}

function statusOf(http: number, codes: readonly string[]): SendStatus {
  if (http >= 200 && http < 300) return 'ENVIADO';
  if (http === 401 || http === 403) return 'FALHA_CREDENCIAL';
  if (http >= 500) return 'SEM_CONEXAO';
  const groups = codes.map((code) => explain(code).group);
  if (groups.length > 0 && groups.every((group) => group === 'duplicado')) return 'ENVIADO';
  if (groups.includes('credencial')) return 'FALHA_CREDENCIAL';
  if (groups.includes('rnds-fora')) return 'SEM_CONEXAO';
  return 'DADOS_INVALIDOS';
}

/** The issues' diagnostics joined, as RNDS wrote them (bounded). */
function diagnostics(outcome: unknown): string | null {
  if (typeof outcome !== 'object' || outcome === null) return null;
  const issues = (outcome as { issue?: unknown }).issue;
  if (!Array.isArray(issues)) return null;
  const texts = issues
    .map((issue: unknown) => (typeof issue === 'object' && issue !== null ? (issue as { diagnostics?: unknown }).diagnostics : undefined))
    .filter((text): text is string => typeof text === 'string' && text.trim() !== '');
  if (texts.length === 0) return null;
  const joined = texts.join(' | ');
  return joined.length > MAX_MESSAGE ? `${joined.slice(0, MAX_MESSAGE - 1)}…` : joined;
}

/** Delivered: the record counts as *enviado*. */
export const isSent = (status: SendStatus): boolean => status === 'ENVIADO' || status === 'ENVIADO_CENTRALIZADOR';

/**
 * Who resolves a send that was not delivered (the dictionary's group), for `pec_rnds_send_refusals_total`: the group of
 * the code that decided its status — a credential code for FALHA_CREDENCIAL, an RNDS-down code for SEM_CONEXAO, the
 * first code that is not a duplicate for DADOS_INVALIDOS. When the HTTP status or the failure decided it (401/403, 5xx),
 * the first code RNDS gave that is not a duplicate, else `credencial`, `rnds-fora`, or `desconhecido` for a 4xx without
 * codes. Null for a delivered send. Reads only what a stored row keeps (status and codes).
 */
export function refusalGroup(status: SendStatus, codes: readonly string[]): RndsErrorGroup | null {
  if (isSent(status)) return null;
  const groups = codes.map((code) => explain(code).group).filter((group) => group !== 'duplicado');
  if (status === 'FALHA_CREDENCIAL') return groups.includes('credencial') ? 'credencial' : (groups[0] ?? 'credencial');
  if (status === 'SEM_CONEXAO') return groups.includes('rnds-fora') ? 'rnds-fora' : (groups[0] ?? 'rnds-fora');
  return groups[0] ?? 'desconhecido';
}
