/**
 * Helpers shared by the command-line scripts (status, inspect, make-test-certificate): the monitoring-plugin exit
 * codes, safe text for terminals, pt-BR formatting of CNPJ/CPF/sizes, and JSON that cannot reorder a terminal.
 */
import { displayName } from '../../module/display.js';

/** The Nagios/Icinga/Zabbix plugin convention. */
export const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
export const EXIT_LABEL: Record<ExitCode, 'OK' | 'WARNING' | 'CRITICAL' | 'UNKNOWN'> = { 0: 'OK', 1: 'WARNING', 2: 'CRITICAL', 3: 'UNKNOWN' };

/** The worse of two results; UNKNOWN only wins over OK (we still report a CRITICAL we are sure of). */
export function worse(a: ExitCode, b: ExitCode): ExitCode {
  const rank = (c: ExitCode) => (c === EXIT.OK ? 0 : c === EXIT.WARNING ? 1 : c === EXIT.UNKNOWN ? 2 : 3);
  return rank(a) >= rank(b) ? a : b;
}

/**
 * Text that came from outside (file names, certificate subjects, problem messages that quote a file name) with
 * control and bidi characters made visible, so a crafted name cannot move the cursor or forge an output line.
 */
export function safe(text: string | null | undefined): string {
  return text == null ? '' : displayName(String(text));
}

// JSON.stringify already escapes C0 controls; C1 controls and bidi marks survive it and reach the terminal.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/gu;

/** Pretty JSON whose text holds no character that reorders or controls a terminal (the parsed value is unchanged). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** 12345678000190 → 12.345.678/0001-90 (also the alphanumeric CNPJ); anything else unchanged. */
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

/** 3456 → "3,4 KB" (pt-BR decimal comma). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toLocaleString('pt-BR', { maximumFractionDigits: 1 })} ${units[unit]}`;
}

/** "faltam 210 dias", "falta 1 dia", "vence hoje", "expirou há 3 dias". */
export function describeDaysLeft(days: number): string {
  if (days > 1) return `faltam ${days} dias`;
  if (days === 1) return 'falta 1 dia';
  if (days === 0) return 'vence hoje';
  const ago = -days;
  return `expirou há ${ago} dia${ago === 1 ? '' : 's'}`;
}

/** The Status states as a person reads them (the JSON keeps enabled/disabled/degraded). */
export const STATE_LABEL: Record<string, string> = {
  enabled: 'habilitado',
  disabled: 'desabilitado',
  degraded: 'degradado',
};

export const ENVIRONMENT_LABEL: Record<string, string> = { producao: 'produção', homologacao: 'homologação' };

export const ENTRY_STATUS_LABEL: Record<string, string> = {
  ready: 'pronto',
  incomplete: 'sendo copiado (incompleto)',
  unreadable: 'sem permissão de leitura',
  'too-large': 'grande demais para ser um certificado',
  'not-a-file': 'não é um arquivo comum (atalho, pasta ou dispositivo)',
  unusable: 'não pode ser habilitado',
};

/** Why the file does not open, in a few words; the code follows in parentheses for support. */
export const OPEN_ERROR_LABEL: Record<string, string> = {
  WRONG_PASSWORD: 'senha incorreta',
  INVALID_CERTIFICATE: 'não é um certificado PKCS#12 válido',
  UNSUPPORTED_CERTIFICATE: 'usa um algoritmo não suportado',
  NO_PRIVATE_KEY: 'não contém a chave privada',
  KEY_MISMATCH: 'a chave privada não é a do certificado',
  CERTIFICATE_EXPIRED: 'certificado expirado',
  CERTIFICATE_NOT_YET_VALID: 'certificado ainda não válido',
  CERTIFICATE_TOO_LARGE: 'grande demais para ser um certificado',
  TOO_EXPENSIVE: 'custo de senha acima do limite',
  ABORTED: 'a senha não foi lida',
  INTERNAL: 'erro inesperado',
};

/** Lines with aligned labels: [["Estado", "habilitado"], …] → "Estado:  habilitado". */
export function table(rows: Array<[string, string]>, indent = ''): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${indent}${`${label}:`.padEnd(width + 1)}${value}`);
}

/** Message of an unknown error for stderr, never a stack with secrets (the scripts never put passwords in errors). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** node:util parseArgs errors (English) as a pt-BR line that says what to do. */
export function argsErrorText(error: unknown): string {
  const code = (error as { code?: string })?.code;
  const message = errorText(error);
  const name = /'([^']+)'/.exec(message)?.[1]?.replace(/ <value>$/, '') ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `Opção desconhecida: ${safe(name)}. As opções aceitas estão abaixo.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(message)
        ? `A opção ${safe(name)} precisa de um valor, por exemplo ${safe(name)} 5.`
        : `A opção ${safe(name)} não aceita valor: escreva só ${safe(name)}.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `Argumento inesperado: ${safe(name)}. Este comando só aceita as opções abaixo.`;
    default:
      return message;
  }
}
