import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RndsError } from '../errors.js';

const WINDOW_MS = 15 * 60 * 1000;

/** Seconds until the rate limiter's window for this client ends. */
export function retryAfterOf(req: Request): number {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Wrong access tokens, per client address: only failures count (a 401 or 403 of /entrar). `onLimited` answers the
 * refused request with the pt-BR message (the login page or JSON).
 */
export function loginLimiter(onLimited: (req: Request, res: Response, message: string, retryAfterSeconds: number) => void): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      const retryAfterSeconds = retryAfterOf(req);
      res.set('Retry-After', String(retryAfterSeconds));
      const message = `Muitas tentativas de entrar com token inválido: aguarde ${plural(Math.ceil(retryAfterSeconds / 60), 'minuto')} e tente de novo com o token do arquivo access-token da pasta de dados.`;
      onLimited(req, res, message, retryAfterSeconds);
    },
  });
}

/**
 * Only wrong passwords count (CONTRACT.md): any other mistake (no service ticked, wrong file…) is given back, so the
 * admin with the right password is never locked out by typos elsewhere. One limiter (one store) for every enable path:
 * a route marks a wrong password with `res.locals.rndsErrorCode`.
 */
export function enableLimiter(maxFailedAttempts: number): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: maxFailedAttempts,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.locals.rndsErrorCode !== 'WRONG_PASSWORD',
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res, next) => {
      const retryAfterSeconds = retryAfterOf(req);
      res.set('Retry-After', String(retryAfterSeconds));
      next(
        new RndsError(
          'TOO_MANY_ATTEMPTS',
          `Muitas senhas incorretas (${maxFailedAttempts} em 15 minutos): aguarde ${plural(Math.ceil(retryAfterSeconds / 60), 'minuto')} e tente de novo, conferindo a senha do certificado. Só senhas incorretas contam para este limite.`,
          { retryAfterSeconds },
        ),
      );
    },
  });
}
