import type { Request, RequestHandler, Response } from 'express';
import type { ClientRateLimitInfo, rateLimit as RateLimit, Store } from 'express-rate-limit';
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

/** Wrong access tokens one address may try in a window, at /entrar and as Bearer tokens together. */
export const LOGIN_LIMIT = 10;

/** The pt-BR refusal of an address that spent its budget of wrong tokens. */
export function tooManyLogins(retryAfterSeconds: number): string {
  return `Muitas tentativas de entrar com token inválido: aguarde ${plural(Math.ceil(retryAfterSeconds / 60), 'minuto')} e tente de novo com o token do arquivo access-token da pasta de dados.`;
}

type Limited = (req: Request, res: Response, message: string, retryAfterSeconds: number) => void;

/**
 * One budget of wrong access tokens per client address (express-rate-limit's key, so X-Forwarded-For only behind a
 * trusted proxy), shared by `/entrar` and by requests with `Authorization: Bearer`. `/entrar` is express-rate-limit's
 * middleware: it counts every try at its start and gives back the successful ones. Bearer requests are counted here,
 * in the same store, only once their token matched nothing: a right token never counts, so long-lived event streams
 * and pollers never spend the budget. While an address has spent it, every Bearer request from it is refused, the
 * right token too, so guessing cannot go on. Which addresses have spent it is also kept in a map read without waiting
 * (the Status reads answer without a promise), and nothing is loaded while nobody has tried a wrong token (issue 14).
 */
export class LoginBudget {
  #loading?: Promise<void>;
  #limiter?: RequestHandler;
  #store?: Store;
  #keyOf?: (req: Request) => string;
  #onLimited?: Limited;
  /** Keys whose budget is spent, with the end of their window (ms since the epoch). */
  readonly #spent = new Map<string, number>();

  /** The `/entrar` middleware: `onLimited` answers the refused request with the pt-BR message (the login page or JSON). */
  loginLimiter(onLimited: Limited): RequestHandler {
    this.#onLimited = onLimited;
    return (req, res, next) => {
      if (this.#limiter) return this.#limiter(req, res, next);
      return this.#load()
        .then(() => this.#limiter!(req, res, next))
        .catch(next);
    };
  }

  /** Seconds this address must still wait because it spent its budget; undefined when it may try. */
  waitOf(req: Request): number | undefined {
    if (this.#spent.size === 0 || !this.#keyOf) return undefined;
    const key = this.#keyOf(req);
    const until = this.#spent.get(key);
    if (until === undefined) return undefined;
    const left = until - Date.now();
    if (left <= 0) {
      this.#spent.delete(key);
      return undefined;
    }
    return Math.max(1, Math.ceil(left / 1000));
  }

  /**
   * Counts a Bearer token that matched nothing. Returns the seconds to wait when this try went past the budget (many
   * guesses in parallel), undefined when it is still within.
   */
  async wrongToken(req: Request): Promise<number | undefined> {
    await this.#load();
    const info = await this.#store!.increment(this.#keyOf!(req));
    if (info.totalHits <= LOGIN_LIMIT) return undefined;
    return Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
  }

  #note(key: string, info: ClientRateLimitInfo | undefined): void {
    if (info?.resetTime && info.totalHits >= LOGIN_LIMIT) {
      // Addresses that never come back are not read again: their ended windows go when the map grows.
      if (this.#spent.size >= 1024 && !this.#spent.has(key)) {
        const now = Date.now();
        for (const [other, until] of this.#spent) if (until <= now) this.#spent.delete(other);
      }
      this.#spent.set(key, info.resetTime.getTime());
    } else {
      this.#spent.delete(key);
    }
  }

  #load(): Promise<void> {
    this.#loading ??= import('express-rate-limit').then(({ rateLimit, MemoryStore, ipKeyGenerator }) => {
      const memory = new MemoryStore();
      // The limiter's store, also noting which keys have spent the budget.
      const store: Store = {
        localKeys: true,
        init: (options) => memory.init(options),
        get: (key) => memory.get(key),
        increment: async (key) => {
          const info = await memory.increment(key);
          this.#note(key, info);
          return info;
        },
        decrement: async (key) => {
          await memory.decrement(key);
          this.#note(key, await memory.get(key));
        },
        resetKey: async (key) => {
          await memory.resetKey(key);
          this.#spent.delete(key);
        },
        resetAll: async () => {
          await memory.resetAll();
          this.#spent.clear();
        },
        shutdown: () => memory.shutdown(),
      };
      // express-rate-limit's own default key: the address, IPv6 by its /56 network.
      this.#keyOf = (req) => ipKeyGenerator(req.ip ?? '');
      this.#store = store;
      this.#limiter = rateLimit({
        windowMs: WINDOW_MS,
        limit: LOGIN_LIMIT,
        skipSuccessfulRequests: true,
        standardHeaders: 'draft-7',
        legacyHeaders: false,
        store,
        handler: (req, res) => {
          const retryAfterSeconds = retryAfterOf(req);
          res.set('Retry-After', String(retryAfterSeconds));
          this.#onLimited?.(req, res, tooManyLogins(retryAfterSeconds), retryAfterSeconds);
        },
      });
    });
    return this.#loading;
  }
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
