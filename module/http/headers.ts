import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import { RndsError } from '../errors.js';
import { LOOPBACK_HOSTS, normalizeHostName } from '../config/options.js';

/** helmet's options: see securityHeaders. */
export function helmetOptions(secure: boolean): Parameters<typeof helmet>[0] {
  return {
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'"],
        'upgrade-insecure-requests': secure ? [] : null,
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
    // Over plain HTTP (a LAN address) browsers ignore COOP and print an error on every page: send it only with TLS.
    crossOriginOpenerPolicy: secure,
  };
}

/** What a helmet middleware does to a response, in order: the headers it sets and the ones it removes. */
export interface HeaderSet {
  set: ReadonlyArray<readonly [name: string, value: string]>;
  remove: readonly string[];
}

/**
 * Runs helmet's middleware once against a recorder and keeps what it did. Our options have no per-request part (no
 * nonce, no function directive), so every request gets exactly these headers; a helmet that needed the request or
 * did not finish at once fails here, at start, instead of sending other headers.
 */
function recordHelmet(secure: boolean): HeaderSet {
  const set: Array<[string, string]> = [];
  const remove: string[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.push([name, String(value)]);
    },
    removeHeader(name: string) {
      remove.push(name);
    },
  };
  const noRequest = new Proxy({}, { get: (_target, key) => { throw new Error(`helmet leu req.${String(key)}: os cabeçalhos de segurança não podem ser calculados uma vez só`); } });
  let finished = false;
  helmet(helmetOptions(secure))(noRequest as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet não terminou de imediato: os cabeçalhos de segurança não podem ser calculados uma vez só');
  return { set, remove };
}

/**
 * Security headers (helmet): a strict CSP with no inline script or style, same-origin referrers, no HSTS (PEC and its
 * LAN neighbours share host names; HSTS is the host's decision, not an embedded module's). `upgrade-insecure-requests`
 * only when the request itself came over HTTPS: plain-HTTP LANs must keep working. helmet computes them once per
 * variant (recordHelmet) and each answer gets the same list: helmet's own chain of eleven middlewares cost a monitoring
 * poller's status read about a tenth of its time (issue 14). The Status reads send the same list themselves (status-reads.ts).
 */
export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    applySecurityHeaders(req, res);
    next();
  };
}

let recorded: { https: HeaderSet; http: HeaderSet } | undefined;

/** helmet's headers for a request over HTTPS or plain HTTP (recordHelmet, once per process). */
export function helmetHeaders(secure: boolean): HeaderSet {
  recorded ??= { https: recordHelmet(true), http: recordHelmet(false) };
  return secure ? recorded.https : recorded.http;
}

/** What securityHeaders does to one response. */
export function applySecurityHeaders(req: Request, res: Response): void {
  const { set, remove } = helmetHeaders(req.secure);
  for (const [name, value] of set) res.setHeader(name, value);
  for (const name of remove) res.removeHeader(name);
}

/**
 * DNS rebinding: a page on any name the attacker controls can point that name at this server; only the names the
 * installation is really reached by are answered (the CSRF Origin check compares against this checked Host).
 * Undefined (no check) when no list is given or it holds `*`.
 */
export function hostAllowList(allowedHosts: string[] | undefined): RequestHandler | undefined {
  const allows = hostAllowed(allowedHosts);
  if (!allows) return undefined;
  return (req, _res, next) => {
    if (allows(req)) return next();
    next(new RndsError('HOST_NOT_ALLOWED', 'Nome de servidor não reconhecido: acesse o pec-rnds pelo endereço configurado, ou peça ao suporte que acrescente este nome a RNDS_ALLOWED_HOSTS.'));
  };
}

/**
 * The test behind hostAllowList: true when the request's Host is one of the names; undefined when nothing is checked.
 * The Host header itself, never req.hostname: behind a trusted proxy that is X-Forwarded-Host, which any client sets.
 */
export function hostAllowed(allowedHosts: string[] | undefined): ((req: Request) => boolean) | undefined {
  if (!allowedHosts || allowedHosts.includes('*')) return undefined;
  const allowed = new Set([...allowedHosts, ...LOOPBACK_HOSTS].map(normalizeHostName));
  return (req) => allowed.has(normalizeHostName(req.get('host') ?? ''));
}
