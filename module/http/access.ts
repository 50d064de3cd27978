import crypto from 'node:crypto';
import net from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { RndsError } from '../errors.js';
import { displayName } from '../present/index.js';
import type { AuthorizeHook } from '../options.js';

export const SESSION_COOKIE = 'pec_rnds_sessao';
/** The login form's nonce: anonymous visitors get this cookie and no server-side storage at all. */
export const LOGIN_NONCE_COOKIE = 'pec_rnds_entrada';
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Authenticated (or host-authorized) sessions only: anonymous traffic never creates one, so it can never evict one. */
export const MAX_SESSIONS = 1000;

export interface Session {
  id: string;
  csrfToken: string;
  /** Logged in with the access token (standalone mode). */
  authenticated: boolean;
  lastSeen: number;
}

/** Who is making the request, as the audit trail records it. */
export interface Caller {
  actor: string;
  /** Authenticated by an `Authorization` header: not a browser's ambient credential, so no CSRF token needed. */
  viaHeader: boolean;
  /** The read-only monitoring token: only the routes of MONITORING_ROUTES. */
  monitoring?: boolean;
}

/** What the monitoring token may read (CONTRACT.md, Access): nothing that changes the state or yields an RNDS token. */
export const MONITORING_ROUTES: ReadonlySet<string> = new Set(['/api/status', '/api/certificates', '/metrics']);

declare module 'express-serve-static-core' {
  interface Request {
    rndsSession?: Session;
    rndsCaller?: Caller;
  }
}

/**
 * The client address for the audit trail and the logs. Behind a trusted proxy `req.ip` comes from X-Forwarded-For,
 * which is any text the client wants: only a real IP address becomes part of an actor.
 */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? '';
  return net.isIP(ip) ? ip : 'endereço desconhecido';
}

function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}

function readCookie(req: Request, name: string): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Access to the module: a host's authorization hook (embedded) or the standalone access token (Bearer header or a
 * login that sets a session cookie). Sessions live in memory, per module instance; they also carry the CSRF
 * synchronizer token.
 */
export class Access {
  readonly #sessions = new Map<string, Session>();
  readonly #accessToken?: string;
  readonly #authorize?: AuthorizeHook;
  readonly #monitoringToken?: string;
  readonly #now: () => number;
  /** Signs the login form's nonce (per instance, never stored). */
  readonly #loginKey = crypto.randomBytes(32);
  readonly #endListeners = new Set<(sessionId: string) => void>();

  constructor(options: { accessToken?: string; authorize?: AuthorizeHook; monitoringToken?: string; now?: () => number }) {
    this.#accessToken = options.accessToken;
    this.#authorize = options.authorize;
    this.#monitoringToken = options.monitoringToken;
    this.#now = options.now ?? Date.now;
  }

  /** Calls `listener` with the id of every session that ends (logout, expiry, eviction). */
  onSessionEnd(listener: (sessionId: string) => void): void {
    this.#endListeners.add(listener);
  }

  /** True while the session exists and has not expired; never extends it. */
  isLive(sessionId: string): boolean {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    if (this.#now() - session.lastSeen > SESSION_IDLE_MS) {
      this.#delete(session.id);
      return false;
    }
    return true;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * The login form's CSRF token for an anonymous visitor: an HMAC of a random nonce kept in the visitor's own cookie.
   * Nothing is stored on the server, so any number of anonymous visits costs no memory.
   */
  loginCsrf(req: Request, res: Response): string {
    let nonce = readCookie(req, LOGIN_NONCE_COOKIE);
    if (!nonce || !/^[\w-]{43}$/.test(nonce)) {
      nonce = randomToken();
      res.cookie(LOGIN_NONCE_COOKIE, nonce, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: req.baseUrl || '/' });
    }
    return this.#sign(nonce);
  }

  /** True when `sent` is the login form's token for this visitor's nonce cookie. */
  checkLoginCsrf(req: Request, sent: string | undefined): boolean {
    const nonce = readCookie(req, LOGIN_NONCE_COOKIE);
    return nonce !== undefined && sent !== undefined && safeEqual(sent, this.#sign(nonce));
  }

  #sign(nonce: string): string {
    return crypto.createHmac('sha256', this.#loginKey).update(nonce).digest('base64url');
  }

  get usesLogin(): boolean {
    return this.#authorize === undefined;
  }

  /** The request's session, if its cookie names a live one. */
  session(req: Request): Session | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    const session = id ? this.#sessions.get(id) : undefined;
    if (!session || !this.isLive(session.id)) return undefined;
    session.lastSeen = this.#now();
    return session;
  }

  /**
   * The request's session, created (and its cookie set) when there is none. Only for callers already authorized (a
   * login, or the host's hook): anonymous visitors never get one.
   */
  ensureSession(req: Request, res: Response, authenticated = false): Session {
    let session = this.session(req);
    if (!session || authenticated) {
      if (session) this.#delete(session.id); // a login gets a fresh id: no session fixation
      res.clearCookie(LOGIN_NONCE_COOKIE, { path: req.baseUrl || '/' });
      session = { id: randomToken(), csrfToken: randomToken(), authenticated, lastSeen: this.#now() };
      this.#store(session);
      res.cookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: req.baseUrl || '/',
      });
    }
    req.rndsSession = session;
    return session;
  }

  endSession(req: Request, res: Response): void {
    const session = this.session(req);
    if (session) this.#delete(session.id);
    res.clearCookie(SESSION_COOKIE, { path: req.baseUrl || '/' });
  }

  /** True when the given text is the standalone access token. */
  checkToken(token: string): boolean {
    return this.#accessToken !== undefined && safeEqual(token, this.#accessToken);
  }

  /** Resolves who is calling, or undefined when nobody is authorized. */
  async identify(req: Request): Promise<Caller | undefined> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && this.#monitoringToken !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match && safeEqual(match[1]!, this.#monitoringToken)) return { actor: `monitoramento (${req.ip})`, viaHeader: true, monitoring: true };
    }
    if (this.#authorize) {
      const result = await this.#authorize(req);
      if (!result) return undefined;
      const actor = displayName(typeof result === 'string' ? result : typeof result === 'object' ? String(result.actor) : 'host');
      // Only a Bearer header proves a non-browser client: browsers resend Basic credentials cross-site by themselves.
      return { actor, viaHeader: authorization !== undefined && /^Bearer\s/i.test(authorization) };
    }
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match && this.checkToken(match[1]!) ? { actor: `token (${clientAddress(req)})`, viaHeader: true } : undefined;
    }
    const session = this.session(req);
    if (session?.authenticated) {
      req.rndsSession = session;
      return { actor: `sessão (${clientAddress(req)})`, viaHeader: false };
    }
    return undefined;
  }

  /** Middleware: lets authorized requests through; answers the others (401 for the API, the login page for HTML). */
  require(onUnauthenticatedPage: (req: Request, res: Response) => void) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const caller = await this.identify(req);
        if (caller?.monitoring && !((req.method === 'GET' || req.method === 'HEAD') && MONITORING_ROUTES.has(req.path))) {
          return next(new RndsError('FORBIDDEN', 'O token de monitoramento só lê /api/status, /api/certificates e /metrics: para habilitar, desabilitar ou testar a conexão, use o token de acesso.'));
        }
        if (caller) {
          req.rndsCaller = caller;
          req.rndsSession ??= this.session(req);
          return next();
        }
        if (req.path.startsWith('/api/') || req.path === '/metrics' || req.headers.authorization !== undefined) {
          return next(new RndsError('UNAUTHENTICATED', 'Acesso não autorizado: entre com o token de acesso ou envie o cabeçalho Authorization: Bearer <token>.'));
        }
        onUnauthenticatedPage(req, res);
      } catch (error) {
        next(error);
      }
    };
  }

  #store(session: Session): void {
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.#sessions.values()].sort((a, b) => a.lastSeen - b.lastSeen)[0];
      if (oldest) this.#delete(oldest.id);
    }
    this.#sessions.set(session.id, session);
  }

  #delete(id: string): void {
    if (!this.#sessions.delete(id)) return;
    for (const listener of this.#endListeners) listener(id);
  }
}

/**
 * Why a browser request looks cross-site, or undefined when it does not: the Fetch Metadata and Origin headers must
 * not say cross-site. The Host itself is checked against the allow-list (app.ts), so comparing Origin with it is sound.
 */
export function crossSiteReason(req: Request): string | undefined {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'origem externa';
  const origin = req.get('origin');
  if (origin !== undefined && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get('host')) return 'origem externa';
  }
  return undefined;
}

/** The CSRF token a request carries: the `X-CSRF-Token` header or the form's `_csrf` field. */
export function sentCsrfToken(req: Request): string | undefined {
  const body: unknown = req.body;
  return (
    req.get('x-csrf-token') ??
    (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)._csrf === 'string'
      ? ((body as Record<string, unknown>)._csrf as string)
      : undefined)
  );
}

export function forbidden(why: string): RndsError {
  return new RndsError('FORBIDDEN', `Pedido recusado por segurança (${why}): recarregue a página e tente novamente.`);
}

/**
 * CSRF for browser (cookie) requests: not cross-site (see crossSiteReason), and the synchronizer token of the session
 * must come with the request. `Origin: null` or no Origin is not a pass: plain-HTTP LANs send no `Sec-Fetch-*`
 * headers, so the token is what protects them.
 */
export function csrfProtection() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (req.rndsCaller?.viaHeader) return next();
    const crossSite = crossSiteReason(req);
    if (crossSite) return next(forbidden(crossSite));
    const session = req.rndsSession;
    const sent = sentCsrfToken(req);
    if (!session || !sent || !safeEqual(sent, session.csrfToken)) return next(forbidden('token de segurança ausente ou expirado'));
    next();
  };
}
