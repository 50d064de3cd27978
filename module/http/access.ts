import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { RndsError } from '../errors.js';
import type { AuthorizeHook } from '../options.js';

export const SESSION_COOKIE = 'pec_rnds_sessao';
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;

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

  constructor(options: { accessToken?: string; authorize?: AuthorizeHook; monitoringToken?: string }) {
    this.#accessToken = options.accessToken;
    this.#authorize = options.authorize;
    this.#monitoringToken = options.monitoringToken;
  }

  get usesLogin(): boolean {
    return this.#authorize === undefined;
  }

  /** The request's session, if its cookie names a live one. */
  session(req: Request): Session | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    const session = id ? this.#sessions.get(id) : undefined;
    if (!session) return undefined;
    if (Date.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.#sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  /** The request's session, created (and its cookie set) when there is none. */
  ensureSession(req: Request, res: Response, authenticated = false): Session {
    let session = this.session(req);
    if (!session || authenticated) {
      if (session) this.#sessions.delete(session.id); // a login gets a fresh id: no session fixation
      session = { id: randomToken(), csrfToken: randomToken(), authenticated, lastSeen: Date.now() };
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
    if (session) this.#sessions.delete(session.id);
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
      const actor = typeof result === 'string' ? result : typeof result === 'object' ? result.actor : 'host';
      // Only a Bearer header proves a non-browser client: browsers resend Basic credentials cross-site by themselves.
      return { actor, viaHeader: authorization !== undefined && /^Bearer\s/i.test(authorization) };
    }
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return match && this.checkToken(match[1]!) ? { actor: `token (${req.ip})`, viaHeader: true } : undefined;
    }
    const session = this.session(req);
    if (session?.authenticated) {
      req.rndsSession = session;
      return { actor: `sessão (${req.ip})`, viaHeader: false };
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
      if (oldest) this.#sessions.delete(oldest.id);
    }
    this.#sessions.set(session.id, session);
  }
}

/**
 * CSRF for browser (cookie) requests: the Fetch Metadata and Origin headers must not say cross-site, and the
 * synchronizer token of the session must come with the request. `Origin: null` or no Origin is not a pass: plain-HTTP
 * LANs send no `Sec-Fetch-*` headers, so the token is what protects them.
 */
export function csrfProtection() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    if (req.rndsCaller?.viaHeader) return next();
    const forbidden = (why: string) =>
      next(new RndsError('FORBIDDEN', `Pedido recusado por segurança (${why}): recarregue a página e tente novamente.`));
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return forbidden('origem externa');
    const origin = req.get('origin');
    if (origin !== undefined && origin !== 'null') {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      if (host !== req.get('host')) return forbidden('origem externa');
    }
    const session = req.rndsSession;
    const body: unknown = req.body;
    const sent =
      req.get('x-csrf-token') ??
      (typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)._csrf === 'string'
        ? ((body as Record<string, unknown>)._csrf as string)
        : undefined);
    if (!session || !sent || !safeEqual(sent, session.csrfToken)) return forbidden('token de segurança ausente ou expirado');
    next();
  };
}
