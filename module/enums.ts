/**
 * Every closed set of values the module speaks, each spelled once. Types, zod enums, metric label lists, labels and
 * form fields derive from these tuples, so adding a value is one edit here and the compiler finds every place that
 * must now handle it. The order is the order lists and documents show them in.
 */

/** The RNDS services a certificate is enabled for. */
export const SERVICES = ['RNDS', 'CADSUS'] as const;
export type Service = (typeof SERVICES)[number];

/** The RNDS environments. */
export const ENVIRONMENTS = ['homologacao', 'producao'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** The Status `state`. */
export const STATES = ['disabled', 'enabled', 'degraded'] as const;
export type State = (typeof STATES)[number];

/** The `status` of a listed file in the chaves folder. */
export const ENTRY_STATUSES = ['ready', 'incomplete', 'unreadable', 'too-large', 'not-a-file', 'unusable'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

/** `critical` problems make an enabled state `degraded`; `warning` ones do not. */
export const PROBLEM_SEVERITIES = ['critical', 'warning'] as const;
export type ProblemSeverity = (typeof PROBLEM_SEVERITIES)[number];

/** The Status problems, each with the severity it always has. */
export const PROBLEM_SEVERITY = {
  CERTIFICATE_MISSING: 'critical',
  CERTIFICATE_CHANGED: 'critical',
  CERTIFICATE_EXPIRED: 'critical',
  CERTIFICATE_EXPIRING: 'warning',
  SECRET_UNREADABLE: 'critical',
  CHAVES_DIR_MISSING: 'critical',
  CONTRA_CHAVE_NOT_CONFIGURED: 'warning',
  CONTRA_CHAVE_CHANGED: 'critical',
  CLOCK_SKEW: 'warning',
  RNDS_CREDENTIAL_REFUSED: 'critical',
} as const satisfies Record<string, ProblemSeverity>;
export type ProblemCode = keyof typeof PROBLEM_SEVERITY;
export const PROBLEM_CODES = Object.keys(PROBLEM_SEVERITY) as [ProblemCode, ...ProblemCode[]];

/** `instalacao`: the installation's own value (host option, RNDS_CONTRA_CHAVE, API or screen); `gerada`: a test value. */
export const CONTRA_CHAVE_ORIGINS = ['instalacao', 'gerada'] as const;
export type ContraChaveOrigin = (typeof CONTRA_CHAVE_ORIGINS)[number];

/** The outcome of a connection test (and of a reported send, in the sends summary), with its fixed pt-BR message. */
export const CONNECTION_MESSAGES = {
  ok: 'Conexão bem-sucedida',
  'no-connection': 'Sem conexão',
  'certificate-expired': 'Certificado expirado',
  'certificate-failure': 'Falha no certificado',
} as const;
export type ConnectionStatus = keyof typeof CONNECTION_MESSAGES;
export const CONNECTION_STATUSES = Object.keys(CONNECTION_MESSAGES) as [ConnectionStatus, ...ConnectionStatus[]];

/** The steps of a token request, in order (see module/rnds/steps.ts). */
export const STEP_NAMES = ['dns', 'tcp', 'proxy-connect', 'tls', 'client-certificate', 'token'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Where alerts go. */
export const ALERT_CHANNELS = ['email', 'webhook'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

/** What an alert is about. */
export const ALERT_KINDS = [
  'certificate-expiring',
  'certificate-expired',
  'degraded',
  'recovered',
  'connection-failing',
  'connection-recovered',
  'clock-skew',
  'credential-refused',
  'credential-recovered',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** How urgent an alert is (`info`: a recovery). */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Where one alert's delivery on one channel stands. */
export const DELIVERY_STATES = ['pending', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** How the token is requested: the manual says POST, working clients use GET. */
export const TOKEN_METHODS = ['GET', 'POST'] as const;
export type TokenMethod = (typeof TOKEN_METHODS)[number];

/** What the audit trail records. */
export const AUDIT_ACTIONS = ['enable', 'disable', 'enable-failed', 'renew', 'renew-failed', 'contra-chave'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The Habilitar form's fields, in the order the form shows them (and the order errors are listed in). */
export const ENABLE_FIELDS = ['file', 'password', 'identificadorSolicitante', 'services', 'environment'] as const;
export type EnableField = (typeof ENABLE_FIELDS)[number];

/** The kinds of record the host sends to RNDS (a reported send's `model`). */
export const SEND_MODELS = ['RIA-C', 'RIA-R', 'RAC', 'RPM'] as const;
export type SendModel = (typeof SEND_MODELS)[number];

/** The RNDS tab's accordions and the report's model filter: RIA counts RIA-C and RIA-R. */
export const TAB_MODELS = ['RIA', 'RAC', 'RPM'] as const;
export type TabModel = (typeof TAB_MODELS)[number];

/** A reported send's status (the error report's *Status do envio*), derived from its answer and codes. */
export const SEND_STATUSES = ['ENVIADO', 'ENVIADO_CENTRALIZADOR', 'FALHA_CREDENCIAL', 'SEM_CONEXAO', 'DADOS_INVALIDOS'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

/** Who must act on an RNDS error (module/rnds/dictionary.ts gives each its pt-BR label). */
export const RNDS_ERROR_GROUPS = ['credencial', 'token', 'cidadao', 'profissional-estabelecimento', 'relogio', 'atualizar-pec', 'rnds-fora', 'govbr', 'duplicado', 'desconhecido'] as const;
export type RndsErrorGroup = (typeof RNDS_ERROR_GROUPS)[number];

/** A record of `value` for every member of `values`: counters that start at zero, per-channel tallies… */
export function recordOf<K extends string, V>(values: readonly K[], value: (key: K) => V): Record<K, V> {
  return Object.fromEntries(values.map((key) => [key, value(key)])) as Record<K, V>;
}
