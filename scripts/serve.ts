/**
 * `npm start`: the module on its own, configured by the environment variables of CONTRACT.md.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { createRndsModule } from '../module/index.js';
import { describeVia, parseProxyUrl, readCaFile } from '../module/rnds/index.js';
import { alertsFromEnv, parseEnv, parseTrustProxy, timeZoneFromEnv, type Logger } from '../module/options.js';
import { loadOrCreateAccessToken } from '../module/state/index.js';
import { version } from '../module/paths.js';
import { STATE_LABEL, displayName } from '../module/present/index.js';
import { describeStartError, type StartContext } from './lib/start-errors.js';

const logger: Logger = {
  info: (m) => console.log(`[pec-rnds] ${m}`),
  warn: (m) => console.warn(`[pec-rnds] aviso: ${m}`),
  error: (m) => console.error(`[pec-rnds] erro: ${m}`),
};

/** Where it tries to listen, once the environment is read (for the messages of a failed start). */
let startContext: StartContext | undefined;

async function main(): Promise<void> {
  const env = parseEnv();
  startContext = { host: env.HOST, port: env.PORT };
  const dataDir = path.resolve(env.RNDS_DATA_DIR);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (env.chavesDirSource === 'local') fs.mkdirSync(env.RNDS_CHAVES_DIR, { recursive: true });
  const accessToken = env.RNDS_ACCESS_TOKEN ?? (await loadOrCreateAccessToken(dataDir));

  const rnds = await createRndsModule({
    chavesDir: env.RNDS_CHAVES_DIR,
    dataDir,
    accessToken,
    monitoringToken: env.RNDS_MONITORING_TOKEN,
    defaultEnvironment: env.RNDS_AMBIENTE,
    uf: env.RNDS_UF,
    timeZone: env.RNDS_TIME_ZONE,
    authUrlHomologacao: env.RNDS_AUTH_URL_HOMOLOGACAO,
    authUrlProducao: env.RNDS_AUTH_URL_PRODUCAO,
    rndsCa: env.RNDS_CA_FILE ? (await readCaFile(env.RNDS_CA_FILE)).join('\n') : undefined,
    tokenMethod: env.RNDS_TOKEN_METHOD,
    polling: env.RNDS_POLLING,
    trustProxy: parseTrustProxy(env.RNDS_TRUST_PROXY),
    connectionCheckMinutes: env.RNDS_CONNECTION_CHECK_MINUTES,
    contraChave: env.RNDS_CONTRA_CHAVE,
    contraChaveSource: 'RNDS_CONTRA_CHAVE',
    alerts: alertsFromEnv(env),
    allowedHosts: standaloneAllowedHosts(env.HOST, env.RNDS_ALLOWED_HOSTS),
    ...(env.proxy ? { proxy: env.proxy.url, proxySource: env.proxy.source } : {}),
    ...(env.noProxy === undefined ? {} : { noProxy: env.noProxy }),
    logger,
  });

  // At the root the module's own app is the whole server: an outer app mounting it would only add a layer to every
  // request (Express switches the request's prototype in and out of a mounted app).
  const base = env.RNDS_BASE_PATH === '/' ? '' : env.RNDS_BASE_PATH;
  let app: express.Express = rnds.router;
  if (base) {
    app = express();
    app.disable('x-powered-by');
    app.use(base, rnds.router);
    app.get('/', (_req, res) => res.redirect(302, `${base}/`));
  }

  // A client that sends its headers or body slowly, or opens connections by the hundred, cannot hold the server.
  const requestTimeout = env.RNDS_REQUEST_TIMEOUT_SECONDS * 1000;
  const server = http.createServer(
    {
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 20_000),
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(requestTimeout / 4))),
    },
    app,
  );
  server.maxConnections = env.RNDS_MAX_CONNECTIONS;
  server.listen(env.PORT, env.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  const url = `http://${host}:${port}${base}/`;
  const tokenSource = env.RNDS_ACCESS_TOKEN ? 'RNDS_ACCESS_TOKEN' : path.join(dataDir, 'access-token');
  console.log(`pec-rnds ${version}`);
  console.log(`Tela:          ${url}`);
  console.log(`Entrar:        ${url}entrar?token=${encodeURIComponent(accessToken)}`);
  console.log(`Token:         ${tokenSource}`);
  console.log(`Pasta chaves:  ${displayName(env.RNDS_CHAVES_DIR)}`);
  console.log(`Pasta de dados: ${displayName(dataDir)}`);
  console.log(`Estado:        ${STATE_LABEL[rnds.status().state]}`);
  const zoneSource = env.RNDS_TIME_ZONE ? 'RNDS_TIME_ZONE' : env.RNDS_UF ? `RNDS_UF=${env.RNDS_UF.toUpperCase()}` : 'padrão; defina RNDS_UF';
  console.log(`Fuso horário:  ${timeZoneFromEnv(env)} (${zoneSource})`);
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

/**
 * The Host names the standalone server answers: RNDS_ALLOWED_HOSTS, loopback (added by the module), and the address
 * it listens on; when it listens on every interface, the machine's own name and addresses (a LAN reaches it by them).
 */
function standaloneAllowedHosts(bindHost: string, configured: string[]): string[] {
  const hosts = [...configured];
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '[::]') {
    hosts.push(os.hostname());
    for (const addresses of Object.values(os.networkInterfaces())) for (const a of addresses ?? []) hosts.push(a.address);
  } else {
    hosts.push(bindHost);
  }
  return hosts;
}

main().catch((error: unknown) => {
  const message = startContext ? describeStartError(error, startContext) : error instanceof Error ? error.message : String(error);
  console.error(`[pec-rnds] não foi possível iniciar: ${message}`);
  process.exit(1);
});
