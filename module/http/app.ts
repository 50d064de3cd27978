import express from 'express';
import ejs from 'ejs';
import cookieParser from 'cookie-parser';
import type { Enablement } from '../enablement/index.js';
import type { Sends } from '../sends/index.js';
import type { History } from '../history/index.js';
import type { Logger } from '../config/options.js';
import { assetsDir, viewsDir } from '../paths.js';
import type { Environment } from '../types.js';
import { createActions } from './actions.js';
import { csrfProtection } from './csrf.js';
import { errorHandler, notFound } from './errors.js';
import type { EventHub } from './events.js';
import { createLoginPage, expressAdapter } from './express-adapter.js';
import { hostAllowed, hostAllowList, securityHeaders } from './headers.js';
import type { Access } from './identify.js';
import { enableAttempts, LoginBudget } from './limits.js';
import { ENABLE_PATHS, MONITORING_PATHS, REPORTING_PATHS, ROUTES } from './routes.js';
import { createRenderer } from './screen.js';
import { statusReads } from './status-reads.js';

export interface AppDeps {
  enablement: Enablement;
  sends: Sends;
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
  /** Start a connection test after every enable (without waiting for it). */
  testConnectionAfterEnable: boolean;
  /** Answers GET /metrics (the Prometheus scrape); without it /metrics is not found. */
  metrics?: (req: express.Request, res: express.Response) => Promise<void>;
  /** The audit trail read for people (the Histórico page and its CSV). */
  history: History;
  /** Told about every failed enable attempt (any 4xx of /api/enable or the form), for the metrics. */
  onEnableFailure?: (code: string) => void;
}

/**
 * The module's private Express app, composed in order: the Status reads of authorized pollers (status-reads.ts, which
 * send the same headers themselves), security headers and the Host allow-list (headers.ts), static assets, the public
 * /health, body parsers, login and logout, access control (identify.ts) and CSRF (csrf.ts), the API and the screen,
 * then the error mapping (errors.ts). Every route but the static files is in the route table (routes.ts), its handlers
 * framework-free; express-adapter.ts mounts them. Only module/http touches req/res; everything else is the Enablement's.
 */
export function createApp(deps: AppDeps): express.Express {
  const { enablement, access, events, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.engine('ejs', ejs.renderFile as unknown as Parameters<typeof app.engine>[1]);

  const cookies = cookieParser();
  const logins = new LoginBudget();
  // Monitoring pollers read the Status all day: answered first, before the layers below (status-reads.ts).
  app.use(statusReads({ enablement, access, hostAllowed: hostAllowed(deps.allowedHosts), cookies, logins }));
  app.use(securityHeaders());
  const hostCheck = hostAllowList(deps.allowedHosts);
  if (hostCheck) app.use(hostCheck);

  app.use('/assets', express.static(assetsDir, { index: false, fallthrough: false, maxAge: '1h' }));
  // Public and cached like the assets: browsers ask for it on their own, before (and without) any login.
  app.get('/favicon.ico', (_req, res) => {
    res.sendFile('favicon.ico', { root: assetsDir, maxAge: '1d', headers: { 'Content-Type': 'image/x-icon' } });
  });
  app.use(cookies);
  const actions = createActions(enablement, logger, { testConnectionAfterEnable: deps.testConnectionAfterEnable });
  const attempts = enableAttempts({ maxFailedAttempts: deps.maxFailedAttempts, paths: ENABLE_PATHS, onFailure: deps.onEnableFailure });
  const render = createRenderer({
    access: { usesLogin: access.usesLogin, ensureSession: (req, res) => access.sessions.ensureSession(req, res) },
    status: () => enablement.status(),
    connectionTesting: () => enablement.connectionTesting,
    defaultEnvironment: deps.defaultEnvironment,
    timeZone: deps.timeZone,
  });
  const loginPage = createLoginPage(access);
  const adapter = expressAdapter({
    context: { enablement, sends: deps.sends, sendsVersion: () => events.sendsVersion, actions, sessions: access.sessions, usesLogin: access.usesLogin, checkToken: (token) => access.checkToken(token), defaultEnvironment: deps.defaultEnvironment, timeZone: deps.timeZone, history: deps.history },
    access,
    enablement,
    events,
    render,
    loginPage,
    attempts,
    logins,
    metrics: deps.metrics,
  });
  const early = ROUTES.filter((route) => route.early);
  const open = ROUTES.filter((route) => route.who === 'public' && !route.early);
  const guarded = ROUTES.filter((route) => route.who !== 'public');

  adapter.mount(app, early);
  // A route with its own limit (a batch of sends) is parsed first; the parser below then sees the body as read.
  for (const route of ROUTES) if (route.bodyLimit) app[route.method](route.path, express.json({ limit: route.bodyLimit }));
  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  // Every answer past the static assets is per-user and may carry a CSRF token or an error about a secret: no cache.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  adapter.mount(app, open);
  app.use(access.require(MONITORING_PATHS, (req, res) => loginPage(req, res), REPORTING_PATHS, logins));
  app.use(csrfProtection());
  access.sessions.onSessionEnd((sessionId) => events.endSession(sessionId));
  const router = express.Router();
  adapter.mount(router, guarded);
  app.use(router);

  app.use(notFound);
  app.use(errorHandler({ logger, access, defaultEnvironment: deps.defaultEnvironment, attempts }));
  return app;
}
