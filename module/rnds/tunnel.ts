/**
 * The way to the RNDS auth server, one step at a time so a failure can say where it happened: resolve the name
 * (of the proxy, or of the server), open TCP, ask the proxy for a CONNECT tunnel (with `Proxy-Authorization:
 * Basic`), then run our own mutual TLS inside it — the same SNI, server verification and client certificate as a
 * direct connection, because the tunnel only carries bytes: the proxy never sees the TLS options.
 */
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { UNTRUSTED_SERVER_CODES, classifyConnectStatus, classifyProxyError, classifyRequestError, untrustedServer } from './failure.js';
import { formatDate } from '../present/index.js';
import type { ProxyConfig } from './proxy-settings.js';
import type { StepRecorder } from './steps.js';

export interface OpenTlsOptions {
  /** The RNDS server, without brackets for IPv6. */
  host: string;
  port: number;
  /** `host[:port]` as messages name it. */
  display: string;
  proxy: ProxyConfig | null;
  secureContext: tls.SecureContext;
  steps: StepRecorder;
  /** Aborting destroys whatever is open and rejects with `signal.reason`. */
  signal: AbortSignal;
  /** For the dates in the details (the installation's time zone). */
  timeZone: string;
}

/** Rejects as soon as `signal` aborts; otherwise follows `promise`. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => void = () => {}): Promise<T> {
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/**
 * TCP to `host:port`. Name resolution goes through Node's own lookup (happy eyeballs over every address found), only
 * wrapped to time it as its own step.
 */
function connectTcp(host: string, port: number, label: string, steps: StepRecorder, signal: AbortSignal): Promise<net.Socket> {
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    steps.start('dns', `Resolução do nome ${hostname}`);
    dns.lookup(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      steps.pass(Array.isArray(address) ? address.map((a: dns.LookupAddress) => a.address).join(', ') : String(address));
      steps.start('tcp', label);
      callback(null, address, family);
    });
  };
  if (net.isIP(host)) steps.start('tcp', label);
  const socket = net.connect({ host, port, lookup });
  return abortable(
    new Promise<net.Socket>((resolve, reject) => {
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    }),
    signal,
    () => socket.destroy(),
  );
}

/** Asks the proxy for a tunnel to `host:port` on an open TCP socket; resolves with the same socket, now a tunnel. */
function connectTunnel(socket: net.Socket, proxy: ProxyConfig, target: string, signal: AbortSignal): Promise<{ socket: net.Socket; status: number }> {
  const request = http.request({
    method: 'CONNECT',
    path: target,
    setHost: false,
    headers: {
      host: target,
      'user-agent': 'pec-rnds',
      ...(proxy.authorization ? { 'proxy-authorization': proxy.authorization } : {}),
    },
    createConnection: () => socket,
  });
  return abortable(
    new Promise((resolve, reject) => {
      request.once('connect', (response: http.IncomingMessage, tunnel: net.Socket, head: Buffer) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          tunnel.destroy();
          const authenticate = response.headers['proxy-authenticate'];
          reject(classifyConnectStatus(status, Array.isArray(authenticate) ? authenticate.join(', ') : authenticate, proxy, target));
          return;
        }
        // Bytes the proxy sent after its answer already belong to the TLS server.
        if (head.length > 0) tunnel.unshift(head);
        resolve({ socket: tunnel, status });
      });
      request.once('error', (error) => reject(classifyProxyError(error, proxy, 'connect')));
      request.end();
    }),
    signal,
    () => socket.destroy(),
  );
}

/** Issuer CN (or the whole issuer), for the TLS step's detail. */
function issuerOf(certificate: tls.PeerCertificate): string {
  const issuer = certificate.issuer as unknown as Record<string, string | string[]> | undefined;
  const cn = issuer?.CN ?? issuer?.O;
  return (Array.isArray(cn) ? cn[0] : cn) ?? 'emissor desconhecido';
}

/** The TLS handshake with the RNDS server on `socket` (a tunnel or a direct TCP connection). */
function handshake(socket: net.Socket, options: OpenTlsOptions): Promise<tls.TLSSocket> {
  const { host, display, proxy, steps, signal } = options;
  const secure = tls.connect({
    socket,
    host,
    ...(net.isIP(host) ? {} : { servername: host }),
    secureContext: options.secureContext,
    minVersion: 'TLSv1.2',
    // Verified below, before a single byte of the request is written: Node checks the chain after the handshake
    // either way, and this way the detail can say who issued the certificate that was refused.
    rejectUnauthorized: false,
  });
  return abortable(
    new Promise<tls.TLSSocket>((resolve, reject) => {
      secure.once('secureConnect', () => {
        secure.off('error', onError);
        const peer = secure.getPeerCertificate();
        const facts = peer && Object.keys(peer).length > 0 ? `emitido por ${issuerOf(peer)}, válido até ${formatDate(new Date(peer.valid_to), options.timeZone)}` : 'sem certificado';
        if (!secure.authorized) {
          const code = typeof secure.authorizationError === 'string' ? secure.authorizationError : String(secure.authorizationError ?? '');
          const why = UNTRUSTED_SERVER_CODES[code] ?? `certificado não confiável: ${code}`;
          steps.fail(`${facts}; não confiável (${why})`);
          secure.destroy();
          reject(untrustedServer(display, why, proxy, { errorCode: code }));
          return;
        }
        steps.pass(`${facts}; confiável`);
        resolve(secure);
      });
      const onError = (error: Error): void => reject(classifyRequestError(error, display, 'handshake', proxy));
      secure.once('error', onError);
    }),
    signal,
    () => secure.destroy(),
  );
}

/**
 * Opens a verified TLS connection to the RNDS server, directly or through the proxy, recording each step. Rejects
 * with a TokenRequestError that names what failed.
 */
export async function openTlsSocket(options: OpenTlsOptions): Promise<tls.TLSSocket> {
  const { host, port, display, proxy, steps, signal } = options;
  const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  let socket: net.Socket;
  if (proxy) {
    try {
      socket = await connectTcp(proxy.host, proxy.port, `Conexão TCP com o proxy ${proxy.display}`, steps, signal);
    } catch (error) {
      throw error === signal.reason ? error : classifyProxyError(error, proxy, steps.current === 'dns' ? 'dns' : 'tcp');
    }
    steps.pass();
    steps.start('proxy-connect', `Túnel pelo proxy até ${target} (CONNECT${proxy.authorization ? `, login ${proxy.username ?? ''}` : ''})`);
    const tunnel = await connectTunnel(socket, proxy, target, signal);
    socket = tunnel.socket;
    steps.pass(`HTTP ${tunnel.status}`);
  } else {
    try {
      socket = await connectTcp(host, port, `Conexão TCP com ${display}`, steps, signal);
    } catch (error) {
      throw error === signal.reason ? error : classifyRequestError(error, display, 'connecting');
    }
    steps.pass();
  }
  steps.start('tls', `TLS com o servidor ${display}`);
  return handshake(socket, options);
}
