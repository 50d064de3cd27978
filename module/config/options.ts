/**
 * The module's options (what `createRndsModule` takes), validated once. The standalone server's environment variables
 * become these options in `env.ts`.
 */
import { z } from 'zod';
import { ENVIRONMENTS, TOKEN_METHODS } from '../enums.js';
import type { Request } from 'express';
import { TIME_ZONE_EXPECTED, canonicalTimeZone } from '../present/index.js';
import { CONTRA_CHAVE_SHAPE, normalizeContraChave } from '../state/contra-chave.js';
import { parseProxyUrl } from '../rnds/proxy-settings.js';

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
export function proxyError(value: string, source: string): string | null {
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

export const environmentSchema = z.enum(ENVIRONMENTS);

/** A contra-chave as people type it, normalised to `xxxx-…-xxxx` (case kept); anything else fails with the shape. */
export const contraChaveSchema = z.string().transform((value, ctx) => {
  const normalized = normalizeContraChave(value);
  if (normalized === null) {
    ctx.issues.push({ code: 'custom', input: value, message: `a contra-chave deve ter o formato ${CONTRA_CHAVE_SHAPE}` });
    return z.NEVER;
  }
  return normalized;
});
export const smtpUrl = z.url({ protocol: /^smtps?$/, error: 'deve ser uma URL smtp://usuario:senha@servidor:587 ou smtps://…:465' });
export const webhookUrl = z.url({ protocol: /^https?$/, error: 'deve ser uma URL http:// ou https://' });
export const emailList = z.array(z.email({ error: 'cada destinatário deve ser um e-mail válido' })).min(1, 'informe ao menos um e-mail');

/** Alerts by e-mail and webhook (INSTALL.md, "Alertas"). */
const alertsSchema = z
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
export const timeZoneSchema = z.string().refine((v) => canonicalTimeZone(v) !== null, { error: `fuso horário inválido. ${TIME_ZONE_EXPECTED}` });
export const httpsUrl = z.url({ protocol: /^https$/, error: 'deve ser uma URL https://' });

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
     * A token that may only report sends (`POST /api/envios`, Bearer only): PEC's backend reports without holding a
     * token that could disable RNDS. Every other route answers it 403.
     */
    reportingToken: z.string().min(16, 'o token de envios deve ter ao menos 16 caracteres').optional(),
    /** How many days reported sends are kept (the counters survive their removal). */
    sendsRetentionDays: z.number().int().min(1, 'guarde os envios por ao menos 1 dia').max(36_500).default(400),
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
    tokenMethod: z.enum(TOKEN_METHODS).default('GET'),
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
    /** Timers and randomness of the periodic check, the alerts' retries and the RNDS tab's `sends` event (tests drive them by hand). */
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
    const { authorize, accessToken, monitoringToken, reportingToken } = ctx.value;
    if (reportingToken !== undefined && (reportingToken === accessToken || reportingToken === monitoringToken)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: ['reportingToken'],
        message: 'o token de envios deve ser diferente do token de acesso e do de monitoramento: ele só pode informar envios',
      });
    }
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

/** Host names that never leave the machine: always accepted by the Host check. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/** A Host header (or allow-list entry) as compared: lower case, no port, no IPv6 brackets, no final dot. */
export function normalizeHostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  else if (h.split(':').length === 2) h = h.slice(0, h.indexOf(':')); // name:port (an IPv6 literal has more colons)
  return h.replace(/\.$/, '');
}
