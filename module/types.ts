/** Shapes of the public contract (CONTRACT.md). JSON keys English, RNDS terms in Portuguese. */
import type { CertificateWarning } from './certificates/warnings.js';

export type EntryStatus = 'ready' | 'incomplete' | 'unreadable' | 'too-large' | 'not-a-file' | 'unusable';

/** One `.pfx`/`.p12` file, or certificate-related file that cannot be enabled (`unusable`), in the chaves folder. */
export interface Entry {
  file: string;
  size: number;
  modifiedAt: string;
  /** Present when `status` is `ready`. */
  sha256?: string;
  status: EntryStatus;
  /** Every entry that is not `ready`: a pt-BR sentence that says what to do. */
  reason?: string;
}

export type Service = 'RNDS' | 'CADSUS';
export type Environment = 'homologacao' | 'producao';
export type State = 'disabled' | 'enabled' | 'degraded';

export type ProblemCode =
  | 'CERTIFICATE_MISSING'
  | 'CERTIFICATE_CHANGED'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_EXPIRING'
  | 'SECRET_UNREADABLE'
  | 'CHAVES_DIR_MISSING'
  | 'CONTRA_CHAVE_NOT_CONFIGURED'
  | 'CONTRA_CHAVE_CHANGED';

/** `critical` problems make an enabled state `degraded`; `warning` ones do not. */
export type ProblemSeverity = 'critical' | 'warning';

export interface Problem {
  code: ProblemCode;
  severity: ProblemSeverity;
  message: string;
}

/** `instalacao`: the installation's own value (host option, RNDS_CONTRA_CHAVE, API or screen); `gerada`: a test value. */
export type ContraChaveOrigin = 'instalacao' | 'gerada';

/** What Status shows about the enabled certificate. */
export interface CertificateSummary {
  subject: string;
  commonName: string;
  cnpj: string | null;
  /** Razão social (ICP-Brasil CN before ':'), when known. */
  razaoSocial: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  /** SHA-256 of the file, 64 lowercase hex. */
  sha256: string;
  /**
   * The wrong kind of certificate or file, with what to do (beyond the contract; absent when there is none, and in
   * states saved before it). A warning, never a refusal.
   */
  warnings?: CertificateWarning[];
}

export interface EnabledInfo {
  file: string;
  identificadorSolicitante: string;
  services: Service[];
  environment: Environment;
  enabledAt: string;
  certificate: CertificateSummary;
}

export type ConnectionStatus = 'ok' | 'no-connection' | 'certificate-expired' | 'certificate-failure';

export const CONNECTION_MESSAGES: Record<ConnectionStatus, string> = {
  ok: 'Conexão bem-sucedida',
  'no-connection': 'Sem conexão',
  'certificate-expired': 'Certificado expirado',
  'certificate-failure': 'Falha no certificado',
};

/** The steps of a token request, in order (see module/rnds/steps.ts). */
export type StepName = 'dns' | 'tcp' | 'proxy-connect' | 'tls' | 'client-certificate' | 'token';

/** One step of a connection test: what was tried (pt-BR), whether it worked, how long it took. */
export interface ConnectionStep {
  step: StepName;
  label: string;
  ok: boolean;
  /** Milliseconds the step took. */
  ms: number;
  /** pt-BR detail: the address found, the server certificate, the HTTP status… */
  detail?: string;
}

/** The result for one enabled service (RNDS or CADSUS). */
export interface ServiceConnection {
  service: Service;
  status: ConnectionStatus;
  message: string;
  detail: string;
  steps?: ConnectionStep[];
}

export interface Connection {
  status: ConnectionStatus;
  message: string;
  detail: string;
  checkedAt: string;
  environment: Environment;
  /** How the servers were reached: `direto` or `proxy host:port` (never the proxy's password). */
  via?: string;
  /** One result per enabled service; the top-level fields are RNDS's when RNDS is enabled, else CADSUS's. */
  services?: ServiceConnection[];
  /** The steps of the top-level service's request, with timings. */
  steps?: ConnectionStep[];
}

export interface ChavesDirInfo {
  path: string;
  exists: boolean;
  readable: boolean;
}

/**
 * A renewed certificate found in the chaves folder: same CNPJ as the enabled one, a later expiry, and it opens with
 * the stored password, so it can replace the enabled one with one click (no password typed again).
 */
export interface RenewalInfo {
  file: string;
  /** SHA-256 of the renewed file: the switch refuses if the file changed since. */
  sha256: string;
  /** True when the renewed certificate overwrote the enabled file (same name, new content). */
  sameFile: boolean;
  certificate: CertificateSummary;
}

export type AlertChannel = 'email' | 'webhook';

/** Alerts by e-mail and webhook (beyond the contract): what is configured, what was delivered and what failed. */
export interface AlertsInfo {
  channels: AlertChannel[];
  /** Deliveries still being tried (with backoff). */
  pending: number;
  /** Deliveries that succeeded, per channel, since start. */
  sent: Record<AlertChannel, number>;
  /** Deliveries that failed for good (after every retry), per channel, since start. */
  failed: Record<AlertChannel, number>;
  /** The last delivery that failed for good, kept across restarts; null when none or a later one succeeded. */
  lastFailure: null | { channel: AlertChannel; event: string; at: string; message: string };
}

export interface Status {
  state: State;
  contraChave: string;
  contraChaveOrigin: ContraChaveOrigin;
  chavesDir: ChavesDirInfo;
  certificates: Entry[];
  enabled: EnabledInfo | null;
  connection: Connection | null;
  problems: Problem[];
  /** A renewed certificate ready to replace the enabled one (beyond the contract). */
  renewal?: RenewalInfo | null;
  /** Alert delivery (beyond the contract); absent when no alert channel is configured. */
  alerts?: AlertsInfo;
}
