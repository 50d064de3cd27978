import { z } from 'zod';
import { enableInputSchema, renewInputSchema } from '../enablement/index.js';
import type { ErrorCode } from '../errors.js';
import { CertificatesAnswerSchema, ConnectionAnswerSchema, ContraChaveRequestSchema, HealthSchema, SendErrorsAnswerSchema, SendsRecordedSchema, SendsSummarySchema, StatusSchema, TokenAnswerSchema } from '../contract/schemas.js';
import { reportSchema } from '../sends/inputs.js';
import type { Handler } from './handler.js';
import { MAX_REPORT_BYTES } from '../sends/inputs.js';
import { changeContraChave } from './handlers/contra-chave.js';
import { testConnection, token } from './handlers/connection.js';
import { confirmDisable, disable } from './handlers/disable.js';
import { enable } from './handlers/enable.js';
import { historyExport, historyPage } from './handlers/historico.js';
import { login, loginLink, logout, logoutPage } from './handlers/login.js';
import { backToScreen, fragments, guide, screen } from './handlers/pages.js';
import { certificates, events, health, metrics, status } from './handlers/reads.js';
import { renew } from './handlers/renew.js';
import { reportSends, sendErrors, sendErrorsReport, sendsSummary } from './handlers/sends.js';
import { rndsCounts, rndsReport, rndsTab } from './handlers/rnds.js';

/**
 * Who may call a route. `public`: anyone (before access control). `monitoring`: an admin, or the read-only monitoring
 * token (GET/HEAD only). `admin`: the access token, a login session or the host's hook — never the monitoring token.
 */
export type Who = 'public' | 'monitoring' | 'admin';

/** What a route answers when it works: its status, media type and a description (for the contract). */
export interface RouteResponse {
  status: 200 | 303;
  type: 'json' | 'html' | 'text' | 'event-stream' | 'redirect' | 'csv';
  description: string;
  /** A JSON answer's shape (module/contract/schemas.ts): the generated contract documents it. */
  schema?: z.ZodType;
}

/** One route of the module: what it is, who may call it, and the framework-free handler that answers it. */
export interface Route {
  method: 'get' | 'post';
  /** Under the base path where the host mounts the module. */
  path: string;
  who: Who;
  /** One line for the contract. */
  summary: string;
  /** The request body: JSON (with its schema) or the fields of an HTML form. */
  body?: { type: 'json'; schema: z.ZodType } | { type: 'form' };
  /** The query parameters, when the route reads any. */
  query?: z.ZodType;
  response: RouteResponse;
  /**
   * The error codes this route can answer besides those of every route (HOST_NOT_ALLOWED, INVALID_INPUT and
   * PAYLOAD_TOO_LARGE for a body the parsers refuse, INTERNAL, and UNAUTHENTICATED / FORBIDDEN off `public`).
   */
  errors: readonly ErrorCode[];
  /** A rate limit in front of the handler (limits.ts): wrong access tokens, or wrong certificate passwords. */
  limit?: 'login' | 'enable';
  /** The CSRF check of a public route that changes something (the others get csrf.ts csrfProtection). */
  csrf?: 'login' | 'logout';
  /** Answered before the body parsers and the login routes: it reads no body. */
  early?: true;
  /** Only `Authorization: Bearer` callers with the access token, never a browser session (the handler refuses others). */
  bearerOnly?: true;
  /** The reporting token (RNDS_REPORTING_TOKEN) may call it too; it may call nothing else. */
  reporting?: true;
  /** Its own JSON body limit, parsed before the module's 16 KiB one. */
  bodyLimit?: number;
  handler: Handler;
}

const okJson = (description: string, schema?: z.ZodType): RouteResponse => ({ status: 200, type: 'json', description, ...(schema ? { schema } : {}) });
const html = (description: string): RouteResponse => ({ status: 200, type: 'html', description });
const toScreen: RouteResponse = { status: 303, type: 'redirect', description: 'Back to the screen ({base}/), with a notice of the result.' };

const ENABLE_ERRORS = [
  'INVALID_INPUT',
  'CERTIFICATE_NOT_FOUND',
  'WRONG_PASSWORD',
  'INVALID_CERTIFICATE',
  'UNSUPPORTED_CERTIFICATE',
  'NO_PRIVATE_KEY',
  'KEY_MISMATCH',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_NOT_YET_VALID',
  'CERTIFICATE_TOO_LARGE',
  'TOO_EXPENSIVE',
  'SECRET_KEY_UNUSABLE',
  'TOO_MANY_ATTEMPTS',
] as const satisfies readonly ErrorCode[];
const RENEW_ERRORS = ['INVALID_INPUT', 'NOT_ENABLED', 'CERTIFICATE_NOT_FOUND', 'WRONG_PASSWORD', 'RNDS_UNAVAILABLE', 'RNDS_CERTIFICATE_REJECTED', 'SECRET_UNREADABLE'] as const satisfies readonly ErrorCode[];
const CONNECTION_ERRORS = ['NOT_ENABLED', 'SECRET_UNREADABLE'] as const satisfies readonly ErrorCode[];
/** The history's period: calendar days in the installation's time zone, both inclusive, either optional. */
const PERIOD_QUERY = z.object({ de: z.string().optional(), ate: z.string().optional() });
const CONTRA_CHAVE_ERRORS = ['INVALID_INPUT', 'CONTRA_CHAVE_LOCKED'] as const satisfies readonly ErrorCode[];


/**
 * Every route of the module, in the order they are matched (express-adapter.ts mounts them). The Status reads are
 * also answered ahead of the app's layers for authorized pollers (status-reads.ts); these entries answer the rest.
 */
export const ROUTES: readonly Route[] = [
  {
    method: 'get', path: '/health', who: 'public', early: true,
    summary: 'Whether the module answers, and the RNDS state.',
    response: okJson('{"status":"ok","rnds":"enabled"|"disabled"|"degraded"}', HealthSchema), errors: [],
    handler: health,
  },

  {
    method: 'get', path: '/entrar', who: 'public', limit: 'login',
    summary: 'The login form, or the ?token= link printed by npm start.',
    query: z.object({ token: z.string().optional() }),
    response: html('The login page (a 303 to the screen with the right token).'), errors: ['UNAUTHENTICATED', 'TOO_MANY_LOGINS'],
    handler: loginLink,
  },
  {
    method: 'post', path: '/entrar', who: 'public', limit: 'login', csrf: 'login',
    summary: 'Log in with the access token.',
    body: { type: 'form' },
    response: { status: 303, type: 'redirect', description: 'To the screen, the session started.' }, errors: ['UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_LOGINS'],
    handler: login,
  },
  {
    method: 'get', path: '/sair', who: 'public',
    summary: 'Opened by hand: logging out is a POST.',
    response: toScreen, errors: [],
    handler: logoutPage,
  },
  {
    method: 'post', path: '/sair', who: 'public', csrf: 'logout',
    summary: 'Log out: the session is refused from now on, also after a restart.',
    body: { type: 'form' },
    response: { status: 303, type: 'redirect', description: 'To {base}/entrar.' }, errors: ['FORBIDDEN'],
    handler: logout,
  },

  {
    method: 'get', path: '/api/status', who: 'monitoring',
    summary: 'The Status, with an ETag (304 when unchanged).',
    response: okJson('Status', StatusSchema), errors: [],
    handler: status,
  },
  {
    method: 'get', path: '/api/certificates', who: 'monitoring',
    summary: 'The files of the chaves folder, with an ETag.',
    response: okJson('{"certificates":[Entry…]}', CertificatesAnswerSchema), errors: [],
    handler: certificates,
  },
  {
    method: 'post', path: '/api/enable', who: 'admin', limit: 'enable',
    summary: 'Enable a certificate of the chaves folder.',
    body: { type: 'json', schema: enableInputSchema },
    response: okJson('Status', StatusSchema), errors: ENABLE_ERRORS,
    handler: enable('api'),
  },
  {
    method: 'post', path: '/api/disable', who: 'admin',
    summary: 'Disable the enabled certificate.',
    response: okJson('Status', StatusSchema), errors: [],
    handler: disable('api'),
  },
  {
    method: 'post', path: '/api/renew', who: 'admin',
    summary: 'Switch to the renewed certificate.',
    body: { type: 'json', schema: renewInputSchema },
    response: okJson('Status', StatusSchema), errors: RENEW_ERRORS,
    handler: renew('api'),
  },
  {
    method: 'post', path: '/api/connection-test', who: 'admin',
    summary: 'Test the connection to RNDS with the enabled certificate.',
    response: okJson('{"connection":Connection}', ConnectionAnswerSchema), errors: CONNECTION_ERRORS,
    handler: testConnection('api'),
  },
  {
    method: 'get', path: '/api/token', who: 'admin', bearerOnly: true,
    summary: 'A current RNDS access token (Authorization: Bearer callers only).',
    response: okJson('{"accessToken","tokenType","expiresAt"}', TokenAnswerSchema), errors: ['FORBIDDEN', 'NOT_ENABLED', 'SECRET_UNREADABLE', 'RNDS_UNAVAILABLE', 'RNDS_CERTIFICATE_REJECTED'],
    handler: token,
  },
  {
    method: 'post', path: '/api/contra-chave', who: 'admin',
    summary: "Set this installation's contra-chave.",
    body: { type: 'json', schema: ContraChaveRequestSchema },
    response: okJson('Status', StatusSchema), errors: CONTRA_CHAVE_ERRORS,
    handler: changeContraChave('api'),
  },
  {
    method: 'get', path: '/api/events', who: 'admin',
    summary: 'A status event whenever the certificate list or the Status changes; a sends event (a version only, at most one a second) when reported sends were stored.',
    response: { status: 200, type: 'event-stream', description: 'text/event-stream: event status, data Status; event sends, data {"version":"…"}' }, errors: ['TOO_MANY_STREAMS'],
    handler: events,
  },
  {
    method: 'post', path: '/api/envios', who: 'admin', reporting: true, bodyLimit: MAX_REPORT_BYTES,
    summary: 'The host reports its direct sends to RNDS (1–1000 per request, 1 MiB at most), stored whole or not at all.',
    body: { type: 'json', schema: reportSchema },
    response: okJson('{"accepted":n,"duplicates":m}', SendsRecordedSchema), errors: ['INVALID_INPUT', 'PAYLOAD_TOO_LARGE', 'WRITE_FAILED'],
    handler: reportSends,
  },
  {
    method: 'get', path: '/api/envios', who: 'monitoring',
    summary: 'The sends summary: the last direct send and the records per model (optional de/ate, aaaa-mm-dd).',
    query: z.object({ de: z.string().optional(), ate: z.string().optional() }),
    response: okJson('SendsSummary', SendsSummarySchema), errors: ['INVALID_INPUT'],
    handler: sendsSummary,
  },
  {
    method: 'get', path: '/api/envios/erros', who: 'admin',
    summary: 'The records not sent whose latest send is in the period, newest first, with what to do and who resolves it.',
    query: z.object({ de: z.string(), ate: z.string(), modelos: z.string() }),
    response: okJson('{"erros":[SendError…]}', SendErrorsAnswerSchema), errors: ['INVALID_INPUT'],
    handler: sendErrors,
  },
  {
    method: 'get', path: '/api/envios/relatorio-erros.csv', who: 'admin',
    summary: "The error report as CSV in PEC's layout (its header block, the columns, O que fazer, Quem resolve); mascarar=1 hides all but the last 4 digits of each number.",
    query: z.object({ de: z.string(), ate: z.string(), modelos: z.string(), mascarar: z.literal('1').optional() }),
    response: { status: 200, type: 'csv', description: 'text/csv; charset=utf-8, Content-Disposition: attachment; filename="relatorio-erros-rnds-<de>-<ate>.csv"' }, errors: ['INVALID_INPUT'],
    handler: sendErrorsReport,
  },
  {
    method: 'get', path: '/metrics', who: 'monitoring',
    summary: 'Prometheus metrics.',
    response: { status: 200, type: 'text', description: 'The Prometheus text format.' }, errors: [],
    handler: metrics,
  },

  {
    method: 'get', path: '/', who: 'admin',
    summary: 'The screen, rendered on the server.',
    response: html('The screen with the current state.'), errors: [],
    handler: screen,
  },
  {
    method: 'get', path: '/fragmentos', who: 'admin',
    summary: "The screen's live regions, each with its version.",
    response: okJson('{"state","stateText","contraChaveOrigin","fragments"}'), errors: [],
    handler: fragments,
  },
  {
    method: 'get', path: '/guia', who: 'admin',
    summary: 'The credenciamento guide.',
    response: html('The guide.'), errors: [],
    handler: guide,
  },
  {
    method: 'get', path: '/historico', who: 'admin',
    summary: 'Histórico: the latest 50 events of the certificates (?de=&ate=, aaaa-mm-dd or dd/mm/aaaa), newest first.',
    query: PERIOD_QUERY,
    response: html('The history page (400, the same page with the error by field, for a date that is not one).'), errors: [],
    handler: historyPage,
  },
  {
    method: 'get', path: '/historico.csv', who: 'admin',
    summary: "The history of the period as CSV (PEC's conventions: BOM, `;`, CRLF, its header block).",
    query: PERIOD_QUERY,
    response: { status: 200, type: 'csv', description: 'text/csv; charset=utf-8, Content-Disposition: attachment (400: the history page with the error by field).' }, errors: [],
    handler: historyExport,
  },
  {
    method: 'get', path: '/rnds', who: 'admin',
    summary: 'The RNDS tab: the last direct send, the records per model, the last refusals.',
    query: z.object({ modelo: z.enum(['RIA', 'RAC', 'RPM']).optional(), status: z.enum(['FALHA_CREDENCIAL', 'SEM_CONEXAO', 'DADOS_INVALIDOS']).optional() }),
    response: html('The RNDS tab, the refusals filtered by model and status.'), errors: [],
    handler: rndsTab,
  },
  {
    method: 'get', path: '/rnds/relatorio', who: 'admin',
    summary: 'Without JavaScript: the error report form; submitted, a 303 to the CSV.',
    query: z.object({ de: z.string().optional(), ate: z.string().optional(), modelos: z.string().optional(), todos: z.literal('1').optional(), mascarar: z.literal('1').optional() }),
    response: html('The RNDS tab with the report form (400 when the choice is incomplete), or a 303 to /api/envios/relatorio-erros.csv.'), errors: [],
    handler: rndsReport,
  },
  {
    method: 'get', path: '/rnds/contagens', who: 'admin',
    summary: "The report dialog's records per model in a period.",
    query: z.object({ de: z.string(), ate: z.string() }),
    response: okJson('{"de","ate","counts":{"RIA","RAC","RPM"},"texts":{…}}'), errors: ['INVALID_INPUT'],
    handler: rndsCounts,
  },
  {
    method: 'get', path: '/desabilitar', who: 'admin',
    summary: 'Without JavaScript: the confirmation before disabling.',
    response: html('The confirmation page (a 303 to the screen when nothing is enabled).'), errors: [],
    handler: confirmDisable,
  },
  ...['/habilitar', '/renovar', '/testar-conexao', '/contra-chave'].map(
    (path): Route => ({ method: 'get', path, who: 'admin', summary: "A form's address opened by hand: the screen.", response: toScreen, errors: [], handler: backToScreen }),
  ),
  {
    method: 'post', path: '/contra-chave', who: 'admin',
    summary: 'The contra-chave form.',
    body: { type: 'form' },
    response: toScreen, errors: [],
    handler: changeContraChave('tela'),
  },
  {
    method: 'post', path: '/habilitar', who: 'admin', limit: 'enable',
    summary: 'The Habilitar form (in place for app.js: the Error and the page).',
    body: { type: 'form' },
    response: toScreen, errors: ENABLE_ERRORS,
    handler: enable('tela'),
  },
  {
    method: 'post', path: '/renovar', who: 'admin',
    summary: 'The "use the renewed certificate" button.',
    body: { type: 'form' },
    response: toScreen, errors: [],
    handler: renew('tela'),
  },
  {
    method: 'post', path: '/desabilitar', who: 'admin',
    summary: 'The Desabilitar button.',
    body: { type: 'form' },
    response: toScreen, errors: [],
    handler: disable('tela'),
  },
  {
    method: 'post', path: '/testar-conexao', who: 'admin',
    summary: 'The Testar conexão button.',
    body: { type: 'form' },
    response: toScreen, errors: ['SECRET_UNREADABLE'],
    handler: testConnection('tela'),
  },
];

/** The paths the monitoring token may read (GET/HEAD), as docs/CONTRACT.md's Access says. */
export const MONITORING_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.who === 'monitoring').map((r) => r.path));

/** The paths the reporting token may POST to. */
export const REPORTING_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.reporting && r.method === 'post').map((r) => r.path));

/** The routes that try a certificate password: the attempt limit and the failed-attempt metric count them. */
export const ENABLE_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.limit === 'enable').map((r) => r.path));
