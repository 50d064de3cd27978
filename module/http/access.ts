import crypto from 'node:crypto';
import net from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { RndsError } from '../errors.js';
import { displayName } from '../present/index.js';
import type { AuthorizeHook } from '../options.js';
import type { Flash } from './flash.js';

export const SESSION_COOKIE = 'pec_rnds_sessao';
/** The login form's nonce: anonymous visitors get this cookie and no server-side storage at all. */
export const LOGIN_NONCE_COOKIE = 'pec_rnds_entrada';
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** A session's cookie is signed again (with the time it was last seen) at most this often. */
export const SESSION_REFRESH_MS = 60 * 1000;
/**
 * Sessions this process keeps in memory (their flash message, when they were last seen). Only authorized callers get
 * one (a login, or the host's hook), so anonymous traffic can never evict one; a session dropped from memory is not
 * logged out — its signed cookie brings it back.
 */
export const MAX_SESSIONS = 1000;

export interface Session {
  id: string;
  csrfToken: string;
  /** Logged in with the access token (standalone mode). */
  authenticated: boolean;
  lastSeen: number;
  /** Shown once by the next page (post/redirect/get). */
  flash?: Flash;
}

/** Where sessions ended at *Sair* are remembered (the data folder's list, or memory). */
export interface Revocations {
  has(id: string, now: number): boolean;
  /** Resolves once the revocation will survive a restart. */
  revoke(id: string, until: number, now: number): Promise<void>;
}

/** Revocations that last as long as the process (an Access built without a data folder). */
export function memoryRevocations(): Revocations {
  const revoked = new Map<string, number>();
  return {
    has: (id, now) => (revoked.get(id) ?? 0) > now,
    revoke: async (id, until) => void revoked.set(id, until),
  };
}

/** Who is making the request, as the audit trail records it. */
export interface Caller {
  actor: string;
  /** Authenticated by an `Authorization` header: not a browser's ambient credential, so no CSRF token needed. */
  viaHeader: boolean;
  /** The read-only monitoring token: only the routes of MONITORING_ROUTES. */
  monitoring?: boolean;
}

/** identifyNow's answer when only the host's authorization hook can tell. */
export const HOOK = Symbol('ask the host hook');

/**
 * A caller whose actor text (with the client address, which behind a proxy means parsing X-Forwarded-For) is made
 * only if something reads it: a Status read never does, an action's audit record does.
 */
function callerAs(actor: () => string, rest: Omit<Caller, 'actor'>): Caller {
  let text: string | undefined;
  return {
    ...rest,
    get actor() {
      return (text ??= actor());
    },
  };
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

const sha256 = (text: string): Buffer => crypto.createHash('sha256').update(text).digest();

/** Constant-time comparison of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  return crypto.timingSafeEqual(sha256(a), sha256(b)) && a.length === b.length;
}

/** A fixed secret (a token) with its SHA-256 computed once: each request hashes only what it sent (safeEqual). */
interface KnownSecret {
  length: number;
  digest: Buffer;
}

function knownSecret(text: string | undefined): KnownSecret | undefined {
  return text === undefined ? undefined : { length: text.length, digest: sha256(text) };
}

/** safeEqual(sent, the secret), without hashing the secret again. */
function matchesSecret(sent: string, secret: KnownSecret | undefined): boolean {
  return secret !== undefined && crypto.timingSafeEqual(sha256(sent), secret.digest) && sent.length === secret.length;
}

function readCookie(req: Request, name: string): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Access to the module: a host's authorization hook (embedded) or the standalone access token (Bearer header or a
 * login that sets a session cookie). A session lives in its cookie, signed with the data folder's session key
 * (`<id>.<logged in>.<last seen>.<HMAC>`), so it outlives a restart; its CSRF token is an HMAC of its id. Logging out
 * revokes the id (remembered across restarts until the cookie would have idled out anyway).
 */
export class Access {
  /** Sessions seen by this process: flash messages and last-seen times (bounded, see MAX_SESSIONS). */
  readonly #sessions = new Map<string, Session>();
  readonly #accessToken?: KnownSecret;
  readonly #authorize?: AuthorizeHook;
  readonly #monitoringToken?: KnownSecret;
  readonly #now: () => number;
  /** Signs session cookies, their CSRF tokens and the login form's nonce. */
  readonly #key: Buffer;
  readonly #revocations: Revocations;
  readonly #endListeners = new Set<(sessionId: string) => void>();

  constructor(options: {
    accessToken?: string;
    authorize?: AuthorizeHook;
    monitoringToken?: string;
    now?: () => number;
    /** The data folder's session key; without one, sessions last as long as this instance. */
    sessionKey?: Buffer;
    revocations?: Revocations;
  }) {
    this.#accessToken = knownSecret(options.accessToken);
    this.#authorize = options.authorize;
    this.#monitoringToken = knownSecret(options.monitoringToken);
    this.#now = options.now ?? Date.now;
    this.#key = options.sessionKey ?? crypto.randomBytes(32);
    this.#revocations = options.revocations ?? memoryRevocations();
  }

  /** Calls `listener` with the id of every session that ends (logout, expiry, dropped from memory). */
  onSessionEnd(listener: (sessionId: string) => void): void {
    this.#endListeners.add(listener);
  }

  /** True while the session is in memory, not revoked and not expired; never extends it. */
  isLive(sessionId: string): boolean {
    const session = this.#sessions.get(sessionId);
    if (!session) return false;
    const now = this.#now();
    if (now - session.lastSeen > SESSION_IDLE_MS || this.#revocations.has(sessionId, now)) {
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
    return this.#mac('entrada', nonce);
  }

  /** True when `sent` is the login form's token for this visitor's nonce cookie. */
  checkLoginCsrf(req: Request, sent: string | undefined): boolean {
    const nonce = readCookie(req, LOGIN_NONCE_COOKIE);
    return nonce !== undefined && sent !== undefined && safeEqual(sent, this.#mac('entrada', nonce));
  }

  #mac(purpose: string, text: string): string {
    return crypto.createHmac('sha256', this.#key).update(`${purpose}\0${text}`).digest('base64url');
  }

  get usesLogin(): boolean {
    return this.#authorize === undefined;
  }

  /**
   * The request's session, if its cookie is signed with this installation's key, not revoked and not idle for too
   * long. With `res`, a cookie last signed over a minute ago is signed again with the current time (sliding expiry).
   */
  session(req: Request, res?: Response): Session | undefined {
    const cookie = this.#unseal(readCookie(req, SESSION_COOKIE));
    if (!cookie) return undefined;
    const now = this.#now();
    let session = this.#sessions.get(cookie.id);
    const lastSeen = Math.max(cookie.seen, session?.lastSeen ?? 0);
    if (now - lastSeen > SESSION_IDLE_MS || this.#revocations.has(cookie.id, now)) {
      if (session) this.#delete(session.id);
      return undefined;
    }
    if (!session) {
      session = { id: cookie.id, csrfToken: this.#mac('csrf', cookie.id), authenticated: cookie.authenticated, lastSeen };
      this.#store(session);
    }
    session.lastSeen = now;
    if (res && now - cookie.seen > SESSION_REFRESH_MS) this.#setCookie(req, res, session);
    return session;
  }

  /**
   * The request's session, created (and its cookie set) when there is none. Only for callers already authorized (a
   * login, or the host's hook): anonymous visitors never get one.
   */
  ensureSession(req: Request, res: Response, authenticated = false): Session {
    let session = this.session(req, res);
    if (!session || authenticated) {
      if (session) this.#delete(session.id); // a login gets a fresh id: no session fixation
      res.clearCookie(LOGIN_NONCE_COOKIE, { path: req.baseUrl || '/' });
      const id = randomToken();
      session = { id, csrfToken: this.#mac('csrf', id), authenticated, lastSeen: this.#now() };
      this.#store(session);
      this.#setCookie(req, res, session);
    }
    req.rndsSession = session;
    return session;
  }

  /** Ends the request's session: its cookie is cleared and its id refused from now on, also after a restart. */
  async endSession(req: Request, res: Response): Promise<void> {
    const session = this.session(req);
    res.clearCookie(SESSION_COOKIE, { path: req.baseUrl || '/' });
    if (!session) return;
    this.#delete(session.id);
    const now = this.#now();
    // No cookie of this id was signed after now, so none can outlive now + the idle limit.
    await this.#revocations.revoke(session.id, now + SESSION_IDLE_MS + SESSION_REFRESH_MS, now);
  }

  /** Keeps `flash` in the session for the next page. */
  setFlash(session: Session, flash: Flash): void {
    session.flash = flash;
  }

  /** The session's flash, removed: it is shown once. */
  takeFlash(session: Session): Flash | undefined {
    const { flash } = session;
    session.flash = undefined;
    return flash;
  }

  #setCookie(req: Request, res: Response, session: Session): void {
    res.cookie(SESSION_COOKIE, this.#seal(session), { httpOnly: true, sameSite: 'strict', secure: req.secure, path: req.baseUrl || '/' });
  }

  #seal(session: Session): string {
    const body = `${session.id}.${session.authenticated ? 1 : 0}.${Math.floor(session.lastSeen / 1000)}`;
    return `${body}.${this.#mac('sessao', body)}`;
  }

  #unseal(value: string | undefined): { id: string; authenticated: boolean; seen: number } | undefined {
    const match = value === undefined ? null : /^([\w-]{43})\.([01])\.(\d{1,12})\.([\w-]{43})$/.exec(value);
    if (!match) return undefined;
    const [, id, authenticated, seen, mac] = match as unknown as [string, string, string, string, string];
    if (!safeEqual(mac, this.#mac('sessao', `${id}.${authenticated}.${seen}`))) return undefined;
    return { id, authenticated: authenticated === '1', seen: Number(seen) * 1000 };
  }

  /** True when the given text is the standalone access token. */
  checkToken(token: string): boolean {
    return matchesSecret(token, this.#accessToken);
  }

  /** Resolves who is calling, or undefined when nobody is authorized. */
  async identify(req: Request, res?: Response): Promise<Caller | undefined> {
    const known = this.identifyNow(req, res);
    return known === HOOK ? this.#askHook(req) : known;
  }

  /**
   * Who is calling, found without waiting: the monitoring token, the access token or the session. HOOK when the
   * host's authorization hook must be asked (identify does). The Status reads use it to answer without a promise.
   */
  identifyNow(req: Request, res?: Response): Caller | undefined | typeof HOOK {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && this.#monitoringToken !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match && matchesSecret(match[1]!, this.#monitoringToken)) return callerAs(() => `monitoramento (${req.ip})`, { viaHeader: true, monitoring: true });
    }
    if (this.#authorize) return HOOK;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match && this.checkToken(match[1]!) ? callerAs(() => `token (${clientAddress(req)})`, { viaHeader: true }) : undefined;
    }
    const session = this.session(req, res);
    if (session?.authenticated) {
      req.rndsSession = session;
      return { actor: `sessão (${clientAddress(req)})`, viaHeader: false };
    }
    return undefined;
  }

  async #askHook(req: Request): Promise<Caller | undefined> {
    const authorization = req.headers.authorization;
    const result = await this.#authorize!(req);
    if (!result) return undefined;
    const actor = displayName(typeof result === 'string' ? result : typeof result === 'object' ? String(result.actor) : 'host');
    // Only a Bearer header proves a non-browser client: browsers resend Basic credentials cross-site by themselves.
    return { actor, viaHeader: authorization !== undefined && /^Bearer\s/i.test(authorization) };
  }

  /** Middleware: lets authorized requests through; answers the others (401 for the API, the login page for HTML). */
  require(onUnauthenticatedPage: (req: Request, res: Response) => void) {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        // Already asked by an earlier handler of the same request (the Status reads): the hook is called once.
        const known = res.locals.rndsIdentified as { caller: Caller | undefined } | undefined;
        const caller = known ? known.caller : await this.identify(req, res);
        if (caller?.monitoring && !((req.method === 'GET' || req.method === 'HEAD') && MONITORING_ROUTES.has(req.path))) {
          return next(new RndsError('FORBIDDEN', 'O token de monitoramento só lê /api/status, /api/certificates e /metrics: para habilitar, desabilitar ou testar a conexão, use o token de acesso.'));
        }
        if (caller) {
          req.rndsCaller = caller;
          req.rndsSession ??= this.session(req, res);
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
