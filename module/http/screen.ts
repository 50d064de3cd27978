import express, { type Request, type Response } from 'express';
import { lookAlikeNames } from '../chaves/index.js';
import { viewHelpers } from '../present/index.js';
import { GUIDE_PATH, renewalReminder } from '../renewal.js';
import { PEC_CHAVES_PATHS } from '../options.js';
import type { Environment, Status } from '../types.js';
import type { Access } from './access.js';
import type { Actions } from './actions.js';

export type FormField = 'file' | 'password' | 'identificadorSolicitante' | 'services' | 'environment';
const FORM_FIELDS: readonly string[] = ['file', 'password', 'identificadorSolicitante', 'services', 'environment'] satisfies FormField[];

/** The Habilitar form as the page shows it: what was typed (never the password) and why it was refused. */
export interface FormState {
  values: { file?: string; identificadorSolicitante?: string; services: string[]; environment: string };
  errors: Partial<Record<FormField, string>>;
  formError?: string;
}

/** The screen's contra-chave form after a refused post: what was typed (not secret) and why it was refused. */
export interface ContraChaveFormState {
  value: string;
  error: string;
}

export interface Notice {
  type: string;
  text: string;
}

/** Notices after post/redirect/get: a fixed list, so no text ever travels in the URL. */
const NOTICES = {
  habilitado: { type: 'success', text: 'Certificado habilitado. O PEC já pode acessar a RNDS.' },
  desabilitado: { type: 'info', text: 'Certificado desabilitado. O PEC não acessa mais a RNDS.' },
  testado: { type: 'info', text: 'Teste de conexão concluído: veja o resultado abaixo.' },
  renovado: { type: 'success', text: 'Certificado renovado em uso. O PEC continua acessando a RNDS, agora com o novo certificado.' },
  'contra-chave': { type: 'success', text: 'Contra-chave desta instalação salva. É ela que deve ser informada no e-Gestor AB ao solicitar a credencial.' },
} as const;

/** What the views call (`helpers`): the present rules bound to the installation's time zone, and the screen's own few. */
function screenHelpers(timeZone: string) {
  return { ...viewHelpers(timeZone), renewalReminder: (status: Status) => renewalReminder(status, timeZone), guidePath: GUIDE_PATH, lookAlikeNames };
}

export interface RenderExtra {
  form?: FormState;
  notice?: Notice;
  status?: number;
  contraChaveForm?: ContraChaveFormState;
}

export type Render = (req: Request, res: Response, view: 'page' | 'partials/estado' | 'guia', extra?: RenderExtra) => void;

export interface ScreenDeps {
  access: Access;
  actions: Actions;
  status: () => Status;
  defaultEnvironment: Environment;
  enableLimiter: express.RequestHandler;
  onEnableFailure?: (code: string) => void;
}

/** Renders a page of the screen for an authorized caller (its session is created when the host's hook let it in). */
export function createRenderer(deps: Pick<ScreenDeps, 'access' | 'status' | 'defaultEnvironment'> & { /** The installation's time zone, for every date the views show. */ timeZone: string }): Render {
  const helpers = screenHelpers(deps.timeZone);
  return (req, res, view, extra = {}) => {
    const session = req.rndsSession ?? deps.access.ensureSession(req, res);
    const status = deps.status();
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
      loginEnabled: deps.access.usesLogin,
    });
  };
}

/** The Habilitar form's body as the Enable input (CONTRACT.md); form fields are text or lists of text. */
function enableInputOf(body: Record<string, unknown>) {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const services = Array.isArray(body.services) ? body.services.filter((s): s is string => typeof s === 'string') : typeof body.services === 'string' ? [body.services] : [];
  return {
    file: text(body.file) ?? '',
    password: text(body.password) ?? '',
    identificadorSolicitante: text(body.identificadorSolicitante) ?? '',
    services,
    environment: text(body.environment) || undefined,
  };
}

/** The HTML routes: the screen, its fragment, the guide, and the forms (each calls the same action as the API). */
export function screenRoutes(router: express.Router, deps: ScreenDeps, render: Render): void {
  const { actions } = deps;

  router.get('/', (req, res) => {
    const key = typeof req.query.aviso === 'string' ? req.query.aviso : '';
    const notice = Object.hasOwn(NOTICES, key) ? NOTICES[key as keyof typeof NOTICES] : undefined;
    render(req, res, 'page', { notice });
  });
  router.get('/fragmentos/estado', (req, res) => render(req, res, 'partials/estado'));
  router.get('/guia', (req, res) => render(req, res, 'guia'));

  router.post('/contra-chave', async (req, res, next) => {
    const typed = typeof req.body?.contraChave === 'string' ? req.body.contraChave : '';
    const result = await actions.changeContraChave({ contraChave: typed }, req.rndsCaller!.actor, 'tela');
    if (result.ok) return res.redirect(303, `${req.baseUrl}/?aviso=contra-chave`);
    if (result.error.httpStatus >= 500) return next(result.error);
    render(req, res, 'page', {
      status: result.error.httpStatus,
      contraChaveForm: { value: typed.slice(0, 100), error: result.error.fields?.contraChave ?? result.error.message },
    });
  });

  router.post('/habilitar', deps.enableLimiter, async (req, res, next) => {
    const input = enableInputOf((req.body ?? {}) as Record<string, unknown>);
    const result = await actions.enable(input, req.rndsCaller!.actor);
    if (result.ok) return res.redirect(303, `${req.baseUrl}/?aviso=habilitado`);
    const { error } = result;
    if (error.httpStatus >= 500) return next(error);
    const errors: FormState['errors'] = {};
    for (const [field, message] of Object.entries(error.fields ?? {})) {
      if (FORM_FIELDS.includes(field)) errors[field as FormField] = message;
    }
    deps.onEnableFailure?.(error.code);
    res.locals.rndsErrorCode = error.code;
    if (error.code === 'INVALID_INPUT' && input.services.length === 0) errors.services = 'Escolha ao menos um serviço.';
    render(req, res, 'page', {
      status: error.httpStatus,
      form: {
        // The password is never sent back.
        values: { file: input.file, identificadorSolicitante: input.identificadorSolicitante, services: input.services, environment: input.environment ?? deps.defaultEnvironment },
        errors,
        formError: Object.keys(errors).length === 0 ? error.message : undefined,
      },
    });
  });

  router.post('/renovar', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = {
      ...(typeof body.file === 'string' ? { file: body.file } : {}),
      ...(typeof body.sha256 === 'string' ? { sha256: body.sha256 } : {}),
      checkRnds: body.checkRnds === '1',
    };
    const result = await actions.renew(input, req.rndsCaller!.actor);
    if (result.ok) return res.redirect(303, `${req.baseUrl}/?aviso=renovado`);
    // The current certificate stays enabled: say why on the screen itself.
    render(req, res, 'page', { status: result.error.httpStatus, notice: { type: 'danger', text: result.error.message } });
  });

  router.post('/desabilitar', async (req, res) => {
    await actions.disable(req.rndsCaller!.actor);
    res.redirect(303, `${req.baseUrl}/?aviso=desabilitado`);
  });

  router.post('/testar-conexao', async (req, res, next) => {
    const result = await actions.testConnection();
    if (result.ok) return res.redirect(303, `${req.baseUrl}/?aviso=testado`);
    if (result.error.code === 'NOT_ENABLED') return res.redirect(303, `${req.baseUrl}/`);
    next(result.error);
  });
}
