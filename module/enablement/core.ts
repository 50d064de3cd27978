/**
 * What every use case of the enablement shares: the dependencies, the enabled certificate opened in memory, one
 * action at a time, the audit trail and the `change` signal. It imports none of the use cases.
 */
import { EventEmitter } from 'node:events';
import { RndsError } from '../errors.js';
import { displayName } from '../present/index.js';
// Not the certificates barrel: it loads the parser (node-forge), which only the worker needs.
import type { CertificateOpener } from '../certificates/opener.js';
import type { OpenedCertificate } from '../certificates/open.js';
import type { ChavesCatalogue } from '../chaves/index.js';
import type { AuditInput, AuditTrail, PersistedState, SecretBox, StateStore } from '../state/index.js';
import { buildTrustedCa, type EnvironmentUrls, type ProxySettings } from '../rnds/index.js';
import type { Environment } from '../types.js';

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

/** The enabled certificate, opened: a new object each time it is opened or replaced (the token client keys on it). */
export interface OpenedEnabled {
  sha256: string;
  certificate: OpenedCertificate;
}

export type EnabledRecord = NonNullable<PersistedState['enabled']>;

export class EnablementCore extends EventEmitter<{ change: [] }> {
  readonly deps: EnablementDeps;
  /** System CAs plus the configured extra ones; undefined = Node's defaults. */
  readonly ca: string[] | undefined;
  /** The opened enabled certificate, kept in memory for mutual TLS (never written anywhere). */
  #opened: OpenedEnabled | null = null;
  #busy: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(deps: EnablementDeps) {
    super();
    this.deps = deps;
    this.ca = buildTrustedCa(deps.rndsCa);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
  }

  /** The enabled certificate as saved, or null. */
  enabled(): EnabledRecord | null {
    return this.deps.store.get().enabled;
  }

  /** Keeps the opened form of the certificate just enabled (or switched to). */
  keepOpened(sha256: string, certificate: OpenedCertificate): void {
    this.#opened = { sha256, certificate };
  }

  forgetOpened(): void {
    this.#opened = null;
  }

  /** The enabled certificate, opened again from the folder with the stored password when not in memory. */
  async openEnabled(): Promise<OpenedEnabled> {
    const enabled = this.enabled();
    if (!enabled) throw notEnabled();
    if (this.#opened?.sha256 === enabled.certificate.sha256) return this.#opened;
    const password = this.deps.secretBox.unseal(enabled.secret);
    const { bytes, sha256 } = await this.deps.catalogue.readEntry(enabled.file);
    if (sha256 !== enabled.certificate.sha256) {
      throw new RndsError('CERTIFICATE_NOT_FOUND', `O arquivo ${displayName(enabled.file)} foi substituído por outro conteúdo: habilite o certificado novamente.`);
    }
    const certificate = await this.deps.opener.open(bytes, password, { fileName: displayName(enabled.file), now: this.deps.now(), checkValidity: false });
    this.#opened = { sha256, certificate };
    return this.#opened;
  }

  async audit(record: AuditInput): Promise<void> {
    try {
      await this.deps.audit.append({ ...record, at: this.deps.now().toISOString() });
    } catch {
      // The audit trail must never turn a successful enable into a failure; the state write already happened.
    }
  }

  /** One enable/disable at a time, so two admins clicking together cannot interleave. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#busy.then(task, task);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  /** The Status may have changed. */
  changed(): void {
    this.emit('change');
  }
}

export function notEnabled(): RndsError {
  return new RndsError('NOT_ENABLED', 'Nenhum certificado está habilitado: habilite um certificado antes de testar a conexão.');
}
