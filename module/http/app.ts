import express from 'express';
import ejs from 'ejs';
import cookieParser from 'cookie-parser';
import type { Enablement } from '../enablement/index.js';
import type { Logger } from '../options.js';
import { assetsDir, viewsDir } from '../paths.js';
import type { Environment } from '../types.js';
import { type Access, csrfProtection } from './access.js';
import { createActions } from './actions.js';
import { apiRoutes, statusReads } from './api.js';
import { errorHandler, notFound } from './errors.js';
import type { EventHub } from './events.js';
import { hostAllowed, hostAllowList, securityHeaders } from './headers.js';
import { enableLimiter } from './limits.js';
import { createLoginPage, loginRoutes } from './login.js';
import { createRenderer, screenRoutes } from './screen.js';

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
  /** Start a connection test after every enable (without waiting for it). */
  testConnectionAfterEnable: boolean;
  /** Extra authenticated routes (metrics), mounted after access control. */
  extraRoutes?: (router: express.Router) => void;
  /** Told about every failed enable attempt (any 4xx of /api/enable or the form), for the metrics. */
  onEnableFailure?: (code: string) => void;
}

/**
 * The module's private Express app, composed in order: the Status reads of authorized pollers (api.ts statusReads,
 * which send the same headers themselves), security headers and the Host allow-list (headers.ts), static
 * assets, the public /health, body parsers, login and logout (login.ts), access control and CSRF (access.ts), the JSON
 * API (api.ts) and the screen (screen.ts) — both calling the same actions (actions.ts) — then the error mapping
 * (errors.ts). Only module/http touches req/res; everything else is the Enablement's.
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
  // Monitoring pollers read the Status all day: answered first, before the layers below (api.ts statusReads).
  app.use(statusReads({ enablement, access, hostAllowed: hostAllowed(deps.allowedHosts), cookies }));
  app.use(securityHeaders());
  const hostCheck = hostAllowList(deps.allowedHosts);
  if (hostCheck) app.use(hostCheck);

  app.use('/assets', express.static(assetsDir, { index: false, fallthrough: false, maxAge: '1h' }));
  // Public and cached like the assets: browsers ask for it on their own, before (and without) any login.
  app.get('/favicon.ico', (_req, res) => {
    res.sendFile('favicon.ico', { root: assetsDir, maxAge: '1d', headers: { 'Content-Type': 'image/x-icon' } });
  });
  app.use(cookies);
  app.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', rnds: enablement.statusSnapshot().status.state });
  });

  app.use(express.json({ limit: '16kb' }));
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 }));
  // Every answer past the static assets is per-user and may carry a CSRF token or an error about a secret: no cache.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  const loginPage = createLoginPage(access);
  loginRoutes(app, access, loginPage);
  app.use(access.require((req, res) => loginPage(req, res)));
  app.use(csrfProtection());
  access.onSessionEnd((sessionId) => events.endSession(sessionId));

  const actions = createActions(enablement, logger, { testConnectionAfterEnable: deps.testConnectionAfterEnable });
  const limiter = enableLimiter(deps.maxFailedAttempts);
  const status = () => enablement.status();
  const connectionTesting = () => enablement.connectionTesting;
  const render = createRenderer({ access, status, connectionTesting, defaultEnvironment: deps.defaultEnvironment, timeZone: deps.timeZone });
  const router = express.Router();
  apiRoutes(router, { enablement, actions, access, events, enableLimiter: limiter });
  deps.extraRoutes?.(router);
  screenRoutes(router, { access, actions, status, connectionTesting, defaultEnvironment: deps.defaultEnvironment, enableLimiter: limiter, onEnableFailure: deps.onEnableFailure }, render);
  app.use(router);

  app.use(notFound);
  app.use(errorHandler({ logger, access, defaultEnvironment: deps.defaultEnvironment, onEnableFailure: deps.onEnableFailure }));
  return app;
}
