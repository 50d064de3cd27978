/**
 * The standalone server's configuration: environment variables → the module's options plus where to listen. `npm
 * start` and every command-line script read the environment here, so a bad variable is reported the same way
 * everywhere: all of them at once, in pt-BR, each with what to write instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { TOKEN_METHODS } from '../enums.js';
import { displayName, resolveTimeZone } from '../present/index.js';
import { CONTRA_CHAVE_SHAPE } from '../state/contra-chave.js';
import { noProxyFromEnv, proxyFromEnv, type ProxySource } from '../rnds/proxy-settings.js';
import { parseCaPem } from '../rnds/environments.js';
import {
  DEFAULT_CONNECTION_CHECK_MINUTES,
  PEC_CHAVES_PATHS,
  contraChaveSchema,
  emailList,
  environmentSchema,
  httpsUrl,
  optionsSchema,
  proxyError,
  smtpUrl,
  timeZoneSchema,
  webhookUrl,
  type RndsModuleOptions,
} from './options.js';

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
  RNDS_REPORTING_TOKEN: z
    .string()
    .min(16, 'deve ter ao menos 16 caracteres (gere um com: openssl rand -base64 32)')
    .regex(/^\S+$/, 'não pode ter espaços')
    .optional(),
  RNDS_SENDS_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(400),
  RNDS_AMBIENTE: environmentSchema.default('producao'),
  RNDS_UF: z.string().regex(/^[A-Za-z]{2}$/, 'deve ser a sigla de um estado, como MG').optional(),
  RNDS_TIME_ZONE: timeZoneSchema.optional(),
  RNDS_AUTH_URL_HOMOLOGACAO: httpsUrl.optional(),
  RNDS_AUTH_URL_PRODUCAO: httpsUrl.optional(),
  RNDS_CA_FILE: z.string().min(1).optional(),
  RNDS_TOKEN_METHOD: z.enum(TOKEN_METHODS).default('GET'),
  RNDS_POLLING: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  RNDS_TRUST_PROXY: z.string().optional(),
  RNDS_CONTRA_CHAVE: contraChaveSchema.optional(),
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

type SchemaVariable = keyof typeof envSchema.shape;
/** The variables read outside the schema: the outbound proxy, in this order of preference. */
type ProxyVariable = 'RNDS_PROXY' | 'HTTPS_PROXY' | 'https_proxy';
export type EnvVariableName = SchemaVariable | ProxyVariable;

/** One environment variable of the standalone server, as the contract's table lists it. */
export interface EnvVariable {
  name: EnvVariableName;
  /** What it configures (English, as the contract has it). */
  meaning: string;
  /** What applies when it is unset or empty (English; `—` = nothing). */
  default: string;
  /** What it must hold, for the person who set it wrong (pt-BR, says what to write). */
  expected: string;
  /** Whether a wrong value may be repeated in the message: never for tokens, URLs with logins or paths. */
  showValue?: true;
}

/**
 * Every environment variable `npm start` and the scripts read, in the order of the contract's table. Data, so the
 * documentation's table can be generated from it.
 */
export const ENV_VARIABLES = [
  { name: 'PORT', meaning: 'the port to listen on (0 = any free port)', default: '`8787`', showValue: true, expected: 'deve ser um número de porta de 0 a 65535 (por exemplo PORT=8080; 0 = uma porta livre qualquer)' },
  { name: 'HOST', meaning: 'the address to listen on', default: '`127.0.0.1`', showValue: true, expected: 'deve ser o endereço onde atender, por exemplo HOST=127.0.0.1 (só esta máquina) ou HOST=0.0.0.0 (a rede)' },
  {
    name: 'RNDS_CHAVES_DIR',
    meaning: 'the watched certificate folder',
    default: '`/opt/e-SUS/webserver/chaves` when `/opt/e-SUS/webserver` exists (Windows: `C:\\Program Files\\e-SUS\\webserver\\chaves`); otherwise `./chaves` (created)',
    expected: 'deve ser o caminho da pasta chaves, por exemplo RNDS_CHAVES_DIR=/opt/e-SUS/webserver/chaves (ou remova a linha para o padrão)',
  },
  { name: 'RNDS_DATA_DIR', meaning: 'where the module keeps its state, secret key, audit trail, access token and session key', default: '`./data` (created, 0700)', expected: 'deve ser o caminho da pasta de dados, por exemplo RNDS_DATA_DIR=/var/lib/pec-rnds (ou remova a linha para o padrão ./data)' },
  { name: 'RNDS_BASE_PATH', meaning: 'the path the browser sees the module under (behind a reverse proxy)', default: '`/`', showValue: true, expected: 'deve ser um caminho com apenas letras, números, -, _, . e /, por exemplo RNDS_BASE_PATH=/rnds' },
  {
    name: 'RNDS_ACCESS_TOKEN',
    meaning: 'the standalone access token (Bearer and the login page)',
    default: 'generated once into `<data>/access-token` (0600), printed at start with the login URL',
    expected: 'deve ter ao menos 16 caracteres (ou remova a linha: o pec-rnds gera um e o guarda em RNDS_DATA_DIR/access-token)',
  },
  {
    name: 'RNDS_MONITORING_TOKEN',
    meaning: 'a read-only Bearer token for monitoring: `/metrics`, `/api/status`, `/api/certificates`, `GET /api/envios` only, `403` elsewhere',
    default: '—',
    expected: 'deve ter ao menos 16 caracteres, sem espaços, e ser diferente de RNDS_ACCESS_TOKEN (gere com: openssl rand -base64 32)',
  },
  {
    name: 'RNDS_REPORTING_TOKEN',
    meaning: 'a Bearer token that may only report sends (`POST /api/envios`), for PEC\'s backend or another host; `403` elsewhere',
    default: '—',
    expected: 'deve ter ao menos 16 caracteres, sem espaços, e ser diferente de RNDS_ACCESS_TOKEN e RNDS_MONITORING_TOKEN (gere com: openssl rand -base64 32)',
  },
  {
    name: 'RNDS_SENDS_RETENTION_DAYS',
    meaning: 'how many days reported sends are kept in `<data>/sends.sqlite`; past it the RNDS text of a record is cleared too (the counters survive)',
    default: '`400`',
    showValue: true,
    expected: 'deve ser um número inteiro de dias entre 1 e 36500, por exemplo RNDS_SENDS_RETENTION_DAYS=400',
  },
  { name: 'RNDS_AMBIENTE', meaning: 'default environment for enabling: `producao` or `homologacao`', default: '`producao`', showValue: true, expected: 'deve ser producao ou homologacao (sem acento), por exemplo RNDS_AMBIENTE=producao' },
  { name: 'RNDS_UF', meaning: "the installation's state (two letters), for the production services host and the time zone", default: '—', showValue: true, expected: 'deve ser a sigla de um estado, com duas letras, por exemplo RNDS_UF=MG' },
  {
    name: 'RNDS_TIME_ZONE',
    meaning: 'IANA time zone of every date and "days left" shown to people; wins over `RNDS_UF`',
    default: 'the zone of `RNDS_UF`, else `America/Sao_Paulo`',
    showValue: true,
    expected: 'deve ser o nome IANA de um fuso horário, por exemplo RNDS_TIME_ZONE=America/Noronha (Fernando de Noronha) ou America/Manaus (ou remova a linha: o fuso segue RNDS_UF)',
  },
  { name: 'RNDS_AUTH_URL_HOMOLOGACAO', meaning: 'RNDS auth base URL, homologação', default: '`https://ehr-auth-hmg.saude.gov.br`', expected: 'deve ser um endereço https://, por exemplo RNDS_AUTH_URL_HOMOLOGACAO=https://ehr-auth-hmg.saude.gov.br (ou remova a linha)' },
  { name: 'RNDS_AUTH_URL_PRODUCAO', meaning: 'RNDS auth base URL, produção', default: '`https://ehr-auth.saude.gov.br`', expected: 'deve ser um endereço https://, por exemplo RNDS_AUTH_URL_PRODUCAO=https://ehr-auth.saude.gov.br (ou remova a linha)' },
  { name: 'RNDS_CA_FILE', meaning: 'extra trusted CA certificates (PEM) for the RNDS servers, added to the system CAs', default: 'system CAs only', expected: 'deve ser o caminho de um arquivo PEM com os certificados de AC, por exemplo RNDS_CA_FILE=/etc/pec-rnds/ca-extra.pem (ou remova a linha)' },
  { name: 'RNDS_TOKEN_METHOD', meaning: 'method of the token request (the manual says POST, working clients use GET)', default: '`GET`', showValue: true, expected: 'deve ser GET ou POST, em maiúsculas (ou remova a linha para o padrão GET)' },
  { name: 'RNDS_POLLING', meaning: '`1` to poll the chaves folder (network shares, where inotify is silent)', default: 'off', showValue: true, expected: 'deve ser 1 (consultar a pasta periodicamente) ou 0 (usar as notificações do sistema)' },
  { name: 'RNDS_TRUST_PROXY', meaning: 'Express `trust proxy` (e.g. `loopback` behind a local nginx)', default: 'off', expected: 'deve ser loopback, um número de proxies ou uma lista de endereços (ou remova a linha)' },
  {
    name: 'RNDS_CONTRA_CHAVE',
    meaning: "the installation's contra-chave, as PEC shows it (spaces, missing dashes and any letter case are accepted)",
    default: 'none: a test value is generated and flagged',
    expected: `a contra-chave deve ter o formato ${CONTRA_CHAVE_SHAPE}, como o PEC a mostra em Gestão municipal › Certificados (ou remova a linha)`,
  },
  {
    name: 'RNDS_SMTP_URL',
    meaning: 'e-mail alerts: the SMTP server, `smtp://user:password@host:587` or `smtps://…:465`',
    default: 'off',
    expected: 'deve ser o servidor SMTP como smtp://servidor:587 ou smtps://servidor:465 (usuário e senha dentro do endereço, se houver)',
  },
  { name: 'RNDS_ALERT_EMAILS', meaning: 'e-mail alerts: the recipients, separated by commas', default: '—', expected: 'deve ser uma lista de e-mails separados por vírgula, por exemplo RNDS_ALERT_EMAILS=ti@municipio.gov.br,saude@municipio.gov.br' },
  { name: 'RNDS_SMTP_FROM', meaning: "e-mail alerts: the sender (PEC's e-mail settings' sender)", default: 'the SMTP user, when it is an e-mail address', expected: 'deve ser o remetente dos alertas, por exemplo RNDS_SMTP_FROM=pec@municipio.gov.br' },
  { name: 'RNDS_WEBHOOK_URL', meaning: 'JSON webhook alerts (`POST`)', default: 'off', expected: 'deve ser um endereço http:// ou https:// que receba os alertas em JSON (ou remova a linha)' },
  {
    name: 'RNDS_ALLOWED_HOSTS',
    meaning: 'comma-separated host names the server answers (the `Host` header, no port); others get `421 HOST_NOT_ALLOWED`. `*` = no check',
    default: 'loopback names and the `HOST` address (with `HOST=0.0.0.0`: the machine\'s name and addresses)',
    expected: 'deve ser uma lista de nomes separados por vírgula, sem porta, por exemplo RNDS_ALLOWED_HOSTS=pec.municipio.gov.br (ou * para não verificar)',
  },
  { name: 'RNDS_REQUEST_TIMEOUT_SECONDS', meaning: 'a request whose headers or body do not arrive within this gets `408` and is closed', default: '`30`', showValue: true, expected: 'deve ser um número inteiro de segundos de 1 a 600, por exemplo RNDS_REQUEST_TIMEOUT_SECONDS=30' },
  { name: 'RNDS_MAX_CONNECTIONS', meaning: 'open connections at once (the standalone server)', default: '`200`', showValue: true, expected: 'deve ser um número inteiro de conexões de 1 a 100000, por exemplo RNDS_MAX_CONNECTIONS=200' },
  {
    name: 'RNDS_CONNECTION_CHECK_MINUTES',
    meaning: 'periodic connection test while a certificate is enabled; 0 = off, and also no test right after enabling',
    default: '`360` (6 h)',
    showValue: true,
    expected: 'deve ser um número de minutos de 0 a 1440 (0 = só quando alguém clica em "Testar conexão"), por exemplo RNDS_CONNECTION_CHECK_MINUTES=60',
  },
  { name: 'RNDS_PROXY', meaning: 'outbound HTTP proxy for RNDS/CADSUS, `http://[user:password@]host:port`', default: '`HTTPS_PROXY` / `https_proxy`; else direct', expected: 'deve ser o proxy como http://servidor:3128 ou http://usuario:senha@servidor:3128' },
  { name: 'HTTPS_PROXY', meaning: 'the outbound proxy when `RNDS_PROXY` is unset', default: '—', expected: 'deve ser o proxy como http://servidor:3128 ou http://usuario:senha@servidor:3128' },
  { name: 'https_proxy', meaning: 'the outbound proxy when `RNDS_PROXY` and `HTTPS_PROXY` are unset', default: '—', expected: 'deve ser o proxy como http://servidor:3128 ou http://usuario:senha@servidor:3128' },
  { name: 'NO_PROXY', meaning: 'hosts reached without the proxy: `*`, host suffixes, IPs, each optionally `:port`', default: '—', expected: 'deve ser uma lista de nomes ou domínios separados por vírgula, por exemplo NO_PROXY=localhost,.municipio.gov.br' },
  { name: 'no_proxy', meaning: 'the same, when `NO_PROXY` is unset', default: '—', expected: 'deve ser uma lista de nomes ou domínios separados por vírgula, por exemplo no_proxy=localhost,.municipio.gov.br' },
] as const satisfies readonly EnvVariable[];

type Unlisted = Exclude<EnvVariableName, (typeof ENV_VARIABLES)[number]['name']>;
/** Fails to compile when a variable is read but has no row above. */
const _everyVariableListed: [Unlisted] extends [never] ? true : Unlisted = true;

const VARIABLE = new Map<string, EnvVariable>(ENV_VARIABLES.map((v) => [v.name, v]));

/** The outbound proxy of the standalone server and the variable it came from (named in messages). */
export interface EnvProxy {
  url: string;
  source: ProxySource;
}

/** The environment as read: the variables, typed, with the defaults applied. */
export type StandaloneEnv = z.output<typeof envSchema> & {
  RNDS_CHAVES_DIR: string;
  chavesDirSource: 'env' | 'pec' | 'local';
  proxy: EnvProxy | null;
  noProxy: string | undefined;
};

/** The module's options from the environment; the server adds the access token (RNDS_ACCESS_TOKEN or its file) and the logger. */
export type EnvModuleOptions = Omit<RndsModuleOptions, 'accessToken' | 'logger' | 'authorize' | 'scheduler' | 'now'> & {
  chavesDir: string;
  dataDir: string;
  accessToken?: string;
};

/** Everything `npm start` needs from the environment. */
export interface StandaloneConfig {
  env: StandaloneEnv;
  options: EnvModuleOptions;
  server: {
    port: number;
    host: string;
    /** '' at the root, else `/rnds`-like. */
    basePath: string;
    requestTimeoutMs: number;
    maxConnections: number;
  };
  /** The zone of the dates shown, and the setting it came from (for the start lines). */
  timeZone: string;
  timeZoneSource: string;
}

/** What the machine looks like, for the defaults (tests pass their own). */
export interface EnvSystem {
  platform?: NodeJS.Platform;
  exists?: (file: string) => boolean;
  readFile?: (file: string) => string;
}

/** Invalid environment variables, one pt-BR line each, all of them at once. */
export class EnvError extends TypeError {
  constructor(readonly problems: ReadonlyArray<{ variable: string; line: string }>) {
    super(`Variáveis de ambiente inválidas (corrija e inicie de novo):\n${problems.map((p) => p.line).join('\n')}`);
    this.name = 'EnvError';
  }
}

/** Where a problem of the module's options comes from, for the options the environment sets. */
const OPTION_VARIABLE: Record<string, EnvVariableName> = {
  chavesDir: 'RNDS_CHAVES_DIR',
  dataDir: 'RNDS_DATA_DIR',
  monitoringToken: 'RNDS_MONITORING_TOKEN',
  reportingToken: 'RNDS_REPORTING_TOKEN',
  sendsRetentionDays: 'RNDS_SENDS_RETENTION_DAYS',
  contraChave: 'RNDS_CONTRA_CHAVE',
  defaultEnvironment: 'RNDS_AMBIENTE',
  uf: 'RNDS_UF',
  timeZone: 'RNDS_TIME_ZONE',
  authUrlHomologacao: 'RNDS_AUTH_URL_HOMOLOGACAO',
  authUrlProducao: 'RNDS_AUTH_URL_PRODUCAO',
  rndsCa: 'RNDS_CA_FILE',
  tokenMethod: 'RNDS_TOKEN_METHOD',
  trustProxy: 'RNDS_TRUST_PROXY',
  allowedHosts: 'RNDS_ALLOWED_HOSTS',
  connectionCheckMinutes: 'RNDS_CONNECTION_CHECK_MINUTES',
  noProxy: 'NO_PROXY',
  'alerts.smtpUrl': 'RNDS_SMTP_URL',
  'alerts.emails': 'RNDS_ALERT_EMAILS',
  'alerts.from': 'RNDS_SMTP_FROM',
  'alerts.webhookUrl': 'RNDS_WEBHOOK_URL',
};

/** A service file often carries `RNDS_CONTRA_CHAVE=` or `RNDS_CA_FILE=` until someone fills it in: empty is unset. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value.trim() !== '') kept[name] = value;
  return kept;
}

/** Collects one line per bad variable; the first reason found for a variable wins. */
class Problems {
  private readonly lines = new Map<string, string>();
  constructor(private readonly env: Record<string, string>) {}
  add(variable: string, reason?: string): void {
    if (this.lines.has(variable)) return;
    const known = VARIABLE.get(variable);
    const value = this.env[variable];
    // The value helps ("PORT=abc"), but only for variables that can never hold a secret or a credential URL.
    const shown = known?.showValue && value !== undefined ? ` (está ${JSON.stringify(displayName(value.slice(0, 60)))})` : '';
    const text = (reason ?? known?.expected ?? 'valor inválido').replace(/\.$/, '');
    this.lines.set(variable, `- ${variable}${shown}: ${text}.`);
  }
  throwIfAny(): void {
    if (this.lines.size > 0) throw new EnvError([...this.lines].map(([variable, line]) => ({ variable, line })));
  }
}

/**
 * Reads the environment once: every variable checked, then the module's options built from them and checked as the
 * module will check them (an SMTP server without recipients, the monitoring token equal to the access token), and
 * the CA file read. Throws an `EnvError` listing every bad variable; nothing is created or written.
 */
export function optionsFromEnv(rawEnv: NodeJS.ProcessEnv = process.env, system: EnvSystem = {}): StandaloneConfig {
  const env = withoutBlanks(rawEnv);
  const problems = new Problems(env);
  // Each variable on its own, so that one bad variable does not hide the checks that need the good ones.
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(envSchema.shape) as Array<[SchemaVariable, z.ZodType]>) {
    const result = schema.safeParse(env[name], { error: z.locales.pt().localeError });
    if (result.success) values[name] = result.data;
    else problems.add(name);
  }
  const parsed = values as z.output<typeof envSchema>;
  const found = proxyFromEnv(env);
  const badProxy = found ? proxyError(found.value, found.source) : null;
  if (found && badProxy) problems.add(found.source, badProxy);
  if (parsed.RNDS_REPORTING_TOKEN !== undefined && (parsed.RNDS_REPORTING_TOKEN === parsed.RNDS_ACCESS_TOKEN || parsed.RNDS_REPORTING_TOKEN === parsed.RNDS_MONITORING_TOKEN)) {
    problems.add('RNDS_REPORTING_TOKEN', 'deve ser diferente de RNDS_ACCESS_TOKEN e de RNDS_MONITORING_TOKEN (o token de envios só informa envios)');
  }
  if (parsed.RNDS_MONITORING_TOKEN !== undefined && parsed.RNDS_MONITORING_TOKEN === parsed.RNDS_ACCESS_TOKEN) {
    problems.add('RNDS_MONITORING_TOKEN', 'deve ser diferente de RNDS_ACCESS_TOKEN (o monitoramento só pode ler, nunca habilitar ou desabilitar)');
  }

  let rndsCa: string | undefined;
  if (parsed.RNDS_CA_FILE !== undefined) {
    const file = parsed.RNDS_CA_FILE;
    let text: string | undefined;
    try {
      text = (system.readFile ?? ((f) => fs.readFileSync(f, 'utf8')))(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'erro de leitura';
      problems.add('RNDS_CA_FILE', `não foi possível ler ${displayName(file)} (${code}): confira o caminho e a permissão de leitura (ou remova a linha)`);
    }
    try {
      if (text !== undefined) rndsCa = parseCaPem(text).join('\n');
    } catch {
      problems.add('RNDS_CA_FILE', `${displayName(file)} não contém nenhum certificado PEM (-----BEGIN CERTIFICATE-----): use o arquivo .pem/.crt da autoridade certificadora`);
    }
  }

  const chaves = parsed.RNDS_CHAVES_DIR
    ? { dir: path.resolve(parsed.RNDS_CHAVES_DIR), source: 'env' as const }
    : defaultChavesDir(system.platform, system.exists);
  const standalone: StandaloneEnv = {
    ...parsed,
    RNDS_CHAVES_DIR: chaves.dir,
    chavesDirSource: chaves.source,
    proxy: found ? { url: found.value.trim(), source: found.source } : null,
    noProxy: noProxyFromEnv(env),
  };
  const options: EnvModuleOptions = {
    chavesDir: chaves.dir,
    dataDir: path.resolve(parsed.RNDS_DATA_DIR ?? './data'),
    accessToken: parsed.RNDS_ACCESS_TOKEN,
    monitoringToken: parsed.RNDS_MONITORING_TOKEN,
    reportingToken: parsed.RNDS_REPORTING_TOKEN,
    sendsRetentionDays: parsed.RNDS_SENDS_RETENTION_DAYS,
    defaultEnvironment: parsed.RNDS_AMBIENTE,
    uf: parsed.RNDS_UF,
    timeZone: parsed.RNDS_TIME_ZONE,
    authUrlHomologacao: parsed.RNDS_AUTH_URL_HOMOLOGACAO,
    authUrlProducao: parsed.RNDS_AUTH_URL_PRODUCAO,
    rndsCa,
    tokenMethod: parsed.RNDS_TOKEN_METHOD,
    polling: parsed.RNDS_POLLING,
    trustProxy: parseTrustProxy(parsed.RNDS_TRUST_PROXY),
    connectionCheckMinutes: parsed.RNDS_CONNECTION_CHECK_MINUTES,
    contraChave: parsed.RNDS_CONTRA_CHAVE,
    contraChaveSource: 'RNDS_CONTRA_CHAVE',
    alerts: alertsFromEnv(standalone),
    allowedHosts: standaloneAllowedHosts(parsed.HOST ?? '127.0.0.1', parsed.RNDS_ALLOWED_HOSTS ?? []),
    ...(standalone.proxy ? { proxy: standalone.proxy.url, proxySource: standalone.proxy.source } : {}),
    ...(standalone.noProxy === undefined ? {} : { noProxy: standalone.noProxy }),
  };

  // The module's own checks, reported under the variable that sets the option. The access token may still come from
  // its file, so "no token" is the server's business, not a bad variable.
  const checked = optionsSchema.safeParse(options, { error: z.locales.pt().localeError });
  for (const issue of checked.success ? [] : checked.error.issues) {
    const key = issue.path.slice(0, 2).join('.');
    const variable = OPTION_VARIABLE[key] ?? OPTION_VARIABLE[String(issue.path[0])];
    if (issue.path[0] === 'authorize' || !variable) continue;
    problems.add(variable, issue.message);
  }
  problems.throwIfAny();

  const zoneSource = parsed.RNDS_TIME_ZONE ? 'RNDS_TIME_ZONE' : parsed.RNDS_UF ? `RNDS_UF=${parsed.RNDS_UF.toUpperCase()}` : 'padrão; defina RNDS_UF';
  return {
    env: standalone,
    options,
    server: {
      port: parsed.PORT,
      host: parsed.HOST,
      basePath: parsed.RNDS_BASE_PATH === '/' ? '' : parsed.RNDS_BASE_PATH,
      requestTimeoutMs: parsed.RNDS_REQUEST_TIMEOUT_SECONDS * 1000,
      maxConnections: parsed.RNDS_MAX_CONNECTIONS,
    },
    timeZone: resolveTimeZone({ timeZone: parsed.RNDS_TIME_ZONE, uf: parsed.RNDS_UF }),
    timeZoneSource: zoneSource,
  };
}

/** The environment variables as read, typed, defaults applied; throws as `optionsFromEnv` does. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env, system: EnvSystem = {}): StandaloneEnv {
  return optionsFromEnv(env, system).env;
}

/**
 * The time zone of the dates a script shows: RNDS_TIME_ZONE, else RNDS_UF's zone. Only these two are read, so a
 * script that needs nothing else (`npm run inspect`) works with an otherwise incomplete environment.
 */
export function timeZoneFromEnv(rawEnv: NodeJS.ProcessEnv = process.env): string {
  const env = withoutBlanks(rawEnv);
  const problems = new Problems(env);
  const timeZone = envSchema.shape.RNDS_TIME_ZONE.safeParse(env.RNDS_TIME_ZONE);
  if (!timeZone.success) problems.add('RNDS_TIME_ZONE');
  const uf = envSchema.shape.RNDS_UF.safeParse(env.RNDS_UF);
  if (!uf.success) problems.add('RNDS_UF');
  problems.throwIfAny();
  return resolveTimeZone({ timeZone: timeZone.data, uf: uf.data });
}

/** The alerts part of the options, from the environment; undefined when no channel is configured. */
export function alertsFromEnv(env: Pick<StandaloneEnv, 'RNDS_SMTP_URL' | 'RNDS_ALERT_EMAILS' | 'RNDS_SMTP_FROM' | 'RNDS_WEBHOOK_URL'>): RndsModuleOptions['alerts'] {
  if (!env.RNDS_SMTP_URL && !env.RNDS_ALERT_EMAILS && !env.RNDS_WEBHOOK_URL) return undefined;
  return {
    ...(env.RNDS_SMTP_URL ? { smtpUrl: env.RNDS_SMTP_URL } : {}),
    ...(env.RNDS_ALERT_EMAILS ? { emails: env.RNDS_ALERT_EMAILS } : {}),
    ...(env.RNDS_SMTP_FROM ? { from: env.RNDS_SMTP_FROM } : {}),
    ...(env.RNDS_WEBHOOK_URL ? { webhookUrl: env.RNDS_WEBHOOK_URL } : {}),
  };
}

/** The default chaves folder: PEC's own when PEC is installed here, otherwise ./chaves. */
function defaultChavesDir(platform: NodeJS.Platform = process.platform, exists: (file: string) => boolean = fs.existsSync): { dir: string; source: 'pec' | 'local' } {
  const pecPath = platform === 'win32' ? PEC_CHAVES_PATHS.windows : PEC_CHAVES_PATHS.linux;
  const webserver = platform === 'win32' ? path.win32.dirname(pecPath) : path.posix.dirname(pecPath);
  if (exists(webserver)) return { dir: pecPath, source: 'pec' };
  return { dir: path.resolve('chaves'), source: 'local' };
}

/** `trust proxy` from the environment: unset = off; numbers are hop counts; anything else is passed to Express. */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
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
