import type { Request, Response } from 'express';
import { lookAlikeNames } from '../chaves/index.js';
import { REQUIRED_MESSAGES } from '../enablement/index.js';
import type { RndsError } from '../errors.js';
import { historyPageModel, type HistoryPageData } from '../present/history.js';
import { rndsPageModel, type RndsTabData } from '../present/rnds-tab.js';
import { disablePageModel, guideModel, pageModel, REGIONS, regions, type ScreenInput } from '../present/screen-model.js';
import { GUIDE_PATH, renewalReminder } from '../enablement/renewal-reminder.js';
import { PEC_CHAVES_PATHS } from '../config/options.js';
import type { Environment, Status } from '../types.js';
import type { ContraChaveFormState, FormField, FormState, Notice } from './flash.js';
import type { Session } from './sessions.js';

export type { ContraChaveFormState, FormField, FormState, Notice } from './flash.js';

/** Where each field of the Habilitar form is on the page: the error summary links there. */
const FIELD_IDS: Record<FormField, string> = {
  file: 'certificado',
  password: 'senha',
  identificadorSolicitante: 'identificador',
  services: 'servico-rnds',
  environment: 'ambiente',
};


/** What the screen reader hears when the state changes while the page is open. */
const STATE_TEXT: Record<Status['state'], string> = {
  enabled: 'Situação atualizada: certificado habilitado.',
  disabled: 'Situação atualizada: nenhum certificado habilitado.',
  degraded: 'Situação atualizada: o certificado habilitado tem um problema.',
};

/** A form posted by app.js (fetch, Accept: application/json): it gets JSON back instead of a redirect or a page. */
export const inPlace = (req: Request): boolean => req.method === 'POST' && req.accepts(['html', 'json']) === 'json';

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
  /** The Histórico page's records and period, read by its handler. */
  history?: HistoryPageData;
  /** The RNDS tab's data, read from the sends store by its handler. */
  rnds?: RndsTabData;
}

export type View = 'page' | 'fragmentos' | 'guia' | 'desabilitar' | 'historico' | 'rnds';
export type Render = (req: Request, res: Response, view: View, extra?: RenderExtra) => void;

export interface ScreenDeps {
  /** Whether the standalone login applies, and the session a host's hook caller gets on its first page. */
  access: { readonly usesLogin: boolean; ensureSession(req: Request, res: Response): Session };
  status: () => Status;
  /** A connection test is under way (the screen says "Testando…" until its result arrives). */
  connectionTesting: () => boolean;
  defaultEnvironment: Environment;
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
function screenInput(ctx: ScreenContext, request: { base: string; csrfToken: string }, extra: RenderExtra = {}): ScreenInput {
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
function viewLocals(view: Exclude<View, 'fragmentos'>, input: ScreenInput, extra: RenderExtra): object {
  if (view === 'guia') return guideModel(input);
  if (view === 'historico') {
    if (!extra.history) throw new Error('o histórico sem os seus dados');
    return historyPageModel(input, extra.history);
  }
  if (view === 'rnds') {
    if (!extra.rnds) throw new Error('a aba RNDS sem os seus dados');
    return rndsPageModel(input, extra.rnds);
  }
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
    const locals = viewLocals(view, input, extra);
    if (inPlace(req)) {
      // A refused form posted by app.js: the page it would have shown, for app.js to take the form from, and the
      // error with its fields (docs/CONTRACT.md's Error).
      renderToString(res, view, locals).then(
        (html) => res.status(extra.status ?? 200).json({ ...(extra.error ? extra.error.toJSON() : {}), html }),
        (error: unknown) => req.next?.(error),
      );
      return;
    }
    res.status(extra.status ?? 200).render(view, locals);
  };
}
