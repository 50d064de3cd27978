import net from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { RndsError } from '../errors.js';
import { displayName } from '../present/index.js';
import type { AuthorizeHook } from '../config/options.js';
import { type LoginBudget, tooManyLogins } from './limits.js';
import { type KnownSecret, knownSecret, matchesSecret, Sessions, type SessionsOptions } from './sessions.js';

/** Who is making the request, as the audit trail records it. */
export interface Caller {
  actor: string;
  /** Authenticated by an `Authorization` header: not a browser's ambient credential, so no CSRF token needed. */
  viaHeader: boolean;
  /** The read-only monitoring token: only the routes the route table opens to monitoring. */
  monitoring?: boolean;
  /** The reporting token: only the routes the route table opens to reporting (`POST /api/envios`). */
  reporting?: boolean;
}

/** identifyNow's answer when only the host's authorization hook can tell. */
export const HOOK = Symbol('ask the host hook');

declare module 'express-serve-static-core' {
  interface Request {
    rndsCaller?: Caller;
  }
}

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

/**
 * The client address for the audit trail and the logs. Behind a trusted proxy `req.ip` comes from X-Forwarded-For,
 * which is any text the client wants: only a real IP address becomes part of an actor.
 */
function clientAddress(req: Request): string {
  const ip = req.ip ?? '';
  return net.isIP(ip) ? ip : 'endereço desconhecido';
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** Any Bearer credential, well-formed or not: a try at a token. */
const BEARER_SCHEME = /^Bearer\b/i;

/**
 * Access to the module: a host's authorization hook (embedded) or the standalone access token (Bearer header or a
 * login that sets a session cookie, see sessions.ts), and the read-only monitoring token.
 */
export class Access {
  readonly sessions: Sessions;
  readonly #accessToken?: KnownSecret;
  readonly #authorize?: AuthorizeHook;
  readonly #monitoringToken?: KnownSecret;
  readonly #reportingToken?: KnownSecret;

  constructor(options: { accessToken?: string; authorize?: AuthorizeHook; monitoringToken?: string; reportingToken?: string } & SessionsOptions) {
    this.#accessToken = knownSecret(options.accessToken);
    this.#authorize = options.authorize;
    this.#monitoringToken = knownSecret(options.monitoringToken);
    this.#reportingToken = knownSecret(options.reportingToken);
    this.sessions = new Sessions(options);
  }

  get usesLogin(): boolean {
    return this.#authorize === undefined;
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
      const match = BEARER.exec(authorization);
      if (match && matchesSecret(match[1]!, this.#monitoringToken)) return callerAs(() => `monitoramento (${req.ip})`, { viaHeader: true, monitoring: true });
    }
    if (authorization !== undefined && this.#reportingToken !== undefined) {
      const match = BEARER.exec(authorization);
      if (match && matchesSecret(match[1]!, this.#reportingToken)) return callerAs(() => `envios (${clientAddress(req)})`, { viaHeader: true, reporting: true });
    }
    if (this.#authorize) return HOOK;
    if (authorization !== undefined) {
      const match = BEARER.exec(authorization);
      return match && this.checkToken(match[1]!) ? callerAs(() => `token (${clientAddress(req)})`, { viaHeader: true }) : undefined;
    }
    const session = this.sessions.session(req, res);
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

  /**
   * Middleware: lets authorized requests through; answers the others (401 for the API, the login page for HTML). A
   * monitoring caller gets only GET/HEAD of `monitoringPaths` (the route table's `monitoring` routes); a reporting
   * caller only POST of `reportingPaths`. Standalone, a Bearer token that matches no token spends the address's budget
   * of `logins`, shared with /entrar; once it is spent, every Bearer request from that address is refused (429) until
   * its window ends, the right token too.
   */
  require(monitoringPaths: ReadonlySet<string>, onUnauthenticatedPage: (req: Request, res: Response) => void, reportingPaths: ReadonlySet<string> = new Set(), logins?: LoginBudget) {
    const refuse = (retryAfterSeconds: number) => new RndsError('TOO_MANY_LOGINS', tooManyLogins(retryAfterSeconds), { retryAfterSeconds });
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        const bearerTry = logins !== undefined && this.usesLogin && BEARER_SCHEME.test(req.headers.authorization ?? '');
        const wait = bearerTry ? logins.waitOf(req) : undefined;
        if (wait !== undefined) return next(refuse(wait));
        // Already asked by an earlier handler of the same request (the Status reads): the hook is called once.
        const known = res.locals.rndsIdentified as { caller: Caller | undefined } | undefined;
        const caller = known ? known.caller : await this.identify(req, res);
        if (caller?.monitoring && !((req.method === 'GET' || req.method === 'HEAD') && monitoringPaths.has(req.path))) {
          return next(new RndsError('FORBIDDEN', 'O token de monitoramento só lê /api/status, /api/certificates, /api/envios e /metrics: para habilitar, desabilitar ou testar a conexão, use o token de acesso.'));
        }
        if (caller?.reporting && !(req.method === 'POST' && reportingPaths.has(req.path))) {
          return next(new RndsError('FORBIDDEN', 'O token de envios só informa envios (POST /api/envios): para ler ou mudar a configuração, use o token de acesso.'));
        }
        if (caller) {
          req.rndsCaller = caller;
          req.rndsSession ??= this.sessions.session(req, res);
          return next();
        }
        if (bearerTry) {
          const over = await logins.wrongToken(req);
          if (over !== undefined) return next(refuse(over));
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
}
