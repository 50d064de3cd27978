/**
 * The support check behind `npm run status`: reads the data and chaves folders itself (works while the server is
 * down), lets `computeStatus` decide the state and the problems, asks the server's /health, and turns all that into
 * a monitoring-plugin result (exit code + first line) and a pt-BR report.
 */
import http from 'node:http';
import https from 'node:https';
import { computeStatus } from '../../module/status.js';
import { optionsFromEnv, type StandaloneConfig, type StandaloneEnv } from '../../module/config/env.js';
import { StateStore, SecretBox, type PersistedState } from '../../module/state/index.js';
import { lookAlikeNames, scanChavesDir } from '../../module/chaves/index.js';
import { isRndsError } from '../../module/errors.js';
import { version } from '../../module/paths.js';
import {
  DEFAULT_TIME_ZONE,
  ENTRY_STATUS_LABEL,
  EXPIRING_DAYS,
  STATE_LABEL,
  commonNameOf,
  daysLeftText,
  environmentLabel,
  formatBytes,
  formatCnpj,
  formatDate,
  formatDateTime,
  formatNumber,
  servicesLabel,
} from '../../module/present/index.js';
import { GUIDE_PATH, renewalReminder } from '../../module/renewal.js';
import type { Status } from '../../module/types.js';
import { describeVia, formatStep, parseProxyUrl } from '../../module/rnds/index.js';
import {
  EXIT,
  EXIT_LABEL,
  errorText,
  safe,
  safeJson,
  table,
  worse,
  type ExitCode,
} from './cli.js';

export interface ServerCheck {
  /** False when the check was skipped (`--no-server-check`) or impossible (PORT=0). */
  checked: boolean;
  /** null when not checked. */
  reachable: boolean | null;
  url: string | null;
  /** What /health answered for `rnds` (enabled/disabled/degraded), when it answered. */
  rnds?: string;
  /** Why it did not answer (pt-BR). */
  error?: string;
}

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
  const { secret: _secret, ...enabled } = state.enabled ?? { secret: null };
  const status = computeStatus({
    contraChave: state.contraChave,
    contraChaveOrigin: state.contraChaveOrigin,
    contraChaveChanged: state.contraChaveChanged,
    chavesDir: scan.dir,
    certificates: scan.entries,
    enabled: state.enabled ? (enabled as NonNullable<Status['enabled']>) : null,
    connection: state.connection,
    secretReadable: secretProblem === null,
    secretProblem: secretProblem ?? undefined,
    now,
    timeZone,
  });
  const findings = evaluate(status, server, timeZone);
  const exitCode = findings.reduce<ExitCode>((code, f) => worse(code, f.severity), EXIT.OK);
  const guideUrl = healthUrl ? healthUrl.replace(/\/health$/, GUIDE_PATH) : null;
  return { exitCode, summary: summaryLine(exitCode, status, findings, timeZone), status, findings, server, version, dataDir, guideUrl, proxy: describeProxy(env), timeZone };
}

/** `proxy host:port (RNDS_PROXY)`, or null without a proxy. Only host and port: the login stays out of every output. */
function describeProxy(env: StandaloneEnv): string | null {
  if (!env.proxy) return null;
  const exemptions = env.noProxy ? `; exceções NO_PROXY: ${safe(env.noProxy)}` : '';
  return `${describeVia(parseProxyUrl(env.proxy.url, env.proxy.source))} (${env.proxy.source}${exemptions})`;
}

/** The health URL of the standalone server, or null when it cannot be known (PORT=0 picks a random port). */
export function defaultHealthUrl(env: StandaloneEnv): string | null {
  if (env.PORT === 0) return null;
  let host = env.HOST;
  // A wildcard bind answers on loopback; the check runs on the same machine.
  if (host === '0.0.0.0' || host === '::' || host === '[::]') host = '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const base = env.RNDS_BASE_PATH === '/' ? '' : env.RNDS_BASE_PATH;
  return `http://${host}:${env.PORT}${base}/health`;
}

/**
 * GET /health with a short timeout. node:http rather than fetch: fetch refuses the "bad ports" of the WHATWG list
 * (6000, 6665–6669…), and PORT may be any of them.
 */
export async function checkServer(url: string, timeoutMs: number): Promise<ServerCheck> {
  let answer: { status: number; body: string };
  try {
    answer = await get(url, timeoutMs);
  } catch (error) {
    return { checked: true, reachable: false, url, error: describeRequestError(error, timeoutMs) };
  }
  if (answer.status !== 200) return { checked: true, reachable: false, url, error: `respondeu HTTP ${answer.status} em vez de 200` };
  let body: { status?: unknown; rnds?: unknown } | null = null;
  try {
    body = JSON.parse(answer.body) as { status?: unknown; rnds?: unknown };
  } catch {
    // not JSON: some other program on that port
  }
  if (body?.status !== 'ok') return { checked: true, reachable: false, url, error: 'a resposta não é a do pec-rnds (outro programa nessa porta?)' };
  return { checked: true, reachable: true, url, ...(typeof body.rnds === 'string' ? { rnds: body.rnds } : {}) };
}

function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { headers: { accept: 'application/json' }, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        // /health is a few bytes; anything long is not the pec-rnds.
        if (body.length < 4096) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', reject);
  });
}

function describeRequestError(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: string })?.code;
  switch (code) {
    case 'TIMEOUT':
      return `não respondeu em ${formatNumber(timeoutMs / 1000)} s`;
    case 'ECONNREFUSED':
      return 'conexão recusada (o serviço não está rodando nessa porta)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'endereço não encontrado (confira HOST)';
    case 'ECONNRESET':
      return 'a conexão foi interrompida';
    default:
      return code ? `erro ${code}` : errorText(error);
  }
}

function notChecked(url: string | null): ServerCheck {
  return { checked: false, reachable: null, url };
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

/** What is wrong, and how bad: the Status problems plus the server and the last connection result. */
export function evaluate(status: Status, server: ServerCheck, timeZone: string): Finding[] {
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
  } else if (server.reachable && server.rnds && server.rnds !== status.state) {
    findings.push({
      code: 'SERVER_STATE_MISMATCH',
      severity: EXIT.WARNING,
      short: `o servidor informa "${stateLabel(server.rnds)}", a pasta de dados "${stateLabel(status.state)}"`,
      message:
        `O servidor em ${server.url} informa o estado "${stateLabel(server.rnds)}", mas a pasta de dados lida aqui indica "${stateLabel(status.state)}": ` +
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

function stateLabel(state: string): string {
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

/** The pt-BR report for a person: first line Nagios style, then the details. */
export function renderHuman(report: StatusReport, options: { verbose?: boolean } = {}): string {
  const lines = [report.summary, ''];
  if (report.error) {
    lines.push(...report.error.message.split('\n').map(safe));
    lines.push('');
    lines.push(...serverLines(report.server));
    lines.push(...table([['Pasta de dados', safe(report.dataDir ?? '(não definida)')], ['Versão', `pec-rnds ${report.version}`]]));
    return lines.join('\n') + '\n';
  }
  const status = report.status!;
  const enabled = status.enabled;
  const { timeZone } = report;
  const expired = status.problems.some((p) => p.code === 'CERTIFICATE_EXPIRED');
  const rows: Array<[string, string]> = [['Estado', status.state === 'degraded' ? `${STATE_LABEL.degraded} (habilitado, mas sem condições de uso)` : stateLabel(status.state)]];
  if (enabled) {
    const c = enabled.certificate;
    rows.push(
      ['Certificado', safe(enabled.file)],
      ['Titular', safe(c.razaoSocial ?? c.commonName)],
      ['CNPJ', c.cnpj ? formatCnpj(c.cnpj) : '(não encontrado no certificado)'],
      ['Válido até', `${formatDate(c.notAfter, timeZone)} (${daysLeftText(c.daysLeft, expired)})`],
      ['Emissor', safe(commonNameOf(c.issuer))],
      ['Habilitado em', formatDateTime(enabled.enabledAt, timeZone)],
      ['Identificador solicitante', safe(enabled.identificadorSolicitante) || '(não informado)'],
      ['Serviços', servicesLabel(enabled.services)],
      ['Ambiente', environmentLabel(enabled.environment)],
    );
    const connection = status.connection;
    rows.push([
      'Última conexão',
      connection ? `${safe(connection.message)} em ${formatDateTime(connection.checkedAt, timeZone)} — ${safe(connection.detail)}` : 'nenhum teste de conexão feito ainda (use "Testar conexão" na tela)',
    ]);
    if (connection?.via) rows.push(['Caminho', safe(connection.via)]);
    for (const result of connection?.services && connection.services.length > 1 ? connection.services : []) {
      rows.push([`  ${result.service}`, `${safe(result.message)} — ${safe(result.detail)}`]);
    }
  }
  rows.push(['Proxy (ambiente)', report.proxy ?? 'nenhum: conexão direta']);
  rows.push(['Contra-chave', status.contraChaveOrigin === 'gerada' ? `${status.contraChave} (gerada para teste: não é a desta instalação)` : status.contraChave]);
  lines.push(...table(rows));
  if (options.verbose && status.connection) {
    const results = status.connection.services && status.connection.services.length > 0 ? status.connection.services : [{ service: 'RNDS', steps: status.connection.steps }];
    lines.push('');
    lines.push('Etapas do último teste de conexão:');
    for (const result of results) {
      if (results.length > 1) lines.push(`  ${result.service}:`);
      const steps = result.steps ?? [];
      if (steps.length === 0) lines.push('    (nenhuma etapa de rede: o teste parou antes de conectar)');
      for (const step of steps) lines.push(`    ${safe(formatStep(step))}`);
    }
  }

  lines.push('');
  if (report.findings.length === 0) {
    lines.push('Problemas: nenhum');
  } else {
    lines.push('Problemas e o que fazer:');
    for (const f of report.findings) lines.push(`  - [${EXIT_LABEL[f.severity]}] ${f.message}`);
  }

  const reminder = renewalReminder(status, timeZone);
  if (reminder) {
    lines.push('');
    lines.push(`Renovação do certificado: ${reminder.title}`);
    reminder.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${safe(step)}`));
    lines.push(`  Passo a passo: ${report.guideUrl ?? `o guia de credenciamento da tela (${GUIDE_PATH})`}`);
  }

  lines.push('');
  const dir = status.chavesDir;
  const dirState = !dir.exists ? 'não existe' : !dir.readable ? 'sem permissão de leitura' : `${status.certificates.length} arquivo${status.certificates.length === 1 ? '' : 's'} de certificado`;
  lines.push(`Pasta chaves: ${safe(dir.path)} (${dirState})`);
  const twins = lookAlikeNames(status.certificates.map((entry) => entry.file));
  for (const entry of status.certificates) {
    const mark = (enabled?.file === entry.file ? '  ← habilitado' : '') + (twins.has(entry.file) ? '  (outro arquivo tem o mesmo nome aparente: renomeie um deles)' : '');
    lines.push(`  ${safe(entry.file)} — ${ENTRY_STATUS_LABEL[entry.status] ?? entry.status}, ${formatBytes(entry.size)}, modificado em ${formatDateTime(entry.modifiedAt, timeZone)}${mark}`);
    if (entry.reason) lines.push(`      ${safe(entry.reason)}`);
  }
  lines.push('');
  lines.push(...serverLines(report.server));
  lines.push(...table([['Pasta de dados', safe(report.dataDir ?? '')], ['Versão', `pec-rnds ${report.version}`]]));
  return lines.join('\n') + '\n';
}

function serverLines(server: ServerCheck): string[] {
  if (!server.checked) return [`Servidor: não verificado${server.url ? '' : ' (PORT=0: porta escolhida na hora; use --url)'}`];
  if (server.reachable) return [`Servidor: respondendo em ${server.url}`];
  return [`Servidor: não responde em ${server.url} (${server.error ?? 'sem resposta'})`];
}

/** The JSON for monitoring: the Status of CONTRACT.md plus `server`, `version` and the check result. */
export function renderJson(report: StatusReport): string {
  const check = { code: report.exitCode, label: EXIT_LABEL[report.exitCode], summary: report.summary, findings: report.findings.map(({ code, severity, message }) => ({ code, severity: EXIT_LABEL[severity], message })) };
  const server = { reachable: report.server.reachable, url: report.server.url, ...(report.server.rnds ? { rnds: report.server.rnds } : {}), ...(report.server.error ? { error: report.server.error } : {}) };
  const body = report.status
    ? { ...report.status, renewalReminder: reminderJson(report), server, version: report.version, dataDir: report.dataDir, check }
    : { state: 'unknown', error: report.error, server, version: report.version, dataDir: report.dataDir, check };
  if (report.status) Object.assign(body, { proxy: report.proxy ?? null });
  return safeJson(body) + '\n';
}

function reminderJson(report: StatusReport): (ReturnType<typeof renewalReminder> & { guideUrl: string | null }) | null {
  const reminder = report.status ? renewalReminder(report.status, report.timeZone) : null;
  return reminder ? { ...reminder, guideUrl: report.guideUrl ?? null } : null;
}
