/**
 * "Testar conexão" (one test at a time, its result saved) and the RNDS access token for the host's own calls, both
 * with the enabled certificate.
 */
import { RndsError, isRndsError } from '../errors.js';
import { TokenClient, describeVia, isTokenRequestError, proxyFor, testConnection, type ClockReading, type RndsToken } from '../rnds/index.js';
import type { Connection, ConnectionStatus, Environment, Service, Status } from '../types.js';
import type { OpenedCertificate } from '../certificates/open.js';
import { notEnabled, type EnablementCore, type OpenedEnabled } from './core.js';

/**
 * The one RNDS check of a certificate, as "Testar conexão" makes it: the configured outbound proxy, the environment's
 * auth server and the enabled services. Renewing checks the new certificate through this same call.
 */
export function testCertificate(
  core: EnablementCore,
  certificate: OpenedCertificate,
  environment: Environment,
  services: Service[],
  onClockReading?: (reading: ClockReading) => void,
): Promise<Connection> {
  const { deps, ca } = core;
  return testConnection({
    certificate,
    environment,
    authUrl: deps.environments[environment].authUrl,
    ca,
    method: deps.tokenMethod,
    // The module's clock itself, read again when RNDS answers: its `Date` is compared with it.
    now: deps.now,
    services,
    proxy: deps.proxy,
    timeZone: deps.timeZone,
    ...(onClockReading ? { onClockReading } : {}),
  });
}

/** What the state keeps of a clock reading. */
function savedClock(reading: ClockReading): { skewSeconds: number; measuredAt: string } {
  return { skewSeconds: reading.skewSeconds, measuredAt: reading.measuredAt.toISOString() };
}

export class ConnectionTests {
  readonly #core: EnablementCore;
  readonly #status: () => Status;
  /** The test under way: a click during the periodic check shares it instead of opening a second one. */
  #testing: Promise<Connection> | null = null;
  /** Made for one opened certificate in one environment: a new certificate gets a new client (and token). */
  #tokenClient: { environment: Environment; opened: OpenedEnabled; client: TokenClient } | null = null;

  constructor(core: EnablementCore, status: () => Status) {
    this.#core = core;
    this.#status = status;
  }

  /** Asks RNDS for a token with the enabled certificate and keeps the result (Testar conexão). */
  test(): Promise<Connection> {
    const enabled = this.#core.enabled();
    if (!enabled) return Promise.reject(notEnabled());
    this.#testing ??= (async () => {
      // RNDS and CADSUS answer from the same auth server: the last answer's clock is kept.
      const seen: { clock: ClockReading | null } = { clock: null };
      const connection = await this.#connectionFor(enabled.environment, enabled.services, (reading) => {
        seen.clock = reading;
      });
      const { clock } = seen;
      await this.#core.deps.store.update((state) => (state.enabled ? { ...state, connection, ...(clock ? { clock: savedClock(clock) } : {}) } : state));
      return connection;
    })().finally(() => {
      this.#testing = null;
      this.#core.changed(); // the result, and the end of "testing…" (cleared just above)
    });
    return this.#testing;
  }

  /** True while a test is under way (the screen says so until its result arrives). */
  get testing(): boolean {
    return this.#testing !== null;
  }

  /**
   * Starts a test without waiting for it (after enabling: the answer does not wait for RNDS; the result arrives with
   * the next Status). A failure to record it is reported to `onError`; nothing is thrown.
   */
  start(onError: (error: unknown) => void): void {
    this.test().catch((error: unknown) => {
      if (!(isRndsError(error) && error.code === 'NOT_ENABLED')) onError(error);
    });
  }

  /** Resolves when no test is under way (tests, close). */
  async settled(): Promise<void> {
    while (this.#testing) await this.#testing.catch(() => undefined);
  }

  /** A current RNDS access token for the host's own calls (cached, renewed before expiry). */
  async getToken(): Promise<RndsToken> {
    const enabled = this.#core.enabled();
    if (!enabled) throw notEnabled();
    const client = await this.#clientFor(enabled.environment);
    try {
      return await client.getToken();
    } catch (error) {
      if (!isTokenRequestError(error)) throw error;
      throw new RndsError(error.status === 'no-connection' ? 'RNDS_UNAVAILABLE' : 'RNDS_CERTIFICATE_REJECTED', error.message, { cause: error });
    }
  }

  async #connectionFor(environment: Environment, services: Service[], onClockReading: (reading: ClockReading) => void): Promise<Connection> {
    const { deps } = this.#core;
    // A changed contra-chave does not stop mutual TLS: the test still says whether RNDS takes the certificate.
    const problem = this.#status().problems.find((p) => p.severity === 'critical' && p.code !== 'CERTIFICATE_EXPIRED' && p.code !== 'CONTRA_CHAVE_CHANGED');
    const checkedAt = deps.now().toISOString();
    const authUrl = deps.environments[environment].authUrl;
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
    let opened: OpenedEnabled;
    try {
      opened = await this.#core.openEnabled();
    } catch (error) {
      return local('certificate-failure', isRndsError(error) ? error.message : 'O certificado habilitado não pôde ser aberto: habilite-o novamente.');
    }
    return testCertificate(this.#core, opened.certificate, environment, services, onClockReading);
  }

  /**
   * Keeps the clock measured at a token request for the host's calls (a new token about every half hour, not at each
   * call: the token is cached). A failed write leaves the previous reading and costs the token nothing.
   */
  #recordClock(reading: ClockReading): void {
    const clock = savedClock(reading);
    void this.#core.deps.store
      .update((state) => (state.enabled ? { ...state, clock } : state))
      .then(() => this.#core.changed())
      .catch(() => undefined);
  }

  /** `direto` or `proxy host:port` for the auth server of an environment. */
  #via(authUrl: string): string {
    const url = new URL(authUrl);
    return describeVia(proxyFor(this.#core.deps.proxy, url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 443)));
  }

  async #clientFor(environment: Environment): Promise<TokenClient> {
    const { deps, ca } = this.#core;
    const opened = await this.#core.openEnabled();
    if (this.#tokenClient?.opened !== opened || this.#tokenClient.environment !== environment) {
      const { certificate } = opened;
      this.#tokenClient = {
        environment,
        opened,
        client: new TokenClient({
          authUrl: deps.environments[environment].authUrl,
          keyPem: certificate.keyPem,
          certPem: certificate.certPem,
          chainPem: certificate.chainPem,
          notBefore: certificate.notBefore,
          notAfter: certificate.notAfter,
          ca,
          method: deps.tokenMethod,
          proxy: deps.proxy,
          timeZone: deps.timeZone,
          now: deps.now,
          onClockReading: (reading) => this.#recordClock(reading),
        }),
      };
    }
    return this.#tokenClient.client;
  }
}
