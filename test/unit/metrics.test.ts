import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import fs from 'node:fs';
import path from 'node:path';
import { createRndsModule } from '../../module/index.js';
import { X509Certificate } from 'node:crypto';
import { createMetrics, decimalSerial, distinguishedNameFields } from '../../module/metrics.js';
import { openPkcs12 } from '../../module/certificates/index.js';
import type { Status } from '../../module/types.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small reader of the Prometheus text format: samples, and the TYPE of each family. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const NOT_AFTER = '2027-03-31T02:59:59.000Z';
const CHECKED_AT = '2026-11-20T13:00:00.000Z';

function enabledStatus(overrides: Partial<Status> = {}): Status {
  return {
    state: 'enabled',
    contraChave: '0123-4567-89ab-cdef-0123-4567-89ab-cdef',
    contraChaveOrigin: 'instalacao',
    chavesDir: { path: '/opt/e-SUS/webserver/chaves', exists: true, readable: true },
    certificates: [
      { file: 'municipio.pfx', size: 3456, modifiedAt: '2026-11-01T10:00:00.000Z', sha256: 'a'.repeat(64), status: 'ready' },
      { file: 'antigo.pfx', size: 3456, modifiedAt: '2026-11-01T10:00:00.000Z', sha256: 'b'.repeat(64), status: 'ready' },
      { file: 'copiando.p12', size: 100, modifiedAt: '2026-11-01T10:00:00.000Z', status: 'incomplete' },
    ],
    enabled: {
      file: 'municipio.pfx',
      identificadorSolicitante: '3167',
      services: ['RNDS'],
      environment: 'producao',
      enabledAt: '2026-11-01T10:00:00.000Z',
      certificate: {
        subject: 'CN=MUNICIPIO:12345678000190',
        commonName: 'MUNICIPIO:12345678000190',
        cnpj: '12345678000190',
        razaoSocial: 'MUNICIPIO',
        issuer: 'CN=AC',
        serialNumber: '01',
        notBefore: '2026-01-01T00:00:00.000Z',
        notAfter: NOT_AFTER,
        daysLeft: 125,
        sha256: 'a'.repeat(64),
      },
    },
    connection: { status: 'ok', message: 'Conexão bem-sucedida', detail: 'Token recebido.', checkedAt: CHECKED_AT, environment: 'producao' },
    problems: [],
    ...overrides,
  };
}

const disabledStatus = (): Status => ({ ...enabledStatus(), state: 'disabled', enabled: null, connection: null, certificates: [] });

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  return parse(await metrics.registry.metrics());
}

describe('metrics', () => {
  it('when a certificate is enabled, then the scrape shows the state, its expiry, the folder, the last connection and the version', async () => {
    const metrics = createMetrics(enabledStatus, { version: '1.2.3' });

    const { samples, types } = await scrape(metrics);

    expect(value(samples, 'pec_rnds_enabled')).toBe(1);
    expect(value(samples, 'pec_rnds_degraded')).toBe(0);
    expect(value(samples, 'pec_rnds_state', { state: 'enabled' })).toBe(1);
    expect(value(samples, 'pec_rnds_state', { state: 'disabled' })).toBe(0);
    expect(value(samples, 'pec_rnds_certificate_expiry_timestamp_seconds', { environment: 'producao' })).toBe(Date.parse(NOT_AFTER) / 1000);
    expect(value(samples, 'pec_rnds_certificate_days_left', { environment: 'producao' })).toBe(125);
    expect(value(samples, 'pec_rnds_chaves_files', { status: 'ready' })).toBe(2);
    expect(value(samples, 'pec_rnds_chaves_files', { status: 'incomplete' })).toBe(1);
    expect(value(samples, 'pec_rnds_chaves_files', { status: 'not-a-file' })).toBe(0);
    expect(value(samples, 'pec_rnds_chaves_dir_readable')).toBe(1);
    expect(value(samples, 'pec_rnds_connection_status', { status: 'ok' })).toBe(1);
    expect(value(samples, 'pec_rnds_connection_status', { status: 'no-connection' })).toBe(0);
    expect(value(samples, 'pec_rnds_connection_checked_timestamp_seconds', { environment: 'producao' })).toBe(Date.parse(CHECKED_AT) / 1000);
    expect(value(samples, 'pec_rnds_info', { version: '1.2.3' })).toBe(1);
    expect(types.get('pec_rnds_enable_failures_total')).toBe('counter');
    expect(types.get('pec_rnds_enabled')).toBe('gauge');
    expect(samples.every((s) => s.name.startsWith('pec_rnds_') || s.name.startsWith('x509_cert_'))).toBe(true);
  });

  it('when nothing is enabled, then enabled is 0 and the certificate and connection-time series are absent, not 0', async () => {
    const metrics = createMetrics(disabledStatus, { version: '1.2.3' });

    const { samples } = await scrape(metrics);

    expect(value(samples, 'pec_rnds_enabled')).toBe(0);
    expect(value(samples, 'pec_rnds_state', { state: 'disabled' })).toBe(1);
    expect(samples.some((s) => s.name === 'pec_rnds_certificate_expiry_timestamp_seconds')).toBe(false);
    expect(samples.some((s) => s.name === 'pec_rnds_certificate_days_left')).toBe(false);
    expect(samples.some((s) => s.name === 'pec_rnds_connection_checked_timestamp_seconds')).toBe(false);
    expect(samples.filter((s) => s.name === 'pec_rnds_connection_status').map((s) => s.value)).toEqual([0, 0, 0, 0]);
  });

  it('when the status changes between scrapes, then each scrape reads it afresh, once', async () => {
    let current = enabledStatus();
    let calls = 0;
    const metrics = createMetrics(() => {
      calls++;
      return current;
    }, { version: '1' });

    const before = await scrape(metrics);
    current = enabledStatus({
      state: 'degraded',
      problems: [{ code: 'CERTIFICATE_MISSING', severity: 'critical', message: 'O arquivo municipio.pfx foi removido da pasta chaves: copie-o de volta.' }],
      certificates: [],
    });
    const after = await scrape(metrics);

    expect(value(before.samples, 'pec_rnds_degraded')).toBe(0);
    expect(value(after.samples, 'pec_rnds_degraded')).toBe(1);
    expect(value(after.samples, 'pec_rnds_problem', { code: 'CERTIFICATE_MISSING' })).toBe(1);
    expect(value(after.samples, 'pec_rnds_problem', { code: 'CERTIFICATE_EXPIRING' })).toBe(0);
    expect(value(after.samples, 'pec_rnds_chaves_files', { status: 'ready' })).toBe(0);
    expect(calls).toBe(2);
  });

  it('when enable attempts fail, then the counter counts them by code, starts at 0 for known codes, and folds unknown codes into OTHER', async () => {
    const metrics = createMetrics(disabledStatus, { version: '1' });

    metrics.recordFailedAttempt('WRONG_PASSWORD');
    metrics.recordFailedAttempt('WRONG_PASSWORD');
    metrics.recordFailedAttempt('TOO_MANY_ATTEMPTS');
    metrics.recordFailedAttempt('anything "odd"\n');
    const { samples } = await scrape(metrics);

    expect(value(samples, 'pec_rnds_enable_failures_total', { code: 'WRONG_PASSWORD' })).toBe(2);
    expect(value(samples, 'pec_rnds_enable_failures_total', { code: 'TOO_MANY_ATTEMPTS' })).toBe(1);
    expect(value(samples, 'pec_rnds_enable_failures_total', { code: 'CERTIFICATE_EXPIRED' })).toBe(0);
    expect(value(samples, 'pec_rnds_enable_failures_total', { code: 'OTHER' })).toBe(1);
  });

  it('when two instances live in one process, then their metrics are independent', async () => {
    const a = createMetrics(enabledStatus, { version: '1' });
    const b = createMetrics(disabledStatus, { version: '1' });

    a.recordFailedAttempt('WRONG_PASSWORD');
    const [sa, sb] = [await scrape(a), await scrape(b)];

    expect(value(sa.samples, 'pec_rnds_enabled')).toBe(1);
    expect(value(sb.samples, 'pec_rnds_enabled')).toBe(0);
    expect(value(sb.samples, 'pec_rnds_enable_failures_total', { code: 'WRONG_PASSWORD' })).toBe(0);
  });

  it('when GET /metrics is mounted on a router, then it answers the Prometheus text format, not cached', async () => {
    const metrics = createMetrics(enabledStatus, { version: '1' });
    const router = express.Router();
    metrics.mount(router);
    const app = express().use('/rnds', router);

    const response = await request(app).get('/rnds/metrics');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(value(parse(response.text).samples, 'pec_rnds_enabled')).toBe(1);
  });

  it('when the real module serves /metrics, then it sits behind the same access rules as /api/*', async () => {
    const root = tempDir('pec-rnds-metrics-');
    fs.mkdirSync(path.join(root, 'chaves'));
    const token = 'token-de-teste-metricas-0123456789';
    const rnds = await createRndsModule({ chavesDir: path.join(root, 'chaves'), dataDir: path.join(root, 'data'), accessToken: token });
    try {
      const app = express().use('/rnds', rnds.router);

      const anonymous = await request(app).get('/rnds/metrics');
      const authorized = await request(app).get('/rnds/metrics').set('Authorization', `Bearer ${token}`);

      expect(anonymous.status).toBe(401);
      expect(authorized.status).toBe(200);
      expect(value(parse(authorized.text).samples, 'pec_rnds_state', { state: 'disabled' })).toBe(1);
    } finally {
      await rnds.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  describe('fleet labels', () => {
    const ICP_SUBJECT = 'CN=MUNICIPIO DE EXEMPLO:12345678000190, OU=Certificado PJ A1, OU=AC EXEMPLO\\, RFB, OU=Secretaria da Receita Federal do Brasil - RFB, O=ICP-Brasil, L=Belo Horizonte, ST=MG, C=BR';
    const ICP_ISSUER = 'CN=AC EXEMPLO RFB v5, OU=Secretaria da Receita Federal do Brasil - RFB, O=ICP-Brasil, C=BR';
    const icpStatus = (overrides: Partial<Status> = {}): Status => {
      const base = enabledStatus(overrides);
      return {
        ...base,
        contraChaveOrigin: 'instalacao',
        enabled: base.enabled && {
          ...base.enabled,
          services: ['RNDS', 'CADSUS'],
          certificate: { ...base.enabled.certificate, subject: ICP_SUBJECT, issuer: ICP_ISSUER, serialNumber: '3c6f0a1b2d' },
        },
      } as Status;
    };

    it('when a certificate is enabled, then pec_rnds_installation_info names the UF, environment, services, CNPJ, identificador, issuer, serial, contra-chave origin and version', async () => {
      const metrics = createMetrics(icpStatus, { version: '1.2.3', uf: 'mg' });

      const { samples, types } = await scrape(metrics);
      const info = samples.filter((s) => s.name === 'pec_rnds_installation_info');

      expect(types.get('pec_rnds_installation_info')).toBe('gauge');
      expect(info).toEqual([
        {
          name: 'pec_rnds_installation_info',
          value: 1,
          labels: {
            uf: 'MG',
            environment: 'producao',
            services: 'RNDS,CADSUS',
            cnpj: '12345678000190',
            identificador_solicitante: '3167',
            issuer: 'AC EXEMPLO RFB v5',
            serial: '3c6f0a1b2d',
            contra_chave_origin: 'instalacao',
            version: '1.2.3',
          },
        },
      ]);
    });

    it('when nothing is enabled, then pec_rnds_installation_info is still one series (the installation exists), with the certificate labels empty', async () => {
      const metrics = createMetrics(disabledStatus, { version: '1.2.3' });

      const { samples } = await scrape(metrics);
      const info = samples.filter((s) => s.name === 'pec_rnds_installation_info');

      expect(info).toHaveLength(1);
      expect(info[0]!.labels).toMatchObject({ uf: '', environment: '', cnpj: '', serial: '', version: '1.2.3' });
      expect(samples.some((s) => s.name.startsWith('x509_cert_'))).toBe(false);
    });

    it('when a certificate is enabled, then its expiry is also x509_cert_not_after with the x509 certificate exporter labels (decimal serial, first value of each DN field, file path)', async () => {
      const metrics = createMetrics(icpStatus, { version: '1' });

      const { samples, types } = await scrape(metrics);
      const notAfter = samples.filter((s) => s.name === 'x509_cert_not_after');

      expect(types.get('x509_cert_not_after')).toBe('gauge');
      expect(notAfter).toHaveLength(1);
      expect(notAfter[0]!.value).toBe(Date.parse(NOT_AFTER) / 1000);
      expect(notAfter[0]!.labels).toEqual({
        serial_number: String(0x3c6f0a1b2d),
        subject_C: 'BR',
        subject_ST: 'MG',
        subject_L: 'Belo Horizonte',
        subject_O: 'ICP-Brasil',
        subject_OU: 'Secretaria da Receita Federal do Brasil - RFB',
        subject_CN: 'MUNICIPIO DE EXEMPLO:12345678000190',
        issuer_C: 'BR',
        issuer_ST: '',
        issuer_L: '',
        issuer_O: 'ICP-Brasil',
        issuer_OU: 'Secretaria da Receita Federal do Brasil - RFB',
        issuer_CN: 'AC EXEMPLO RFB v5',
        filename: 'municipio.pfx',
        filepath: '/opt/e-SUS/webserver/chaves/municipio.pfx',
      });
      expect(value(samples, 'x509_cert_not_before')).toBe(Date.parse('2026-01-01T00:00:00.000Z') / 1000);
      expect(value(samples, 'x509_cert_expired')).toBe(0);
    });

    it('when the enabled certificate has expired, then x509_cert_expired is 1, as the Status says', async () => {
      const expired = () =>
        icpStatus({ state: 'degraded', problems: [{ code: 'CERTIFICATE_EXPIRED', severity: 'critical', message: 'O certificado expirou em 31/03/2027: baixe um certificado novo.' }] });
      const metrics = createMetrics(expired, { version: '1' });

      const { samples } = await scrape(metrics);

      expect(value(samples, 'x509_cert_expired')).toBe(1);
    });

    it('when a real PKCS#12 is read, then the x509 labels agree with Node\'s own X.509 parser (serial, subject and issuer fields)', () => {
      const bytes = fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/pkcs12/aes256-default.p12'));
      const opened = openPkcs12(bytes, 'Senha@çã1', { checkValidity: false });
      const native = new X509Certificate(opened.certPem);
      const nativeFields = (text: string) => Object.fromEntries(text.split('\n').map((line) => line.split('=') as [string, string]).reverse());

      expect(decimalSerial(opened.serialNumber)).toBe(BigInt(`0x${native.serialNumber}`).toString(10));
      const subject = distinguishedNameFields(opened.subject);
      const issuer = distinguishedNameFields(opened.issuer);
      for (const [field, v] of Object.entries(nativeFields(native.subject))) if (['C', 'ST', 'L', 'O', 'CN'].includes(field)) expect(subject[field], field).toBe(v);
      for (const [field, v] of Object.entries(nativeFields(native.issuer))) if (['C', 'ST', 'L', 'O', 'CN'].includes(field)) expect(issuer[field], field).toBe(v);
      expect(subject.CN).toBe(opened.commonName);
    });
  });
});
