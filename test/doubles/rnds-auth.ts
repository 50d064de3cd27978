/**
 * A local double of RNDS's auth server (`ehr-auth*.saude.gov.br`): an https server on 127.0.0.1,
 * port 0, that demands a client certificate (mutual TLS) and answers `/api/token` (and CADSUS's `/api/osb/token`) like RNDS does,
 * `expires_in` in milliseconds. Scenarios switch at run time; everything it sees is recorded.
 *
 * ```ts
 * const double = await startRndsAuthDouble();             // or { pki, extraClientCaPem, scenario }
 * const client = new TokenClient({ authUrl: double.url, ca: double.trustedCa, ...double.pki.clients.good });
 * double.setScenario('unauthorized-once');
 * …
 * await double.close();
 * ```
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createRndsTestPki, type RndsTestPki } from './pki.js';

export type RndsAuthScenario =
  /** 200 with a 30-minute token. */
  | 'success'
  /** 200 with a token that lives `shortExpiresInMs` (default 2 min), to test renewal. */
  | 'short-expiry'
  /** The first token request gets 401 (EHR-ERR882 "JWT expired"), the next ones succeed. */
  | 'unauthorized-once'
  /** Every token request gets 401. */
  | 'unauthorized'
  /** Every token request gets 403. */
  | 'forbidden'
  /** The TLS handshake refuses the client certificate: the client CA is not trusted (new connections only). */
  | 'reject-client-certificate'
  /** Accepts the request and never answers (until `close()`). */
  | 'timeout'
  /** 503 with an HTML body, as a load balancer would. */
  | 'server-error'
  /** 200 with an HTML body instead of JSON. */
  | 'non-json';

export interface RndsAuthDoubleOptions {
  /** Reuse material across doubles (generating it costs ~10 RSA keys). */
  pki?: RndsTestPki;
  scenario?: RndsAuthScenario;
  /** Extra client CA(s) the double trusts besides its own, e.g. the certificate engine's fixture CA. */
  extraClientCaPem?: string | string[];
  /** `expires_in` of the `success` scenario, in ms (RNDS: 1 800 000); null leaves the field out. */
  expiresInMs?: number | null;
  /** `expires_in` of the `short-expiry` scenario, in ms. */
  shortExpiresInMs?: number;
  /** Caps the TLS version, to exercise TLS 1.2 handshakes (default: Node's, i.e. TLS 1.3). */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** The server's clock, for the `Date` header of every answer (default: the real clock, as RNDS's own). */
  now?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Subject CN of the client certificate presented, null if none. */
  clientCommonName: string | null;
  /** Scenario in force when the request arrived. */
  scenario: RndsAuthScenario;
}

export interface RecordedTlsError {
  code: string | undefined;
  message: string;
}

export interface RndsAuthDouble {
  /** Base URL to use as the auth URL: `https://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly pki: RndsTestPki;
  /** The CA bundle a client needs to trust this double (its server CA). */
  readonly trustedCa: string[];
  readonly scenario: RndsAuthScenario;
  setScenario(scenario: RndsAuthScenario): void;
  /**
   * Sets the server's clock `ms` ahead of its `now` (negative: behind): every answer's `Date` header says so, as RNDS's
   * would if this server's clock were wrong by `-ms`. 0 puts it back; `reset()` keeps it.
   */
  setClockOffset(ms: number): void;
  /** The scenario of `/api/osb/token` (CADSUS); HTTP answers only (401, 403, 5xx…). Default `success`. */
  setCadsusScenario(scenario: RndsAuthScenario): void;
  /** HTTP requests that reached the server (any path). */
  readonly requests: readonly RecordedRequest[];
  /** TCP connections accepted, handshake or not. */
  readonly connections: number;
  /** TLS handshakes the server completed. */
  readonly handshakes: number;
  /** Handshakes that failed on the server side (e.g. client certificate refused). */
  readonly tlsErrors: readonly RecordedTlsError[];
  /** Access tokens handed out, in order. */
  readonly issuedTokens: readonly string[];
  /**
   * Parks every token request that arrives from now on, unanswered, until the returned `release()` answers them (and
   * the later ones) as the scenario then in force says: a test can look at the moment before RNDS answers.
   */
  hold(): () => void;
  /** Forgets what was recorded (requests, connections, errors, tokens); keeps the scenario. */
  reset(): void;
  /** Stops listening, drops open connections (including requests held by `timeout`). */
  close(): Promise<void>;
}

const DEFAULT_EXPIRES_IN_MS = 1_800_000;
const DEFAULT_SHORT_EXPIRES_IN_MS = 120_000;

/** Starts the double on 127.0.0.1, port 0. */
export async function startRndsAuthDouble(options: RndsAuthDoubleOptions = {}): Promise<RndsAuthDouble> {
  const pki = options.pki ?? createRndsTestPki();
  const extraCas = options.extraClientCaPem === undefined ? [] : [options.extraClientCaPem].flat();
  const trustingContext = {
    key: pki.server.keyPem,
    cert: [pki.server.certPem, ...pki.server.chainPem].join('\n'),
    ca: [pki.clientCa.certPem, ...extraCas],
  };
  // Trusting only the server CA means no client certificate verifies: OpenSSL aborts the handshake.
  const rejectingContext = { ...trustingContext, ca: [pki.serverCa.certPem] };

  let scenario: RndsAuthScenario = options.scenario ?? 'success';
  let cadsusScenario: RndsAuthScenario = 'success';
  let unauthorizedOnceSent = false;
  const requests: RecordedRequest[] = [];
  const tlsErrors: RecordedTlsError[] = [];
  const issuedTokens: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let handshakes = 0;
  /** Answers parked by hold(), run by its release(); null when not holding. */
  let held: (() => void)[] | null = null;
  const serverNow = options.now ?? (() => new Date());
  let clockOffsetMs = 0;

  const server = https.createServer({
    ...(scenario === 'reject-client-certificate' ? rejectingContext : trustingContext),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
  });

  server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', () => {
    handshakes += 1;
  });
  server.on('tlsClientError', (error: Error & { code?: string }) => {
    tlsErrors.push({ code: error.code, message: error.message });
  });

  /** Node writes `Date` from the real clock unless the answer has one: this server's clock, offset as set. */
  const stampDate = (res: ServerResponse): void => {
    res.setHeader('date', new Date(serverNow().getTime() + clockOffsetMs).toUTCString());
  };

  const issueToken = (): string => {
    // Looks like a JWT (RNDS tokens start with eyJ) and is unique, so renewals are visible.
    const token = `eyJhbGciOiJSUzI1NiJ9.double-${issuedTokens.length + 1}-${Date.now().toString(36)}.sig`;
    issuedTokens.push(token);
    return token;
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const sendToken = (res: ServerResponse, expiresIn: number | null): void => {
    sendJson(res, 200, {
      access_token: issueToken(),
      scope: 'read write',
      token_type: 'jwt',
      ...(expiresIn === null ? {} : { expires_in: expiresIn }),
    });
  };
  const normalExpiresIn = (): number | null => (options.expiresInMs === undefined ? DEFAULT_EXPIRES_IN_MS : options.expiresInMs);

  const sendUnauthorized = (res: ServerResponse): void => {
    sendJson(res, 401, { code: 'EHR-ERR882', message: 'JWT expired' });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = peer && typeof peer.subject === 'object' ? peer.subject.CN : undefined;
    const clientCommonName = Array.isArray(cn) ? (cn[0] ?? null) : (cn ?? null);
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, clientCommonName, scenario });
    req.resume();
    stampDate(res);

    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/token' && path !== '/api/osb/token') {
      sendJson(res, 404, { message: 'Not Found' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendJson(res, 405, { message: 'Method Not Allowed' });
      return;
    }
    // CADSUS's token (same mutual TLS, its own path) follows its own scenario: a credential may lack CADSUS.
    const reply = () => {
      stampDate(res); // again: a held request is answered later
      answer(res, path === '/api/osb/token' ? cadsusScenario : scenario);
    };
    if (held) held.push(reply);
    else reply();
  });

  const answer = (res: ServerResponse, current: RndsAuthScenario): void => {
    switch (current) {
      case 'success':
      case 'reject-client-certificate': // a connection opened before the switch still gets served
        sendToken(res, normalExpiresIn());
        return;
      case 'short-expiry':
        sendToken(res, options.shortExpiresInMs ?? DEFAULT_SHORT_EXPIRES_IN_MS);
        return;
      case 'unauthorized-once':
        if (!unauthorizedOnceSent) {
          unauthorizedOnceSent = true;
          sendUnauthorized(res);
        } else {
          sendToken(res, normalExpiresIn());
        }
        return;
      case 'unauthorized':
        sendUnauthorized(res);
        return;
      case 'forbidden':
        sendJson(res, 403, { code: 'EHR-ERR884', message: 'Token não autorizado' });
        return;
      case 'timeout':
        return; // held until the client gives up or close() drops the socket
      case 'server-error': {
        const html = '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>';
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end(html);
        return;
      }
      case 'non-json': {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Portal em manutenção</body></html>');
        return;
      }
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('o dublê não obteve uma porta TCP');
  const port = address.port;

  let closed: Promise<void> | null = null;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    pki,
    trustedCa: [pki.serverCa.certPem],
    get scenario() {
      return scenario;
    },
    setClockOffset(ms: number) {
      clockOffsetMs = ms;
    },
    setCadsusScenario(next: RndsAuthScenario) {
      cadsusScenario = next;
    },
    setScenario(next: RndsAuthScenario) {
      const wasRejecting = scenario === 'reject-client-certificate';
      scenario = next;
      unauthorizedOnceSent = false;
      if (next === 'reject-client-certificate') server.setSecureContext(rejectingContext);
      else if (wasRejecting) server.setSecureContext(trustingContext);
    },
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    get handshakes() {
      return handshakes;
    },
    get tlsErrors() {
      return tlsErrors;
    },
    get issuedTokens() {
      return issuedTokens;
    },
    hold() {
      held ??= [];
      return () => {
        const parked = held ?? [];
        held = null;
        for (const reply of parked) reply();
      };
    },
    reset() {
      requests.length = 0;
      tlsErrors.length = 0;
      issuedTokens.length = 0;
      connections = 0;
      handshakes = 0;
      unauthorizedOnceSent = false;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
