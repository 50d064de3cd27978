import type express from 'express';
import type { Request, Response } from 'express';
import { RndsError } from '../errors.js';
import { loginModel } from '../present/screen-model.js';
import { type Access, crossSiteReason, forbidden, safeEqual, sentCsrfToken } from './access.js';
import { loginLimiter } from './limits.js';

export type LoginPage = (req: Request, res: Response, status?: number, error?: string) => void;

/**
 * The login page for a visitor without access. Anonymous visitors get no session: the login form's CSRF token is an
 * HMAC of a nonce in their own cookie. Embedded (a host's hook decides), there is no login form: a plain 401.
 */
export function createLoginPage(access: Access): LoginPage {
  return (req, res, status = 200, error) => {
    if (!access.usesLogin) {
      res.status(401).type('text/plain; charset=utf-8').send('Acesso não autorizado: entre no PEC como administrador municipal.');
      return;
    }
    res.status(status).render('login', loginModel({ base: req.baseUrl, error, csrfToken: access.loginCsrf(req, res) }));
  };
}

/** Login (standalone mode) and logout: `/entrar` (the `?token=` link printed by `npm start`, and the form) and `/sair`. */
export function loginRoutes(app: express.Express, access: Access, loginPage: LoginPage): void {
  const limiter = loginLimiter((req, res, message, retryAfterSeconds) => {
    if (!access.usesLogin || !req.accepts('html')) {
      res.status(429).json(new RndsError('TOO_MANY_LOGINS', message, { retryAfterSeconds }).toJSON());
      return;
    }
    loginPage(req, res, 429, message);
  });

  app.get('/entrar', limiter, (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (token === undefined) return loginPage(req, res);
    if (!access.checkToken(token)) return loginPage(req, res, 401, 'Token de acesso inválido: copie o endereço mostrado pelo npm start ou o conteúdo do arquivo access-token da pasta de dados.');
    access.ensureSession(req, res, true);
    res.redirect(303, `${req.baseUrl}/`);
  });
  app.post('/entrar', limiter, (req, res, next) => {
    const crossSite = crossSiteReason(req);
    if (crossSite) return next(forbidden(crossSite));
    if (!access.checkLoginCsrf(req, sentCsrfToken(req))) return next(forbidden('token de segurança ausente ou expirado'));
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    if (!access.checkToken(token)) return loginPage(req, res, 401, 'Token de acesso inválido: confira o token e tente novamente.');
    access.ensureSession(req, res, true);
    res.redirect(303, `${req.baseUrl}/`);
  });
  // Opened by hand: logging out is a POST (with the session's CSRF token); the screen (or the login) answers a GET.
  app.get('/sair', (req, res) => res.redirect(303, `${req.baseUrl}/`));
  // Logging out is a change too: a cross-site form must not be able to do it. Without a session there is nothing to end.
  app.post('/sair', async (req, res, next) => {
    const session = access.session(req);
    if (session) {
      const crossSite = crossSiteReason(req);
      if (crossSite) return next(forbidden(crossSite));
      const sent = sentCsrfToken(req);
      if (!sent || !safeEqual(sent, session.csrfToken)) return next(forbidden('token de segurança ausente ou expirado'));
    }
    await access.endSession(req, res); // revoked on disk before the answer; its event streams end with it (onSessionEnd)
    res.redirect(303, `${req.baseUrl}/entrar`);
  });
}
