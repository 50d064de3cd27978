/**
 * The connection test: ask RNDS for a token with the enabled certificate and say, in PEC's four
 * messages, how it went.
 */
import { CONNECTION_MESSAGES, type Connection, type ConnectionStatus, type Environment } from '../types.js';
import { hostOf } from './environments.js';
import { classifyRequestError, isTokenRequestError } from './failure.js';
import { TokenClient, type ClientCertificate, type RndsLogger } from './token-client.js';

/** Leaves headroom under the contract's 30 s for building and sending the answer. */
export const CONNECTION_TEST_TIMEOUT_MS = 25_000;

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
}

function connection(status: ConnectionStatus, detail: string, environment: Environment, checkedAt: Date): Connection {
  return { status, message: CONNECTION_MESSAGES[status], detail, checkedAt: checkedAt.toISOString(), environment };
}

/**
 * Requests a fresh token (never a cached one) and maps the outcome to a Connection. Never throws
 * for network or certificate outcomes; answers within `timeoutMs` (≤ 30 s).
 */
export async function testConnection(input: ConnectionTestInput): Promise<Connection> {
  const { now } = input;
  const clock = now === undefined ? () => new Date() : typeof now === 'function' ? now : () => now;
  const checkedAt = clock();
  const client = new TokenClient({
    ...input.certificate,
    authUrl: input.authUrl,
    ca: input.ca,
    method: input.method,
    connectTimeoutMs: input.connectTimeoutMs,
    timeoutMs: Math.min(input.timeoutMs ?? CONNECTION_TEST_TIMEOUT_MS, 30_000),
    now: clock,
    logger: input.logger,
  });
  try {
    const token = await client.getToken();
    const minutes = Math.max(1, Math.round((token.expiresAt.getTime() - checkedAt.getTime()) / 60_000));
    return connection(
      'ok',
      `A RNDS (${hostOf(input.authUrl)}) emitiu um token de acesso com este certificado, válido por ${minutes} min.`,
      input.environment,
      checkedAt,
    );
  } catch (error) {
    // Anything unforeseen still becomes an answer: the screen must show a message, not an error page.
    const failure = isTokenRequestError(error) ? error : classifyRequestError(error, hostOf(input.authUrl), 'connecting');
    return connection(failure.status, failure.message, input.environment, checkedAt);
  }
}
