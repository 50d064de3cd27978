import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Request } from 'express';
import { TIME_ZONE_EXPECTED, canonicalTimeZone, displayName, resolveTimeZone } from './present/index.js';
import { CONTRA_CHAVE_SHAPE, normalizeContraChave } from './state/contra-chave.js';
import { parseProxyUrl, proxyFromEnv, noProxyFromEnv } from './rnds/proxy.js';

/** What the host's authorization hook answers: false/null = no access; true or an actor name = access. */
export type AuthorizeResult = boolean | string | { actor: string } | null | undefined;
export type AuthorizeHook = (req: Request) => AuthorizeResult | Promise<AuthorizeResult>;

/** Timers of the periodic connection check, injectable so tests need no real waiting. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** [0, 1), for the jitter. Default Math.random. */
  random?: () => number;
}

/** Every 6 hours when a certificate is enabled. */
export const DEFAULT_CONNECTION_CHECK_MINUTES = 360;

/** The pt-BR reason a proxy URL is refused (never repeating it: it may hold the password), or null. */
function proxyError(value: string, source: string): string | null {
  try {
    parseProxyUrl(value, source);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : 'proxy inválido';
  }
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const environmentSchema = z.enum(['homologacao', 'producao']);

/** A contra-chave as people type it, normalised to `xxxx-…-xxxx` (case kept); anything else fails with the shape. */
const contraChaveSchema = z.string().transform((value, ctx) => {
  const normalized = normalizeContraChave(value);
  if (normalized === null) {
    ctx.issues.push({ code: 'custom', input: value, message: `a contra-chave deve ter o formato ${CONTRA_CHAVE_SHAPE}` });
    return z.NEVER;
  }
  return normalized;
});
const smtpUrl = z.url({ protocol: /^smtps?$/, error: 'deve ser uma URL smtp://usuario:senha@servidor:587 ou smtps://…:465' });
const webhookUrl = z.url({ protocol: /^https?$/, error: 'deve ser uma URL http:// ou https://' });
const emailList = z.array(z.email({ error: 'cada destinatário deve ser um e-mail válido' })).min(1, 'informe ao menos um e-mail');

/** Alerts by e-mail and webhook (INSTALL.md, "Alertas"). */
export const alertsSchema = z
  .strictObject({
    /** The SMTP server, as PEC's own e-mail settings have it: `smtp://user:password@host:587` (STARTTLS) or `smtps://…:465`. */
    smtpUrl: smtpUrl.optional(),
    /** Who receives the e-mails. */
    emails: emailList.optional(),
    /** The sender (PEC's e-mail settings' sender address); default: the SMTP user when it is an e-mail. */
    from: z.string().min(3).max(320).optional(),
    /** Extra trusted CA (PEM) for the SMTP server's TLS certificate. */
    smtpCa: z.string().optional(),
    /** A URL that receives each alert as a JSON POST. */
    webhookUrl: webhookUrl.optional(),
    /** Attempts per delivery, first included. */
    attempts: z.number().int().min(1).max(20).default(5),
    /** First retry delay (doubles each retry). */
    retryDelayMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Per-attempt network limit. */
    timeoutMs: z.number().int().min(1).max(300_000).default(30_000),
  })
  .check((ctx) => {
    const v = ctx.value;
    if (v.smtpUrl && !v.emails) ctx.issues.push({ code: 'custom', input: v, path: ['emails'], message: 'informe os destinatários (RNDS_ALERT_EMAILS) para usar o SMTP' });
    if (v.emails && !v.smtpUrl) ctx.issues.push({ code: 'custom', input: v, path: ['smtpUrl'], message: 'informe o servidor SMTP (RNDS_SMTP_URL) para enviar aos destinatários' });
    if (v.smtpUrl && !v.from && !senderFromSmtpUrl(v.smtpUrl)) {
      ctx.issues.push({ code: 'custom', input: v, path: ['from'], message: 'informe o remetente (RNDS_SMTP_FROM), o mesmo das configurações de e-mail do PEC' });
    }
  });

/** The SMTP user, when it is an e-mail address: the usual sender. */
export function senderFromSmtpUrl(url: string): string | null {
  try {
    const user = decodeURIComponent(new URL(url).username);
    return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user) ? user : null;
  } catch {
    return null;
  }
}
const timeZoneSchema = z.string().refine((v) => canonicalTimeZone(v) !== null, { error: `fuso horário inválido. ${TIME_ZONE_EXPECTED}` });
const httpsUrl = z.url({ protocol: /^https$/, error: 'deve ser uma URL https://' });

export const optionsSchema = z
  .strictObject({
    /** The watched folder where installers drop .pfx/.p12 files. */
    chavesDir: z.string({ error: 'informe a pasta chaves' }).min(1, 'informe a pasta chaves'),
    /** Where the state, the secret key and the audit trail live. */
    dataDir: z.string({ error: 'informe a pasta de dados' }).min(1, 'informe a pasta de dados'),
    /** Embedded mode: the host decides who may use the screen and the API. */
    authorize: z.custom<AuthorizeHook>((v) => typeof v === 'function', 'deve ser uma função').optional(),
    /** Standalone mode: the access token for Bearer and for the login page. */
    accessToken: z.string().min(16, 'o token de acesso deve ter ao menos 16 caracteres').optional(),
    /**
     * A read-only token for central monitoring (Prometheus, Zabbix): `Authorization: Bearer` on `/api/status`,
     * `/api/certificates` and `/metrics` only; every other route answers it 403.
     */
    monitoringToken: z.string().min(16, 'o token de monitoramento deve ter ao menos 16 caracteres').optional(),
    /**
     * The installation's contra-chave, as PEC shows it on Gestão municipal › Certificados (typed with spaces, without
     * dashes or in any case is fine). Without it the module generates a test value and reports it as not configured.
     */
    contraChave: contraChaveSchema.optional(),
    /** Where `contraChave` came from, for the audit trail when it changes at start (`npm start` passes `RNDS_CONTRA_CHAVE`). */
    contraChaveSource: z.enum(['opcao', 'RNDS_CONTRA_CHAVE']).default('opcao'),
    defaultEnvironment: environmentSchema.default('producao'),
    /** The installation's state (UF), for the production services host. */
    uf: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'deve ser a sigla de um estado, como MG')
      .transform((v) => v.toLowerCase())
      .optional(),
    /**
     * The IANA time zone of the dates and days left shown to people (America/Noronha for Fernando de Noronha); it
     * wins over the UF's zone. Without either: America/Sao_Paulo.
     */
    timeZone: timeZoneSchema.optional(),
    authUrlHomologacao: httpsUrl.optional(),
    authUrlProducao: httpsUrl.optional(),
    /** Extra trusted CA certificates (PEM text) for the RNDS servers, added to the system CAs. */
    rndsCa: z.string().optional(),
    /** HTTP method of the token request (DATASUS's working clients use GET). */
    tokenMethod: z.enum(['GET', 'POST']).default('GET'),
    /** Poll the chaves folder instead of relying on inotify (network shares). */
    polling: z.boolean().default(false),
    pollIntervalMs: z.number().int().min(100).max(60_000).default(500),
    /** Largest certificate file read, in bytes. */
    maxFileSize: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** Largest key-derivation iteration count accepted (OpenSSL writes 2048, keytool up to 100 000). */
    maxIterations: z.number().int().min(1).max(10_000_000).default(200_000),
    /** Express `trust proxy`: off unless the host sits behind a known reverse proxy. */
    trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
    /**
     * Host names (the `Host` header, without port) the module answers; any other gets 421 (DNS rebinding). Loopback
     * names are always accepted. Unset (embedded default): no check, the host application owns its Host policy.
     * `['*']` turns the check off.
     */
    allowedHosts: z.array(z.string().min(1, 'nome de host vazio')).optional(),
    /** Periodic connection test, in minutes; 0 = off. Default every 6 h, the first a few minutes after start. */
    connectionCheckMinutes: z.number().min(0).max(24 * 60).default(DEFAULT_CONNECTION_CHECK_MINUTES),
    /**
     * Test the connection right after every enable (the answer does not wait for it; the result arrives with the next
     * Status). Default: on unless the periodic check is off (`connectionCheckMinutes: 0` turns off every automatic test).
     */
    connectionTestAfterEnable: z.boolean().optional(),
    /** Timers and randomness of the periodic check (tests drive it by hand). */
    scheduler: z
      .custom<Scheduler>((v) => typeof v === 'object' && v !== null && typeof (v as Scheduler).setTimeout === 'function' && typeof (v as Scheduler).clearTimeout === 'function', 'deve ter setTimeout e clearTimeout')
      .optional(),
    /** Outbound HTTP proxy for RNDS/CADSUS: `http://[usuario:senha@]host:porta`. Absent = direct. */
    proxy: z
      .string()
      .refine((v) => proxyError(v, 'proxy') === null, { error: (issue) => proxyError(String(issue.input), 'proxy') ?? 'proxy inválido' })
      .optional(),
    /** The setting the proxy came from, named in messages (standalone: `RNDS_PROXY` or `HTTPS_PROXY`). */
    proxySource: z.string().min(1).default('proxy'),
    /** Hosts reached without the proxy (NO_PROXY syntax: `*`, host suffixes, `:port`). */
    noProxy: z.string().optional(),
    /** Failed enable attempts allowed per client address in 15 minutes. */
    maxFailedAttempts: z.number().int().min(1).max(1000).default(5),
    logger: z
      .custom<Logger>(
        (v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
        'deve ter info, warn e error',
      )
      .optional(),
    /** E-mail and webhook alerts; off when absent. */
    alerts: alertsSchema.optional(),
    /** The clock (tests). */
    now: z.custom<() => Date>((v) => typeof v === 'function', 'deve ser uma função').optional(),
  })
  .check((ctx) => {
    const { authorize, accessToken, monitoringToken } = ctx.value;
    if (monitoringToken !== undefined && monitoringToken === accessToken) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['monitoringToken'],
        message: 'o token de monitoramento deve ser diferente do token de acesso: o monitoramento só pode ler, nunca habilitar ou desabilitar',
      });
    }
    if (!authorize && !accessToken) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['authorize'],
        message: 'passe um gancho de autorização (authorize) ou um token de acesso (accessToken): o módulo não fica aberto',
      });
    }
  });

export type RndsModuleOptions = z.input<typeof optionsSchema>;
export type ResolvedOptions = z.output<typeof optionsSchema>;

/** Validates the options once; an invalid set throws one error listing every bad field. */
export function parseOptions(input: unknown): ResolvedOptions {
  // pt-BR for the checks that carry no message of their own, without touching zod's global config (the host's).
  const result = optionsSchema.safeParse(input, { error: z.locales.pt().localeError });
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `- ${issue.path.join('.') || '(opções)'}: ${issue.message}`);
    throw new TypeError(`Opções inválidas para o pec-rnds:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** The folders PEC uses, per operating system. */
export const PEC_CHAVES_PATHS = {
  linux: '/opt/e-SUS/webserver/chaves',
  windows: 'C:\\Program Files\\e-SUS\\webserver\\chaves',
} as const;

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  RNDS_CHAVES_DIR: z.string().min(1).optional(),
  RNDS_DATA_DIR: z.string().min(1).default('./data'),
  RNDS_BASE_PATH: z
    .string()
    .default('/')
    .transform((v) => '/' + v.split('/').filter(Boolean).join('/'))
    .refine((v) => /^[\w\-./~]*$/.test(v), 'use apenas letras, números, -, _, . e /'),
  RNDS_ACCESS_TOKEN: z.string().min(16, 'deve ter ao menos 16 caracteres').optional(),
  RNDS_MONITORING_TOKEN: z
    .string()
    .min(16, 'deve ter ao menos 16 caracteres (gere um com: openssl rand -base64 32)')
    .regex(/^\S+$/, 'não pode ter espaços')
    .optional(),
  RNDS_AMBIENTE: environmentSchema.default('producao'),
  RNDS_UF: z.string().regex(/^[A-Za-z]{2}$/, 'deve ser a sigla de um estado, como MG').optional(),
  RNDS_TIME_ZONE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), timeZoneSchema.optional()),
  RNDS_AUTH_URL_HOMOLOGACAO: httpsUrl.optional(),
  RNDS_AUTH_URL_PRODUCAO: httpsUrl.optional(),
  RNDS_CA_FILE: z.string().min(1).optional(),
  RNDS_TOKEN_METHOD: z.enum(['GET', 'POST']).default('GET'),
  RNDS_POLLING: z
    .enum(['0', '1', 'true', 'false', ''])
    .default('')
    .transform((v) => v === '1' || v === 'true'),
  RNDS_TRUST_PROXY: z.string().optional(),
  // Empty counts as unset: a service file often carries `RNDS_CONTRA_CHAVE=` until the installer fills it in.
  RNDS_CONTRA_CHAVE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), contraChaveSchema.optional()),
  RNDS_SMTP_URL: smtpUrl.optional(),
  RNDS_ALERT_EMAILS: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(/[,;\s]+/).filter(Boolean)))
    .pipe(emailList.optional()),
  RNDS_SMTP_FROM: z.string().min(3).max(320).optional(),
  RNDS_WEBHOOK_URL: webhookUrl.optional(),
  RNDS_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
    .refine((hosts) => hosts.every((h) => h === '*' || /^[\w.\-:[\]]+$/.test(h)), 'use nomes de host separados por vírgula, sem porta nem http://, como pec.municipio.gov.br'),
  RNDS_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  RNDS_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(200),
  RNDS_CONNECTION_CHECK_MINUTES: z.coerce.number().min(0).max(1440).default(DEFAULT_CONNECTION_CHECK_MINUTES),
  NO_PROXY: z.string().optional(),
  no_proxy: z.string().optional(),
});

/** The proxy of the standalone server: RNDS_PROXY, else HTTPS_PROXY / https_proxy; NO_PROXY / no_proxy. */
export interface EnvProxy {
  url: string;
  source: string;
}

export type StandaloneEnv = z.output<typeof envSchema> & {
  RNDS_CHAVES_DIR: string;
  chavesDirSource: 'env' | 'pec' | 'local';
  proxy: EnvProxy | null;
  noProxy: string | undefined;
};

/** The alerts part of the options, from the environment; undefined when no channel is configured. */
export function alertsFromEnv(env: StandaloneEnv): z.input<typeof alertsSchema> | undefined {
  if (!env.RNDS_SMTP_URL && !env.RNDS_ALERT_EMAILS && !env.RNDS_WEBHOOK_URL) return undefined;
  return {
    ...(env.RNDS_SMTP_URL ? { smtpUrl: env.RNDS_SMTP_URL } : {}),
    ...(env.RNDS_ALERT_EMAILS ? { emails: env.RNDS_ALERT_EMAILS } : {}),
    ...(env.RNDS_SMTP_FROM ? { from: env.RNDS_SMTP_FROM } : {}),
    ...(env.RNDS_WEBHOOK_URL ? { webhookUrl: env.RNDS_WEBHOOK_URL } : {}),
  };
}


/** The default chaves folder: PEC's own when PEC is installed here, otherwise ./chaves. */
export function defaultChavesDir(platform: NodeJS.Platform = process.platform, exists = fs.existsSync): { dir: string; source: 'pec' | 'local' } {
  const pecPath = platform === 'win32' ? PEC_CHAVES_PATHS.windows : PEC_CHAVES_PATHS.linux;
  const webserver = platform === 'win32' ? path.win32.dirname(pecPath) : path.posix.dirname(pecPath);
  if (exists(webserver)) return { dir: pecPath, source: 'pec' };
  return { dir: path.resolve('chaves'), source: 'local' };
}

/**
 * What each variable must hold, for the person who set it wrong (one line per bad variable, never zod's English).
 * Every variable of envSchema has an entry (a test checks it).
 */
export const ENV_EXPECTED: Record<keyof typeof envSchema.shape, string> = {
  RNDS_MONITORING_TOKEN: 'deve ter ao menos 16 caracteres, sem espaços, e ser diferente de RNDS_ACCESS_TOKEN (gere com: openssl rand -base64 32)',
  PORT: 'deve ser um número de porta de 0 a 65535 (por exemplo PORT=8080; 0 = uma porta livre qualquer)',
  HOST: 'deve ser o endereço onde atender, por exemplo HOST=127.0.0.1 (só esta máquina) ou HOST=0.0.0.0 (a rede)',
  RNDS_CHAVES_DIR: 'deve ser o caminho da pasta chaves, por exemplo RNDS_CHAVES_DIR=/opt/e-SUS/webserver/chaves (ou remova a linha para o padrão)',
  RNDS_DATA_DIR: 'deve ser o caminho da pasta de dados, por exemplo RNDS_DATA_DIR=/var/lib/pec-rnds (ou remova a linha para o padrão ./data)',
  RNDS_BASE_PATH: 'deve ser um caminho com apenas letras, números, -, _, . e /, por exemplo RNDS_BASE_PATH=/rnds',
  RNDS_ACCESS_TOKEN: 'deve ter ao menos 16 caracteres (ou remova a linha: o pec-rnds gera um e o guarda em RNDS_DATA_DIR/access-token)',
  RNDS_AMBIENTE: 'deve ser producao ou homologacao (sem acento), por exemplo RNDS_AMBIENTE=producao',
  RNDS_UF: 'deve ser a sigla de um estado, com duas letras, por exemplo RNDS_UF=MG',
  RNDS_TIME_ZONE:
    'deve ser o nome IANA de um fuso horário, por exemplo RNDS_TIME_ZONE=America/Noronha (Fernando de Noronha) ou America/Manaus (ou remova a linha: o fuso segue RNDS_UF)',
  RNDS_AUTH_URL_HOMOLOGACAO: 'deve ser um endereço https://, por exemplo RNDS_AUTH_URL_HOMOLOGACAO=https://ehr-auth-hmg.saude.gov.br (ou remova a linha)',
  RNDS_AUTH_URL_PRODUCAO: 'deve ser um endereço https://, por exemplo RNDS_AUTH_URL_PRODUCAO=https://ehr-auth.saude.gov.br (ou remova a linha)',
  RNDS_CA_FILE: 'deve ser o caminho de um arquivo PEM com os certificados de AC, por exemplo RNDS_CA_FILE=/etc/pec-rnds/ca-extra.pem (ou remova a linha)',
  RNDS_TOKEN_METHOD: 'deve ser GET ou POST, em maiúsculas (ou remova a linha para o padrão GET)',
  RNDS_POLLING: 'deve ser 1 (consultar a pasta periodicamente) ou 0 (usar as notificações do sistema)',
  RNDS_TRUST_PROXY: 'deve ser loopback, um número de proxies ou uma lista de endereços (ou remova a linha)',
  RNDS_SMTP_URL: 'deve ser o servidor SMTP como smtp://servidor:587 ou smtps://servidor:465 (usuário e senha dentro do endereço, se houver)',
  RNDS_ALERT_EMAILS: 'deve ser uma lista de e-mails separados por vírgula, por exemplo RNDS_ALERT_EMAILS=ti@municipio.gov.br,saude@municipio.gov.br',
  RNDS_SMTP_FROM: 'deve ser o remetente dos alertas, por exemplo RNDS_SMTP_FROM=pec@municipio.gov.br',
  RNDS_WEBHOOK_URL: 'deve ser um endereço http:// ou https:// que receba os alertas em JSON (ou remova a linha)',
  NO_PROXY: 'deve ser uma lista de nomes ou domínios separados por vírgula, por exemplo NO_PROXY=localhost,.municipio.gov.br',
  no_proxy: 'deve ser uma lista de nomes ou domínios separados por vírgula, por exemplo no_proxy=localhost,.municipio.gov.br',
  RNDS_CONTRA_CHAVE: `a contra-chave deve ter o formato ${CONTRA_CHAVE_SHAPE}, como o PEC a mostra em Gestão municipal › Certificados (ou remova a linha)`,
  RNDS_ALLOWED_HOSTS: 'deve ser uma lista de nomes separados por vírgula, sem porta, por exemplo RNDS_ALLOWED_HOSTS=pec.municipio.gov.br (ou * para não verificar)',
  RNDS_REQUEST_TIMEOUT_SECONDS: 'deve ser um número inteiro de segundos de 1 a 600, por exemplo RNDS_REQUEST_TIMEOUT_SECONDS=30',
  RNDS_MAX_CONNECTIONS: 'deve ser um número inteiro de conexões de 1 a 100000, por exemplo RNDS_MAX_CONNECTIONS=200',
  RNDS_CONNECTION_CHECK_MINUTES: 'deve ser um número de minutos de 0 a 1440 (0 = só quando alguém clica em "Testar conexão"), por exemplo RNDS_CONNECTION_CHECK_MINUTES=60',
};

const ENV_VALUE_SHOWN = new Set(['PORT', 'HOST', 'RNDS_BASE_PATH', 'RNDS_AMBIENTE', 'RNDS_UF', 'RNDS_TIME_ZONE', 'RNDS_TOKEN_METHOD', 'RNDS_POLLING', 'RNDS_CONNECTION_CHECK_MINUTES', 'RNDS_REQUEST_TIMEOUT_SECONDS', 'RNDS_MAX_CONNECTIONS']);

/** Reads the standalone environment variables of CONTRACT.md; throws one pt-BR line per bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): StandaloneEnv {
  const result = envSchema.safeParse(env, { error: z.locales.pt().localeError });
  const lines = new Map<string, string>();
  for (const issue of result.success ? [] : result.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (lines.has(name)) continue;
    // The value helps ("PORT=abc"), but only for variables that can never hold a secret or a credential URL.
    const value = env[name];
    const shown = ENV_VALUE_SHOWN.has(name) && value !== undefined ? ` (está ${JSON.stringify(displayName(value.slice(0, 60)))})` : '';
    lines.set(name, `- ${name}${shown}: ${ENV_EXPECTED[name as keyof typeof ENV_EXPECTED] ?? issue.message}.`);
  }
  const found = proxyFromEnv(env);
  const badProxy = found ? proxyError(found.value, found.source) : null;
  if (found && badProxy) lines.set(found.source, `- ${found.source}: ${badProxy}`);
  if (!result.success || lines.size > 0) {
    throw new TypeError(`Variáveis de ambiente inválidas (corrija e inicie de novo):\n${[...lines.values()].join('\n')}`);
  }
  const parsed = { ...result.data, proxy: found ? { url: found.value.trim(), source: found.source } : null, noProxy: noProxyFromEnv(env) };
  if (parsed.RNDS_MONITORING_TOKEN !== undefined && parsed.RNDS_MONITORING_TOKEN === parsed.RNDS_ACCESS_TOKEN) {
    throw new TypeError(
      'Variáveis de ambiente inválidas:\n- RNDS_MONITORING_TOKEN: deve ser diferente de RNDS_ACCESS_TOKEN (o monitoramento só pode ler, nunca habilitar ou desabilitar)',
    );
  }
  if (parsed.RNDS_CHAVES_DIR) return { ...parsed, RNDS_CHAVES_DIR: path.resolve(parsed.RNDS_CHAVES_DIR), chavesDirSource: 'env' };
  const { dir, source } = defaultChavesDir();
  return { ...parsed, RNDS_CHAVES_DIR: dir, chavesDirSource: source };
}

/** `trust proxy` from the environment: unset = off; numbers are hop counts; anything else is passed to Express. */
export function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Host names that never leave the machine: always accepted by the Host check. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/** A Host header (or allow-list entry) as compared: lower case, no port, no IPv6 brackets, no final dot. */
export function normalizeHostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  else if (h.split(':').length === 2) h = h.slice(0, h.indexOf(':')); // name:port (an IPv6 literal has more colons)
  return h.replace(/\.$/, '');
}

/** The time zone of the dates shown by the standalone server and the scripts: RNDS_TIME_ZONE, else RNDS_UF's zone. */
export function timeZoneFromEnv(env: Pick<StandaloneEnv, 'RNDS_TIME_ZONE' | 'RNDS_UF'>): string {
  return resolveTimeZone({ timeZone: env.RNDS_TIME_ZONE, uf: env.RNDS_UF });
}
