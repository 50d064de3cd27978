/** Shapes of the public contract (CONTRACT.md). JSON keys English, RNDS terms in Portuguese. */

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

export interface Connection {
  status: ConnectionStatus;
  message: string;
  detail: string;
  checkedAt: string;
  environment: Environment;
}

export interface ChavesDirInfo {
  path: string;
  exists: boolean;
  readable: boolean;
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
}
