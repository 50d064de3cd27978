import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { RndsError, isRndsError } from './errors.js';
import { computeStatus } from './status.js';
import { displayName } from './display.js';
import { summarizeCertificate, type CertificateOpener, type OpenedCertificate } from './certificates/index.js';
import { isPlainFileName, type ChavesCatalogue } from './chaves/index.js';
import type { AuditInput, AuditTrail, PersistedState, SecretBox, StateStore } from './state/index.js';
import { TokenClient, buildTrustedCa, isTokenRequestError, testConnection, type EnvironmentUrls, type RndsToken } from './rnds/index.js';
import type { Connection, Environment, Service, Status } from './types.js';

/** The body of an enable request, as CONTRACT.md defines it. */
export const enableInputSchema = z.strictObject({
  file: z.string({ error: 'Escolha o certificado.' }).min(1, 'Escolha o certificado.').max(255, 'Nome de arquivo longo demais.'),
  password: z.string({ error: 'Digite a senha do certificado.' }).max(1024, 'Senha longa demais.'),
  identificadorSolicitante: z.string({ error: 'O identificador solicitante deve ser um texto com números.' }).max(64).optional(),
  services: z
    .array(z.enum(['RNDS', 'CADSUS'], { error: 'Serviço desconhecido: escolha RNDS e/ou CADSUS.' }), { error: 'Escolha ao menos um serviço.' })
    .min(1, 'Escolha ao menos um serviço.')
    .optional(),
  environment: z.enum(['homologacao', 'producao'], { error: 'Escolha o ambiente: produção ou homologação.' }).optional(),
});
export type EnableInput = z.input<typeof enableInputSchema>;

const FIELD_NAMES = new Set(['file', 'password', 'identificadorSolicitante', 'services', 'environment']);

/** Turns a zod failure into INVALID_INPUT with one pt-BR message per bad field. */
export function invalidInput(error: z.ZodError): RndsError {
  // No prototype: a key named `__proto__` becomes a field like any other instead of vanishing.
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[key] = 'Campo desconhecido: remova-o do pedido.';
      continue;
    }
    const key = String(issue.path[0] ?? 'body');
    fields[key] ??= FIELD_NAMES.has(key) ? issue.message : 'Valor inválido.';
  }
  // fromEntries defines own properties, so `__proto__` stays a field of the plain object sent back.
  return new RndsError('INVALID_INPUT', 'Alguns campos estão inválidos: corrija-os e tente novamente.', { fields: Object.fromEntries(Object.entries(fields)) });
}

/** How often the Status is recomputed to notice changes that come from the clock alone (expiry). */
const CLOCK_CHECK_MS = 60_000;

/** Which field an engine error belongs next to on the screen. */
const ERROR_FIELD: Partial<Record<string, 'file' | 'password'>> = {
  WRONG_PASSWORD: 'password',
  CERTIFICATE_NOT_FOUND: 'file',
  INVALID_CERTIFICATE: 'file',
  UNSUPPORTED_CERTIFICATE: 'file',
  NO_PRIVATE_KEY: 'file',
  KEY_MISMATCH: 'file',
  CERTIFICATE_EXPIRED: 'file',
  CERTIFICATE_NOT_YET_VALID: 'file',
  CERTIFICATE_TOO_LARGE: 'file',
  TOO_EXPENSIVE: 'file',
};

export interface EnablementDeps {
  store: StateStore;
  secretBox: SecretBox;
  audit: AuditTrail;
  catalogue: ChavesCatalogue;
  opener: CertificateOpener;
  environments: Record<Environment, EnvironmentUrls>;
  defaultEnvironment: Environment;
  rndsCa?: string;
  tokenMethod: 'GET' | 'POST';
  now: () => Date;
}

/**
 * The use cases of the screen: enable, disable, status, connection test and token. Plain data in, plain data out;
 * emits `change` whenever the Status may have changed.
 */
export class Enablement extends EventEmitter<{ change: [] }> {
  readonly #deps: EnablementDeps;
  /** The opened enabled certificate, kept in memory for mutual TLS (never written anywhere). */
  #opened: { sha256: string; certificate: OpenedCertificate } | null = null;
  #tokenClient: { key: string; client: TokenClient } | null = null;
  #secretReadable = true;
  /** System CAs plus the configured extra ones; undefined = Node's defaults. */
  readonly #ca: string[] | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  /** Time alone changes the Status (a certificate expires at midnight): announce it when it does. */
  readonly #clock: NodeJS.Timeout;
  #lastSignature = '';

  constructor(deps: EnablementDeps) {
    super();
    this.#deps = deps;
    this.#ca = buildTrustedCa(deps.rndsCa);
    this.#secretReadable = this.#checkSecret(deps.store.get());
    deps.catalogue.on('change', () => this.emit('change'));
    this.#lastSignature = this.#signature();
    this.#clock = setInterval(() => {
      const signature = this.#signature();
      if (signature !== this.#lastSignature) {
        this.#lastSignature = signature;
        this.emit('change');
      }
    }, CLOCK_CHECK_MS).unref();
  }

  /** Stops the clock check. */
  close(): void {
    clearInterval(this.#clock);
  }

  #signature(): string {
    const { state, problems, enabled } = this.status();
    return JSON.stringify([state, problems.map((p) => p.code), enabled?.certificate.daysLeft]);
  }

  /** The current Status, computed from the state, the folder and the clock. */
  status(): Status {
    const state = this.#deps.store.get();
    const { secret: _secret, ...enabled } = state.enabled ?? { secret: null };
    return computeStatus({
      contraChave: state.contraChave,
      chavesDir: this.#deps.catalogue.dirInfo(),
      certificates: this.#deps.catalogue.list(),
      enabled: state.enabled ? (enabled as Status['enabled']) : null,
      connection: state.connection,
      secretReadable: this.#secretReadable,
      now: this.#deps.now(),
    });
  }

  /** Opens the chosen certificate with the password and, when it opens, makes it the one enabled certificate. */
  async enable(input: unknown, actor: string): Promise<Status> {
    return this.#serialize(async () => {
      let file: string | undefined;
      try {
        const parsed = enableInputSchema.safeParse(input);
        if (!parsed.success) throw invalidInput(parsed.error);
        const body = parsed.data;
        file = body.file;
        const services: Service[] = [...new Set<Service>(body.services ?? ['RNDS'])];
        const identificadorSolicitante = (body.identificadorSolicitante ?? '').trim();
        if (services.includes('RNDS') && identificadorSolicitante === '') {
          throw new RndsError('INVALID_INPUT', 'Informe o identificador solicitante.', {
            fields: { identificadorSolicitante: 'Informe o identificador solicitante (o número do ID SOLICITAÇÃO mostrado no e-Gestor AB).' },
          });
        }
        if (identificadorSolicitante !== '' && !/^[0-9]{1,12}$/.test(identificadorSolicitante)) {
          throw new RndsError('INVALID_INPUT', 'O identificador solicitante deve ter só números.', {
            fields: { identificadorSolicitante: 'Use só números, até 12 dígitos (o ID SOLICITAÇÃO do e-Gestor AB, por exemplo 3167).' },
          });
        }
        const entry = this.#deps.catalogue.get(body.file);
        if (entry && !isPlainFileName(body.file)) {
          // Listed, but a name with control, bidi or path characters could show one file and open another.
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O nome do arquivo ${displayName(body.file)} tem caracteres que não são aceitos: renomeie-o na pasta chaves usando só letras, números, ponto, hífen e sublinhado, e escolha-o de novo.`, {
            fields: { file: 'Renomeie o arquivo na pasta chaves (só letras, números, ponto, hífen e sublinhado).' },
          });
        }
        if (!entry || entry.status !== 'ready') {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O certificado ${displayName(body.file)} não está disponível na pasta chaves: escolha um certificado da lista.`, {
            fields: { file: 'Escolha um certificado da lista.' },
          });
        }
        const environment: Environment = body.environment ?? this.#deps.defaultEnvironment;
        const { bytes, sha256 } = await this.#deps.catalogue.readEntry(body.file);
        const certificate = await this.#deps.opener.open(bytes, body.password, { fileName: displayName(body.file), now: this.#deps.now() });
        const secret = this.#deps.secretBox.seal(body.password);
        const enabledAt = this.#deps.now().toISOString();
        await this.#deps.store.update((state: PersistedState) => ({
          ...state,
          enabled: {
            file: body.file,
            identificadorSolicitante,
            services,
            environment,
            enabledAt,
            certificate: { ...summarizeCertificate(certificate, this.#deps.now()), sha256 },
            secret,
          },
          connection: null,
        }));
        this.#opened = { sha256, certificate };
        this.#tokenClient = null;
        this.#secretReadable = true;
        await this.#audit({ action: 'enable', actor, file: body.file, sha256, identificadorSolicitante });
        this.emit('change');
        return this.status();
      } catch (error) {
        const failure = withField(error);
        await this.#audit({
          action: 'enable-failed',
          actor,
          file: typeof file === 'string' ? file : undefined,
          code: failure.code,
        });
        throw failure;
      }
    });
  }

  /** Turns RNDS off. The certificate file stays in the folder; the stored password is forgotten. */
  async disable(actor: string): Promise<Status> {
    return this.#serialize(async () => {
      const previous = this.#deps.store.get().enabled;
      if (previous) {
        await this.#deps.store.update((state) => ({ ...state, enabled: null, connection: null }));
        this.#opened = null;
        this.#tokenClient = null;
        this.#secretReadable = true;
        await this.#audit({
          action: 'disable',
          actor,
          file: previous.file,
          sha256: previous.certificate.sha256,
          identificadorSolicitante: previous.identificadorSolicitante,
        });
        this.emit('change');
      }
      return this.status();
    });
  }

  /** Asks RNDS for a token with the enabled certificate and keeps the result (Testar conexão). */
  async testConnection(): Promise<Connection> {
    const enabled = this.#deps.store.get().enabled;
    if (!enabled) throw notEnabled();
    const connection = await this.#connectionFor(enabled.environment);
    await this.#deps.store.update((state) => (state.enabled ? { ...state, connection } : state));
    this.emit('change');
    return connection;
  }

  /** A current RNDS access token for the host's own calls (cached, renewed before expiry). */
  async getToken(): Promise<RndsToken> {
    const enabled = this.#deps.store.get().enabled;
    if (!enabled) throw notEnabled();
    const client = await this.#clientFor(enabled.environment);
    try {
      return await client.getToken();
    } catch (error) {
      if (!isTokenRequestError(error)) throw error;
      throw new RndsError(error.status === 'no-connection' ? 'RNDS_UNAVAILABLE' : 'RNDS_CERTIFICATE_REJECTED', error.message, { cause: error });
    }
  }

  async #connectionFor(environment: Environment): Promise<Connection> {
    const problem = this.status().problems.find((p) => p.code !== 'CERTIFICATE_EXPIRING' && p.code !== 'CERTIFICATE_EXPIRED');
    const checkedAt = this.#deps.now().toISOString();
    if (problem) {
      return { status: 'certificate-failure', message: 'Falha no certificado', detail: problem.message, checkedAt, environment };
    }
    let certificate: OpenedCertificate;
    try {
      certificate = await this.#openEnabled();
    } catch (error) {
      const detail = isRndsError(error) ? error.message : 'O certificado habilitado não pôde ser aberto: habilite-o novamente.';
      return { status: 'certificate-failure', message: 'Falha no certificado', detail, checkedAt, environment };
    }
    return testConnection({
      certificate,
      environment,
      authUrl: this.#deps.environments[environment].authUrl,
      ca: this.#ca,
      method: this.#deps.tokenMethod,
      now: this.#deps.now(),
    });
  }

  async #clientFor(environment: Environment): Promise<TokenClient> {
    const certificate = await this.#openEnabled();
    const key = `${environment}:${certificate.sha256}`;
    if (this.#tokenClient?.key !== key) {
      this.#tokenClient = {
        key,
        client: new TokenClient({
          authUrl: this.#deps.environments[environment].authUrl,
          keyPem: certificate.keyPem,
          certPem: certificate.certPem,
          chainPem: certificate.chainPem,
          notBefore: certificate.notBefore,
          notAfter: certificate.notAfter,
          ca: this.#ca,
          method: this.#deps.tokenMethod,
        }),
      };
    }
    return this.#tokenClient.client;
  }

  /** The enabled certificate, opened again from the folder with the stored password when not in memory. */
  async #openEnabled(): Promise<OpenedCertificate> {
    const enabled = this.#deps.store.get().enabled;
    if (!enabled) throw notEnabled();
    if (this.#opened?.sha256 === enabled.certificate.sha256) return this.#opened.certificate;
    let password: string;
    try {
      password = this.#deps.secretBox.unseal(enabled.secret);
    } catch (error) {
      this.#secretReadable = false;
      this.emit('change');
      throw error;
    }
    const { bytes, sha256 } = await this.#deps.catalogue.readEntry(enabled.file);
    if (sha256 !== enabled.certificate.sha256) {
      throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(enabled.file)} foi substituído por outro conteúdo: habilite o certificado novamente.`);
    }
    const certificate = await this.#deps.opener.open(bytes, password, { fileName: displayName(enabled.file), now: this.#deps.now(), checkValidity: false });
    this.#opened = { sha256, certificate };
    return certificate;
  }

  #checkSecret(state: PersistedState): boolean {
    if (!state.enabled) return true;
    try {
      this.#deps.secretBox.unseal(state.enabled.secret);
      return true;
    } catch {
      return false;
    }
  }

  async #audit(record: AuditInput): Promise<void> {
    try {
      await this.#deps.audit.append({ ...record, at: this.#deps.now().toISOString() });
    } catch {
      // The audit trail must never turn a successful enable into a failure; the state write already happened.
    }
  }

  /** One enable/disable at a time, so two admins clicking together cannot interleave. */
  #serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task, task);
    this.#busy = run.catch(() => undefined);
    return run;
  }
}

function notEnabled(): RndsError {
  return new RndsError('NOT_ENABLED', 'Nenhum certificado está habilitado: habilite um certificado antes de testar a conexão.');
}

function withField(error: unknown): RndsError {
  if (!isRndsError(error)) {
    return new RndsError('INTERNAL', 'Erro inesperado ao habilitar o certificado: tente novamente e, se persistir, contate o suporte.', { cause: error });
  }
  const field = ERROR_FIELD[error.code];
  if (!field || error.fields) return error;
  return new RndsError(error.code, error.message, { fields: { [field]: error.message }, retryAfterSeconds: error.retryAfterSeconds, cause: error.cause });
}
