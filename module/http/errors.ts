import type { NextFunction, Request, Response } from 'express';
import { RndsError, isRndsError } from '../errors.js';
import type { Environment } from '../types.js';
import type { Logger } from '../config/options.js';
import { redirectWithFlash } from './express-adapter.js';
import { enableInputOf, refusedForm } from './forms.js';
import type { Access } from './identify.js';
import type { EnableAttempts } from './limits.js';

export interface ErrorDeps {
  logger: Logger;
  access: Access;
  defaultEnvironment: Environment;
  attempts: EnableAttempts;
}

/** The last route: anything not matched is a 404 in the module's own words. */
export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new RndsError('NOT_FOUND', 'Página não encontrada: volte à tela de certificados.'));
}

/** Any error as an RndsError: express's body-parser failures get their contract code; anything else is INTERNAL. */
function toRndsError(error: unknown): RndsError {
  if (isRndsError(error)) return error;
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new RndsError('INVALID_INPUT', 'O corpo do pedido não é um JSON válido.', { fields: { body: 'JSON inválido.' } });
  if (e?.type === 'entity.too.large' && typeof (e as { limit?: unknown }).limit === 'number' && (e as { limit: number }).limit > 16 * 1024) {
    return new RndsError('PAYLOAD_TOO_LARGE', 'O lote de envios é grande demais (limite de 1 MB e 1000 envios por pedido): divida-o em pedidos menores.');
  }
  if (e?.type === 'entity.too.large' || e?.type === 'parameters.too.many') {
    return new RndsError('PAYLOAD_TOO_LARGE', 'O pedido é grande demais (limite de 16 KB): envie só os campos do formulário.');
  }
  if (e?.status === 404) return new RndsError('NOT_FOUND', 'Arquivo não encontrado.');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new RndsError('INVALID_INPUT', 'Pedido inválido.');
  return new RndsError('INTERNAL', 'Erro inesperado: tente novamente e, se persistir, contate o suporte.', { cause: error });
}

/** Error text for the log: never request bodies (they may hold the password). */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

/** One error shape for the API (docs/CONTRACT.md's Error); a readable page (or plain text) for the screen. */
export function errorHandler(deps: ErrorDeps) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const rndsError = toRndsError(error);
    if (!rndsError.isOperational) deps.logger.error(`Erro inesperado em ${req.method} ${req.baseUrl}${req.path}: ${describe(error)}`);
    deps.attempts.refused(req, res, rndsError);
    if (rndsError.retryAfterSeconds !== undefined) res.set('Retry-After', String(rndsError.retryAfterSeconds));
    if (res.headersSent) return;
    const wantsJson = req.path.startsWith('/api/') || req.path === '/metrics' || !req.accepts('html') || req.is('application/json');
    if (wantsJson) {
      res.status(rndsError.httpStatus).json(rndsError.toJSON());
    } else if (req.method === 'POST' && req.path === '/habilitar' && rndsError.code === 'TOO_MANY_ATTEMPTS' && req.rndsSession) {
      // The form comes back with what was typed (never the password) and the wait, like any refusal.
      const input = enableInputOf((req.body ?? {}) as Record<string, unknown>);
      redirectWithFlash(req, res, deps.access, { form: refusedForm(input, rndsError, deps.defaultEnvironment) });
    } else {
      res.status(rndsError.httpStatus).type('text/plain; charset=utf-8').send(rndsError.message);
    }
  };
}
