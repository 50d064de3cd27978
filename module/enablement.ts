import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { RndsError, isRndsError } from './errors.js';
import { computeStatus } from './status.js';
import { daysLeft, displayName } from './present/index.js';
// Not the certificates barrel: it loads the parser (node-forge), which only the worker needs.
import type { CertificateOpener } from './certificates/opener.js';
import type { OpenedCertificate } from './certificates/open.js';
import { summarizeCertificate } from './certificates/summary.js';
import { isPlainFileName, lookAlikeNames, type ChavesCatalogue } from './chaves/index.js';
import type { AuditInput, AuditTrail, PersistedState, SecretBox, StateStore } from './state/index.js';
import { CONTRA_CHAVE_SHAPE, normalizeContraChave, sameContraChave } from './state/contra-chave.js';
import {
  TokenClient,
  buildTrustedCa,
  describeVia,
  isTokenRequestError,
  proxyFor,
  testConnection,
  type EnvironmentUrls,
  type ProxySettings,
  type RndsToken,
} from './rnds/index.js';
import type { AlertsInfo, Connection, ConnectionStatus, Environment, RenewalInfo, Service, Status } from './types.js';
import { isRenewalOf } from './renewal.js';

/**
 * What an empty required field is told, on the screen (before the form is sent, by app.js from the markup) and by
 * the server (the same words), so both look and read the same.
 */
export const REQUIRED_MESSAGES = {
  file: 'Escolha o certificado.',
  password: 'Digite a senha do certificado.',
  identificadorSolicitante: 'Informe o identificador solicitante (o número do ID SOLICITAÇÃO mostrado no e-Gestor AB).',
  services: 'Escolha ao menos um serviço.',
  contraChave: 'Informe a contra-chave desta instalação: 8 grupos de 4 letras ou números, como aparece no PEC.',
} as const;

/** The body of an enable request, as CONTRACT.md defines it. */
export const enableInputSchema = z.strictObject({
  file: z.string({ error: REQUIRED_MESSAGES.file }).min(1, REQUIRED_MESSAGES.file).max(255, 'Nome de arquivo longo demais.'),
  password: z.string({ error: REQUIRED_MESSAGES.password }).max(1024, 'Senha longa demais.'),
  identificadorSolicitante: z.string({ error: 'O identificador solicitante deve ser um texto com números.' }).max(64).optional(),
  services: z
    .array(z.enum(['RNDS', 'CADSUS'], { error: 'Serviço desconhecido: escolha RNDS e/ou CADSUS.' }), { error: REQUIRED_MESSAGES.services })
    .min(1, REQUIRED_MESSAGES.services)
    .optional(),
  environment: z.enum(['homologacao', 'producao'], { error: 'Escolha o ambiente: produção ou homologação.' }).optional(),
});
export type EnableInput = z.input<typeof enableInputSchema>;

/** The body of a renew request: nothing is required; `sha256` pins the file the screen showed. */
export const renewInputSchema = z.strictObject({
  file: z.string().max(255).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'Use o SHA-256 mostrado na tela (64 caracteres hexadecimais).').optional(),
  checkRnds: z.boolean({ error: 'checkRnds deve ser true ou false.' }).optional(),
});
export type RenewInput = z.input<typeof renewInputSchema>;

/** Files looked at per renewal scan: a folder full of strangers' certificates must not keep the worker busy. */
const RENEWAL_SCAN_LIMIT = 10;

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

/** One Status, serialised once: the JSON bodies of /api/status and /api/certificates and their ETags. */
export class StatusSnapshot {
  readonly status: Status;
  #body: { json: Buffer; etag: string } | undefined;
  #certificates: { json: Buffer; etag: string } | undefined;

  constructor(status: Status) {
    this.status = status;
  }

  /** `JSON.stringify(status)` as bytes, with a strong ETag of them. */
  get body(): { json: Buffer; etag: string } {
    return (this.#body ??= tagged(this.status));
  }

  /** `{ certificates }` as bytes (GET /api/certificates), with its own ETag. */
  get certificates(): { json: Buffer; etag: string } {
    return (this.#certificates ??= tagged({ certificates: this.status.certificates }));
  }
}

function tagged(value: unknown): { json: Buffer; etag: string } {
  const json = Buffer.from(JSON.stringify(value));
  return { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
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
  /** The outbound proxy and NO_PROXY, for every request to RNDS/CADSUS. */
  proxy?: ProxySettings;
  now: () => Date;
  /** The installation's time zone (present/dates.ts): dates in messages, calendar days left. */
  timeZone: string;
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
  /** System CAs plus the configured extra ones; undefined = Node's defaults. */
  readonly #ca: string[] | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  /** The connection test under way: a click during the periodic check shares it instead of opening a second one. */
  #testing: Promise<Connection> | null = null;
  /** Time alone changes the Status (a certificate expires at midnight): announce it when it does. */
  readonly #clock: NodeJS.Timeout;
  #lastSignature = '';
  /** The renewed certificate found for the enabled one (opened with the stored password), kept in memory only. */
  #renewal: { forSha256: string; info: RenewalInfo; certificate: OpenedCertificate } | null = null;
  /** `<enabled sha256>:<file sha256>` already tried with the stored password: each file is opened once. */
  readonly #renewalTried = new Set<string>();
  #renewalScan: Promise<void> | null = null;
  #renewalRescan = false;
  #closed = false;
  #alertsInfo: (() => AlertsInfo) | null = null;
  #snapshot: { inputs: unknown[]; snapshot: StatusSnapshot } | null = null;

  constructor(deps: EnablementDeps) {
    super();
    this.#deps = deps;
    this.#ca = buildTrustedCa(deps.rndsCa);
    deps.catalogue.on('change', () => {
      this.emit('change');
      this.#scanForRenewal();
    });
    this.#scanForRenewal();
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
    this.#closed = true;
    clearInterval(this.#clock);
  }

  /** Adds the alert delivery summary to every Status. */
  attachAlerts(info: () => AlertsInfo): void {
    this.#alertsInfo = info;
  }

  /** Resolves when the current search for a renewed certificate is over (tests, CLI). */
  async renewalSettled(): Promise<void> {
    while (this.#renewalScan) await this.#renewalScan;
  }

  /** Looks for a renewed certificate in the background; a change during a scan makes another scan follow. */
  #scanForRenewal(): void {
    if (this.#closed) return;
    if (this.#renewalScan) {
      this.#renewalRescan = true;
      return;
    }
    this.#renewalScan = (async () => {
      do {
        this.#renewalRescan = false;
        try {
          await this.#findRenewal();
        } catch {
          // A file that vanished mid-read or a worker restart: the next folder change tries again.
        }
      } while (this.#renewalRescan && !this.#closed);
    })().finally(() => {
      this.#renewalScan = null;
    });
  }

  /**
   * Opens, with the stored password and in the worker, each ready file that is not the enabled one and was not tried
   * yet; keeps the one that renews the enabled certificate (same CNPJ, later expiry) with the latest expiry.
   */
  async #findRenewal(): Promise<void> {
    const enabled = this.#deps.store.get().enabled;
    if (!enabled || this.#deps.secretBox.check(enabled.secret) !== null) return;
    const enabledSha = enabled.certificate.sha256;
    const entries = this.#deps.catalogue
      .list()
      .filter((e) => e.status === 'ready' && e.sha256 && e.sha256 !== enabledSha && isPlainFileName(e.file) && !this.#renewalTried.has(`${enabledSha}:${e.sha256}`))
      .slice(0, RENEWAL_SCAN_LIMIT);
    if (entries.length === 0) return;
    let password: string;
    try {
      password = this.#deps.secretBox.unseal(enabled.secret);
    } catch {
      return;
    }
    let changed = false;
    for (const entry of entries) {
      if (this.#closed) return;
      let bytes: Buffer;
      let sha256: string;
      try {
        ({ bytes, sha256 } = await this.#deps.catalogue.readEntry(entry.file));
      } catch {
        continue;
      }
      this.#renewalTried.add(`${enabledSha}:${sha256}`);
      let certificate: OpenedCertificate;
      try {
        certificate = await this.#deps.opener.open(bytes, password, { fileName: displayName(entry.file), now: this.#deps.now() });
      } catch {
        continue; // another password, expired, not a certificate: the admin enables it as today
      }
      const summary = { ...summarizeCertificate(certificate, this.#deps.now(), this.#deps.timeZone), sha256 };
      const current = this.#deps.store.get().enabled;
      if (!current || current.certificate.sha256 !== enabledSha || !isRenewalOf(summary, current.certificate)) continue;
      if (this.#renewal?.forSha256 === enabledSha && new Date(this.#renewal.info.certificate.notAfter) >= new Date(summary.notAfter) && this.#renewalStillThere()) continue;
      this.#renewal = { forSha256: enabledSha, info: { file: entry.file, sha256, sameFile: entry.file === current.file, certificate: summary }, certificate };
      changed = true;
    }
    if (changed) this.emit('change');
  }

  /** The renewal found earlier, if its file is still in the folder with the same content and the enabled one did not change. */
  #renewalStillThere(): boolean {
    const renewal = this.#renewal;
    const enabled = this.#deps.store.get().enabled;
    if (!renewal || !enabled || renewal.forSha256 !== enabled.certificate.sha256) return false;
    const entry = this.#deps.catalogue.get(renewal.info.file);
    return entry?.status === 'ready' && entry.sha256 === renewal.info.sha256;
  }

  #currentRenewal(): RenewalInfo | null {
    if (!this.#renewalStillThere()) return null;
    const info = this.#renewal!.info;
    return { ...info, sameFile: info.file === this.#deps.store.get().enabled?.file, certificate: { ...info.certificate, daysLeft: daysLeft(info.certificate.notAfter, this.#deps.now(), this.#deps.timeZone) } };
  }

  #signature(): string {
    const { state, problems, enabled } = this.status();
    return JSON.stringify([state, problems.map((p) => p.code), enabled?.certificate.daysLeft]);
  }

  /**
   * The current Status with its JSON and an ETag, computed again only when something it is made of changed: the
   * saved state (a new object on every update), the folder listing (its revision), the stored password's check, the
   * renewal found, the alert deliveries, and the clock — the Status reads the clock only through the days left and
   * the expiry of the enabled and renewed certificates, so the calendar days to each notAfter stand for it. A poller
   * costs a key comparison and a write of the same bytes; the JSON is made once per change (issue 14).
   */
  statusSnapshot(): StatusSnapshot {
    const inputs = this.#statusInputs();
    const cached = this.#snapshot;
    if (cached && inputs.length === cached.inputs.length && inputs.every((value, i) => value === cached.inputs[i])) return cached.snapshot;
    const status = this.status();
    const snapshot = new StatusSnapshot(status);
    this.#snapshot = { inputs, snapshot };
    return snapshot;
  }

  /** Everything status() reads, as values compared by identity (see statusSnapshot). */
  #statusInputs(): unknown[] {
    const state = this.#deps.store.get();
    const now = this.#deps.now().getTime();
    const clock = (notAfter: string | undefined): string => {
      if (notAfter === undefined) return '';
      // The days left are calendar days in the installation's zone (present/dates.ts): they change at local midnight.
      return `${daysLeft(notAfter, new Date(now), this.#deps.timeZone)}:${Date.parse(notAfter) <= now}`;
    };
    const renewal = this.#renewal;
    return [
      state,
      this.#deps.catalogue.revision,
      state.enabled ? this.#deps.secretBox.check(state.enabled.secret) : null,
      renewal,
      clock(state.enabled?.certificate.notAfter),
      clock(renewal?.info.certificate.notAfter),
      this.#alertsInfo ? JSON.stringify(this.#alertsInfo()) : '',
    ];
  }

  /** The current Status, computed from the state, the folder and the clock. */
  status(): Status {
    const state = this.#deps.store.get();
    const { secret, ...enabled } = state.enabled ?? { secret: null };
    // Looked at on every Status (cached until the key file or the envelope changes): a key deleted or fixed while
    // running shows at once, with the key's own message when the key is the cause.
    const secretProblem = state.enabled ? this.#deps.secretBox.check(secret) : null;
    const status = computeStatus({
      contraChave: state.contraChave,
      contraChaveOrigin: state.contraChaveOrigin,
      contraChaveChanged: state.contraChaveChanged,
      chavesDir: this.#deps.catalogue.dirInfo(),
      certificates: this.#deps.catalogue.list(),
      enabled: state.enabled ? (enabled as Status['enabled']) : null,
      connection: state.connection,
      secretReadable: secretProblem === null,
      secretProblem: secretProblem?.message,
      renewal: this.#currentRenewal(),
      now: this.#deps.now(),
      timeZone: this.#deps.timeZone,
    });
    return this.#alertsInfo ? { ...status, alerts: this.#alertsInfo() } : status;
  }

  /**
   * Replaces the enabled certificate by the renewed one found in the folder, with the stored password (never typed
   * again). With `checkRnds`, RNDS must first give a token to the renewed certificate; if it refuses, the current
   * certificate stays enabled and the error says why. Audited either way.
   */
  async renew(input: unknown, actor: string): Promise<Status> {
    return this.#serialize(async () => {
      let file: string | undefined;
      try {
        const parsed = renewInputSchema.safeParse(input ?? {});
        if (!parsed.success) throw invalidInput(parsed.error);
        const body = parsed.data;
        const enabled = this.#deps.store.get().enabled;
        if (!enabled) throw new RndsError('NOT_ENABLED', 'Nenhum certificado está habilitado: habilite o certificado renovado com a senha dele.');
        await this.renewalSettled();
        const renewal = this.#currentRenewal();
        const offered = this.#renewal;
        if (!renewal || !offered) {
          throw new RndsError('CERTIFICATE_NOT_FOUND', 'Não há certificado renovado na pasta chaves que abra com a senha guardada: copie o novo certificado para a pasta ou habilite-o digitando a senha dele.');
        }
        file = renewal.file;
        if ((body.sha256 !== undefined && body.sha256 !== renewal.sha256) || (body.file !== undefined && body.file !== renewal.file)) {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O certificado renovado na pasta mudou desde que a tela foi aberta: recarregue a tela e confira o novo arquivo ${displayName(renewal.file)}.`);
        }
        // Read and open again: the bytes used are the bytes checked, whatever happened in the folder meanwhile.
        const { bytes, sha256 } = await this.#deps.catalogue.readEntry(renewal.file);
        if (sha256 !== renewal.sha256) {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(renewal.file)} mudou enquanto era lido: aguarde a cópia terminar e tente de novo.`);
        }
        const password = this.#deps.secretBox.unseal(enabled.secret);
        const certificate = await this.#deps.opener.open(bytes, password, { fileName: displayName(renewal.file), now: this.#deps.now() });
        const summary = { ...summarizeCertificate(certificate, this.#deps.now(), this.#deps.timeZone), sha256 };
        if (!isRenewalOf(summary, enabled.certificate)) {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(renewal.file)} não é uma renovação do certificado habilitado (outro CNPJ ou validade menor): habilite-o digitando a senha, se for o caso.`);
        }
        let connection: Connection | null = null;
        if (body.checkRnds) {
          connection = await testConnection({
            certificate,
            environment: enabled.environment,
            authUrl: this.#deps.environments[enabled.environment].authUrl,
            ca: this.#ca,
            method: this.#deps.tokenMethod,
            now: this.#deps.now(),
            timeZone: this.#deps.timeZone,
          });
          if (connection.status !== 'ok') {
            const code = connection.status === 'no-connection' ? 'RNDS_UNAVAILABLE' : 'RNDS_CERTIFICATE_REJECTED';
            const why =
              connection.status === 'no-connection'
                ? 'Não foi possível confirmar o certificado renovado com a RNDS'
                : 'A RNDS recusou o certificado renovado';
            throw new RndsError(code, `${why} (${connection.detail}). O certificado atual continua habilitado. Confira no e-Gestor AB se a credencial do novo certificado está ATIVA e tente de novo.`);
          }
        }
        await this.#deps.store.update((state: PersistedState) =>
          state.enabled && state.enabled.certificate.sha256 === enabled.certificate.sha256
            ? { ...state, enabled: { ...state.enabled, file: renewal.file, enabledAt: this.#deps.now().toISOString(), certificate: summary }, connection }
            : state,
        );
        if (this.#deps.store.get().enabled?.certificate.sha256 !== sha256) {
          throw new RndsError('CERTIFICATE_NOT_FOUND', 'O certificado habilitado mudou enquanto a troca era feita: recarregue a tela e tente de novo.');
        }
        this.#opened = { sha256, certificate };
        this.#tokenClient = null;
        this.#renewal = null;
        await this.#audit({ action: 'renew', actor, file: renewal.file, sha256, identificadorSolicitante: enabled.identificadorSolicitante });
        this.emit('change');
        this.#scanForRenewal();
        return this.status();
      } catch (error) {
        const failure = isRndsError(error) ? error : new RndsError('INTERNAL', 'Erro inesperado ao trocar pelo certificado renovado: tente novamente e, se persistir, contate o suporte.', { cause: error });
        await this.#audit({ action: 'renew-failed', actor, file, code: failure.code });
        throw failure;
      }
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
            fields: { identificadorSolicitante: REQUIRED_MESSAGES.identificadorSolicitante },
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
        if (entry && lookAlikeNames(this.#deps.catalogue.list().map((e) => e.file)).has(body.file)) {
          // `açã.pfx` twice (NFC and NFD): the admin cannot know which of the two identical-looking names was chosen.
          throw new RndsError('CERTIFICATE_NOT_FOUND', `Há na pasta chaves dois arquivos cujo nome aparece como ${displayName(body.file)} (as letras acentuadas foram gravadas de formas diferentes, por exemplo numa cópia vinda de um Mac): renomeie ou remova um deles e escolha o certificado de novo.`, {
            fields: { file: 'Há outro arquivo com o mesmo nome aparente: renomeie ou remova um deles na pasta chaves.' },
          });
        }
        if (entry?.status === 'unusable') {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(body.file)} não pode ser habilitado. ${entry.reason ?? ''}`.trim(), {
            fields: { file: 'Escolha um certificado .pfx ou .p12 com a chave privada.' },
          });
        }
        if (!entry || entry.status !== 'ready') {
          throw new RndsError('CERTIFICATE_NOT_FOUND', `O certificado ${displayName(body.file)} não está disponível na pasta chaves: escolha um certificado da lista.`, {
            fields: { file: 'Escolha um certificado da lista.' },
          });
        }
        const environment: Environment = body.environment ?? this.#deps.defaultEnvironment;
        const { bytes, sha256 } = await this.#deps.catalogue.readEntry(body.file);
        const certificate = await this.#deps.opener.open(bytes, body.password, { fileName: displayName(body.file), now: this.#deps.now() }).catch((error: unknown) => {
          // A blank password is tried (some PKCS#12 files have none); when it does not open the file, the field was
          // left blank: say so, and do not count it as a wrong password (the attempt limit counts WRONG_PASSWORD).
          if (body.password === '' && isRndsError(error) && error.code === 'WRONG_PASSWORD') {
            throw new RndsError('INVALID_INPUT', REQUIRED_MESSAGES.password, { fields: { password: REQUIRED_MESSAGES.password } });
          }
          throw error;
        });
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
            certificate: { ...summarizeCertificate(certificate, this.#deps.now(), this.#deps.timeZone), sha256 },
            secret,
          },
          connection: null,
          // The new credential is requested with the current contra-chave: the old mismatch is over.
          contraChaveChanged: null,
        }));
        this.#opened = { sha256, certificate };
        this.#tokenClient = null;
        await this.#audit({ action: 'enable', actor, file: body.file, sha256, identificadorSolicitante });
        this.#renewal = null;
        this.emit('change');
        this.#scanForRenewal();
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

  /**
   * Sets the installation's contra-chave from `POST /api/contra-chave` or the screen's form. Accepts it typed with
   * spaces, without dashes or in any case; refuses with CONTRA_CHAVE_LOCKED while a certificate is enabled (the RNDS
   * credential belongs to the current value). Every change is audited with the old and the new value.
   */
  async changeContraChave(input: unknown, actor: string, source: 'api' | 'tela' = 'api'): Promise<Status> {
    return this.#serialize(async () => {
      const raw = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : null;
      const unknownKeys = raw ? Object.keys(raw).filter((key) => key !== 'contraChave') : [];
      if (!raw || unknownKeys.length > 0) {
        const fields: Record<string, string> = Object.fromEntries(unknownKeys.map((key) => [key, 'Campo desconhecido: remova-o do pedido.']));
        if (!raw) fields.contraChave = `Envie {"contraChave": "${CONTRA_CHAVE_SHAPE}"}.`;
        throw new RndsError('INVALID_INPUT', 'Alguns campos estão inválidos: corrija-os e tente novamente.', { fields });
      }
      const next = normalizeContraChave(raw.contraChave);
      if (typeof raw.contraChave === 'string' && raw.contraChave.trim() === '') {
        throw new RndsError('INVALID_INPUT', REQUIRED_MESSAGES.contraChave, { fields: { contraChave: REQUIRED_MESSAGES.contraChave } });
      }
      if (next === null) {
        throw new RndsError(
          'INVALID_INPUT',
          `A contra-chave não tem o formato esperado: ${CONTRA_CHAVE_SHAPE}. Copie-a de Gestão municipal › Certificados no PEC.`,
          { fields: { contraChave: `Use o formato ${CONTRA_CHAVE_SHAPE}, como aparece no PEC (espaços e letras maiúsculas ou minúsculas são aceitos).` } },
        );
      }
      const current = this.#deps.store.get();
      if (current.contraChave === next && current.contraChaveOrigin === 'instalacao') return this.status();
      if (current.enabled) {
        throw new RndsError(
          'CONTRA_CHAVE_LOCKED',
          'Há um certificado habilitado: a credencial da RNDS foi gerada para a contra-chave atual. Para trocá-la, desabilite o ' +
            'certificado primeiro, solicite uma nova credencial no e-Gestor AB com a nova contra-chave e habilite de novo.',
          { fields: { contraChave: 'Desabilite o certificado antes de trocar a contra-chave.' } },
        );
      }
      await this.#setContraChave(next, actor, source, false);
      return this.status();
    });
  }

  /**
   * At start: the value configured by the host option or RNDS_CONTRA_CHAVE wins over the stored one (the installation
   * is the source of truth). A different value is adopted and audited; with a certificate enabled the Status reports
   * CONTRA_CHAVE_CHANGED (degraded) until the next enable.
   */
  async adoptConfiguredContraChave(configured: string, source: string): Promise<void> {
    await this.#serialize(async () => {
      const current = this.#deps.store.get();
      if (current.contraChave === configured && current.contraChaveOrigin === 'instalacao') return;
      if (sameContraChave(current.contraChave, configured) && current.contraChaveOrigin === 'instalacao') return; // letter case only
      await this.#setContraChave(configured, 'sistema', source, Boolean(current.enabled));
    });
  }

  async #setContraChave(next: string, actor: string, source: string, whileEnabled: boolean): Promise<void> {
    const previous = this.#deps.store.get();
    const changedAt = this.#deps.now().toISOString();
    await this.#deps.store.updateContraChave((state) => ({
      ...state,
      contraChave: next,
      contraChaveOrigin: 'instalacao',
      contraChaveChanged: !whileEnabled
        ? (state.contraChaveChanged ?? null)
        : state.contraChaveChanged && sameContraChave(state.contraChaveChanged.previous, next)
          ? null // back to the value the credential was issued for
          : sameContraChave(previous.contraChave, next)
            ? (state.contraChaveChanged ?? null)
            : { previous: state.contraChaveChanged?.previous ?? previous.contraChave, changedAt },
    }));
    if (previous.contraChave !== next) {
      await this.#audit({ action: 'contra-chave', actor, previousContraChave: previous.contraChave, contraChave: next, source });
    }
    this.emit('change');
  }

  /** Turns RNDS off. The certificate file stays in the folder; the stored password is forgotten. */
  async disable(actor: string): Promise<Status> {
    return this.#serialize(async () => {
      const previous = this.#deps.store.get().enabled;
      if (previous) {
        await this.#deps.store.update((state) => ({ ...state, enabled: null, connection: null, contraChaveChanged: null }));
        this.#opened = null;
        this.#tokenClient = null;
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
    if (!this.#testing) {
      this.#testing = (async () => {
        const connection = await this.#connectionFor(enabled.environment, enabled.services);
        await this.#deps.store.update((state) => (state.enabled ? { ...state, connection } : state));
        return connection;
      })().finally(() => {
        this.#testing = null;
        this.emit('change'); // the result, and the end of "testing…" (cleared just above)
      });
    }
    return this.#testing;
  }

  /** True while a connection test is under way (the screen says so until its result arrives). */
  get connectionTesting(): boolean {
    return this.#testing !== null;
  }

  /**
   * Starts a connection test without waiting for it (after enabling: the answer does not wait for RNDS; the result
   * arrives with the next Status). A failure to record it is reported to `onError`; nothing is thrown.
   */
  startConnectionTest(onError: (error: unknown) => void): void {
    this.testConnection().catch((error: unknown) => {
      if (!(isRndsError(error) && error.code === 'NOT_ENABLED')) onError(error);
    });
  }

  /** Resolves when no connection test is under way (tests, close). */
  async connectionSettled(): Promise<void> {
    while (this.#testing) await this.#testing.catch(() => undefined);
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

  async #connectionFor(environment: Environment, services: Service[]): Promise<Connection> {
    // A changed contra-chave does not stop mutual TLS: the test still says whether RNDS takes the certificate.
    const problem = this.status().problems.find((p) => p.severity === 'critical' && p.code !== 'CERTIFICATE_EXPIRED' && p.code !== 'CONTRA_CHAVE_CHANGED');
    const checkedAt = this.#deps.now().toISOString();
    const authUrl = this.#deps.environments[environment].authUrl;
    // Nothing was sent: every enabled service gets the same local answer.
    const local = (status: ConnectionStatus, detail: string): Connection => {
      const message = 'Falha no certificado';
      return {
        status,
        message,
        detail,
        checkedAt,
        environment,
        via: this.#via(authUrl),
        services: services.map((service) => ({ service, status, message, detail, steps: [] })),
        steps: [],
      };
    };
    if (problem) return local('certificate-failure', problem.message);
    let certificate: OpenedCertificate;
    try {
      certificate = await this.#openEnabled();
    } catch (error) {
      return local('certificate-failure', isRndsError(error) ? error.message : 'O certificado habilitado não pôde ser aberto: habilite-o novamente.');
    }
    return testConnection({
      certificate,
      environment,
      authUrl,
      ca: this.#ca,
      method: this.#deps.tokenMethod,
      now: this.#deps.now(),
      services,
      proxy: this.#deps.proxy,
      timeZone: this.#deps.timeZone,
    });
  }

  /** `direto` or `proxy host:port` for the auth server of an environment. */
  #via(authUrl: string): string {
    const url = new URL(authUrl);
    return describeVia(proxyFor(this.#deps.proxy, url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 443)));
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
          proxy: this.#deps.proxy,
          timeZone: this.#deps.timeZone,
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
    const password = this.#deps.secretBox.unseal(enabled.secret);
    const { bytes, sha256 } = await this.#deps.catalogue.readEntry(enabled.file);
    if (sha256 !== enabled.certificate.sha256) {
      throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(enabled.file)} foi substituído por outro conteúdo: habilite o certificado novamente.`);
    }
    const certificate = await this.#deps.opener.open(bytes, password, { fileName: displayName(enabled.file), now: this.#deps.now(), checkValidity: false });
    this.#opened = { sha256, certificate };
    return certificate;
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
