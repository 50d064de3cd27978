import fs from 'node:fs';
import path from 'node:path';
import type express from 'express';
import { parseOptions, type Logger, type RndsModuleOptions } from './config/options.js';
import { createEnablement } from './enablement/index.js';
import { createCertificateOpener } from './certificates/opener.js'; // not the barrel: node-forge stays in the worker
import { ChavesCatalogue } from './chaves/index.js';
import { AuditTrail, SecretBox, StateStore } from './state/index.js';
import { SessionRevocations, loadOrCreateSessionKey } from './state/sessions.js';
import { parseProxyUrl, resolveEnvironments, type ProxySettings, type RndsToken } from './rnds/index.js';
import { PeriodicCheck } from './periodic-check.js';
import { Access } from './http/identify.js';
import { EventHub } from './http/events.js';
import { createApp } from './http/app.js';
import { createHistory } from './history/index.js';
import { createMetrics } from './metrics.js';
import { registerSendsMetrics } from './sends-metrics.js';
import { SENDS_FILE, createSends, type RecordResult, type Sends } from './sends/index.js';
import { AlertNotifier, createEmailSender, createWebhookSender, registerAlertMetrics, waitText, type AlertSender } from './alerts/index.js';
import { senderFromSmtpUrl } from './config/options.js';
import { version } from './paths.js';
import { ALERT_CHANNEL_LABEL, resolveTimeZone } from './present/index.js';
import type { Connection, Status } from './types.js';

export type { RndsModuleOptions, AuthorizeHook, AuthorizeResult, Logger } from './config/options.js';
export type * from './types.js';
export { RndsError } from './errors.js';

export interface RndsModule {
  /** The Express app to mount at the base path: `app.use('/rnds', rnds.router)`. */
  router: express.Express;
  /** The current Status (docs/CONTRACT.md). */
  status(): Status;
  /** A current RNDS access token, for the host's own calls to RNDS (throws NOT_ENABLED when nothing is enabled). */
  getToken(): Promise<RndsToken>;
  /**
   * Embedded hosts report their direct sends to RNDS here (CONTRACT.md *Sends*: `{"envios":[…]}`, 1–1000), stored
   * whole or not at all; an invalid batch rejects with RndsError INVALID_INPUT (or PAYLOAD_TOO_LARGE).
   */
  recordSends(sends: unknown): Promise<RecordResult>;
  /** Runs "Testar conexão" and keeps its result. */
  testConnection(): Promise<Connection>;
  /**
   * Switches to the renewed certificate found in the chaves folder (same CNPJ, later expiry, opens with the stored
   * password), optionally after RNDS gives it a token (`checkRnds`). Audited under `actor`.
   */
  renew(input: { file?: string; sha256?: string; checkRnds?: boolean }, actor: string): Promise<Status>;
  /**
   * Resolves when the background work started so far is over: the search for a renewed certificate, the connection
   * test started after an enable, alert deliveries.
   */
  settled(): Promise<void>;
  /**
   * Evaluates the alerts now (the module also does on every change and every minute) and resolves when the
   * resulting deliveries have ended, retries included. Without alert channels it does nothing.
   */
  checkAlerts(): Promise<void>;
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
  const timeZone = resolveTimeZone({ timeZone: options.timeZone, uf: options.uf });

  const proxy: ProxySettings = {
    proxy: options.proxy ? parseProxyUrl(options.proxy, options.proxySource) : null,
    ...(options.noProxy === undefined ? {} : { noProxy: options.noProxy }),
  };

  const store = await StateStore.open({ dataDir: options.dataDir, contraChave: options.contraChave });
  const cleanup: Array<() => Promise<void> | void> = [() => store.close()];
  try {
    const secretBox = await SecretBox.open(options.dataDir);
    const sessionKey = await loadOrCreateSessionKey(options.dataDir);
    const revocations = await SessionRevocations.open(options.dataDir, (message) => logger.warn(message));
    const audit = new AuditTrail(options.dataDir);
    const catalogue = new ChavesCatalogue({
      dir: options.chavesDir,
      polling: options.polling,
      pollIntervalMs: options.pollIntervalMs,
      maxFileSize: options.maxFileSize,
    });
    await catalogue.start();
    cleanup.push(() => catalogue.close());
    const opener = createCertificateOpener({ maxBytes: options.maxFileSize, maxIterations: options.maxIterations, timeZone });
    cleanup.push(() => opener.close());

    const enablement = createEnablement({
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
      proxy,
      now,
      timeZone,
    });
    cleanup.push(() => enablement.close());
    if (options.contraChave !== undefined) await enablement.adoptConfiguredContraChave(options.contraChave, options.contraChaveSource);
    const events = new EventHub(() => enablement.status(), { scheduler: options.scheduler });
    enablement.on('change', () => events.notify());
    cleanup.push(() => events.close());

    const periodic = new PeriodicCheck({
      intervalMinutes: options.connectionCheckMinutes,
      shouldRun: () => store.get().enabled !== null,
      run: async () => {
        const connection = await enablement.testConnection();
        if (connection.status !== 'ok') logger.warn(`Teste periódico de conexão: ${connection.message} — ${connection.detail}`);
      },
      onError: (error: unknown) => logger.warn(`Teste periódico de conexão falhou: ${error instanceof Error ? error.message : String(error)}`),
      scheduler: options.scheduler,
    });
    periodic.start();
    cleanup.push(() => periodic.stop());

    const senders: AlertSender[] = [];
    const alertOptions = options.alerts;
    if (alertOptions?.smtpUrl && alertOptions.emails) {
      senders.push(
        createEmailSender({
          smtpUrl: alertOptions.smtpUrl,
          to: alertOptions.emails,
          from: alertOptions.from ?? senderFromSmtpUrl(alertOptions.smtpUrl)!,
          tls: alertOptions.smtpCa ? { ca: alertOptions.smtpCa } : undefined,
          timeoutMs: alertOptions.timeoutMs,
        }),
      );
    }
    if (alertOptions?.webhookUrl) senders.push(createWebhookSender({ url: alertOptions.webhookUrl, timeoutMs: alertOptions.timeoutMs }));
    let notifier: AlertNotifier | null = null;
    // Started once the sends store was read (below): judged before, a restart with a refused credential would
    // look like a recovery.
    let startAlerts: () => void = () => undefined;
    if (senders.length > 0) {
      const alerts = new AlertNotifier({
        store,
        senders,
        status: () => enablement.status(),
        sendCodes: () => enablement.sendCodes(),
        now,
        timeZone,
        attempts: alertOptions?.attempts,
        retryDelayMs: alertOptions?.retryDelayMs,
        ...(options.scheduler ? { sleep: (ms: number) => new Promise<void>((resolve) => options.scheduler!.setTimeout(resolve, ms)) } : {}),
        onDelivery: (channel, ok, event, message, retry) => {
          const by = ALERT_CHANNEL_LABEL[channel];
          if (ok) logger.info(`Alerta "${event.subject}" enviado por ${by}`);
          else if (retry) logger.warn(`Alerta "${event.subject}" não foi enviado por ${by} (tentativa ${retry.attempt} de ${retry.attempts}): ${message}. Nova tentativa em ${waitText(retry.delayMs)}.`);
          else logger.warn(`Alerta "${event.subject}" não foi enviado por ${by}: ${message}`);
        },
      });
      notifier = alerts;
      enablement.attachAlerts(() => alerts.info());
      // Never awaited by a request: a slow SMTP server cannot hold the screen.
      const onChange = () => void alerts.check().catch((error: unknown) => logger.warn(`Verificação de alertas falhou: ${String(error)}`));
      let clock: NodeJS.Timeout | undefined;
      cleanup.push(() => {
        clearInterval(clock);
        enablement.off('change', onChange);
        alerts.close();
      });
      startAlerts = () => {
        enablement.on('change', onChange);
        clock = setInterval(onChange, 60_000);
        clock.unref();
        onChange();
      };
    }

    // Opened at its first use (a report or a read of the RNDS tab): an idle server never loads SQLite.
    const sendsStore = createSends({
      dataDir: options.dataDir,
      retentionDays: options.sendsRetentionDays,
      timeZone,
      now,
      enabledNotAfter: () => store.get().enabled?.certificate.notAfter ?? null,
    });
    cleanup.push(() => sendsStore.close());
    // The Status reads the latest direct send from memory (status reads stay synchronous): it is read after every
    // report and at start — only when the store exists, so an installation that never reported does not load SQLite.
    // A store that cannot be read must not stop the start nor fail a report already stored: the Status keeps what it had.
    const readLastDirectSend = async (): Promise<void> => {
      try {
        const last = await sendsStore.lastDirectSend();
        const clockRefusals = await sendsStore.recentClockRefusals();
        enablement.setClockRefusals(clockRefusals);
        enablement.setLastDirectSend(last);
      } catch (error) {
        logger.warn(`Não foi possível ler o último envio direto em ${SENDS_FILE}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    // The counters of /metrics likewise: in memory, read here only when the store exists (else they are zeros), then
    // replaced by the store after each committed batch.
    if (fs.existsSync(path.join(options.dataDir, SENDS_FILE))) {
      await readLastDirectSend();
      try {
        await sendsStore.loadMetrics();
      } catch (error) {
        logger.warn(`Não foi possível ler os contadores de envios em ${SENDS_FILE}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    startAlerts();
    const sends: Sends = {
      ...sendsStore,
      async record(input) {
        const result = await sendsStore.record(input);
        await readLastDirectSend();
        // Every open RNDS tab refreshes (a batch of duplicates only changed nothing).
        if (result.accepted > 0) events.notifySends();
        return result;
      },
      get opened() {
        return sendsStore.opened;
      },
    };

    const metrics = createMetrics(() => enablement.status(), { version, uf: options.uf });
    metrics.extend((registry) => registerAlertMetrics(registry, () => enablement.status().alerts));
    metrics.extend((registry) => registerSendsMetrics(registry, () => sendsStore.metrics()));
    const router = createApp({
      enablement,
      sends,
      access: new Access({
        accessToken: options.accessToken,
        authorize: options.authorize,
        monitoringToken: options.monitoringToken,
        reportingToken: options.reportingToken,
        now: () => now().getTime(),
        sessionKey,
        revocations,
      }),
      events,
      logger,
      defaultEnvironment: options.defaultEnvironment,
      timeZone,
      history: createHistory(audit.file, timeZone, now),
      trustProxy: options.trustProxy,
      maxFailedAttempts: options.maxFailedAttempts,
      allowedHosts: options.allowedHosts,
      testConnectionAfterEnable: options.connectionTestAfterEnable ?? options.connectionCheckMinutes > 0,
      metrics: (req, res) => metrics.handler(req, res),
      onEnableFailure: (code) => metrics.recordFailedAttempt(code),
    });

    let closed = false;
    return {
      router,
      status: () => enablement.status(),
      getToken: () => enablement.getToken(),
      testConnection: () => enablement.testConnection(),
      recordSends: (input) => sends.record(input),
      renew: (renewInput, actor) => enablement.renew(renewInput, actor),
      settled: async () => {
        await enablement.renewalSettled();
        await enablement.connectionSettled();
        await notifier?.settled();
      },
      checkAlerts: async () => {
        await notifier?.check();
      },
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
