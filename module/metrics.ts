/**
 * Prometheus metrics for monitoring many installations: `GET {base}/metrics`, behind the same access rules as
 * `/api/*`. Every gauge is read from the Status at scrape time (prom-client `collect()`), so the numbers can never
 * disagree with the screen, `/api/status` or `npm run status`. One Registry per module instance: two instances in one
 * process never share (or double-register) metrics.
 */
import path from 'node:path';
import type { Request, Response, Router } from 'express';
import type { Counter, Registry } from 'prom-client';
import { promClient, type PromClient } from './prom.js';
import { ERROR_STATUS } from './errors.js';
import { CONNECTION_STATUSES, ENTRY_STATUSES, PROBLEM_CODES, STATES, type Service } from './enums.js';
import type { Status } from './types.js';

const METRICS_PREFIX = 'pec_rnds_';

/** The codes a failed enable can end with: shown at 0 from the start, so `increase()` sees the first failure. */
const ENABLE_FAILURE_CODES = Object.entries(ERROR_STATUS)
  .filter(([code, status]) => status >= 400 && status < 500 && !['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'NOT_ENABLED'].includes(code))
  .map(([code]) => code);

export interface MetricsOptions {
  /** The module version, for `pec_rnds_info` and `pec_rnds_installation_info`. */
  version: string;
  /** The installation's state (UF), for `pec_rnds_installation_info`. */
  uf?: string;
}

/** The subject/issuer fields the x509 certificate exporter puts in its labels (`subject_CN`, `issuer_O`…). */
const X509_NAME_FIELDS = ['C', 'ST', 'L', 'O', 'OU', 'CN'] as const;

/**
 * The attributes of a distinguished name as the certificate engine renders it (`CN=a, OU=b\, c, O=d`, most specific
 * first): one value per field, the first in certificate (DER) order, as the x509 certificate exporter takes it.
 */
export function distinguishedNameFields(dn: string): Record<string, string> {
  const attributes: Array<[string, string]> = [];
  let current = '';
  let escaped = false;
  const flush = () => {
    const at = current.indexOf('=');
    if (at > 0) attributes.push([current.slice(0, at).trim(), current.slice(at + 1).trim()]);
    current = '';
  };
  for (const char of dn) {
    if (escaped) {
      current += char;
      escaped = false;
    } else if (char === '\\') {
      escaped = true;
    } else if (char === ',' || char === '+') {
      flush();
    } else {
      current += char;
    }
  }
  flush();
  const fields: Record<string, string> = {};
  for (const [type, value] of attributes.reverse()) fields[type] ??= value;
  return fields;
}

/** A hexadecimal serial number (as Status shows it) in decimal, as the x509 certificate exporter labels it. */
export function decimalSerial(hex: string): string {
  const digits = hex.replace(/[^0-9a-f]/gi, '');
  return digits === '' ? '' : BigInt(`0x${digits}`).toString(10);
}

export interface RndsMetrics {
  /**
   * This instance's registry (merge it into a host's with `Registry.merge` if the host has its own /metrics). Built,
   * and prom-client loaded, on first use: a server nobody scrapes never pays for it.
   */
  readonly registry: Registry;
  /** Adds metrics to the registry when it is built (at once if it already is). */
  extend(register: (registry: Registry) => void): void;
  /** Counts a failed enable attempt (any 4xx of /api/enable or the form, including TOO_MANY_ATTEMPTS). */
  recordFailedAttempt(code: string): void;
  /** Express handler answering the Prometheus text format. */
  handler(req: Request, res: Response): Promise<void>;
  /** Mounts `GET /metrics` on a router (for `extraRoutes`). */
  mount(router: Router): void;
}

/** `contraChaveOrigin` of the Status (docs/CONTRACT.md): `instalacao` or `gerada`; empty when this Status has none. */
function contraChaveOrigin(status: Status): string {
  const origin = (status as Status & { contraChaveOrigin?: unknown }).contraChaveOrigin;
  return typeof origin === 'string' ? origin : '';
}

/** Creates the metrics of one module instance, reading `getStatus()` lazily at each scrape. */
export function createMetrics(getStatus: () => Status, options: MetricsOptions): RndsMetrics {
  // Failed attempts before the first scrape are counted here and handed to the counter when it is made.
  const failedBefore = new Map<string, number>();
  const extensions: Array<(registry: Registry) => void> = [];
  let built: { registry: Registry; failures: Counter } | null = null;
  const build = (): { registry: Registry; failures: Counter } => {
    const prom = promClient();
    const registry = new prom.Registry();
    const failures = defineMetrics(registry, prom, getStatus, options);
    for (const [code, count] of failedBefore) failures.inc({ code }, count);
    failedBefore.clear();
    for (const register of extensions.splice(0)) register(registry);
    return { registry, failures };
  };
  const ensure = () => (built ??= build());

  const handler = async (_req: Request, res: Response): Promise<void> => {
    const { registry } = ensure();
    const body = await registry.metrics();
    res.set('Content-Type', registry.contentType).set('Cache-Control', 'no-store').send(body);
  };

  return {
    get registry() {
      return ensure().registry;
    },
    extend(register) {
      if (built) register(built.registry);
      else extensions.push(register);
    },
    recordFailedAttempt(code: string) {
      // Bounded label values: only the module's own codes.
      const label = Object.hasOwn(ERROR_STATUS, code) ? code : 'OTHER';
      if (built) built.failures.inc({ code: label });
      else failedBefore.set(label, (failedBefore.get(label) ?? 0) + 1);
    },
    handler,
    mount(router: Router) {
      router.get('/metrics', handler);
    },
  };
}

/** Registers every gauge of the Status and the failure counter in `registry`; returns the counter. */
function defineMetrics(registry: Registry, { Counter, Gauge }: PromClient, getStatus: () => Status, options: MetricsOptions): Counter {
  const p = METRICS_PREFIX;

  // All collect() callbacks of one scrape run in the same tick: they share one Status.
  let memo: Status | null = null;
  const status = (): Status => {
    if (!memo) {
      memo = getStatus();
      queueMicrotask(() => {
        memo = null;
      });
    }
    return memo;
  };
  const flag = (on: boolean) => (on ? 1 : 0);

  new Gauge({
    name: `${p}info`,
    help: 'Information about the pec-rnds module (always 1): version, the installation contra-chave and its origin (instalacao or gerada).',
    labelNames: ['version', 'contra_chave', 'contra_chave_origin'],
    registers: [registry],
    collect() {
      // One series only: the contra-chave can change while the process runs.
      this.reset();
      const current = status();
      this.set({ version: options.version, contra_chave: current.contraChave, contra_chave_origin: current.contraChaveOrigin }, 1);
    },
  });

  // Who this installation is, for fleet dashboards and alert routing: one series, always 1. Labels that only exist
  // with a certificate enabled are empty strings while nothing is enabled.
  new Gauge({
    name: `${p}installation_info`,
    help: 'This installation: UF, environment, services, CNPJ, identificador solicitante, issuer and serial of the enabled certificate, contra-chave origin, version (always 1).',
    labelNames: ['uf', 'environment', 'services', 'cnpj', 'identificador_solicitante', 'issuer', 'serial', 'contra_chave_origin', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      const current = status();
      const enabled = current.enabled;
      this.set(
        {
          uf: options.uf?.toUpperCase() ?? '',
          environment: enabled?.environment ?? '',
          services: enabled?.services.join(',') ?? '',
          cnpj: enabled?.certificate.cnpj ?? '',
          identificador_solicitante: enabled?.identificadorSolicitante ?? '',
          issuer: enabled ? (distinguishedNameFields(enabled.certificate.issuer).CN ?? enabled.certificate.issuer) : '',
          serial: enabled?.certificate.serialNumber ?? '',
          contra_chave_origin: contraChaveOrigin(current),
          version: options.version,
        },
        1,
      );
    },
  });

  new Gauge({
    name: `${p}enabled`,
    help: '1 when a certificate is enabled (also while degraded), 0 when RNDS is disabled.',
    registers: [registry],
    collect() {
      this.set(flag(status().enabled !== null));
    },
  });
  new Gauge({
    name: `${p}degraded`,
    help: '1 when a certificate is enabled but cannot be used (missing, changed, expired, password unreadable, no chaves folder).',
    registers: [registry],
    collect() {
      this.set(flag(status().state === 'degraded'));
    },
  });
  new Gauge({
    name: `${p}state`,
    help: 'The RNDS state: 1 for the current one (enabled, disabled or degraded).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const current = status().state;
      for (const state of STATES) this.set({ state }, flag(state === current));
    },
  });
  new Gauge({
    name: `${p}problem`,
    help: 'Problems of the Status: 1 when present (CERTIFICATE_EXPIRING alone does not degrade the state).',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      const present = new Set(status().problems.map((problem) => problem.code));
      for (const code of PROBLEM_CODES) this.set({ code }, flag(present.has(code)));
    },
  });
  // The certificate gauges carry the environment label so that, with nothing enabled, they have no sample at all
  // (a label-less gauge would report 0: "expired in 1970").
  new Gauge({
    name: `${p}certificate_expiry_timestamp_seconds`,
    help: 'notAfter of the enabled certificate, as a Unix timestamp in seconds (absent when nothing is enabled).',
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const enabled = status().enabled;
      if (enabled) this.set({ environment: enabled.environment }, Math.floor(new Date(enabled.certificate.notAfter).getTime() / 1000));
    },
  });
  new Gauge({
    name: `${p}certificate_days_left`,
    help: 'Whole days until the enabled certificate expires, negative once expired (absent when nothing is enabled).',
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const enabled = status().enabled;
      if (enabled) this.set({ environment: enabled.environment }, enabled.certificate.daysLeft);
    },
  });
  new Gauge({
    name: `${p}chaves_files`,
    help: 'Certificate files (.pfx/.p12) in the chaves folder, by status.',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(ENTRY_STATUSES.map((s) => [s, 0]));
      for (const entry of status().certificates) counts.set(entry.status, (counts.get(entry.status) ?? 0) + 1);
      for (const [s, n] of counts) this.set({ status: s }, n);
    },
  });
  new Gauge({
    name: `${p}chaves_dir_readable`,
    help: '1 when the chaves folder exists and the module can read it.',
    registers: [registry],
    collect() {
      const dir = status().chavesDir;
      this.set(flag(dir.exists && dir.readable));
    },
  });
  new Gauge({
    name: `${p}connection_status`,
    help: 'Result of the last connection test per enabled service (RNDS, CADSUS): 1 for the current status, all 0 when never tested.',
    labelNames: ['service', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const { connection, enabled } = status();
      const services: Service[] = enabled?.services.length ? enabled.services : ['RNDS'];
      // State files from before per-service results hold only the top-level one.
      const results = connection?.services ?? (connection ? [{ service: services[0] ?? 'RNDS', status: connection.status }] : []);
      for (const service of services) {
        const current = results.find((r) => r.service === service)?.status;
        for (const s of CONNECTION_STATUSES) this.set({ service, status: s }, flag(s === current));
      }
    },
  });
  new Gauge({
    name: `${p}connection_via_proxy`,
    help: '1 when the last connection test went through the outbound HTTP proxy, 0 when direct (absent when never tested).',
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const connection = status().connection;
      if (connection?.via !== undefined) this.set({ environment: connection.environment }, flag(connection.via.startsWith('proxy ')));
    },
  });
  new Gauge({
    name: `${p}connection_checked_timestamp_seconds`,
    help: 'When the last RNDS connection test ran, as a Unix timestamp in seconds (absent when never tested).',
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const connection = status().connection;
      if (connection) this.set({ environment: connection.environment }, Math.floor(new Date(connection.checkedAt).getTime() / 1000));
    },
  });

  new Gauge({
    name: `${p}clock_skew_seconds`,
    help: "This server's clock minus the RNDS server's (its HTTP Date) at the last token request or connection test, in seconds: positive when this server is ahead; RNDS allows no skew, CLOCK_SKEW above 60 s either way (absent before a measurement or with nothing enabled).",
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const { clock, enabled } = status();
      if (clock && enabled) this.set({ environment: enabled.environment }, clock.skewSeconds);
    },
  });
  new Gauge({
    name: `${p}clock_measured_timestamp_seconds`,
    help: "When the RNDS server's clock was last compared with this server's, as a Unix timestamp in seconds (absent before a measurement).",
    labelNames: ['environment'],
    registers: [registry],
    collect() {
      this.reset();
      const { clock, enabled } = status();
      if (clock && enabled) this.set({ environment: enabled.environment }, Math.floor(new Date(clock.measuredAt).getTime() / 1000));
    },
  });

  // The enabled certificate under the names of the x509 certificate exporter (enix/x509-certificate-exporter), so
  // existing x509 dashboards and alert rules cover it unchanged: same metric names, same label set for a file source.
  const x509LabelNames = [
    'serial_number',
    ...X509_NAME_FIELDS.map((f) => `subject_${f}`),
    ...X509_NAME_FIELDS.map((f) => `issuer_${f}`),
    'filename',
    'filepath',
  ];
  const x509Labels = (current: Status): Record<string, string> | null => {
    const enabled = current.enabled;
    if (!enabled) return null;
    const subject = distinguishedNameFields(enabled.certificate.subject);
    const issuer = distinguishedNameFields(enabled.certificate.issuer);
    const labels: Record<string, string> = { serial_number: decimalSerial(enabled.certificate.serialNumber) };
    for (const f of X509_NAME_FIELDS) {
      labels[`subject_${f}`] = subject[f] ?? '';
      labels[`issuer_${f}`] = issuer[f] ?? '';
    }
    labels.filename = enabled.file;
    labels.filepath = path.join(current.chavesDir.path, enabled.file);
    return labels;
  };
  const x509Gauge = (name: string, help: string, read: (current: Status, enabled: NonNullable<Status['enabled']>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: x509LabelNames,
      registers: [registry],
      collect() {
        this.reset();
        const current = status();
        const labels = x509Labels(current);
        if (labels && current.enabled) this.set(labels, read(current, current.enabled));
      },
    });
  const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
  x509Gauge('x509_cert_not_after', 'notAfter of the enabled certificate, Unix seconds (x509-certificate-exporter name).', (_, e) => seconds(e.certificate.notAfter));
  x509Gauge('x509_cert_not_before', 'notBefore of the enabled certificate, Unix seconds (x509-certificate-exporter name).', (_, e) => seconds(e.certificate.notBefore));
  x509Gauge('x509_cert_expired', '1 when the enabled certificate has expired (x509-certificate-exporter name).', (current) => flag(current.problems.some((problem) => problem.code === 'CERTIFICATE_EXPIRED')));

  const failures = new Counter({
    name: `${p}enable_failures_total`,
    help: 'Failed enable attempts since the module started, by error code.',
    labelNames: ['code'],
    registers: [registry],
  });
  for (const code of ENABLE_FAILURE_CODES) failures.inc({ code }, 0);

  return failures;
}
