/**
 * `npm start`: the module on its own, configured by the environment variables of docs/CONTRACT.md.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { createRndsModule } from '../module/index.js';
import { describeVia, parseProxyUrl } from '../module/rnds/index.js';
import { optionsFromEnv } from '../module/config/env.js';
import type { Logger } from '../module/config/options.js';
import { loadOrCreateAccessToken } from '../module/state/index.js';
import { version } from '../module/paths.js';
import { STATE_LABEL, displayName } from '../module/present/index.js';
import { describeStartError, type StartContext } from './lib/start-errors.js';

const logger: Logger = {
  info: (m) => console.log(`[pec-rnds] ${m}`),
  warn: (m) => console.warn(`[pec-rnds] aviso: ${m}`),
  error: (m) => console.error(`[pec-rnds] erro: ${m}`),
};

/**
 * A failure nobody awaited leaves the process in a state nobody knows: say so in pt-BR and exit non-zero, so the
 * service manager (systemd's Restart=on-failure, the Windows service's onfailure) starts a clean process. The lock of
 * the data folder names a dead pid then, and the new process takes it over.
 */
function exitOnUnexpected(kind: 'uncaughtException' | 'unhandledRejection'): (error: unknown) => void {
  return (error) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`[pec-rnds] erro: falha inesperada (${kind}), o pec-rnds vai encerrar: ${detail}`);
    console.error(
      '[pec-rnds] erro: como serviço (systemd ou serviço do Windows), ele é reiniciado sozinho em instantes; ' +
        'se isso se repetir, envie estas linhas ao suporte. Rodando à mão, inicie de novo com npm start.',
    );
    process.exit(1);
  };
}
process.on('uncaughtException', exitOnUnexpected('uncaughtException'));
process.on('unhandledRejection', exitOnUnexpected('unhandledRejection'));

/** Where it tries to listen, once the environment is read (for the messages of a failed start). */
let startContext: StartContext | undefined;

async function main(): Promise<void> {
  const config = optionsFromEnv();
  const { env, server: listen } = config;
  startContext = { host: listen.host, port: listen.port };
  const { dataDir, chavesDir } = config.options;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (env.chavesDirSource === 'local') fs.mkdirSync(chavesDir, { recursive: true });
  const accessToken = config.options.accessToken ?? (await loadOrCreateAccessToken(dataDir));

  const rnds = await createRndsModule({ ...config.options, accessToken, logger });

  // At the root the module's own app is the whole server: an outer app mounting it would only add a layer to every
  // request (Express switches the request's prototype in and out of a mounted app).
  const base = listen.basePath;
  let app: express.Express = rnds.router;
  if (base) {
    app = express();
    app.disable('x-powered-by');
    app.use(base, rnds.router);
    app.get('/', (_req, res) => res.redirect(302, `${base}/`));
  }

  // A client that sends its headers or body slowly, or opens connections by the hundred, cannot hold the server.
  const requestTimeout = listen.requestTimeoutMs;
  const server = http.createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 20_000),
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(requestTimeout / 4))),
    },
    app,
  );
  server.maxConnections = listen.maxConnections;
  server.listen(listen.port, listen.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}${base}/`;
  const tokenSource = env.RNDS_ACCESS_TOKEN ? 'RNDS_ACCESS_TOKEN' : path.join(dataDir, 'access-token');
  console.log(`pec-rnds ${version}`);
  console.log(`Tela:          ${url}`);
  console.log(`Entrar:        ${url}entrar?token=${encodeURIComponent(accessToken)}`);
  console.log(`Token:         ${tokenSource}`);
  console.log(`Pasta chaves:  ${displayName(chavesDir)}`);
  console.log(`Pasta de dados: ${displayName(dataDir)}`);
  console.log(`Estado:        ${STATE_LABEL[rnds.status().state]}`);
  console.log(`Fuso horário:  ${config.timeZone} (${config.timeZoneSource})`);
  // Host and port only: the proxy's login never reaches a log.
  if (env.proxy) console.log(`Proxy:         ${describeVia(parseProxyUrl(env.proxy.url, env.proxy.source))} (${env.proxy.source}${env.noProxy ? `; exceções NO_PROXY: ${env.noProxy}` : ''})`);
  const status = rnds.status();
  if (status.contraChaveOrigin === 'gerada') {
    console.log(
      `Contra-chave:  ${status.contraChave} — GERADA PARA TESTE, não é a desta instalação. Informe a contra-chave do PEC ` +
        `(Gestão municipal › Certificados, ou a da ativação da instalação) em RNDS_CONTRA_CHAVE ou na tela.`,
    );
  } else {
    console.log(`Contra-chave:  ${status.contraChave}`);
  }
  for (const problem of status.problems.filter((p) => p.code === 'CONTRA_CHAVE_CHANGED')) console.log(`Aviso:         ${problem.message}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} recebido: encerrando.`);
    server.closeIdleConnections();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await rnds.close(); // ends the event streams, so server.close() can finish
    server.closeAllConnections();
    await closed;
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = startContext ? describeStartError(error, startContext) : error instanceof Error ? error.message : String(error);
  console.error(`[pec-rnds] não foi possível iniciar: ${message}`);
  process.exit(1);
});
