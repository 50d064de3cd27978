import express, { type Request, type Response } from 'express';
import { lookAlikeNames } from '../chaves/index.js';
import { REQUIRED_MESSAGES } from '../enablement.js';
import { RndsError } from '../errors.js';
import { disablePageModel, guideModel, pageModel, REGIONS, regions, type ScreenInput } from '../present/screen-model.js';
import { GUIDE_PATH, renewalReminder } from '../renewal.js';
import { PEC_CHAVES_PATHS } from '../options.js';
import type { Environment, Status } from '../types.js';
import type { Access, Session } from './access.js';
import type { Actions } from './actions.js';
import { FORM_FIELDS, type ContraChaveFormState, type Flash, type FormField, type FormState, type Notice } from './flash.js';

export type { ContraChaveFormState, FormField, FormState, Notice } from './flash.js';

/** Where each field of the Habilitar form is on the page: the error summary links there. */
export const FIELD_IDS: Record<FormField, string> = {
  file: 'certificado',
  password: 'senha',
  identificadorSolicitante: 'identificador',
  services: 'servico-rnds',
  environment: 'ambiente',
};

/** What each form action says when it worked (kept in the session, shown once by the next page). */
export const NOTICES = {
  habilitadoTestando: {
    type: 'success',
    text: 'Certificado aceito e habilitado. O teste de conexão com a RNDS começou: o resultado aparece em "Status da conexão" assim que chegar.',
  },
  habilitado: {
    type: 'success',
    text: 'Certificado aceito e habilitado. Use "Testar conexão" para confirmar que a RNDS aceita este certificado.',
  },
  desabilitado: { type: 'info', text: 'Certificado desabilitado. O PEC não acessa mais a RNDS.' },
  nadaHabilitado: { type: 'info', text: 'Nenhum certificado está habilitado: não há o que desabilitar.' },
  testado: { type: 'info', text: 'Teste de conexão concluído: veja o resultado em "Status da conexão".' },
  renovado: { type: 'success', text: 'Certificado renovado em uso. O PEC continua acessando a RNDS, agora com o novo certificado.' },
  contraChave: { type: 'success', text: 'Contra-chave desta instalação salva. É ela que deve ser informada no e-Gestor AB ao solicitar a credencial.' },
} as const satisfies Record<string, Notice>;

/** What the screen reader hears when the state changes while the page is open. */
const STATE_TEXT: Record<Status['state'], string> = {
  enabled: 'Situação atualizada: certificado habilitado.',
  disabled: 'Situação atualizada: nenhum certificado habilitado.',
  degraded: 'Situação atualizada: o certificado habilitado tem um problema.',
};

/** A form posted by app.js (fetch, Accept: application/json): it gets JSON back instead of a redirect or a page. */
const inPlace = (req: Request): boolean => req.method === 'POST' && req.accepts(['html', 'json']) === 'json';

function renderToString(res: Response, view: string, locals: object): Promise<string> {
  return new Promise((resolve, reject) => res.app.render(view, locals, (error, html) => (error ? reject(error) : resolve(html))));
}

export interface RenderExtra {
  form?: FormState;
  notice?: Notice;
  status?: number;
  contraChaveForm?: ContraChaveFormState;
  /** The refusal, for a form posted in place (its JSON carries the code and the fields). */
  error?: RndsError;
}

export type View = 'page' | 'fragmentos' | 'guia' | 'desabilitar';
export type Render = (req: Request, res: Response, view: View, extra?: RenderExtra) => void;

export interface ScreenDeps {
  access: Access;
  actions: Actions;
  status: () => Status;
  /** A connection test is under way (the screen says "Testando…" until its result arrives). */
  connectionTesting: () => boolean;
  defaultEnvironment: Environment;
  enableLimiter: express.RequestHandler;
  onEnableFailure?: (code: string) => void;
}

/** What the module knows that every page of the screen is built from (besides the request). */
export type ScreenContext = Pick<ScreenDeps, 'status' | 'defaultEnvironment' | 'connectionTesting'> & {
  /** The installation's time zone, for every date the views show. */
  timeZone: string;
  loginEnabled: boolean;
};

/**
 * The render locals: what the request, the module and the action carry, handed to the view-model
 * (present/screen-model.ts), which takes every decision the pages show.
 */
export function screenInput(ctx: ScreenContext, request: { base: string; csrfToken: string }, extra: RenderExtra = {}): ScreenInput {
  const status = ctx.status();
  return {
    status,
    timeZone: ctx.timeZone,
    base: request.base,
    csrfToken: request.csrfToken,
    loginEnabled: ctx.loginEnabled,
    defaultEnvironment: ctx.defaultEnvironment,
    connectionTesting: ctx.connectionTesting(),
    form: extra.form,
    notice: extra.notice,
    contraChaveForm: extra.contraChaveForm,
    fieldIds: FIELD_IDS,
    requiredMessages: REQUIRED_MESSAGES,
    paths: PEC_CHAVES_PATHS,
    guidePath: GUIDE_PATH,
    reminder: renewalReminder(status, ctx.timeZone),
    lookAlikes: lookAlikeNames(status.certificates.map((entry) => entry.file)),
  };
}

/** The locals of each page: its view-model. */
export function viewLocals(view: Exclude<View, 'fragmentos'>, input: ScreenInput): object {
  if (view === 'guia') return guideModel(input);
  if (view === 'desabilitar') return disablePageModel(input);
  return pageModel(input);
}

/** Renders a page of the screen for an authorized caller (its session is created when the host's hook let it in). */
export function createRenderer(deps: Pick<ScreenDeps, 'access' | 'status' | 'defaultEnvironment' | 'connectionTesting'> & { /** The installation's time zone, for every date the views show. */ timeZone: string }): Render {
  const ctx: ScreenContext = { ...deps, loginEnabled: deps.access.usesLogin };
  return (req, res, view, extra = {}) => {
    const session = req.rndsSession ?? deps.access.ensureSession(req, res);
    const input = screenInput(ctx, { base: req.baseUrl, csrfToken: session.csrfToken }, extra);
    const { status } = input;
    if (view === 'fragmentos') {
      // Every live region, rendered by the same partials from the same view-model slices as the page, with its version.
      const slices = regions(input);
      void Promise.all(REGIONS.map((name) => renderToString(res, `partials/${name}`, slices[name]))).then(
        (rendered) =>
          res.json({
            state: status.state,
            stateText: STATE_TEXT[status.state],
            contraChaveOrigin: status.contraChaveOrigin,
            fragments: Object.fromEntries(REGIONS.map((name, i) => [name, { version: slices[name].version, html: rendered[i]! }])),
          }),
        (error: unknown) => req.next?.(error),
      );
      return;
    }
    const locals = viewLocals(view, input);
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

/** The Habilitar form's body as the Enable input (CONTRACT.md); form fields are text or lists of text. */
export function enableInputOf(body: Record<string, unknown>) {
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

/** The Habilitar form after a refusal: what was typed (never the password) and each error by its field. */
export function refusedForm(
  input: { file?: string; identificadorSolicitante?: string; services?: string[]; environment?: string },
  error: { code: string; message: string; fields?: Record<string, string> },
  defaultEnvironment: Environment,
): FormState {
  const errors: FormState['errors'] = {};
  for (const [field, message] of Object.entries(error.fields ?? {})) {
    if ((FORM_FIELDS as readonly string[]).includes(field)) errors[field as FormField] = message;
  }
  const services = input.services ?? [];
  if (error.code === 'INVALID_INPUT' && services.length === 0 && !errors.services) errors.services = REQUIRED_MESSAGES.services;
  return {
    values: { file: input.file, identificadorSolicitante: input.identificadorSolicitante, services, environment: input.environment ?? defaultEnvironment },
    errors,
    formError: Object.keys(errors).length === 0 ? error.message : undefined,
  };
}

/**
 * Post/redirect/get: every form answers 303 to the screen, which shows what the session's flash holds once. F5 then
 * repeats the GET, never the POST, and no message travels in the URL.
 */
export function redirectWithFlash(req: Request, res: Response, access: Access, flash: Flash | undefined): void {
  const session: Session | undefined = req.rndsSession;
  if (session && flash) access.setFlash(session, flash);
  // app.js's in-place submit: fetch must not follow the redirect (the flash would be shown to it, not to the admin).
  if (inPlace(req)) res.json({ redirect: `${req.baseUrl}/` });
  else res.redirect(303, `${req.baseUrl}/`);
}

/** The HTML routes: the screen, its fragment, the guide, and the forms (each calls the same action as the API). */
export function screenRoutes(router: express.Router, deps: ScreenDeps, render: Render): void {
  const { actions, access } = deps;
  const back = (req: Request, res: Response, flash?: Flash) => redirectWithFlash(req, res, access, flash);

  router.get('/', (req, res) => {
    const flash = req.rndsSession ? access.takeFlash(req.rndsSession) : undefined;
    render(req, res, 'page', { notice: flash?.notice, form: flash?.form, contraChaveForm: flash?.contraChaveForm });
  });
  router.get('/fragmentos', (req, res) => render(req, res, 'fragmentos'));
  router.get('/guia', (req, res) => render(req, res, 'guia'));

  // Without JavaScript, "Desabilitar certificado" opens this page: the POST below only runs from its button.
  router.get('/desabilitar', (req, res) => {
    if (!deps.status().enabled) return back(req, res, { notice: NOTICES.nadaHabilitado });
    render(req, res, 'desabilitar');
  });
  // Opened by hand, F5 on an old POST's address, a bookmark: the screen, not a 404.
  for (const path of ['/habilitar', '/renovar', '/testar-conexao', '/contra-chave']) router.get(path, (req, res) => back(req, res));

  router.post('/contra-chave', async (req, res, next) => {
    const typed = typeof req.body?.contraChave === 'string' ? req.body.contraChave : '';
    const result = await actions.changeContraChave({ contraChave: typed }, req.rndsCaller!.actor, 'tela');
    if (result.ok) return back(req, res, { notice: NOTICES.contraChave });
    if (result.error.httpStatus >= 500) return next(result.error);
    back(req, res, { contraChaveForm: { value: typed.slice(0, 100), error: result.error.fields?.contraChave ?? result.error.message } });
  });

  router.post('/habilitar', deps.enableLimiter, async (req, res, next) => {
    const input = enableInputOf((req.body ?? {}) as Record<string, unknown>);
    const result = await actions.enable(input, req.rndsCaller!.actor);
    if (result.ok) return back(req, res, { notice: result.connectionTestStarted ? NOTICES.habilitadoTestando : NOTICES.habilitado });
    const { error } = result;
    if (error.httpStatus >= 500) return next(error);
    deps.onEnableFailure?.(error.code);
    res.locals.rndsErrorCode = error.code; // the attempt limit counts wrong passwords only
    const form = refusedForm(input, error, deps.defaultEnvironment);
    // In place (app.js): the refused page and the Error at once, so the form is swapped without leaving the page.
    if (inPlace(req)) return render(req, res, 'page', { status: error.httpStatus, form, error: new RndsError(error.code, error.message, { fields: form.errors }) });
    back(req, res, { form });
  });

  router.post('/renovar', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const input = {
      ...(typeof body.file === 'string' ? { file: body.file } : {}),
      ...(typeof body.sha256 === 'string' ? { sha256: body.sha256 } : {}),
      checkRnds: body.checkRnds === '1',
    };
    const result = await actions.renew(input, req.rndsCaller!.actor);
    // Refused, the current certificate stays enabled: the screen says why.
    back(req, res, { notice: result.ok ? NOTICES.renovado : { type: 'danger', text: result.error.message } });
  });

  router.post('/desabilitar', async (req, res) => {
    const wasEnabled = deps.status().enabled !== null;
    await actions.disable(req.rndsCaller!.actor);
    back(req, res, { notice: wasEnabled ? NOTICES.desabilitado : NOTICES.nadaHabilitado });
  });

  router.post('/testar-conexao', async (req, res, next) => {
    const result = await actions.testConnection();
    if (result.ok) return back(req, res, { notice: NOTICES.testado });
    if (result.error.code === 'NOT_ENABLED') return back(req, res);
    next(result.error);
  });
}
