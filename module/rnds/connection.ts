/**
 * The connection test: ask RNDS (and CADSUS, when enabled) for a token with the enabled certificate and say, in
 * PEC's four messages, how it went, by which way (direct or proxy) and through which steps.
 */
import { CONNECTION_MESSAGES, type Connection, type ConnectionStatus, type Environment, type Service, type ServiceConnection } from '../types.js';
import type { ProxySettings } from './proxy-settings.js';
import { hostOf } from './environments.js';
import { classifyRequestError, isTokenRequestError } from './failure.js';
import { TokenClient, type ClientCertificate, type ClockReading, type RndsLogger } from './token-client.js';

/** Leaves headroom under the contract's 30 s for building and sending the answer. */
const CONNECTION_TEST_TIMEOUT_MS = 25_000;

export interface ConnectionTestInput {
  /** The enabled certificate, as the engine opens it (keyPem, certPem, chainPem, notBefore, notAfter). */
  certificate: ClientCertificate;
  environment: Environment;
  /** Auth base URL of `environment` (see resolveEnvironments). */
  authUrl: string;
  /** Trusted CAs for the RNDS server; undefined = system CAs. */
  ca?: string | readonly string[];
  /** The clock: a fixed instant or a function (tests, clock-skew checks). */
  now?: Date | (() => Date);
  method?: 'GET' | 'POST';
  connectTimeoutMs?: number;
  /** Whole test; capped at 30 s. Default 25 s. */
  timeoutMs?: number;
  logger?: RndsLogger;
  /** The enabled services: each gets its own token request. Default RNDS only. */
  services?: readonly Service[];
  /** The outbound proxy and NO_PROXY; absent = direct. */
  proxy?: ProxySettings;
  /** The installation's time zone, for the dates in the details (default America/Sao_Paulo). */
  timeZone?: string;
  /** Told the server's clock against ours at every answer (see TokenClient's `onClockReading`). */
  onClockReading?: (reading: ClockReading) => void;
}

/** Where each service's token lives under the auth URL. */
const TOKEN_PATHS: Record<Service, string> = {
  RNDS: '/api/token',
  CADSUS: '/api/osb/token',
};

const SERVICE_NAME: Record<Service, string> = { RNDS: 'A RNDS', CADSUS: 'O CADSUS' };

async function testService(input: ConnectionTestInput, service: Service, clock: () => Date, checkedAt: Date): Promise<ServiceConnection & { via: string }> {
  const client = new TokenClient({
    ...input.certificate,
    authUrl: input.authUrl,
    tokenPath: TOKEN_PATHS[service],
    ca: input.ca,
    method: input.method,
    connectTimeoutMs: input.connectTimeoutMs,
    timeoutMs: Math.min(input.timeoutMs ?? CONNECTION_TEST_TIMEOUT_MS, 30_000),
    now: clock,
    logger: input.logger,
    proxy: input.proxy,
    timeZone: input.timeZone,
    onClockReading: input.onClockReading,
  });
  const host = hostOf(input.authUrl);
  const result = (status: ConnectionStatus, detail: string): ServiceConnection & { via: string } => ({
    service,
    status,
    message: CONNECTION_MESSAGES[status],
    detail,
    steps: client.lastSteps,
    via: client.via,
  });
  try {
    const token = await client.getToken();
    const minutes = Math.max(1, Math.round((token.expiresAt.getTime() - checkedAt.getTime()) / 60_000));
    return result('ok', `${SERVICE_NAME[service]} (${host}) emitiu um token de acesso com este certificado, válido por ${minutes} min.`);
  } catch (error) {
    // Anything unforeseen still becomes an answer: the screen must show a message, not an error page.
    const failure = isTokenRequestError(error) ? error : classifyRequestError(error, host, 'connecting');
    if (service === 'CADSUS' && (failure.reason === 'http-unauthorized' || failure.reason === 'http-forbidden')) {
      return result(
        failure.status,
        `O servidor recusou o certificado para o CADSUS (HTTP ${failure.httpStatus}): a credencial pode não incluir o serviço CADSUS — solicite-o no e-Gestor AB, ou habilite só a RNDS.`,
      );
    }
    return result(failure.status, failure.message);
  }
}

/**
 * Requests a fresh token (never a cached one) for each enabled service and maps the outcome to a Connection. Never
 * throws for network or certificate outcomes; answers within `timeoutMs` (≤ 30 s): the services are asked at once.
 */
export async function testConnection(input: ConnectionTestInput): Promise<Connection> {
  const { now } = input;
  const clock = now === undefined ? () => new Date() : typeof now === 'function' ? now : () => now;
  const checkedAt = clock();
  const services = input.services && input.services.length > 0 ? [...new Set(input.services)] : (['RNDS'] as Service[]);
  const results = await Promise.all(services.map((service) => testService(input, service, clock, checkedAt)));
  const main = results.find((r) => r.service === 'RNDS') ?? results[0]!;
  return {
    status: main.status,
    message: main.message,
    detail: main.detail,
    checkedAt: checkedAt.toISOString(),
    environment: input.environment,
    via: main.via,
    services: results.map(({ via: _via, ...rest }) => rest),
    steps: main.steps ?? [],
  };
}
