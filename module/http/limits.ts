import type { Request, RequestHandler, Response } from 'express';
import type { rateLimit as RateLimit } from 'express-rate-limit';
import { RndsError } from '../errors.js';

const WINDOW_MS = 15 * 60 * 1000;

/** Seconds until the rate limiter's window for this client ends. */
function retryAfterOf(req: Request): number {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
}

/**
 * A limiter made by `create` on its first request: express-rate-limit (and its IP-address parser) is loaded when
 * someone first logs in or enables, not at start (issue 14). One limiter, so one store, however many requests race
 * to be the first.
 */
function onFirstUse(create: (rateLimit: typeof RateLimit) => RequestHandler): RequestHandler {
  let made: Promise<RequestHandler> | undefined;
  let limiter: RequestHandler | undefined;
  return (req, res, next) => {
    if (limiter) return limiter(req, res, next);
    made ??= import('express-rate-limit').then(({ rateLimit }) => (limiter = create(rateLimit)));
    return made.then((ready) => ready(req, res, next)).catch(next);
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Wrong access tokens, per client address: only failures count (a 401 or 403 of /entrar). `onLimited` answers the
 * refused request with the pt-BR message (the login page or JSON).
 */
export function loginLimiter(onLimited: (req: Request, res: Response, message: string, retryAfterSeconds: number) => void): RequestHandler {
  return onFirstUse((rateLimit) =>
    rateLimit({
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
    }),
  );
}

/** The certificate file an enable request names (API JSON or the form), if any. */
function fileOf(req: Request): string | undefined {
  const file = (req.body as Record<string, unknown> | undefined)?.file;
  return typeof file === 'string' && file !== '' ? file : undefined;
}

/** Failed enable attempts: the attempt limit and the metrics' count, fed from one place. */
export interface EnableAttempts {
  /** In front of every enable route: only wrong passwords count (docs/CONTRACT.md). */
  limiter: RequestHandler;
  /**
   * Every refusal answered to a request: when the request is an enable attempt (any 4xx of an enable route — a form's
   * refusal, the API's Error, the limit itself), it is counted for the metrics and marked for the limiter.
   */
  refused(req: Request, res: Response, error: RndsError): void;
}

/**
 * Only wrong passwords count toward the limit: any other mistake (no service ticked, wrong file…) is given back, so the
 * admin with the right password is never locked out by typos elsewhere. One limiter (one store) for every enable path.
 */
export function enableAttempts(options: { maxFailedAttempts: number; paths: ReadonlySet<string>; onFailure?: (code: string) => void }): EnableAttempts {
  const { maxFailedAttempts, paths, onFailure } = options;
  const make = (extra: { keyGenerator?: (req: Request) => string; skip?: (req: Request) => boolean }) =>
    onFirstUse((rateLimit) =>
      rateLimit({
        windowMs: WINDOW_MS,
        limit: maxFailedAttempts,
        skipSuccessfulRequests: true,
        requestWasSuccessful: (_req, res) => res.locals.rndsErrorCode !== 'WRONG_PASSWORD',
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        ...extra,
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
      }),
    );
  const perAddress = make({});
  // Per certificate file across all addresses: behind a trusted proxy, a rotating X-Forwarded-For is a new address
  // each time, but guesses at one file's password still add up here.
  const perFile = make({ keyGenerator: (req) => `arquivo:${fileOf(req) ?? ''}`, skip: (req) => fileOf(req) === undefined });
  const limiter: RequestHandler = (req, res, next) => perAddress(req, res, (error?: unknown) => (error ? next(error) : perFile(req, res, next)));
  return {
    limiter,
    refused(req, res, error) {
      res.locals.rndsErrorCode = error.code;
      if (req.method !== 'POST' || !paths.has(req.path) || error.httpStatus < 400 || error.httpStatus >= 500) return;
      onFailure?.(error.code);
    },
  };
}
