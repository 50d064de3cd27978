import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { lookAlikeNames } from '../chaves/index.js';
import { commonNameOf, displayName } from '../display.js';
import { REQUIRED_MESSAGES } from '../enablement.js';
import { RndsError } from '../errors.js';
import { formatDate, formatDateTime } from '../status.js';
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

/** Why a listed file cannot be chosen yet, short, beside its name in the select (the long reason is listed below it). */
const ENTRY_REASONS = {
  incomplete: 'copiando…',
  unreadable: 'sem permissão de leitura',
  'too-large': 'arquivo grande demais',
  'not-a-file': 'não é um arquivo comum',
  unusable: 'não pode ser usado',
  // Not a status: two names that look the same (NFC/NFD), neither can be chosen until one is renamed.
  twin: 'outro arquivo tem o mesmo nome aparente: renomeie um deles',
  other: 'indisponível',
} as const;

/** The version of a rendered region: app.js swaps a region only when the one the server now renders differs. */
const version = (html: string): string => createHash('sha256').update(html).digest('base64url').slice(0, 16);

const helpers = {
  displayName,
  commonNameOf,
  formatDate,
  formatDateTime,
  renewalReminder,
  guidePath: GUIDE_PATH,
  lookAlikeNames,
  requiredMessages: REQUIRED_MESSAGES,
  entryReasons: ENTRY_REASONS,
  version,
};

/** The screen's live regions, each a partial rendered into the page and by GET {base}/fragmentos. */
const FRAGMENTS = ['avisos', 'estado', 'contra-chave', 'pasta', 'certificados', 'motivos'] as const;

/** What the screen reader hears when the state changes while the page is open. */
const STATE_TEXT: Record<Status['state'], string> = {
  enabled: 'Situação atualizada: certificado habilitado.',
  disabled: 'Situação atualizada: nenhum certificado habilitado.',
  degraded: 'Situação atualizada: o certificado habilitado tem um problema.',
};

/** A form posted by app.js (fetch, Accept: application/json): it gets JSON back instead of a redirect or a page. */
const inPlace = (req: Request): boolean => req.method === 'POST' && req.accepts(['html', 'json']) === 'json';

/** After a form succeeded: a redirect (post/redirect/get), or where to go for app.js's in-place submit. */
function done(req: Request, res: Response, url: string): void {
  if (inPlace(req)) res.json({ redirect: url });
  else res.redirect(303, url);
}

export interface RenderExtra {
  form?: FormState;
  notice?: Notice;
  status?: number;
  contraChaveForm?: ContraChaveFormState;
  /** The refusal, for a form posted in place (its JSON carries the code and the fields). */
  error?: RndsError;
}

export type Render = (req: Request, res: Response, view: 'page' | 'fragmentos' | 'guia', extra?: RenderExtra) => void;

export interface ScreenDeps {
  access: Access;
  actions: Actions;
  status: () => Status;
  defaultEnvironment: Environment;
  enableLimiter: express.RequestHandler;
  onEnableFailure?: (code: string) => void;
}

/** Renders a page of the screen for an authorized caller (its session is created when the host's hook let it in). */
export function createRenderer(deps: Pick<ScreenDeps, 'access' | 'status' | 'defaultEnvironment'>): Render {
  return (req, res, view, extra = {}) => {
    const session = req.rndsSession ?? deps.access.ensureSession(req, res);
    const status = deps.status();
    const form: FormState = extra.form ?? {
      // As PEC: no service ticked until the admin says which ones the credential includes.
      values: { services: [], environment: status.enabled?.environment ?? deps.defaultEnvironment },
      errors: {},
    };
    const locals = {
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
    };
    if (view === 'fragmentos') {
      // Every live region, rendered by the same partials as the page, with its version.
      void Promise.all(FRAGMENTS.map((name) => renderToString(res, `partials/${name}`, locals))).then(
        (rendered) =>
          res.json({
            state: status.state,
            stateText: STATE_TEXT[status.state],
            contraChaveOrigin: status.contraChaveOrigin,
            fragments: Object.fromEntries(FRAGMENTS.map((name, i) => [name, { version: version(rendered[i]!), html: rendered[i]! }])),
          }),
        (error: unknown) => req.next?.(error),
      );
      return;
    }
    if (inPlace(req)) {
      // A refused form posted by app.js: the page it would have shown, for app.js to take the form from, and the
      // error with its fields (CONTRACT.md's Error).
      renderToString(res, view, locals).then(
        (html) => res.status(extra.status ?? 200).json({ ...(extra.error ? extra.error.toJSON() : {}), html }),
        (error: unknown) => req.next?.(error),
      );
      return;
    }
    res.status(extra.status ?? 200).render(view, locals);
  };
}

function renderToString(res: Response, view: string, locals: object): Promise<string> {
  return new Promise((resolve, reject) => res.app.render(view, locals, (error, html) => (error ? reject(error) : resolve(html))));
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
  router.get('/fragmentos', (req, res) => render(req, res, 'fragmentos'));
  router.get('/guia', (req, res) => render(req, res, 'guia'));

  router.post('/contra-chave', async (req, res, next) => {
    const typed = typeof req.body?.contraChave === 'string' ? req.body.contraChave : '';
    const result = await actions.changeContraChave({ contraChave: typed }, req.rndsCaller!.actor, 'tela');
    if (result.ok) return done(req, res, `${req.baseUrl}/?aviso=contra-chave`);
    if (result.error.httpStatus >= 500) return next(result.error);
    render(req, res, 'page', {
      status: result.error.httpStatus,
      error: result.error,
      contraChaveForm: { value: typed.slice(0, 100), error: result.error.fields?.contraChave ?? result.error.message },
    });
  });

  router.post('/habilitar', deps.enableLimiter, async (req, res, next) => {
    const input = enableInputOf((req.body ?? {}) as Record<string, unknown>);
    const result = await actions.enable(input, req.rndsCaller!.actor);
    if (result.ok) return done(req, res, `${req.baseUrl}/?aviso=habilitado`);
    const { error } = result;
    if (error.httpStatus >= 500) return next(error);
    const errors: FormState['errors'] = {};
    for (const [field, message] of Object.entries(error.fields ?? {})) {
      if (FORM_FIELDS.includes(field)) errors[field as FormField] = message;
    }
    deps.onEnableFailure?.(error.code);
    res.locals.rndsErrorCode = error.code;
    if (error.code === 'INVALID_INPUT' && input.services.length === 0) errors.services = REQUIRED_MESSAGES.services;
    render(req, res, 'page', {
      status: error.httpStatus,
      error: new RndsError(error.code, error.message, { fields: errors }),
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
