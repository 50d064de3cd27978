import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import ejs from 'ejs';
import cookieParser from 'cookie-parser';
import { RndsError, isRndsError } from '../errors.js';
import type { Enablement } from '../enablement.js';
import type { Logger } from '../options.js';
import { LOOPBACK_HOSTS, PEC_CHAVES_PATHS, normalizeHostName } from '../options.js';
import { assetsDir, viewsDir } from '../paths.js';
import { lookAlikeNames } from '../chaves/index.js';
import { displayName, viewHelpers } from '../present/index.js';
import { GUIDE_PATH, renewalReminder } from '../renewal.js';
import type { Environment, Status } from '../types.js';
import { Access, crossSiteReason, csrfProtection, forbidden, safeEqual, sentCsrfToken } from './access.js';
import { EventHub } from './events.js';

export interface AppDeps {
  enablement: Enablement;
  access: Access;
  events: EventHub;
  logger: Logger;
  defaultEnvironment: Environment;
  /** The installation's time zone (present/dates.ts), for every date the views show. */
  timeZone: string;
  trustProxy: boolean | number | string;
  maxFailedAttempts: number;
  /** Host names accepted in the Host header (loopback names are added); undefined = no check (embedded default). */
  allowedHosts?: string[];
  /** Extra authenticated routes (metrics), mounted after access control. */
  extraRoutes?: (router: express.Router) => void;
  /** Told about every failed enable attempt (any 4xx of /api/enable or the form), for the metrics. */
  onEnableFailure?: (code: string) => void;
}

type FormField = 'file' | 'password' | 'identificadorSolicitante' | 'services' | 'environment';
interface FormState {
  values: { file?: string; identificadorSolicitante?: string; services: string[]; environment: string };
  errors: Partial<Record<FormField, string>>;
  formError?: string;
}

/** Notices after post/redirect/get: a fixed list, so no text ever travels in the URL. */
const NOTICES = {
  habilitado: { type: 'success', text: 'Certificado habilitado. O PEC já pode acessar a RNDS.' },
  desabilitado: { type: 'info', text: 'Certificado desabilitado. O PEC não acessa mais a RNDS.' },
  testado: { type: 'info', text: 'Teste de conexão concluído: veja o resultado abaixo.' },
  renovado: { type: 'success', text: 'Certificado renovado em uso. O PEC continua acessando a RNDS, agora com o novo certificado.' },
  'contra-chave': { type: 'success', text: 'Contra-chave desta instalação salva. É ela que deve ser informada no e-Gestor AB ao solicitar a credencial.' },
} as const;

/** The screen's contra-chave form after a refused post: what was typed (not secret) and why it was refused. */
interface ContraChaveFormState {
  value: string;
  error: string;
}

/** What the views call (`helpers`): the present rules bound to the installation's time zone, and the screen's own few. */
function screenHelpers(timeZone: string) {
  return { ...viewHelpers(timeZone), renewalReminder: (status: Status) => renewalReminder(status, timeZone), guidePath: GUIDE_PATH, lookAlikeNames };
}

/**
 * The module's private Express app: its own view engine, assets, security headers, access control and routes. Only
 * this layer touches req/res; everything else is the Enablement's.
 */
export function createApp(deps: AppDeps): express.Express {
  const { enablement, access, events, logger } = deps;
  const helpers = screenHelpers(deps.timeZone);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.engine('ejs', ejs.renderFile as unknown as Parameters<typeof app.engine>[1]);

  const helmetFor = (secure: boolean) =>
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'font-src': ["'self'"],
          'connect-src': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'self'"],
          'upgrade-insecure-requests': secure ? [] : null,
        },
      },
      referrerPolicy: { policy: 'same-origin' },
      // PEC and its LAN neighbours share host names; HSTS is the host's decision, not an embedded module's.
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
    });
  const helmetHttps = helmetFor(true);
  const helmetHttp = helmetFor(false);
  app.use((req, res, next) => (req.secure ? helmetHttps : helmetHttp)(req, res, next));

  // DNS rebinding: a page on any name the attacker controls can point that name at this server; only the names the
  // installation is really reached by are answered (the CSRF Origin check compares against this checked Host).
  if (deps.allowedHosts && !deps.allowedHosts.includes('*')) {
    const allowed = new Set([...deps.allowedHosts, ...LOOPBACK_HOSTS].map(normalizeHostName));
    app.use((req, _res, next) => {
      const host = req.hostname ? normalizeHostName(req.hostname) : '';
      if (allowed.has(host)) return next();
      next(new RndsError('HOST_NOT_ALLOWED', 'Nome de servidor não reconhecido: acesse o pec-rnds pelo endereço configurado, ou peça ao suporte que acrescente este nome a RNDS_ALLOWED_HOSTS.'));
    });
  }

  app.use('/assets', express.static(assetsDir, { index: false, fallthrough: false, maxAge: '1h' }));

  app.use(cookieParser());

  app.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', rnds: enablement.status().state });
  });

  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  // Every answer past the static assets is per-user and may carry a CSRF token or an error about a secret: no cache.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // Anonymous visitors get no session: the login form's CSRF token is an HMAC of a nonce in their own cookie.
  const loginPage = (req: Request, res: Response, status = 200, error?: string) => {
    if (!access.usesLogin) {
      res.status(401).type('text/plain; charset=utf-8').send('Acesso não autorizado: entre no PEC como administrador municipal.');
      return;
    }
    res.status(status).render('login', { base: req.baseUrl, error, csrfToken: access.loginCsrf(req, res) });
  };

  // Wrong access tokens, per client address: only failures count (a 401 or 403 of /entrar).
  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res) => {
      const retryAfterSeconds = retryAfterOf(req);
      res.set('Retry-After', String(retryAfterSeconds));
      const minutes = Math.ceil(retryAfterSeconds / 60);
      const message = `Muitas tentativas de entrar com token inválido: aguarde ${minutes} minuto${minutes === 1 ? '' : 's'} e tente de novo com o token do arquivo access-token da pasta de dados.`;
      if (!access.usesLogin || !req.accepts('html')) {
        res.status(429).json(new RndsError('TOO_MANY_LOGINS', message, { retryAfterSeconds }).toJSON());
        return;
      }
      loginPage(req, res, 429, message);
    },
  });

  // Login (standalone mode). `?token=` is the link printed by `npm start`; the form posts the same token.
  app.get('/entrar', loginLimiter, (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (token === undefined) return loginPage(req, res);
    if (!access.checkToken(token)) return loginPage(req, res, 401, 'Token de acesso inválido: copie o endereço mostrado pelo npm start ou o conteúdo do arquivo access-token da pasta de dados.');
    access.ensureSession(req, res, true);
    res.redirect(303, `${req.baseUrl}/`);
  });
  app.post('/entrar', loginLimiter, (req, res, next) => {
    const crossSite = crossSiteReason(req);
    if (crossSite) return next(forbidden(crossSite));
    if (!access.checkLoginCsrf(req, sentCsrfToken(req))) return next(forbidden('token de segurança ausente ou expirado'));
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    if (!access.checkToken(token)) return loginPage(req, res, 401, 'Token de acesso inválido: confira o token e tente novamente.');
    access.ensureSession(req, res, true);
    res.redirect(303, `${req.baseUrl}/`);
  });
  // Logging out is a change too: a cross-site form must not be able to do it. Without a session there is nothing to end.
  app.post('/sair', (req, res, next) => {
    const session = access.session(req);
    if (session) {
      const crossSite = crossSiteReason(req);
      if (crossSite) return next(forbidden(crossSite));
      const sent = sentCsrfToken(req);
      if (!sent || !safeEqual(sent, session.csrfToken)) return next(forbidden('token de segurança ausente ou expirado'));
    }
    access.endSession(req, res); // its event streams end with it (onSessionEnd)
    res.redirect(303, `${req.baseUrl}/entrar`);
  });

  app.use(access.require((req, res) => loginPage(req, res)));
  app.use(csrfProtection());

  // Only wrong passwords count (CONTRACT.md): any other mistake (no service ticked, wrong file…) is given back, so the
  // admin with the right password is never locked out by typos elsewhere. One store for every enable path.
  const enableLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: deps.maxFailedAttempts,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.locals.rndsErrorCode !== 'WRONG_PASSWORD',
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, res, next) => {
      const retryAfterSeconds = retryAfterOf(req);
      res.set('Retry-After', String(retryAfterSeconds));
      const minutes = Math.ceil(retryAfterSeconds / 60);
      next(
        new RndsError(
          'TOO_MANY_ATTEMPTS',
          `Muitas senhas incorretas (${deps.maxFailedAttempts} em 15 minutos): aguarde ${minutes} minuto${minutes === 1 ? '' : 's'} e tente de novo, conferindo a senha do certificado. Só senhas incorretas contam para este limite.`,
          { retryAfterSeconds },
        ),
      );
    },
  });

  // ---- API ----
  const router = express.Router();
  router.get('/api/status', (_req, res) => {
    res.json(enablement.status());
  });
  router.get('/api/certificates', (_req, res) => {
    res.json({ certificates: enablement.status().certificates });
  });
  router.post('/api/enable', enableLimiter, async (req, res) => {
    const status = await enablement.enable(req.is('application/json') ? req.body : undefined, req.rndsCaller!.actor);
    logger.info(`RNDS habilitado com ${displayName(status.enabled?.file ?? '')} por ${req.rndsCaller!.actor}`);
    res.json(status);
  });
  router.post('/api/disable', async (req, res) => {
    const status = await enablement.disable(req.rndsCaller!.actor);
    logger.info(`RNDS desabilitado por ${req.rndsCaller!.actor}`);
    res.json(status);
  });
  router.post('/api/renew', async (req, res) => {
    const status = await enablement.renew(req.is('application/json') ? req.body : {}, req.rndsCaller!.actor);
    logger.info(`RNDS passou a usar o certificado renovado ${displayName(status.enabled?.file ?? '')} por ${req.rndsCaller!.actor}`);
    res.json(status);
  });
  router.post('/api/connection-test', async (_req, res) => {
    res.json({ connection: await enablement.testConnection() });
  });
  // The RNDS token is for the host's integrations (Bearer, or rnds.getToken() in process), never for a browser session.
  router.get('/api/token', async (req, res) => {
    if (!req.rndsCaller?.viaHeader) {
      throw new RndsError('FORBIDDEN', 'O token da RNDS só é entregue a integrações com o cabeçalho Authorization: Bearer <token> (ou por rnds.getToken() no próprio servidor), não à sessão do navegador.');
    }
    const token = await enablement.getToken();
    res.json({ accessToken: token.accessToken, tokenType: token.tokenType, expiresAt: token.expiresAt.toISOString() });
  });
  router.post('/api/contra-chave', async (req, res) => {
    const status = await enablement.changeContraChave(req.is('application/json') ? req.body : undefined, req.rndsCaller!.actor, 'api');
    logger.info(`Contra-chave desta instalação: ${status.contraChave} (informada por ${req.rndsCaller!.actor})`);
    res.json(status);
  });
  access.onSessionEnd((sessionId) => events.endSession(sessionId));
  router.get('/api/events', (req, res) => {
    const sessionId = req.rndsCaller?.viaHeader ? undefined : req.rndsSession?.id;
    events.subscribe(req, res, sessionId === undefined ? {} : { sessionId, isLive: () => access.isLive(sessionId) });
  });
  deps.extraRoutes?.(router);

  // ---- The screen ----
  const render = (
    req: Request,
    res: Response,
    view: 'page' | 'partials/estado' | 'guia',
    extra: { form?: FormState; notice?: { type: string; text: string }; status?: number; contraChaveForm?: ContraChaveFormState } = {},
  ) => {
    const session = req.rndsSession ?? access.ensureSession(req, res);
    const status: Status = enablement.status();
    const form: FormState = extra.form ?? {
      values: { services: ['RNDS'], environment: status.enabled?.environment ?? deps.defaultEnvironment },
      errors: {},
    };
    res.status(extra.status ?? 200).render(view, {
      base: req.baseUrl,
      status,
      csrfToken: session.csrfToken,
      form,
      notice: extra.notice,
      contraChaveForm: extra.contraChaveForm,
      defaultEnvironment: deps.defaultEnvironment,
      paths: PEC_CHAVES_PATHS,
      helpers,
      loginEnabled: access.usesLogin,
    });
  };

  router.get('/', (req, res) => {
    const key = typeof req.query.aviso === 'string' ? req.query.aviso : '';
    const notice = Object.hasOwn(NOTICES, key) ? NOTICES[key as keyof typeof NOTICES] : undefined;
    render(req, res, 'page', { notice });
  });
  router.get('/fragmentos/estado', (req, res) => render(req, res, 'partials/estado'));
  router.get('/guia', (req, res) => render(req, res, 'guia'));

  router.post('/contra-chave', async (req, res, next) => {
    const typed = typeof req.body?.contraChave === 'string' ? req.body.contraChave : '';
    try {
      const status = await enablement.changeContraChave({ contraChave: typed }, req.rndsCaller!.actor, 'tela');
      logger.info(`Contra-chave desta instalação: ${status.contraChave} (informada na tela por ${req.rndsCaller!.actor})`);
      res.redirect(303, `${req.baseUrl}/?aviso=contra-chave`);
    } catch (error) {
      if (!isRndsError(error) || error.httpStatus >= 500) return next(error);
      render(req, res, 'page', {
        status: error.httpStatus,
        contraChaveForm: { value: typed.slice(0, 100), error: error.fields?.contraChave ?? error.message },
      });
    }
  });

  router.post('/habilitar', enableLimiter, async (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const services = Array.isArray(body.services) ? body.services.filter((s): s is string => typeof s === 'string') : typeof body.services === 'string' ? [body.services] : [];
    const input = {
      file: text(body.file) ?? '',
      password: text(body.password) ?? '',
      identificadorSolicitante: text(body.identificadorSolicitante) ?? '',
      services,
      environment: text(body.environment) || undefined,
    };
    try {
      await enablement.enable(input, req.rndsCaller!.actor);
      logger.info(`RNDS habilitado com ${displayName(input.file)} por ${req.rndsCaller!.actor}`);
      res.redirect(303, `${req.baseUrl}/?aviso=habilitado`);
    } catch (error) {
      if (!isRndsError(error) || error.httpStatus >= 500) return next(error);
      const errors: FormState['errors'] = {};
      for (const [field, message] of Object.entries(error.fields ?? {})) {
        if (['file', 'password', 'identificadorSolicitante', 'services', 'environment'].includes(field)) errors[field as FormField] = message;
      }
      deps.onEnableFailure?.(error.code);
      res.locals.rndsErrorCode = error.code;
      if (error.code === 'INVALID_INPUT' && services.length === 0) errors.services = 'Escolha ao menos um serviço.';
      render(req, res, 'page', {
        status: error.httpStatus,
        form: {
          // The password is never sent back.
          values: { file: input.file, identificadorSolicitante: input.identificadorSolicitante, services, environment: input.environment ?? deps.defaultEnvironment },
          errors,
          formError: Object.keys(errors).length === 0 ? error.message : undefined,
        },
      });
    }
  });
  router.post('/renovar', async (req, res, next) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = {
      ...(typeof body.file === 'string' ? { file: body.file } : {}),
      ...(typeof body.sha256 === 'string' ? { sha256: body.sha256 } : {}),
      checkRnds: body.checkRnds === '1',
    };
    try {
      const status = await enablement.renew(input, req.rndsCaller!.actor);
      logger.info(`RNDS passou a usar o certificado renovado ${displayName(status.enabled?.file ?? '')} por ${req.rndsCaller!.actor}`);
      res.redirect(303, `${req.baseUrl}/?aviso=renovado`);
    } catch (error) {
      if (!isRndsError(error) || error.code === 'INTERNAL') return next(error);
      // The current certificate stays enabled: say why on the screen itself.
      render(req, res, 'page', { status: error.httpStatus, notice: { type: 'danger', text: error.message } });
    }
  });
  router.post('/desabilitar', async (req, res) => {
    await enablement.disable(req.rndsCaller!.actor);
    logger.info(`RNDS desabilitado por ${req.rndsCaller!.actor}`);
    res.redirect(303, `${req.baseUrl}/?aviso=desabilitado`);
  });
  router.post('/testar-conexao', async (req, res, next) => {
    try {
      await enablement.testConnection();
      res.redirect(303, `${req.baseUrl}/?aviso=testado`);
    } catch (error) {
      if (isRndsError(error) && error.code === 'NOT_ENABLED') return res.redirect(303, `${req.baseUrl}/`);
      next(error);
    }
  });
  app.use(router);

  app.use((_req, _res, next) => next(new RndsError('NOT_FOUND', 'Página não encontrada: volte à tela de certificados.')));

  // One error shape for the API; a readable page for the screen.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const rndsError = toRndsError(error);
    res.locals.rndsErrorCode = rndsError.code;
    if (!rndsError.isOperational) logger.error(`Erro inesperado em ${req.method} ${req.baseUrl}${req.path}: ${describe(error)}`);
    const enableRoute = req.method === 'POST' && (req.path === '/api/enable' || req.path === '/habilitar');
    if (enableRoute && rndsError.httpStatus >= 400 && rndsError.httpStatus < 500) deps.onEnableFailure?.(rndsError.code);
    if (rndsError.retryAfterSeconds !== undefined) res.set('Retry-After', String(rndsError.retryAfterSeconds));
    if (res.headersSent) return;
    const wantsJson = req.path.startsWith('/api/') || req.path === '/metrics' || !req.accepts('html') || req.is('application/json');
    if (wantsJson) {
      res.status(rndsError.httpStatus).json(rndsError.toJSON());
    } else if (enableRoute && rndsError.code === 'TOO_MANY_ATTEMPTS' && req.rndsCaller) {
      render(req, res, 'page', {
        status: rndsError.httpStatus,
        form: { values: { services: ['RNDS'], environment: deps.defaultEnvironment }, errors: {}, formError: rndsError.message },
      });
    } else {
      res.status(rndsError.httpStatus).type('text/plain; charset=utf-8').send(rndsError.message);
    }
  });
  return app;
}

/** Seconds until the rate limiter's window for this client ends. */
function retryAfterOf(req: Request): number {
  const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
}

function toRndsError(error: unknown): RndsError {
  if (isRndsError(error)) return error;
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new RndsError('INVALID_INPUT', 'O corpo do pedido não é um JSON válido.', { fields: { body: 'JSON inválido.' } });
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
