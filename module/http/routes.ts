import { z } from 'zod';
import { enableInputSchema, renewInputSchema } from '../enablement.js';
import type { ErrorCode } from '../errors.js';
import type { Handler } from './handler.js';
import { changeContraChave } from './handlers/contra-chave.js';
import { testConnection, token } from './handlers/connection.js';
import { confirmDisable, disable } from './handlers/disable.js';
import { enable } from './handlers/enable.js';
import { login, loginLink, logout, logoutPage } from './handlers/login.js';
import { backToScreen, fragments, guide, screen } from './handlers/pages.js';
import { certificates, events, health, metrics, status } from './handlers/reads.js';
import { renew } from './handlers/renew.js';

/**
 * Who may call a route. `public`: anyone (before access control). `monitoring`: an admin, or the read-only monitoring
 * token (GET/HEAD only). `admin`: the access token, a login session or the host's hook — never the monitoring token.
 */
export type Who = 'public' | 'monitoring' | 'admin';

/** What a route answers when it works: its status, media type and a description (for the contract). */
export interface RouteResponse {
  status: 200 | 303;
  type: 'json' | 'html' | 'text' | 'event-stream' | 'redirect';
  description: string;
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
  handler: Handler;
}

const okJson = (description: string): RouteResponse => ({ status: 200, type: 'json', description });
const html = (description: string): RouteResponse => ({ status: 200, type: 'html', description });
const toScreen: RouteResponse = { status: 303, type: 'redirect', description: 'De volta à tela ({base}/), com o aviso do resultado.' };

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
  'WRITE_FAILED',
] as const satisfies readonly ErrorCode[];
const RENEW_ERRORS = ['INVALID_INPUT', 'NOT_ENABLED', 'CERTIFICATE_NOT_FOUND', 'WRONG_PASSWORD', 'RNDS_UNAVAILABLE', 'RNDS_CERTIFICATE_REJECTED', 'SECRET_UNREADABLE', 'WRITE_FAILED'] as const satisfies readonly ErrorCode[];
const CONNECTION_ERRORS = ['NOT_ENABLED', 'SECRET_UNREADABLE'] as const satisfies readonly ErrorCode[];
const CONTRA_CHAVE_ERRORS = ['INVALID_INPUT', 'CONTRA_CHAVE_LOCKED', 'WRITE_FAILED'] as const satisfies readonly ErrorCode[];

const contraChaveBody = z.strictObject({ contraChave: z.string() });

/**
 * Every route of the module, in the order they are matched (express-adapter.ts mounts them). The Status reads are
 * also answered ahead of the app's layers for authorized pollers (api.ts statusReads); these entries answer the rest.
 */
export const ROUTES: readonly Route[] = [
  { method: 'get', path: '/health', who: 'public', early: true, summary: 'Se o módulo responde, e o estado da RNDS.', response: okJson('{"status":"ok","rnds":State}'), errors: [], handler: health },

  { method: 'get', path: '/entrar', who: 'public', limit: 'login', query: z.object({ token: z.string().optional() }), summary: 'Entrar: o formulário, ou o link com ?token= mostrado pelo npm start.', response: html('A página de entrada (ou 303 para a tela, com o token certo).'), errors: ['UNAUTHENTICATED', 'TOO_MANY_LOGINS'], handler: loginLink },
  { method: 'post', path: '/entrar', who: 'public', limit: 'login', csrf: 'login', body: { type: 'form' }, summary: 'Entrar com o token de acesso.', response: { status: 303, type: 'redirect', description: 'Para a tela, com a sessão iniciada.' }, errors: ['UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_LOGINS'], handler: login },
  { method: 'get', path: '/sair', who: 'public', summary: 'Aberto à mão: sair é um POST.', response: toScreen, errors: [], handler: logoutPage },
  { method: 'post', path: '/sair', who: 'public', csrf: 'logout', body: { type: 'form' }, summary: 'Sair: encerra a sessão (também depois de reiniciar).', response: { status: 303, type: 'redirect', description: 'Para {base}/entrar.' }, errors: ['FORBIDDEN', 'WRITE_FAILED'], handler: logout },

  { method: 'get', path: '/api/status', who: 'monitoring', summary: 'O Status (com ETag: 304 quando não mudou).', response: okJson('Status'), errors: [], handler: status },
  { method: 'get', path: '/api/certificates', who: 'monitoring', summary: 'Os arquivos da pasta chaves (com ETag).', response: okJson('{"certificates":[Entry…]}'), errors: [], handler: certificates },
  { method: 'post', path: '/api/enable', who: 'admin', limit: 'enable', body: { type: 'json', schema: enableInputSchema }, summary: 'Habilitar um certificado.', response: okJson('Status'), errors: ENABLE_ERRORS, handler: enable('api') },
  { method: 'post', path: '/api/disable', who: 'admin', summary: 'Desabilitar o certificado habilitado.', response: okJson('Status'), errors: ['WRITE_FAILED'], handler: disable('api') },
  { method: 'post', path: '/api/renew', who: 'admin', body: { type: 'json', schema: renewInputSchema }, summary: 'Passar a usar o certificado renovado.', response: okJson('Status'), errors: RENEW_ERRORS, handler: renew('api') },
  { method: 'post', path: '/api/connection-test', who: 'admin', summary: 'Testar a conexão com a RNDS.', response: okJson('{"connection":Connection}'), errors: CONNECTION_ERRORS, handler: testConnection('api') },
  { method: 'get', path: '/api/token', who: 'admin', summary: 'Um token de acesso da RNDS (só com Authorization: Bearer).', response: okJson('{"accessToken","tokenType","expiresAt"}'), errors: ['NOT_ENABLED', 'SECRET_UNREADABLE', 'RNDS_UNAVAILABLE', 'RNDS_CERTIFICATE_REJECTED'], handler: token },
  { method: 'post', path: '/api/contra-chave', who: 'admin', body: { type: 'json', schema: contraChaveBody }, summary: 'Informar a contra-chave desta instalação.', response: okJson('Status'), errors: CONTRA_CHAVE_ERRORS, handler: changeContraChave('api') },
  { method: 'get', path: '/api/events', who: 'admin', summary: 'Um evento status a cada mudança.', response: { status: 200, type: 'event-stream', description: 'text/event-stream: event status, data Status' }, errors: ['TOO_MANY_STREAMS'], handler: events },
  { method: 'get', path: '/metrics', who: 'monitoring', summary: 'Métricas no formato de texto do Prometheus.', response: { status: 200, type: 'text', description: 'text/plain; version=0.0.4' }, errors: [], handler: metrics },

  { method: 'get', path: '/', who: 'admin', summary: 'A tela de certificados.', response: html('A tela, já com o estado atual.'), errors: [], handler: screen },
  { method: 'get', path: '/fragmentos', who: 'admin', summary: 'As regiões vivas da tela, com suas versões.', response: okJson('{"state","stateText","contraChaveOrigin","fragments"}'), errors: [], handler: fragments },
  { method: 'get', path: '/guia', who: 'admin', summary: 'O guia de credenciamento.', response: html('O guia.'), errors: [], handler: guide },
  { method: 'get', path: '/desabilitar', who: 'admin', summary: 'Sem JavaScript: a confirmação de desabilitar.', response: html('A página de confirmação (ou 303 para a tela).'), errors: [], handler: confirmDisable },
  ...['/habilitar', '/renovar', '/testar-conexao', '/contra-chave'].map((path): Route => ({ method: 'get', path, who: 'admin', summary: 'Aberto à mão: a tela.', response: toScreen, errors: [], handler: backToScreen })),
  { method: 'post', path: '/contra-chave', who: 'admin', body: { type: 'form' }, summary: 'O formulário da contra-chave.', response: toScreen, errors: ['WRITE_FAILED'], handler: changeContraChave('tela') },
  { method: 'post', path: '/habilitar', who: 'admin', limit: 'enable', body: { type: 'form' }, summary: 'O formulário Habilitar.', response: toScreen, errors: ['TOO_MANY_ATTEMPTS', 'WRITE_FAILED'], handler: enable('tela') },
  { method: 'post', path: '/renovar', who: 'admin', body: { type: 'form' }, summary: 'O botão Usar o certificado renovado.', response: toScreen, errors: [], handler: renew('tela') },
  { method: 'post', path: '/desabilitar', who: 'admin', body: { type: 'form' }, summary: 'O botão Desabilitar.', response: toScreen, errors: [], handler: disable('tela') },
  { method: 'post', path: '/testar-conexao', who: 'admin', body: { type: 'form' }, summary: 'O botão Testar conexão.', response: toScreen, errors: ['SECRET_UNREADABLE'], handler: testConnection('tela') },
];

/** The paths the monitoring token may read (GET/HEAD), as CONTRACT.md's Access says. */
export const MONITORING_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.who === 'monitoring').map((r) => r.path));

/** The routes that try a certificate password: the attempt limit and the failed-attempt metric count them. */
export const ENABLE_PATHS: ReadonlySet<string> = new Set(ROUTES.filter((r) => r.limit === 'enable').map((r) => r.path));
