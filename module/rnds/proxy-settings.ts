/**
 * The outbound HTTP proxy many municipal networks require: `http://[user:password@]host:port`, chosen from
 * RNDS_PROXY, else HTTPS_PROXY / https_proxy, and skipped for hosts NO_PROXY lists. The password lives only in
 * `ProxyConfig.authorization` (the ready `Proxy-Authorization` value); everything meant to be shown uses `display`.
 */
import net from 'node:net';
import { RndsError } from '../errors.js';

export interface ProxyConfig {
  /** Host name or address of the proxy (IPv6 without brackets). */
  host: string;
  port: number;
  /** `host:port`, what messages and Connection `via` show. Never the login. */
  display: string;
  /** The proxy login's user name, when there is one (shown in messages; it is not a secret). */
  username: string | null;
  /** `Basic <base64(user:password)>`, or null without a login. Never logged, never shown. */
  authorization: string | null;
  /** The setting it came from (`RNDS_PROXY`, `HTTPS_PROXY`, the option `proxy`…), named in messages. */
  source: string;
}

/** Where the proxy setting came from, for messages that name the variable to fix. */
export type ProxySource = 'RNDS_PROXY' | 'HTTPS_PROXY' | 'https_proxy' | 'proxy';

function invalid(source: string, why: string): RndsError {
  return new RndsError('INVALID_INPUT', `${source} inválido: ${why}. Use o formato http://usuario:senha@host:porta (ou http://host:porta sem login).`, {
    fields: { [source]: why },
  });
}

/**
 * Parses a proxy URL. Only `http://` proxies (the CONNECT tunnel itself carries TLS end to end). A user or password
 * with `@`, `:` or `%` must be percent-encoded, as in any URL. Error messages never repeat the value (it may hold the
 * password).
 */
export function parseProxyUrl(value: string, source: string = 'RNDS_PROXY'): ProxyConfig {
  const text = value.trim();
  // A bare host:port is what people type from a browser's proxy settings.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw invalid(source, 'não é um endereço válido');
  }
  if (url.protocol !== 'http:') throw invalid(source, `o esquema ${url.protocol.replace(':', '')}:// não é aceito, use http://`);
  if (url.hostname === '') throw invalid(source, 'falta o nome ou o endereço do proxy');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw invalid(source, 'o endereço do proxy não leva caminho, ? nem #');
  const port = url.port === '' ? 80 : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw invalid(source, 'o usuário ou a senha têm um % que não forma um código (escreva % como %25)');
  }
  const hasLogin = username !== '' || password !== '';
  return {
    host,
    port,
    display: `${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
    username: hasLogin ? username : null,
    authorization: hasLogin ? `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}` : null,
    source,
  };
}

/** The variables, as read from an environment: the first set one wins. */
export function proxyFromEnv(env: NodeJS.ProcessEnv): { value: string; source: ProxySource } | null {
  for (const source of ['RNDS_PROXY', 'HTTPS_PROXY', 'https_proxy'] as const) {
    const value = env[source];
    if (value !== undefined && value.trim() !== '') return { value, source };
  }
  return null;
}

export function noProxyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.NO_PROXY ?? env.no_proxy;
}

/**
 * Whether NO_PROXY exempts `host:port`. Entries are separated by commas or spaces: `*` (everything), a host name
 * (itself and its subdomains; a leading `.` or `*.` means the same), an IP address, and any of them with `:port` to
 * exempt only that port. Case does not matter.
 */
export function bypassesProxy(noProxy: string | undefined, host: string, port: number): boolean {
  if (!noProxy) return false;
  const target = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | null = null;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] ? Number(bracketed[2]) : null;
    } else if (!net.isIPv6(entry)) {
      const withPort = /^(.*):(\d+)$/.exec(entry);
      if (withPort) {
        entry = withPort[1]!;
        entryPort = Number(withPort[2]);
      }
    }
    if (entryPort !== null && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (entry === '') continue;
    if (target === entry) return true;
    if (!net.isIP(target) && target.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** Proxy settings for one module instance: the proxy (if any) and the exemptions. */
export interface ProxySettings {
  proxy: ProxyConfig | null;
  noProxy?: string;
}

/** The proxy to use for `host:port`, or null to connect directly. */
export function proxyFor(settings: ProxySettings | undefined, host: string, port: number): ProxyConfig | null {
  if (!settings?.proxy) return null;
  return bypassesProxy(settings.noProxy, host, port) ? null : settings.proxy;
}

/** What Connection `via` says: `direto` or `proxy host:port`. */
export function describeVia(proxy: ProxyConfig | null): string {
  return proxy ? `proxy ${proxy.display}` : 'direto';
}
