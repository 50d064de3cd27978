/**
 * The RNDS access token over mutual TLS: `GET {auth}/api/token` with the enabled certificate, cached
 * until shortly before it expires, shared by concurrent callers, renewed once on a 401.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import tls from 'node:tls';
import { z } from 'zod';
import { hostOf, tokenUrl } from './environments.js';
import { proxyFor, type ProxySettings, type ProxyConfig } from './proxy-settings.js';
import { StepRecorder } from './steps.js';
import { openTlsSocket } from './tunnel.js';
import type { ConnectionStep, StepName } from '../types.js';
import { DEFAULT_TIME_ZONE, formatDate } from '../present/index.js';
import {
  CERTIFICATE_REFUSAL_STATUSES,
  classifyHttpStatus,
  classifyRequestError,
  TokenRequestError,
  type RequestPhase,
} from './failure.js';

/** PEM material as the certificate engine returns it (legacy RC2 files already decoded). */
export interface ClientCertificate {
  keyPem: string;
  /** The leaf certificate. */
  certPem: string;
  /** The issuers above the leaf, sent along so the server can build the chain. */
  chainPem?: readonly string[];
  /** Validity; read from `certPem` when absent. */
  notBefore?: Date;
  notAfter?: Date;
}

/** Structurally compatible with the module's Logger. Never handed a secret. */
export interface RndsLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface TokenClientOptions extends ClientCertificate {
  /** Base auth URL, e.g. `https://ehr-auth.saude.gov.br`. */
  authUrl: string;
  /** Trusted CAs for the RNDS server; undefined = Node's defaults (system CAs). See `buildTrustedCa`. */
  ca?: string | readonly string[];
  /** DATASUS's manual says POST, working clients use GET. */
  method?: 'GET' | 'POST';
  /** Until the TLS handshake completes (DNS + TCP + TLS). Default 10 s. */
  connectTimeoutMs?: number;
  /** Whole request, answer included. Default 30 s. */
  timeoutMs?: number;
  /** Renew this long before expiry. Default 60 s. */
  renewMarginMs?: number;
  /** The clock (tests). */
  now?: () => Date;
  logger?: RndsLogger;
  /** The outbound proxy and its exemptions (NO_PROXY); absent = direct. */
  proxy?: ProxySettings;
  /** Path of the token under the auth URL: `/api/token` (RNDS, default) or `/api/osb/token` (CADSUS). */
  tokenPath?: string;
  /** The installation's time zone, for the dates in messages (default America/Sao_Paulo). */
  timeZone?: string;
  /** Told the server's clock at every HTTP answer (any status): RNDS refuses documents dated by a wrong clock. */
  onClockReading?: (reading: ClockReading) => void;
}

/**
 * The RNDS server's clock (its HTTP `Date`) compared with ours (`now`) when its answer arrived. `skewSeconds` is ours
 * minus RNDS's: positive when this server's clock is ahead.
 */
export interface ClockReading {
  skewSeconds: number;
  measuredAt: Date;
}

/**
 * The skew an answer's `Date` header shows, or null without a readable one. The header has whole seconds (the server's
 * time truncated): its middle, half a second later, is the best guess of when the answer was made.
 */
export function clockReadingOf(dateHeader: string | undefined, localNow: Date): ClockReading | null {
  if (!dateHeader) return null;
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return null;
  // `|| 0`: no -0 in the state file.
  return { skewSeconds: Math.round((localNow.getTime() - (server + 500)) / 1000) || 0, measuredAt: localNow };
}

export interface RndsToken {
  accessToken: string;
  expiresAt: Date;
  scope: string | null;
  tokenType: string | null;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RENEW_MARGIN_MS = 60_000;
/** Lifetime assumed when `expires_in` is missing or absurd: short, so a wrong guess costs little. */
export const FALLBACK_EXPIRES_IN_MS = 5 * 60_000;
const MAX_EXPIRES_IN_MS = 24 * 60 * 60_000;
const MAX_BODY_BYTES = 64 * 1024;
/** Enough of an error page to read what it says (nginx's is 215 bytes). */
const REFUSAL_PAGE_BYTES = 8 * 1024;

/** The first `limit` bytes of an answer as text; whatever arrived when it ends, fails or reaches the limit. */
function readStart(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      res.removeListener('data', onData);
      resolve(Buffer.concat(chunks).subarray(0, limit).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) {
        res.resume();
        done();
      }
    };
    res.on('data', onData);
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** The first characters of a token, enough to tell two apart in a log. */
function redactToken(token: string): string {
  return `${token.slice(0, 8)}…`;
}

/**
 * RNDS's `expires_in`, in milliseconds. Missing, non-numeric, non-positive or longer than a day:
 * the short fallback (`assumed: true`).
 */
export function interpretExpiresIn(raw: unknown): { ms: number; assumed: boolean } {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return { ms: FALLBACK_EXPIRES_IN_MS, assumed: true };
  }
  // RNDS documents and sends milliseconds (1 800 000 = 30 min). Below 100 000 the value cannot be
  // RNDS's usual ms: 100 s would be shorter than our renewal margin and useless, while the OAuth 2.0
  // standard (RFC 6749) counts `expires_in` in seconds — so a small value is read as seconds
  // (1800 → 30 min), the reading under which it makes sense.
  const ms = value < 100_000 ? value * 1000 : value;
  if (ms > MAX_EXPIRES_IN_MS) return { ms: FALLBACK_EXPIRES_IN_MS, assumed: true };
  return { ms, assumed: false };
}

const tokenResponseSchema = z.object({
  access_token: z.string().trim().min(1).max(16_384),
  scope: z.string().nullish(),
  token_type: z.string().nullish(),
  expires_in: z.unknown().optional(),
});

function isUnauthorized(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.status === 401 || record.statusCode === 401 || record.httpStatus === 401;
}

/** Fetches and caches the RNDS access token for one certificate and one auth URL. */
export class TokenClient {
  readonly #options: TokenClientOptions;
  readonly #url: string;
  readonly #host: string;
  readonly #now: () => Date;
  #secureContext: tls.SecureContext | null = null;
  #cached: RndsToken | null = null;
  #renewAt = 0;
  #inflight: Promise<RndsToken> | null = null;
  readonly #proxy: ProxyConfig | null;
  #lastSteps: ConnectionStep[] = [];

  constructor(options: TokenClientOptions) {
    this.#options = options;
    this.#url = options.tokenPath ? `${options.authUrl.replace(/\/+$/, '')}${options.tokenPath}` : tokenUrl(options.authUrl);
    this.#host = hostOf(options.authUrl);
    this.#now = options.now ?? (() => new Date());
    const url = new URL(this.#url);
    this.#proxy = proxyFor(options.proxy, url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 443));
  }

  /** How the server is reached: `direto` or `proxy host:port`. */
  get via(): string {
    return this.#proxy ? `proxy ${this.#proxy.display}` : 'direto';
  }

  /** The steps of the last request (successful or not), with timings. */
  get lastSteps(): ConnectionStep[] {
    return this.#lastSteps.map((step) => ({ ...step }));
  }

  /**
   * A valid token: the cached one until `renewMarginMs` before expiry, else a new request (one at a
   * time; concurrent callers share it). Rejects with a TokenRequestError.
   */
  getToken(): Promise<RndsToken> {
    if (this.#cached && this.#now().getTime() < this.#renewAt) return Promise.resolve(this.#cached);
    this.#inflight ??= this.#request()
      .then((token) => {
        const lifetime = token.expiresAt.getTime() - this.#now().getTime();
        this.#cached = token;
        this.#renewAt = token.expiresAt.getTime() - Math.min(this.#options.renewMarginMs ?? DEFAULT_RENEW_MARGIN_MS, lifetime / 2);
        return token;
      })
      .catch((error: unknown) => {
        this.#options.logger?.warn(`Falha ao obter o token da RNDS em ${this.#host}: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      })
      .finally(() => {
        this.#inflight = null;
      });
    return this.#inflight;
  }

  /** Forgets the cached token; with `accessToken`, only if it is still the cached one (a concurrent renewal wins). */
  invalidate(accessToken?: string): void {
    if (accessToken === undefined || this.#cached?.accessToken === accessToken) {
      this.#cached = null;
      this.#renewAt = 0;
    }
  }

  /**
   * Runs `fn(token)`; if it reports 401 (returns or throws something with `status`/`statusCode` 401,
   * like a fetch Response), invalidates the token, gets a new one and runs `fn` once more.
   */
  async withToken<T>(fn: (accessToken: string) => Promise<T>): Promise<T> {
    const first = await this.getToken();
    try {
      const result = await fn(first.accessToken);
      if (!isUnauthorized(result)) return result;
    } catch (error) {
      if (!isUnauthorized(error)) throw error;
    }
    this.#options.logger?.info(`A RNDS recusou o token ${redactToken(first.accessToken)} (HTTP 401); pedindo um novo e repetindo uma vez.`);
    this.invalidate(first.accessToken);
    const second = await this.getToken();
    return fn(second.accessToken);
  }

  #checkValidity(now: Date): void {
    let { notBefore, notAfter } = this.#options;
    if (!notBefore || !notAfter) {
      try {
        const x509 = new X509Certificate(this.#options.certPem);
        notBefore ??= new Date(x509.validFrom);
        notAfter ??= new Date(x509.validTo);
      } catch (cause) {
        throw new TokenRequestError(
          'certificate-failure',
          'local-certificate',
          'O certificado habilitado não pôde ser lido: habilite o certificado novamente.',
          { cause },
        );
      }
    }
    if (now.getTime() > notAfter.getTime()) {
      throw new TokenRequestError(
        'certificate-expired',
        'certificate-expired',
        `O certificado expirou em ${formatDate(notAfter, this.#options.timeZone ?? DEFAULT_TIME_ZONE)}: gere um novo certificado no e-Gestor AB, coloque-o na pasta chaves e habilite-o.`,
      );
    }
    if (now.getTime() < notBefore.getTime()) {
      throw new TokenRequestError(
        'certificate-expired',
        'certificate-not-yet-valid',
        `O certificado ainda não é válido: só vale a partir de ${formatDate(notBefore, this.#options.timeZone ?? DEFAULT_TIME_ZONE)}. Confira a data e a hora deste servidor ou habilite o certificado vigente.`,
      );
    }
  }

  #context(): tls.SecureContext {
    if (this.#secureContext) return this.#secureContext;
    const { keyPem, certPem, chainPem = [], ca } = this.#options;
    const cert = [...new Set([certPem, ...chainPem].map((pem) => pem.trim()))].join('\n');
    try {
      this.#secureContext = tls.createSecureContext({
        key: keyPem,
        cert,
        ...(ca === undefined ? {} : { ca: typeof ca === 'string' ? ca : [...ca] }),
        minVersion: 'TLSv1.2',
      });
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw new TokenRequestError(
        'certificate-failure',
        'local-certificate',
        code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH'
          ? 'A chave privada não corresponde ao certificado habilitado: habilite novamente o arquivo .pfx/.p12 correto.'
          : `O certificado habilitado não pôde ser usado na conexão${code ? ` (${code})` : ''}: habilite o certificado novamente.`,
        { errorCode: code, cause },
      );
    }
    return this.#secureContext;
  }

  #request(): Promise<RndsToken> {
    const startedAt = this.#now();
    try {
      // Measured: a server refusing an expired client certificate only shows up as ECONNRESET, so
      // the dates are checked here, before anything is sent.
      this.#checkValidity(startedAt);
      return this.#send(this.#context(), startedAt);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #send(secureContext: tls.SecureContext, startedAt: Date): Promise<RndsToken> {
    const host = this.#host;
    const proxy = this.#proxy;
    const connectTimeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const steps = new StepRecorder();
    this.#lastSteps = [];
    const controller = new AbortController();
    let connected = false;
    const timers = [
      setTimeout(() => {
        if (!connected) controller.abort(this.#connectTimeout(steps.current, connectTimeoutMs));
      }, connectTimeoutMs),
      setTimeout(() => {
        controller.abort(new TokenRequestError(
          'no-connection',
          'timeout',
          `O servidor da RNDS (${host}) não respondeu em ${formatDuration(timeoutMs)}. Tente novamente; se persistir, verifique a rede do servidor e o proxy${proxy ? ` ${proxy.display}` : ''}.`,
        ));
      }, timeoutMs),
    ];
    let socket: tls.TLSSocket | null = null;
    try {
      const url = new URL(this.#url);
      socket = await openTlsSocket({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || 443),
        display: host,
        proxy,
        secureContext,
        steps,
        signal: controller.signal,
        timeZone: this.#options.timeZone ?? DEFAULT_TIME_ZONE,
      });
      connected = true;
      return await this.#exchange(socket, steps, controller.signal, startedAt);
    } catch (error) {
      const failure = error instanceof TokenRequestError ? error : classifyRequestError(error, host, 'connecting', proxy);
      steps.fail(failure.httpStatus ? `HTTP ${failure.httpStatus}` : failure.errorCode);
      failure.steps = steps.list();
      throw failure;
    } finally {
      timers.forEach(clearTimeout);
      socket?.destroy();
      this.#lastSteps = steps.list();
    }
  }

  #connectTimeout(step: StepName | null, ms: number): TokenRequestError {
    const proxy = this.#proxy;
    if (proxy && (step === 'dns' || step === 'tcp' || step === 'proxy-connect')) {
      return new TokenRequestError(
        'no-connection',
        'proxy-timeout',
        `Não foi possível usar o proxy ${proxy.display}: sem resposta em ${formatDuration(ms)}${step === 'proxy-connect' ? ' ao pedido de túnel (CONNECT)' : ''}. Confira o endereço e a porta em ${proxy.source} e se o proxy está no ar.`,
      );
    }
    return new TokenRequestError(
      'no-connection',
      'connect-timeout',
      `Não foi possível conectar a ${this.#host}: sem resposta em ${formatDuration(ms)}. Verifique a rede do servidor e o proxy${proxy ? ` ${proxy.display}` : ''}.`,
    );
  }

  /** The HTTP request for the token over the verified TLS connection. */
  #exchange(socket: tls.TLSSocket, steps: StepRecorder, signal: AbortSignal, startedAt: Date): Promise<RndsToken> {
    const host = this.#host;
    const method = this.#options.method ?? 'GET';
    steps.start('client-certificate', 'Certificado do município aceito pelo servidor');
    return new Promise<RndsToken>((resolve, reject) => {
      let phase: RequestPhase = 'awaiting-response';
      let settled = false;
      const settle = (error: TokenRequestError | null, token?: RndsToken): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (error) {
          req.destroy();
          reject(error);
        } else {
          resolve(token!);
        }
      };
      const onAbort = (): void => settle(signal.reason as TokenRequestError);
      signal.addEventListener('abort', onAbort, { once: true });
      const fail = (error: unknown): void => settle(classifyRequestError(error, host, phase, this.#proxy));

      const req = https.request(this.#url, {
        method,
        createConnection: () => socket,
        headers: {
          accept: 'application/json',
          'user-agent': 'pec-rnds',
          ...(method === 'POST' ? { 'content-length': '0' } : {}),
        },
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        phase = 'response';
        const status = res.statusCode ?? 0;
        this.#readClock(res);
        if (status === 401 || status === 403) {
          res.resume();
          settle(classifyHttpStatus(status, host));
          return;
        }
        if (CERTIFICATE_REFUSAL_STATUSES.has(status)) {
          // nginx refuses a client certificate it cannot verify with a 400 page, not a TLS alert: the page says so.
          void readStart(res, REFUSAL_PAGE_BYTES).then((body) => {
            const failure = classifyHttpStatus(status, host, body);
            if (failure.status !== 'certificate-failure') {
              steps.pass();
              steps.start('token', `Resposta com o token (${method} ${new URL(this.#url).pathname})`);
            }
            settle(failure);
          });
          return;
        }
        // The server answered over the mutual-TLS connection: it took our certificate.
        steps.pass();
        steps.start('token', `Resposta com o token (${method} ${new URL(this.#url).pathname})`);
        if (status < 200 || status >= 300) {
          res.resume();
          settle(classifyHttpStatus(status, host));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            settle(this.#invalidResponse('a resposta é grande demais para um token'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
        });
        res.on('end', () => {
          try {
            const token = this.#parse(Buffer.concat(chunks).toString('utf8'), startedAt);
            const minutes = Math.max(1, Math.round((token.expiresAt.getTime() - startedAt.getTime()) / 60_000));
            steps.pass(`HTTP ${status}, token válido por ${minutes} min`);
            settle(null, token);
          } catch (error) {
            settle(error instanceof TokenRequestError ? error : this.#invalidResponse('resposta ilegível'));
          }
        });
      });
      req.end();
    });
  }

  /** Reports the server's clock against ours; a listener's failure never fails the request. */
  #readClock(res: IncomingMessage): void {
    const reading = clockReadingOf(res.headers.date, this.#now());
    if (!reading) return;
    try {
      this.#options.onClockReading?.(reading);
    } catch {
      // The clock is advice: the token request goes on whatever the listener does.
    }
  }

  #invalidResponse(why: string): TokenRequestError {
    return new TokenRequestError(
      'no-connection',
      'invalid-response',
      `${this.#host} respondeu algo que não é um token da RNDS (${why}): confira o endereço de autenticação configurado e se um proxy está interceptando a conexão.`,
    );
  }

  #parse(body: string, startedAt: Date): RndsToken {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw this.#invalidResponse('não é JSON');
    }
    const parsed = tokenResponseSchema.safeParse(json);
    if (!parsed.success) throw this.#invalidResponse('JSON sem access_token');
    const { access_token: accessToken, scope, token_type: tokenType, expires_in: expiresIn } = parsed.data;
    const { ms, assumed } = interpretExpiresIn(expiresIn);
    // Counted from when the request started: the token cannot have been issued earlier.
    const expiresAt = new Date(startedAt.getTime() + ms);
    if (assumed) {
      this.#options.logger?.warn(
        `A RNDS não informou uma validade plausível para o token (expires_in=${expiresIn === undefined ? 'ausente' : JSON.stringify(expiresIn).slice(0, 40)}); assumindo ${FALLBACK_EXPIRES_IN_MS / 60_000} min.`,
      );
    }
    this.#options.logger?.info(`Token da RNDS obtido em ${this.#host} (${redactToken(accessToken)}), válido até ${expiresAt.toISOString()}.`);
    return { accessToken, expiresAt, scope: scope ?? null, tokenType: tokenType ?? null };
  }
}
