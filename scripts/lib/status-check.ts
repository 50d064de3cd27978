/**
 * The support check behind `npm run status`: reads the data and chaves folders itself (works while the server is
 * down), hands them to `statusFromState` (the server's own) for the state and the problems, asks the server's
 * /health (health-check.ts), and turns all that into a monitoring-plugin result (exit code + first line); the
 * outputs are status-render.ts.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { CLOCK_SKEW_LIMIT_SECONDS, statusFromState, type StatusSources } from '../../module/enablement/status.js';
import { SendsSummarySchema, StatusSchema } from '../../module/contract/schemas.js';
import { provesRenewal } from '../../module/enablement/renewal-scan.js';
import { issuerDer } from '../../module/certificates/issuer.js';
import { openPkcs12, summarizeCertificate } from '../../module/certificates/index.js';
import { optionsFromEnv, type StandaloneConfig, type StandaloneEnv } from '../../module/config/env.js';
import { StateStore, SecretBox, type PersistedState } from '../../module/state/index.js';
import { isPlainFileName, scanChavesDir } from '../../module/chaves/index.js';
import { isRndsError } from '../../module/errors.js';
import { version } from '../../module/paths.js';
import { DEFAULT_TIME_ZONE, EXPIRING_DAYS, STATE_LABEL, daysLeftText, environmentLabel, formatCnpj, formatDate, formatDateTime } from '../../module/present/index.js';
import { GUIDE_PATH } from '../../module/enablement/renewal-reminder.js';
import type { Entry, RenewalInfo, Status } from '../../module/types.js';
import { describeVia, parseProxyUrl } from '../../module/rnds/index.js';
import { EXIT, EXIT_LABEL, errorText, safe, worse, type ExitCode } from './cli.js';
import { checkServer, defaultHealthUrl, get, notChecked, type ServerCheck } from './health-check.js';
import { readSendsStore, type LastSend, type SendsRead, type SendsStatusInputs } from './sends-check.js';

/** One reason for a non-OK result, with what to do. `code` is a Status problem code or one of the CLI's own. */
export interface Finding {
  code: string;
  severity: ExitCode;
  /** Short, for the first line. */
  short: string;
  /** The full pt-BR message that says what to do. */
  message: string;
}

export interface StatusReport {
  exitCode: ExitCode;
  /** The first line, Nagios style: `RNDS OK - …`. */
  summary: string;
  status: Status | null;
  findings: Finding[];
  server: ServerCheck;
  version: string;
  dataDir: string | null;
  /** The outbound proxy the environment configures, as `proxy host:port (VARIABLE)` — never its login. */
  proxy?: string | null;
  /** The credenciamento guide on the server (renewal steps), when its address is known. */
  guideUrl?: string | null;
  /**
   * Where the renewal waiting to be used (`status.renewal`) was learned: from the running server's /api/status, or,
   * when the server does not answer it, by opening the folder's files here with the stored password.
   */
  renewalSource?: 'servidor' | 'pasta';
  /** What is known of the sends the host reported, and from where (absent when the state could not be read). */
  sends?: SendsRead;
  /** Set when the state could not be read (exit 3). */
  error?: { code: string; message: string };
  /** The installation's time zone (RNDS_TIME_ZONE, else RNDS_UF's): the dates, as the screen shows them. */
  timeZone: string;
}

export interface CollectOptions {
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** How long to wait for /health, in milliseconds. */
  timeoutMs?: number;
  serverCheck?: boolean;
  /** Overrides the /health URL (a module embedded in a host, or behind a proxy). */
  healthUrl?: string;
}

/** Reads everything and evaluates it. Never throws: what cannot be read becomes an UNKNOWN report. */
export async function collectStatusReport(options: CollectOptions = {}): Promise<StatusReport> {
  const now = options.now ?? new Date();
  let config: StandaloneConfig;
  try {
    config = optionsFromEnv(options.env ?? process.env);
  } catch (error) {
    return unknownReport('INVALID_ENVIRONMENT', `${errorText(error)}\nCorrija as variáveis (as mesmas do serviço, por exemplo em /etc/pec-rnds.env) e rode de novo.`, null, notChecked(null));
  }
  const { env, timeZone } = config;
  const dataDir = config.options.dataDir;
  const healthUrl = options.healthUrl ?? defaultHealthUrl(env);
  const serverPromise = options.serverCheck === false || healthUrl === null ? Promise.resolve(notChecked(healthUrl)) : checkServer(healthUrl, options.timeoutMs ?? 3000);

  let state: PersistedState | null;
  try {
    state = await StateStore.read(dataDir);
  } catch (error) {
    const server = await serverPromise;
    const hint = isPermissionError(error) ? ' Rode o comando como o usuário do serviço (Linux: sudo -u pec-rnds …) ou como administrador.' : '';
    const code = isRndsError(error) ? error.code : 'STATE_UNREADABLE';
    return unknownReport(code, `${errorText(error)}${hint}`, dataDir, server);
  }
  if (!state) {
    const server = await serverPromise;
    return unknownReport(
      'STATE_MISSING',
      `Não há configuração do pec-rnds em ${dataDir}. Confira se RNDS_DATA_DIR é a mesma pasta usada pelo serviço ` +
        '(Linux: /etc/pec-rnds.env; Windows: o XML do serviço) e rode o comando com ela; numa instalação nova, inicie o serviço uma vez.',
      dataDir,
      server,
    );
  }

  const [scan, secretProblem, server] = await Promise.all([scanChavesDir(env.RNDS_CHAVES_DIR), secretProblemOf(dataDir, state), serverPromise]);
  const fromServer = server.reachable ? await serverReads(server.url!, env, dataDir, options.timeoutMs ?? 3000) : undefined;
  // What this data folder says, as the server would decide it: the server's own Status when it answers, else the
  // files read here — the sends store too, whose last direct send goes in as the server passes it.
  const local = (extra: Pick<StatusSources, 'renewal'> & Partial<SendsStatusInputs> = {}) =>
    statusFromState({ state, chavesDir: scan.dir, certificates: scan.entries, secretProblem, now, timeZone, ...extra });
  let status: Status;
  let sends: SendsRead;
  let localState: Status['state'];
  if (fromServer) {
    status = fromServer.status;
    sends = { read: 'server', lastSend: fromServer.lastSend };
    // The same configuration here as the server's (contra-chave, enabled certificate): their states agree whatever
    // the server alone knows (the sends); otherwise the state this folder gives is compared with the server's.
    const same = state.contraChave === status.contraChave && (state.enabled?.certificate.sha256 ?? null) === (status.enabled?.certificate.sha256 ?? null);
    localState = same ? status.state : local().state;
  } else {
    const store = await readSendsStore({ dataDir, timeZone, now, enabledNotAfter: state.enabled?.certificate.notAfter ?? null, serverAnswers: server.reachable === true });
    const renewal = await folderRenewal(state, scan.dir.path, scan.entries, dataDir, secretProblem, now, timeZone);
    status = local({ renewal, ...store.inputs });
    sends = store.read;
    localState = status.state;
  }
  const findings = evaluate(status, server, timeZone, localState);
  const exitCode = findings.reduce<ExitCode>((code, f) => worse(code, f.severity), EXIT.OK);
  const guideUrl = healthUrl ? healthUrl.replace(/\/health$/, GUIDE_PATH) : null;
  const renewalSource = status.enabled ? (fromServer ? 'servidor' : 'pasta') : undefined;
  return { exitCode, summary: summaryLine(exitCode, status, findings, timeZone), status, findings, server, version, dataDir, guideUrl, proxy: describeProxy(env), renewalSource, sends, timeZone };
}

/** What the running server answers for this check: its Status and its last direct send. */
interface ServerReads {
  status: Status;
  lastSend: LastSend | null;
}

/**
 * The running server's own Status (GET /api/status) and *Status do último envio* (GET /api/envios), read with the
 * monitoring token, else the access token of the environment or the data folder: the server's answer is the one that
 * counts — its renewal scan, and the sends it holds (RNDS_CREDENTIAL_REFUSED). undefined when it cannot be asked.
 */
async function serverReads(healthUrl: string, env: StandaloneEnv, dataDir: string, timeoutMs: number): Promise<ServerReads | undefined> {
  let token = env.RNDS_MONITORING_TOKEN ?? env.RNDS_ACCESS_TOKEN;
  if (!token) {
    try {
      token = (await fsp.readFile(path.join(dataDir, 'access-token'), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }
  const ask = (url: string) => get(url, timeoutMs, { token }).catch(() => undefined);
  const base = healthUrl.replace(/\/health$/, '');
  const [statusAnswer, sendsAnswer] = await Promise.all([ask(`${base}/api/status`), ask(`${base}/api/envios`)]);
  if (statusAnswer?.status !== 200) return undefined;
  const status = parsed(StatusSchema, statusAnswer.body);
  if (!status) return undefined;
  // A server without the sends route (an older release) still gives its Status.
  const summary = sendsAnswer?.status === 200 ? parsed(SendsSummarySchema, sendsAnswer.body) : undefined;
  return { status: status as Status, lastSend: summary?.lastSend ?? null };
}

function parsed<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, body: string): T | undefined {
  try {
    const result = schema.safeParse(JSON.parse(body));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** Files opened per check, as the server's own scan (renewal-scan.ts) bounds it. */
const FOLDER_RENEWAL_LIMIT = 10;

/**
 * The renewal found by opening, here, the folder's ready files with the stored password (the server is down or cannot
 * be asked): the same rule as the server's scan (provesRenewal: signed by the enabled certificate's issuer, same CNPJ,
 * later expiry), the latest expiry offered. Without the issuer kept at enable, nothing is offered, as by the server.
 */
async function folderRenewal(state: PersistedState, dir: string, entries: Entry[], dataDir: string, secretProblem: string | null, now: Date, timeZone: string): Promise<RenewalInfo | null> {
  const enabled = state.enabled;
  if (!enabled || secretProblem) return null;
  const issuer = issuerDer(enabled.issuerCertificate);
  if (!issuer) return null;
  const candidates = entries
    .filter((e) => e.status === 'ready' && e.sha256 && e.sha256 !== enabled.certificate.sha256 && isPlainFileName(e.file))
    .slice(0, FOLDER_RENEWAL_LIMIT);
  if (candidates.length === 0) return null;
  let password: string;
  try {
    password = (await SecretBox.open(dataDir)).unseal(enabled.secret);
  } catch {
    return null;
  }
  let best: RenewalInfo | null = null;
  for (const entry of candidates) {
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(path.join(dir, entry.file));
    } catch {
      continue;
    }
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== entry.sha256) continue; // changed since the folder was read
    let summary: ReturnType<typeof summarizeCertificate> & { sha256: string };
    try {
      const opened = openPkcs12(bytes, password, { now, timeZone });
      summary = { ...summarizeCertificate(opened, now, timeZone), sha256 };
      if (!provesRenewal(opened, summary, enabled.certificate, issuer)) continue;
    } catch {
      continue; // another password, expired, not a certificate
    }
    if (!best || new Date(summary.notAfter) > new Date(best.certificate.notAfter)) best = { file: entry.file, sha256, sameFile: entry.file === enabled.file, certificate: summary };
  }
  return best;
}

/** `proxy host:port (RNDS_PROXY)`, or null without a proxy. Only host and port: the login stays out of every output. */
function describeProxy(env: StandaloneEnv): string | null {
  if (!env.proxy) return null;
  const exemptions = env.noProxy ? `; exceções NO_PROXY: ${safe(env.noProxy)}` : '';
  return `${describeVia(parseProxyUrl(env.proxy.url, env.proxy.source))} (${env.proxy.source}${exemptions})`;
}

/** Why the stored password cannot be decrypted (the key file's own message when it is the cause), or null. */
async function secretProblemOf(dataDir: string, state: PersistedState): Promise<string | null> {
  if (!state.enabled) return null;
  try {
    return (await SecretBox.open(dataDir)).check(state.enabled.secret)?.message ?? null;
  } catch (error) {
    return errorText(error);
  }
}

function isPermissionError(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'EACCES' || code === 'EPERM') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function unknownReport(code: string, message: string, dataDir: string | null, server: ServerCheck): StatusReport {
  // The first sentence is the cause; the rest (what to do) goes in the details.
  const first = (message.split('\n')[0] ?? message).split(/(?<=[.:])\s/)[0] ?? message;
  return {
    exitCode: EXIT.UNKNOWN,
    summary: `RNDS UNKNOWN - não foi possível saber o estado: ${safe(first)}`,
    status: null,
    findings: [],
    server,
    version,
    dataDir,
    error: { code, message },
    timeZone: DEFAULT_TIME_ZONE,
  };
}

const SERVICE_HINT =
  'verifique se o serviço está rodando (Linux: systemctl status pec-rnds e journalctl -u pec-rnds; Windows: services.msc › pec-rnds) ' +
  'e se PORT, HOST e RNDS_BASE_PATH são os mesmos do serviço.';

/**
 * What is wrong, and how bad: the Status problems plus the server and the last connection result. `localState` is the
 * state the data folder read here gives (the Status may be the server's): a server that says otherwise is told.
 */
export function evaluate(status: Status, server: ServerCheck, timeZone: string, localState: Status['state'] = status.state): Finding[] {
  const findings: Finding[] = [];
  if (status.state === 'disabled') {
    findings.push({
      code: 'NOT_ENABLED',
      severity: EXIT.CRITICAL,
      short: 'desabilitado: nenhum certificado habilitado',
      message:
        'Nenhum certificado está habilitado: o PEC não acessa a RNDS. Copie o certificado (.pfx ou .p12) para a pasta chaves e habilite-o em ' +
        'Gestão municipal › Certificados, com a senha e o identificador solicitante.',
    });
  }
  const enabled = status.enabled;
  for (const problem of status.problems) {
    const file = safe(enabled?.file);
    const notAfter = enabled ? formatDate(enabled.certificate.notAfter, timeZone) : '';
    const short: Record<string, string> = {
      CERTIFICATE_MISSING: `o arquivo ${file} saiu da pasta chaves`,
      CERTIFICATE_CHANGED: `o arquivo ${file} foi substituído ou não pode ser lido`,
      CERTIFICATE_EXPIRED: `certificado expirado em ${notAfter}`,
      CERTIFICATE_EXPIRING: `certificado vence em ${notAfter} (${daysLeftText(enabled?.certificate.daysLeft ?? 0)})`,
      SECRET_UNREADABLE: 'a senha guardada não pode ser lida (reinforme a senha)',
      CHAVES_DIR_MISSING: 'a pasta chaves não existe ou não pode ser lida',
      CONTRA_CHAVE_NOT_CONFIGURED: 'contra-chave não configurada (valor de teste)',
      CONTRA_CHAVE_CHANGED: 'a contra-chave mudou depois da habilitação (a credencial é da anterior)',
      RNDS_CREDENTIAL_REFUSED: 'a RNDS recusou a credencial no último envio direto (veja o e-Gestor AB)',
      CLOCK_SKEW: clockShort(status.clock?.skewSeconds),
    };
    // With nothing enabled, a missing chaves folder is why nothing can be enabled: CRITICAL like the state itself.
    const severity = problem.severity === 'warning' ? EXIT.WARNING : EXIT.CRITICAL;
    findings.push({ code: problem.code, severity, short: short[problem.code] ?? problem.code, message: safe(problem.message) });
  }
  if (server.checked && !server.reachable) {
    findings.push({
      code: 'SERVER_NOT_ANSWERING',
      severity: EXIT.WARNING,
      short: `o servidor do pec-rnds não responde em ${server.url}`,
      message: `O servidor do pec-rnds não respondeu em ${server.url} (${server.error ?? 'sem resposta'}): ${SERVICE_HINT}`,
    });
  } else if (server.reachable && server.rnds && server.rnds !== localState) {
    findings.push({
      code: 'SERVER_STATE_MISMATCH',
      severity: EXIT.WARNING,
      short: `o servidor informa "${stateLabel(server.rnds)}", a pasta de dados "${stateLabel(localState)}"`,
      message:
        `O servidor em ${server.url} informa o estado "${stateLabel(server.rnds)}", mas a pasta de dados lida aqui indica "${stateLabel(localState)}": ` +
        'confira se RNDS_DATA_DIR e RNDS_CHAVES_DIR são os mesmos do serviço e rode o comando de novo.',
    });
  }
  const connection = status.connection;
  if (enabled && connection) {
    // One result per enabled service (older state files have only the top-level one, RNDS's).
    const results = connection.services && connection.services.length > 0 ? connection.services : [{ service: 'RNDS', ...connection }];
    for (const result of results.filter((r) => r.status !== 'ok')) {
      const label = results.length > 1 || result.service !== 'RNDS' ? `${result.service}: ` : '';
      findings.push({
        code: 'CONNECTION_FAILED',
        severity: EXIT.WARNING,
        short: `última conexão: ${label}${result.message}`,
        message:
          `O último teste de conexão (${formatDateTime(connection.checkedAt, timeZone)}${connection.via ? `, ${safe(connection.via)}` : ''}) falhou: ${label}${safe(result.message)} — ${safe(result.detail)} ` +
          'Depois de corrigir, use "Testar conexão" na tela.',
      });
    }
  }
  return findings;
}

/** CLOCK_SKEW in one line: the difference measured when it is the proof, else the sends RNDS refused for the clock. */
function clockShort(skewSeconds: number | undefined): string {
  if (skewSeconds !== undefined && Math.abs(skewSeconds) > CLOCK_SKEW_LIMIT_SECONDS) {
    return `relógio do servidor ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'adiantado' : 'atrasado'} em relação à RNDS (acerte o NTP)`;
  }
  return 'a RNDS recusou envios recentes pela data e hora do servidor (acerte o relógio e o NTP)';
}

export function stateLabel(state: string): string {
  return STATE_LABEL[state] ?? safe(state);
}

function summaryLine(exitCode: ExitCode, status: Status, findings: Finding[], timeZone: string): string {
  const label = `RNDS ${EXIT_LABEL[exitCode]} - `;
  const enabled = status.enabled;
  const perf = enabled ? ` | dias_restantes=${enabled.certificate.daysLeft};${EXPIRING_DAYS + 1}:;0:` : '';
  if (status.state === 'disabled') {
    const rest = findings.filter((f) => f.code !== 'NOT_ENABLED').map((f) => f.short);
    return `${label}desabilitado: nenhum certificado habilitado${rest.length ? `; ${rest.join('; ')}` : ''}`;
  }
  const who = enabled ? describeHolder(enabled.certificate) : '';
  const worst = findings.filter((f) => f.severity === exitCode).map((f) => f.short);
  if (status.state === 'degraded') return `${label}degradado (${who}): ${worst.join('; ')}${perf}`;
  if (exitCode === EXIT.OK) {
    return `${label}habilitado: ${who}, válido até ${formatDate(enabled!.certificate.notAfter, timeZone)} (${daysLeftText(enabled!.certificate.daysLeft)}), ${environmentLabel(enabled!.environment)}${perf}`;
  }
  return `${label}habilitado (${who}), mas ${worst.join('; ')}${perf}`;
}

function describeHolder(certificate: NonNullable<Status['enabled']>['certificate']): string {
  const name = safe(certificate.razaoSocial ?? certificate.commonName);
  return certificate.cnpj ? `${name}, CNPJ ${formatCnpj(certificate.cnpj)}` : name;
}
