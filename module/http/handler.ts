import type { RndsError } from '../errors.js';
import type { Enablement } from '../enablement/index.js';
import type { Sends } from '../sends/index.js';
import type { Environment } from '../types.js';
import type { Actions } from './actions.js';
import type { StreamOwner } from './events.js';
import type { Flash } from './flash.js';
import type { History } from '../history/index.js';
import type { Caller } from './identify.js';
import type { RenderExtra, View } from './screen.js';
import type { Session, Sessions } from './sessions.js';

/** What a handler gets: plain data the adapter took from the request. */
export interface HandlerRequest {
  /** The path's parameters (`:name`); none of today's routes has one. */
  params: Readonly<Record<string, string>>;
  query: Record<string, unknown>;
  /**
   * The parsed body as the route declares it: a `json` route gets it only when it came as JSON (undefined otherwise);
   * a `form` route gets the fields, `{}` when there are none.
   */
  body: unknown;
  /** Who is calling; undefined on public routes. */
  caller?: Caller;
  /** The caller's login session (a browser), if any. */
  session?: Session;
}

/** The module's services a handler works with (one per app instance). */
export interface HandlerContext {
  enablement: Enablement;
  /** The sends reported by the host (module/sends/): record, summary, lastDirectSend, errors… */
  sends: Sends;
  /** The version of the stored sends that the event stream announces (events.ts): the RNDS tab's page carries it. */
  sendsVersion(): string;
  actions: Actions;
  sessions: Sessions;
  /** True when the standalone access token applies (no host hook). */
  usesLogin: boolean;
  checkToken(token: string): boolean;
  defaultEnvironment: Environment;
  /** The installation's time zone (present/dates.ts): the RNDS tab's periods are its calendar days. */
  timeZone: string;
  /** The audit trail read for people: the Histórico page and its CSV. */
  history: History;
}

/** A page of the screen, rendered by screen.ts's renderer. */
export interface PageReply {
  kind: 'page';
  view: View;
  extra?: RenderExtra;
}

/**
 * What a handler answers. The adapter (express-adapter.ts) turns each kind into the HTTP answer; no handler touches
 * the response.
 */
export type Reply =
  | { kind: 'json'; status?: number; body: unknown; headers?: Readonly<Record<string, string>> }
  /** A refusal or failure: answered by the one error mapping (errors.ts), docs/CONTRACT.md's Error. */
  | { kind: 'error'; error: RndsError }
  /** The Status (or its certificate list) serialised once per change, with its ETag (304 when unchanged). */
  | { kind: 'status'; part: 'body' | 'certificates' }
  | PageReply
  /**
   * Post/redirect/get back to the screen with a flash shown once. `refusal`: the form's action was refused (an enable
   * attempt refused counts, see limits.ts). `inPlace`: what a form posted by app.js gets instead of the redirect.
   */
  | { kind: 'back'; flash?: Flash; refusal?: RndsError; inPlace?: PageReply }
  /** The login page (standalone), or a plain 401 when a host's hook decides access. */
  | { kind: 'login'; status?: number; error?: string }
  /** A 303 to a path under the base; `session` starts a logged-in session or ends the current one first. */
  | { kind: 'redirect'; to: string; session?: 'start' | 'end' }
  /** The server-sent event stream of the Status. */
  | { kind: 'events'; owner: StreamOwner }
  /** The Prometheus text of the metrics. */
  | { kind: 'metrics' }
  /** A file to save (Content-Disposition: attachment), written while it is produced. */
  | { kind: 'download'; type: string; fileName: string; body: AsyncIterable<string> };

export type Handler = (request: HandlerRequest, context: HandlerContext) => Reply | Promise<Reply>;

export const json = (body: unknown, status?: number): Reply => ({ kind: 'json', body, ...(status === undefined ? {} : { status }) });
export const fail = (error: RndsError): Reply => ({ kind: 'error', error });
export const back = (flash?: Flash): Reply => ({ kind: 'back', ...(flash ? { flash } : {}) });
export const page = (view: View, extra?: RenderExtra): PageReply => ({ kind: 'page', view, ...(extra ? { extra } : {}) });

/** The caller of a route that requires one (the adapter only runs those handlers for an identified caller). */
export function callerOf(request: HandlerRequest): Caller {
  if (!request.caller) throw new Error('rota protegida sem quem chama');
  return request.caller;
}

/** A form's body as a record of fields. */
export const fieldsOf = (body: unknown): Record<string, unknown> => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {});
