/**
 * A real HTTP CONNECT proxy on 127.0.0.1, port 0, standing in for a municipal network's proxy: it tunnels bytes to
 * the requested host:port (the TLS inside stays end to end), optionally demands `Proxy-Authorization: Basic`, and
 * can refuse destinations (403), fail upstream (502), or behave like a TLS-inspecting proxy that answers the
 * tunnel with its own certificate from another CA and re-opens HTTPS upstream without the client's certificate.
 *
 * ```ts
 * const proxy = await startConnectProxy({ login: { username: 'maria', password: 's3cr3t' } });
 * new TokenClient({ …, proxy: { proxy: parseProxyUrl(proxy.urlWithLogin()) } });
 * proxy.connects   // every CONNECT seen, with its target and whether the login matched
 * ```
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { TestCa } from './pki.js';

export type ConnectProxyMode =
  /** Tunnels every CONNECT (after the login, when one is required). */
  | 'tunnel'
  /** Answers every CONNECT with 403 (destination not allowed). */
  | 'deny'
  /** Answers every CONNECT with 502 (the proxy cannot reach the destination). */
  | 'bad-gateway'
  /** Answers 200 and then speaks TLS itself, with a certificate for the target issued by `inspectionCa`. */
  | 'inspect'
  /** Accepts TCP and never answers the CONNECT. */
  | 'silent';

export interface ConnectProxyOptions {
  /** Require this Basic login (407 otherwise). */
  login?: { username: string; password: string };
  /** The scheme the 407 challenge offers (default Basic). */
  challenge?: string;
  mode?: ConnectProxyMode;
  /** The inspecting proxy's own CA (needed for `inspect`). */
  inspectionCa?: TestCa;
}

export interface RecordedConnect {
  /** `host:port` asked for. */
  target: string;
  /** The Proxy-Authorization header as received (tests check the proxy got the login; never printed). */
  proxyAuthorization: string | undefined;
  /** What the proxy answered. */
  status: number;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `host:port`, as Connection `via` names it. */
  readonly display: string;
  /** The URL with the login (percent-encoded), as RNDS_PROXY would hold it. */
  urlWithLogin(username?: string, password?: string): string;
  setMode(mode: ConnectProxyMode): void;
  readonly connects: readonly RecordedConnect[];
  /** TCP connections accepted. */
  readonly connections: number;
  /** Requests the inspecting mode decrypted. */
  readonly inspected: readonly { method: string; path: string; host: string | undefined }[];
  reset(): void;
  close(): Promise<void>;
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  let mode: ConnectProxyMode = options.mode ?? 'tunnel';
  const connects: RecordedConnect[] = [];
  const inspected: { method: string; path: string; host: string | undefined }[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const expected = options.login ? `Basic ${Buffer.from(`${options.login.username}:${options.login.password}`, 'utf8').toString('base64')}` : null;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  // Decrypted requests of the inspecting mode are forwarded upstream over a new HTTPS connection without any client
  // certificate — which is exactly why mutual TLS cannot work through such a proxy.
  const inspector = http.createServer((req, res) => {
    inspected.push({ method: req.method ?? '', path: req.url ?? '', host: req.headers.host });
    const upstream = https.request(
      { host: '127.0.0.1', port: Number((req.headers.host ?? '').split(':').pop()), path: req.url, method: req.method, headers: req.headers, rejectUnauthorized: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway (inspecting proxy)</body></html>');
    });
    upstream.end();
  });
  const inspectionContexts = new Map<string, tls.SecureContext>();
  const inspectionContext = (host: string): tls.SecureContext => {
    const ca = options.inspectionCa;
    if (!ca) throw new Error('inspect mode needs inspectionCa');
    let context = inspectionContexts.get(host);
    if (!context) {
      const leaf = ca.issue({ commonName: host, usage: 'server', ...(net.isIP(host) ? { ipAddresses: [host] } : { dnsNames: [host] }) });
      context = tls.createSecureContext({ key: leaf.keyPem, cert: [leaf.certPem, ...leaf.chainPem].join('\n') });
      inspectionContexts.set(host, context);
    }
    return context;
  };

  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' });
    res.end('only CONNECT\n');
  });
  server.on('connection', (socket: net.Socket) => {
    connections += 1;
    track(socket);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const proxyAuthorization = req.headers['proxy-authorization'];
    const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
      connects.push({ target, proxyAuthorization, status });
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      client.end(`HTTP/1.1 ${status} ${text}\r\n${lines}content-type: text/html\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    };
    if (mode === 'silent') return;
    if (expected && proxyAuthorization !== expected) {
      answer(407, 'Proxy Authentication Required', { 'proxy-authenticate': options.challenge ?? 'Basic realm="proxy-da-prefeitura"' });
      return;
    }
    if (mode === 'deny') return answer(403, 'Forbidden');
    if (mode === 'bad-gateway') return answer(502, 'Bad Gateway');

    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    if (!match) return answer(400, 'Bad Request');
    const [, host, port] = match as unknown as [string, string, string];
    if (mode === 'inspect') {
      connects.push({ target, proxyAuthorization, status: 200 });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) client.unshift(head);
      const secure = new tls.TLSSocket(client, { isServer: true, secureContext: inspectionContext(host) });
      track(secure);
      inspector.emit('connection', secure);
      return;
    }
    const upstream = net.connect({ host, port: Number(port) });
    track(upstream);
    upstream.once('connect', () => {
      connects.push({ target, proxyAuthorization, status: 200 });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => {
      if (client.writable) answer(502, 'Bad Gateway');
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let closed: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    display: `127.0.0.1:${port}`,
    urlWithLogin(username = options.login?.username ?? '', password = options.login?.password ?? '') {
      return `http://${encodeURIComponent(username)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    },
    setMode(next) {
      mode = next;
    },
    get connects() {
      return connects;
    },
    get connections() {
      return connections;
    },
    get inspected() {
      return inspected;
    },
    reset() {
      connects.length = 0;
      inspected.length = 0;
      connections = 0;
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
