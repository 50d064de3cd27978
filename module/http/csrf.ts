import type { NextFunction, Request, Response } from 'express';
import { RndsError } from '../errors.js';
import { safeEqual, type Sessions } from './sessions.js';

/**
 * Why a browser request looks cross-site, or undefined when it does not: the Fetch Metadata and Origin headers must
 * not say cross-site. The Host itself is checked against the allow-list (headers.ts), so comparing Origin with it is
 * sound.
 */
function crossSiteReason(req: Request): string | undefined {
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
function sentCsrfToken(req: Request): string | undefined {
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

const EXPIRED = 'token de segurança ausente ou expirado';

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
    if (!session || !sent || !safeEqual(sent, session.csrfToken)) return next(forbidden(EXPIRED));
    next();
  };
}

/** The login form's check: not cross-site, and the token of the visitor's nonce cookie (anonymous: no session). */
export function loginCsrf(sessions: Sessions) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const crossSite = crossSiteReason(req);
    if (crossSite) return next(forbidden(crossSite));
    if (!sessions.checkLoginCsrf(req, sentCsrfToken(req))) return next(forbidden(EXPIRED));
    next();
  };
}

/** Logging out is a change too: a cross-site form must not do it. Without a session there is nothing to protect. */
export function logoutCsrf(sessions: Sessions) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const session = sessions.session(req);
    if (session) {
      const crossSite = crossSiteReason(req);
      if (crossSite) return next(forbidden(crossSite));
      const sent = sentCsrfToken(req);
      if (!sent || !safeEqual(sent, session.csrfToken)) return next(forbidden(EXPIRED));
    }
    next();
  };
}
