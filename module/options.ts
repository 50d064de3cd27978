import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Request } from 'express';

/** What the host's authorization hook answers: false/null = no access; true or an actor name = access. */
export type AuthorizeResult = boolean | string | { actor: string } | null | undefined;
export type AuthorizeHook = (req: Request) => AuthorizeResult | Promise<AuthorizeResult>;

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const environmentSchema = z.enum(['homologacao', 'producao']);
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
    /** A host that already has its installation's contra-chave passes it here (used when the state is created). */
    contraChave: z
      .string()
      .regex(/^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/, 'deve ter 8 grupos de 4 dígitos hexadecimais minúsculos')
      .optional(),
    defaultEnvironment: environmentSchema.default('producao'),
    /** The installation's state (UF), for the production services host. */
    uf: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'deve ser a sigla de um estado, como MG')
      .transform((v) => v.toLowerCase())
      .optional(),
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
    /** Periodic connection test, in minutes; 0 = off. */
    connectionCheckMinutes: z.number().min(0).max(24 * 60).default(0),
    /** Failed enable attempts allowed per client address in 15 minutes. */
    maxFailedAttempts: z.number().int().min(1).max(1000).default(5),
    logger: z
      .custom<Logger>(
        (v) => typeof v === 'object' && v !== null && ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
        'deve ter info, warn e error',
      )
      .optional(),
    /** The clock (tests). */
    now: z.custom<() => Date>((v) => typeof v === 'function', 'deve ser uma função').optional(),
  })
  .check((ctx) => {
    const { authorize, accessToken } = ctx.value;
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
  const result = optionsSchema.safeParse(input);
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
  RNDS_AMBIENTE: environmentSchema.default('producao'),
  RNDS_UF: z.string().regex(/^[A-Za-z]{2}$/, 'deve ser a sigla de um estado, como MG').optional(),
  RNDS_AUTH_URL_HOMOLOGACAO: httpsUrl.optional(),
  RNDS_AUTH_URL_PRODUCAO: httpsUrl.optional(),
  RNDS_CA_FILE: z.string().min(1).optional(),
  RNDS_TOKEN_METHOD: z.enum(['GET', 'POST']).default('GET'),
  RNDS_POLLING: z
    .enum(['0', '1', 'true', 'false', ''])
    .default('')
    .transform((v) => v === '1' || v === 'true'),
  RNDS_TRUST_PROXY: z.string().optional(),
  RNDS_CONNECTION_CHECK_MINUTES: z.coerce.number().min(0).max(1440).default(0),
  RNDS_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim()).filter(Boolean))
    .refine((hosts) => hosts.every((h) => h === '*' || /^[\w.\-:[\]]+$/.test(h)), 'use nomes de host separados por vírgula, sem porta nem http://, como pec.municipio.gov.br'),
  RNDS_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  RNDS_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(200),
});

export type StandaloneEnv = z.output<typeof envSchema> & { RNDS_CHAVES_DIR: string; chavesDirSource: 'env' | 'pec' | 'local' };

/** The default chaves folder: PEC's own when PEC is installed here, otherwise ./chaves. */
export function defaultChavesDir(platform: NodeJS.Platform = process.platform, exists = fs.existsSync): { dir: string; source: 'pec' | 'local' } {
  const pecPath = platform === 'win32' ? PEC_CHAVES_PATHS.windows : PEC_CHAVES_PATHS.linux;
  const webserver = platform === 'win32' ? path.win32.dirname(pecPath) : path.posix.dirname(pecPath);
  if (exists(webserver)) return { dir: pecPath, source: 'pec' };
  return { dir: path.resolve('chaves'), source: 'local' };
}

/** Reads the standalone environment variables of CONTRACT.md; throws listing every bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): StandaloneEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `- ${issue.path.join('.')}: ${issue.message}`);
    throw new TypeError(`Variáveis de ambiente inválidas:\n${lines.join('\n')}`);
  }
  const parsed = result.data;
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
