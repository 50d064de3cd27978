import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type Response } from 'express';
import { RndsError } from '../errors.js';
import { loginModel } from '../present/screen-model.js';
import type { Enablement } from '../enablement/index.js';
import { loginCsrf, logoutCsrf } from './csrf.js';
import type { EventHub } from './events.js';
import type { Flash } from './flash.js';
import type { HandlerContext, HandlerRequest, Reply } from './handler.js';
import type { Access } from './identify.js';
import type { EnableAttempts, LoginBudget } from './limits.js';
import type { Route } from './routes.js';
import { inPlace, type Render } from './screen.js';
import { sendStatus } from './status-reads.js';

/** The login page for a visitor without access, or the answer that stands for it. */
export type LoginPage = (req: Request, res: Response, status?: number, error?: string) => void;

/** Set by Sair, read (and cleared) by the login page it leads to. */
const LOGGED_OUT_COOKIE = 'pec_rnds_saiu';

/**
 * The login page. Anonymous visitors get no session: the login form's CSRF token is an HMAC of a nonce in their own
 * cookie. Embedded (a host's hook decides), there is no login form: a plain 401.
 */
export function createLoginPage(access: Access): LoginPage {
  return (req, res, status = 200, error) => {
    if (!access.usesLogin) {
      res.status(401).type('text/plain; charset=utf-8').send('Acesso não autorizado: entre no PEC como administrador municipal.');
      return;
    }
    // "Você saiu", once: the session is gone, so a short cookie of its own carries it to the next login page.
    const loggedOut = (req.cookies as Record<string, unknown> | undefined)?.[LOGGED_OUT_COOKIE] === '1';
    if (loggedOut) res.clearCookie(LOGGED_OUT_COOKIE, { path: req.baseUrl || '/' });
    res.status(status).render('login', loginModel({ base: req.baseUrl, error, loggedOut: loggedOut && !error, csrfToken: access.sessions.loginCsrf(req, res) }));
  };
}

/**
 * Post/redirect/get: every form answers 303 to the screen, which shows what the session's flash holds once. F5 then
 * repeats the GET, never the POST, and no message travels in the URL.
 */
export function redirectWithFlash(req: Request, res: Response, access: Access, flash: Flash | undefined): void {
  const session = req.rndsSession;
  if (session && flash) access.sessions.setFlash(session, flash);
  // app.js's in-place submit: fetch must not follow the redirect (the flash would be shown to it, not to the admin).
  if (inPlace(req)) res.json({ redirect: `${req.baseUrl}/` });
  else res.redirect(303, `${req.baseUrl}/`);
}

export interface AdapterDeps {
  context: HandlerContext;
  access: Access;
  enablement: Enablement;
  events: EventHub;
  render: Render;
  loginPage: LoginPage;
  attempts: EnableAttempts;
  /** Wrong access tokens per address, shared with the Bearer checks (identify.ts). */
  logins: LoginBudget;
  /** Answers the Prometheus scrape (metrics.ts); without it /metrics is not found. */
  metrics?: (req: Request, res: Response) => Promise<void>;
}

/**
 * Turns routes of the table (routes.ts) into Express routes: each gets its rate limit and CSRF check, then its handler
 * with plain data, and its Reply becomes the answer here — the only place these routes touch req/res. One adapter per
 * app, so each rate limit has one store however many groups of routes it mounts.
 */
export function expressAdapter(deps: AdapterDeps): { mount(router: express.Router, routes: readonly Route[]): void } {
  const { access } = deps;
  const limiters = {
    login: deps.logins.loginLimiter((req, res, message, retryAfterSeconds) => {
      if (!access.usesLogin || !req.accepts('html')) {
        res.status(429).json(new RndsError('TOO_MANY_LOGINS', message, { retryAfterSeconds }).toJSON());
        return;
      }
      deps.loginPage(req, res, 429, message);
    }),
    enable: deps.attempts.limiter,
  };
  const csrfChecks = { login: loginCsrf(access.sessions), logout: logoutCsrf(access.sessions) };

  return {
    mount(router, routes) {
      for (const route of routes) {
        const chain: express.RequestHandler[] = [];
        if (route.limit) chain.push(limiters[route.limit]);
        if (route.csrf) chain.push(csrfChecks[route.csrf]);
        chain.push(async (req, res, next) => {
          try {
            const reply = await route.handler(requestOf(route, req), deps.context);
            await send(reply, req, res, next, deps);
          } catch (error) {
            next(error);
          }
        });
        router[route.method](route.path, ...chain);
      }
    },
  };
}

/** The plain data a handler gets (HandlerRequest). */
function requestOf(route: Route, req: Request): HandlerRequest {
  const body: unknown = route.body?.type === 'json' ? (req.is('application/json') ? req.body : undefined) : (req.body ?? {});
  return { params: req.params as Record<string, string>, query: req.query as Record<string, unknown>, body, caller: req.rndsCaller, session: req.rndsSession };
}

async function send(reply: Reply, req: Request, res: Response, next: NextFunction, deps: AdapterDeps): Promise<void> {
  switch (reply.kind) {
    case 'json':
      if (reply.headers) res.set(reply.headers);
      res.status(reply.status ?? 200).json(reply.body);
      return;
    case 'error':
      return next(reply.error);
    case 'status':
      return sendStatus(req, res, deps.enablement, reply.part);
    case 'page':
      return deps.render(req, res, reply.view, reply.extra);
    case 'back':
      if (reply.refusal) deps.attempts.refused(req, res, reply.refusal);
      if (reply.inPlace && inPlace(req)) return deps.render(req, res, reply.inPlace.view, reply.inPlace.extra);
      return redirectWithFlash(req, res, deps.access, reply.flash);
    case 'login':
      return deps.loginPage(req, res, reply.status, reply.error);
    case 'redirect':
      if (reply.session === 'start') deps.access.sessions.ensureSession(req, res, true);
      if (reply.session === 'end') {
        await deps.access.sessions.endSession(req, res);
        res.cookie(LOGGED_OUT_COOKIE, '1', { httpOnly: true, sameSite: 'strict', secure: req.secure, path: req.baseUrl || '/', maxAge: 60_000 });
      }
      return res.redirect(303, `${req.baseUrl}${reply.to}`);
    case 'events':
      return deps.events.subscribe(req, res, reply.owner);
    case 'metrics':
      return deps.metrics ? deps.metrics(req, res) : next();
    case 'download':
      res.status(200).set({ 'Content-Type': reply.type, 'Content-Disposition': `attachment; filename="${reply.fileName}"` });
      try {
        // Backpressure from the socket paces the reading; a client that leaves stops it (the source is closed).
        await pipeline(Readable.from(reply.body), res);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
      }
      return;
  }
}
