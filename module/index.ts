import type express from 'express';
import { parseOptions, type Logger, type RndsModuleOptions } from './options.js';
import { Enablement } from './enablement.js';
import { createCertificateOpener } from './certificates/index.js';
import { ChavesCatalogue } from './chaves/index.js';
import { AuditTrail, SecretBox, StateStore } from './state/index.js';
import { resolveEnvironments, type RndsToken } from './rnds/index.js';
import { Access } from './http/access.js';
import { EventHub } from './http/events.js';
import { createApp } from './http/app.js';
import { createMetrics } from './metrics.js';
import { version } from './paths.js';
import type { Connection, Status } from './types.js';

export type { RndsModuleOptions, AuthorizeHook, AuthorizeResult, Logger } from './options.js';
export type * from './types.js';
export { RndsError } from './errors.js';

export interface RndsModule {
  /** The Express app to mount at the base path: `app.use('/rnds', rnds.router)`. */
  router: express.Express;
  /** The current Status (CONTRACT.md). */
  status(): Status;
  /** A current RNDS access token, for the host's own calls to RNDS (throws NOT_ENABLED when nothing is enabled). */
  getToken(): Promise<RndsToken>;
  /** Runs "Testar conexão" and keeps its result. */
  testConnection(): Promise<Connection>;
  /** Calls `listener` whenever the Status may have changed; returns a function that stops it. */
  onChange(listener: () => void): () => void;
  /** Stops the watcher, the worker, the timers and the event streams, and releases the data folder. */
  close(): Promise<void>;
}

const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * Creates one independent instance of the module: its own state, watcher, worker and router. Startup problems
 * (a corrupt state file, another process on the same data folder, invalid options) reject here, before anything is
 * served.
 */
export async function createRndsModule(input: RndsModuleOptions): Promise<RndsModule> {
  const options = parseOptions(input);
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());

  const store = await StateStore.open({ dataDir: options.dataDir, contraChave: options.contraChave });
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const secretBox = await SecretBox.open(options.dataDir);
    const audit = new AuditTrail(options.dataDir);
    const catalogue = new ChavesCatalogue({
      dir: options.chavesDir,
      polling: options.polling,
      pollIntervalMs: options.pollIntervalMs,
      maxFileSize: options.maxFileSize,
    });
    await catalogue.start();
    cleanup.push(() => catalogue.close());
    const opener = createCertificateOpener({ maxBytes: options.maxFileSize, maxIterations: options.maxIterations });
    cleanup.push(() => opener.close());

    const enablement = new Enablement({
      store,
      secretBox,
      audit,
      catalogue,
      opener,
      environments: resolveEnvironments({
        uf: options.uf,
        authUrlHomologacao: options.authUrlHomologacao,
        authUrlProducao: options.authUrlProducao,
      }),
      defaultEnvironment: options.defaultEnvironment,
      rndsCa: options.rndsCa,
      tokenMethod: options.tokenMethod,
      now,
    });
    cleanup.push(() => enablement.close());
    const events = new EventHub(() => enablement.status());
    enablement.on('change', () => events.notify());
    cleanup.push(() => events.close());

    if (options.connectionCheckMinutes > 0) {
      let checking = false; // a slow RNDS must not pile up overlapping checks
      const timer = setInterval(() => {
        if (checking || !store.get().enabled) return;
        checking = true;
        enablement
          .testConnection()
          .catch((error: unknown) => logger.warn(`Teste periódico de conexão falhou: ${String(error)}`))
          .finally(() => (checking = false));
      }, options.connectionCheckMinutes * 60_000);
      timer.unref();
      cleanup.push(() => clearInterval(timer));
    }

    const metrics = createMetrics(() => enablement.status(), { version });
    const router = createApp({
      enablement,
      access: new Access({ accessToken: options.accessToken, authorize: options.authorize, now: () => now().getTime() }),
      events,
      logger,
      defaultEnvironment: options.defaultEnvironment,
      trustProxy: options.trustProxy,
      maxFailedAttempts: options.maxFailedAttempts,
      allowedHosts: options.allowedHosts,
      extraRoutes: (r) => metrics.mount(r),
      onEnableFailure: (code) => metrics.recordFailedAttempt(code),
    });

    let closed = false;
    return {
      router,
      status: () => enablement.status(),
      getToken: () => enablement.getToken(),
      testConnection: () => enablement.testConnection(),
      onChange(listener) {
        enablement.on('change', listener);
        return () => enablement.off('change', listener);
      },
      async close() {
        if (closed) return;
        closed = true;
        await runCleanup(cleanup);
      },
    };
  } catch (error) {
    await runCleanup(cleanup);
    throw error;
  }
}

async function runCleanup(steps: Array<() => Promise<void> | void>): Promise<void> {
  for (const step of steps.reverse()) {
    try {
      await step();
    } catch {
      // Closing goes on: one part failing to stop must not keep the others (or the data-folder lock) alive.
    }
  }
}
