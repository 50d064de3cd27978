import { displayName } from './display.js';
import type { ChavesDirInfo, Connection, EnabledInfo, Entry, Problem, RenewalInfo, Status } from './types.js';

/** Days of validity left under which the certificate is reported as expiring. */
export const EXPIRING_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days from `now` until `notAfter` (negative once expired). */
export function daysLeft(notAfter: string | Date, now: Date): number {
  return Math.floor((new Date(notAfter).getTime() - now.getTime()) / DAY_MS);
}

/** dd/mm/aaaa in Brasília time, as the administrator reads dates. */
export function formatDate(iso: string | Date): string {
  return new Intl.DateTimeFormat('pt-BR', { timeZone: 'America/Sao_Paulo', day: '2-digit', month: '2-digit', year: 'numeric' }).format(new Date(iso));
}

/** dd/mm/aaaa hh:mm in Brasília time. */
export function formatDateTime(iso: string | Date): string {
  return new Intl.DateTimeFormat('pt-BR', {
    timeZone: 'America/Sao_Paulo',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
    .format(new Date(iso))
    .replace(',', '');
}

export interface StatusInput {
  contraChave: string;
  chavesDir: ChavesDirInfo;
  certificates: Entry[];
  enabled: EnabledInfo | null;
  connection: Connection | null;
  /** False when the stored password cannot be decrypted (key missing, ciphertext tampered). */
  secretReadable: boolean;
  /** A renewed certificate that opens with the stored password (found by the Enablement), if any. */
  renewal?: RenewalInfo | null;
  now: Date;
}

/**
 * The one place that decides `enabled` / `disabled` / `degraded` and which problems to report. The screen, the API,
 * the CLI and the metrics all read its answer.
 */
export function computeStatus(input: StatusInput): Status {
  const { chavesDir, certificates, now } = input;
  const problems: Problem[] = [];

  if (!chavesDir.exists) {
    problems.push({
      code: 'CHAVES_DIR_MISSING',
      message: `A pasta chaves não existe: crie a pasta ${chavesDir.path} no servidor e copie para ela o certificado (.pfx ou .p12).`,
    });
  } else if (!chavesDir.readable) {
    problems.push({
      code: 'CHAVES_DIR_MISSING',
      message: `A pasta chaves (${chavesDir.path}) não pode ser lida pelo módulo: dê permissão de leitura ao usuário do serviço.`,
    });
  }

  let enabled: EnabledInfo | null = null;
  if (input.enabled) {
    const certificate = { ...input.enabled.certificate, daysLeft: daysLeft(input.enabled.certificate.notAfter, now) };
    enabled = { ...input.enabled, certificate };
    const enabledFile = enabled.file;
    const entry = certificates.find((e) => e.file === enabledFile);
    const file = displayName(enabled.file);
    if (chavesDir.exists && !entry) {
      problems.push({
        code: 'CERTIFICATE_MISSING',
        message: `O arquivo ${file} foi removido da pasta chaves: copie-o de volta para ${chavesDir.path} ou habilite outro certificado.`,
      });
    } else if (entry && entry.status !== 'ready') {
      problems.push({
        code: 'CERTIFICATE_CHANGED',
        message: `O arquivo ${file} na pasta chaves está sendo substituído ou não pode ser lido: aguarde a cópia terminar ou verifique as permissões do arquivo.`,
      });
    } else if (entry && entry.sha256 !== certificate.sha256 && input.renewal?.sameFile && input.renewal.sha256 === entry.sha256) {
      problems.push({
        code: 'CERTIFICATE_CHANGED',
        message: `O arquivo ${file} foi substituído por um certificado renovado do mesmo CNPJ, válido até ${formatDate(input.renewal.certificate.notAfter)}, que abre com a senha guardada: clique em "Usar o certificado renovado" para passar a usá-lo, sem digitar a senha de novo.`,
      });
    } else if (entry && entry.sha256 !== certificate.sha256) {
      problems.push({
        code: 'CERTIFICATE_CHANGED',
        message: `O arquivo ${file} foi substituído por outro conteúdo: habilite o certificado novamente, digitando a senha, ou copie de volta o arquivo original.`,
      });
    }
    if (new Date(certificate.notAfter).getTime() <= now.getTime()) {
      problems.push({
        code: 'CERTIFICATE_EXPIRED',
        message: `O certificado expirou em ${formatDate(certificate.notAfter)}: baixe um certificado novo no e-Gestor AB, copie-o para a pasta chaves e habilite-o.`,
      });
    } else if (certificate.daysLeft <= EXPIRING_DAYS) {
      problems.push({
        code: 'CERTIFICATE_EXPIRING',
        message: `O certificado vence em ${formatDate(certificate.notAfter)} (${plural(certificate.daysLeft, 'dia')}): providencie a renovação no e-Gestor AB antes dessa data.`,
      });
    }
    if (!input.secretReadable) {
      problems.push({
        code: 'SECRET_UNREADABLE',
        message: 'A senha guardada do certificado não pode mais ser lida (a chave de proteção foi perdida ou alterada): reinforme a senha e habilite o certificado novamente.',
      });
    }
  }

  const degraded = problems.some((p) => p.code !== 'CERTIFICATE_EXPIRING');
  const state = !enabled ? 'disabled' : degraded ? 'degraded' : 'enabled';
  return {
    state,
    contraChave: input.contraChave,
    chavesDir,
    certificates,
    enabled,
    connection: input.connection,
    problems,
    ...(input.renewal !== undefined ? { renewal: enabled ? input.renewal : null } : {}),
  };
}

function plural(n: number, word: string): string {
  if (n <= 0) return 'vence hoje';
  return `${n === 1 ? 'falta' : 'faltam'} ${n} ${word}${n === 1 ? '' : 's'}`;
}
