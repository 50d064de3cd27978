import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { lookAlikeNames } from '../chaves/index.js';
import { REQUIRED_MESSAGES } from '../enablement/index.js';
import type { RndsError } from '../errors.js';
import { viewHelpers } from '../present/index.js';
import { GUIDE_PATH, renewalReminder } from '../enablement/renewal-reminder.js';
import { PEC_CHAVES_PATHS } from '../options.js';
import type { Environment, Status } from '../types.js';
import type { ContraChaveFormState, FormField, FormState, Notice } from './flash.js';
import type { Session } from './sessions.js';

export type { ContraChaveFormState, FormField, FormState, Notice } from './flash.js';

/** Where each field of the Habilitar form is on the page: the error summary links there. */
export const FIELD_IDS: Record<FormField, string> = {
  file: 'certificado',
  password: 'senha',
  identificadorSolicitante: 'identificador',
  services: 'servico-rnds',
  environment: 'ambiente',
};

/** The version of a rendered region: app.js swaps a region only when the one the server now renders differs. */
const version = (html: string): string => createHash('sha256').update(html).digest('base64url').slice(0, 16);

/** The screen's live regions, each a partial rendered into the page and by GET {base}/fragmentos. */
const FRAGMENTS = ['avisos', 'estado', 'contra-chave', 'pasta', 'certificados', 'motivos'] as const;

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

/** What the views call (`helpers`): the present rules bound to the installation's time zone, and the screen's own few. */
function screenHelpers(timeZone: string) {
  return {
    ...viewHelpers(timeZone),
    renewalReminder: (status: Status) => renewalReminder(status, timeZone),
    guidePath: GUIDE_PATH,
    lookAlikeNames,
    requiredMessages: REQUIRED_MESSAGES,
    version,
  };
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
  /** Whether the standalone login applies, and the session a host's hook caller gets on its first page. */
  access: { readonly usesLogin: boolean; ensureSession(req: Request, res: Response): Session };
  status: () => Status;
  /** A connection test is under way (the screen says "Testando…" until its result arrives). */
  connectionTesting: () => boolean;
  defaultEnvironment: Environment;
}

/** Renders a page of the screen for an authorized caller (its session is created when the host's hook let it in). */
export function createRenderer(deps: Pick<ScreenDeps, 'access' | 'status' | 'defaultEnvironment' | 'connectionTesting'> & { /** The installation's time zone, for every date the views show. */ timeZone: string }): Render {
  const helpers = screenHelpers(deps.timeZone);
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
      fieldIds: FIELD_IDS,
      notice: extra.notice,
      contraChaveForm: extra.contraChaveForm,
      connectionTesting: deps.connectionTesting(),
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
