/**
 * The Grafana dashboard, the Zabbix template and the alert rules only use what pec-rnds really outputs: every metric
 * (and every exact label value) they read is in a real /metrics scrape, every JSONPath of the Zabbix items resolves
 * in a real `npm run status -- --json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableCertificate, newInstallation, type Installation } from '../cli/installation.js';
import { fakeHealthServer, freePort, runScript } from '../cli/run.js';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';
import {
  alertExpressions,
  dashboardQueries,
  dashboardVariableQueries,
  exactMatchers,
  metricNames,
  readDashboard,
  readZabbixTemplate,
  resolveJsonPath,
} from './monitoring-files.js';
import { ROOT } from './support.js';
import { MONITORING_CRITICAL_DAYS, MONITORING_WARNING_DAYS } from '../../module/present/index.js';

/** Names Prometheus itself adds to every target. */
const PROMETHEUS_OWN = new Set(['up']);

/** A scrape of a real module with a certificate enabled and a connection test run (against a closed loopback port). */
async function realScrape(): Promise<{ text: string; families: Set<string>; harness: Harness }> {
  const closed = await freePort();
  const harness = await startHarness({ files: [CERTS.aes.file], authUrlProducao: `https://127.0.0.1:${closed}`, uf: 'MG' });
  const enable = await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
  expect(enable.status).toBe(200);
  const tested = await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer);
  expect(tested.body.connection.status).toBe('no-connection');
  const text = (await request(harness.app).get(`${BASE}/metrics`).set(bearer)).text;
  const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  return { text, families, harness };
}

describe('deploy/grafana, deploy/zabbix and deploy/prometheus read what pec-rnds really outputs', () => {
  let scrape: Awaited<ReturnType<typeof realScrape>>;
  beforeAll(async () => {
    scrape = await realScrape();
  });
  afterAll(async () => scrape?.harness.close());

  const samplesWith = (metric: string, label: string, value: string) =>
    new RegExp(`^${metric}\\{[^}]*\\b${label}="${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'm').test(scrape.text);

  it('when the dashboard and the alert rules are read, then every metric they use is in a real scrape, and every exact label value exists', () => {
    const expressions = [
      ...dashboardQueries().map((q) => ({ where: `Grafana "${q.title}"`, expr: q.expr })),
      ...dashboardVariableQueries().map((q) => ({ where: `Grafana $${q.name}`, expr: q.query.replace(/^label_values\((.*),\s*\w+\)$/, '$1') })),
      ...alertExpressions().map((a) => ({ where: `alerta ${a.alert}`, expr: a.expr })),
    ];
    expect(expressions.length).toBeGreaterThan(10);

    for (const { where, expr } of expressions) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        if (PROMETHEUS_OWN.has(name)) continue;
        expect(scrape.families.has(name), `${where} usa ${name}, que não está em /metrics`).toBe(true);
      }
      for (const { metric, label, value } of exactMatchers(expr)) {
        if (PROMETHEUS_OWN.has(metric) || label === 'job') continue;
        expect(samplesWith(metric, label, value), `${where}: ${metric}{${label}="${value}"} não aparece em /metrics`).toBe(true);
      }
    }
  });

  it('when the dashboard shows days left, then it turns orange and red at the monitoring thresholds', () => {
    const panel = (readDashboard() as unknown as { panels: Array<{ title?: string; fieldConfig?: { defaults?: { thresholds?: { steps: Array<{ value: number | null }> } } }; panels?: unknown[] }> }).panels
      .flatMap((p) => [p, ...((p.panels ?? []) as typeof p[])])
      .find((p) => p.title === 'Dias restantes');

    expect(panel?.fieldConfig?.defaults?.thresholds?.steps.map((step) => step.value)).toEqual([null, MONITORING_CRITICAL_DAYS, MONITORING_WARNING_DAYS]);
  });

  it('when the dashboard is read, then it has job and instance variables and one repeated row per installation with state, days left and the last connection test', () => {
    const dashboard = readDashboard();
    const variables = dashboard.templating.list.map((v) => v.name);
    const row = dashboard.panels.find((p) => p.type === 'row');

    expect(variables).toEqual(expect.arrayContaining(['job', 'instance']));
    expect(row?.repeat).toBe('instance');
    expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Estado', 'Dias restantes', 'Último teste de conexão', 'Testado em']));
    for (const { title, expr } of dashboardQueries()) {
      expect(expr, title).toContain('job=~"$job"');
      expect(expr, title).toContain('instance=~"$instance"');
    }
  });

  it('when a metric name in the dashboard is misspelled, then this check notices it (it is not vacuous)', () => {
    const names = metricNames('floor((pec_rnds_certificate_expiry_timestmp_seconds{job=~"$job"} - time()) / 86400)');

    expect(names).toEqual(['pec_rnds_certificate_expiry_timestmp_seconds']);
    expect(scrape.families.has(names[0]!)).toBe(false);
  });
});

describe('deploy/zabbix: the template on npm run status -- --json', () => {
  let enabled: Installation;
  let disabled: Installation;
  let enabledJson: unknown;
  let disabledJson: unknown;
  let health: Awaited<ReturnType<typeof fakeHealthServer>>;
  const template = readZabbixTemplate();
  const master = template.items.find((i) => i.type === undefined || i.type === 'ZABBIX_PASSIVE');
  const dependents = template.items.filter((i) => i.type === 'DEPENDENT');

  beforeAll(async () => {
    health = await fakeHealthServer('enabled');
    enabled = await newInstallation();
    await enableCertificate(enabled, { connection: { status: 'ok', message: 'Conexão bem-sucedida', detail: 'Token recebido.', checkedAt: '2026-11-20T13:00:00.000Z' } });
    disabled = await newInstallation();
    const run = async (inst: Installation) => {
      const result = await runScript('status', ['--json'], { env: inst.env({ PORT: String(health.port) }) });
      return JSON.parse(result.stdout) as unknown;
    };
    [enabledJson, disabledJson] = await Promise.all([run(enabled), run(disabled)]);
  });
  afterAll(async () => {
    enabled?.cleanup();
    disabled?.cleanup();
    await health?.close();
  });

  it('when read, then one agent item feeds dependent items, and its key is the UserParameter INSTALL.md configures', () => {
    const install = fs.readFileSync(path.join(ROOT, 'INSTALL.md'), 'utf8');

    expect(master?.key).toBe('pec.rnds.status');
    expect(install).toMatch(new RegExp(`^UserParameter=${master!.key.replaceAll('.', '\\.')},.*pec-rnds-status --json$`, 'm'));
    expect(dependents.length).toBeGreaterThanOrEqual(8);
    for (const item of dependents) expect(item.master_item?.key, item.key).toBe(master!.key);
  });

  it('when every dependent item\'s JSONPath is applied to a real status JSON (certificate enabled, connection tested), then it finds a value', () => {
    for (const item of dependents) {
      const step = item.preprocessing?.find((p) => p.type === 'JSONPATH');
      expect(step, item.key).toBeDefined();
      const value = resolveJsonPath(enabledJson, step!.parameters![0]!);
      expect(value, `${item.key} (${step!.parameters![0]})`).not.toBeUndefined();
      expect(value, `${item.key} (${step!.parameters![0]})`).not.toBeNull();
    }
    expect(resolveJsonPath(enabledJson, '$.state')).toBe('enabled');
    expect(typeof resolveJsonPath(enabledJson, '$.enabled.certificate.daysLeft')).toBe('number');
    expect(resolveJsonPath(enabledJson, '$.server.reachable')).toBe(true);
  });

  it('when nothing is enabled, then the items that need a certificate discard their value instead of erroring, and the others still resolve', () => {
    for (const item of dependents) {
      const step = item.preprocessing!.find((p) => p.type === 'JSONPATH')!;
      const value = resolveJsonPath(disabledJson, step.parameters![0]!);
      if (value === undefined || value === null) expect(step.error_handler, `${item.key} with nothing enabled`).toBe('DISCARD_VALUE');
    }
    expect(resolveJsonPath(disabledJson, '$.state')).toBe('disabled');
    expect(resolveJsonPath(disabledJson, '$.check.code')).toBe(2);
  });

  it('when the triggers are read, then they only reference this template\'s items, include a no-data rule on the agent item and cover degraded, disabled, expiry and the connection', () => {
    const keys = new Set(template.items.map((i) => i.key));
    for (const trigger of template.triggers) {
      const references = [...trigger.expression.matchAll(/\/([^/]+)\/([^,)]+)/g)];
      expect(references.length, trigger.name).toBeGreaterThan(0);
      for (const [, host, key] of references) {
        expect(host, trigger.name).toBe(template.template);
        expect(keys.has(key!), `${trigger.name}: ${key}`).toBe(true);
      }
    }
    const expressions = template.triggers.map((t) => t.expression).join('\n');
    expect(expressions).toContain(`nodata(/${template.template}/pec.rnds.status,30m)=1`);
    expect(expressions).toContain('="degraded"');
    expect(expressions).toContain('="disabled"');
    // The thresholds are present/dates.ts's constants, the ones INSTALL.md and the Prometheus rules state.
    expect(expressions).toContain(`days_left)<${MONITORING_WARNING_DAYS}`);
    expect(expressions).toContain(`days_left)<${MONITORING_CRITICAL_DAYS}`);
    expect(expressions).toMatch(/days_left\)<0/);
    expect(expressions).toContain('pec.rnds.connection.status)<>"ok"');
  });
});
