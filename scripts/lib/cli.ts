/**
 * Helpers shared by the command-line scripts (status, inspect, make-test-certificate): the monitoring-plugin exit
 * codes, safe text for terminals and JSON that cannot reorder a terminal. Dates, days left, labels, CNPJ/CPF and sizes
 * are the presentation layer's (module/present), as on the screen.
 */
import { displayName, safeJsonText } from '../../module/present/index.js';

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

/** Pretty JSON whose text holds no character that reorders or controls a terminal (the parsed value is unchanged). */
export function safeJson(value: unknown): string {
  // JSON.stringify escapes C0 controls only; C1 controls, line separators and bidi marks would reach the terminal.
  return safeJsonText(JSON.stringify(value, null, 2));
}

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
