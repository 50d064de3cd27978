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
  parseExposition,
  PATIENT_CNS,
  reportedSends,
  prometheusPattern,
  readDashboard,
  readZabbixTemplate,
  resolveJsonPath,
  type ZabbixItem,
} from './monitoring-files.js';
import { DEPLOY, ROOT } from './support.js';
import { MONITORING_CRITICAL_DAYS, MONITORING_WARNING_DAYS } from '../../module/present/index.js';
import { RNDS_ERROR_GROUPS, SEND_MODELS, SEND_STATUSES } from '../../module/enums.js';

/** Names Prometheus itself adds to every target. */
const PROMETHEUS_OWN = new Set(['up']);

const REPORTING = 'envios-do-pec-0123456789abcdef';

/**
 * A scrape of a real module with a certificate enabled, a connection test run (against a closed loopback port) and,
 * unless `sends` is false, a day of sends reported with the reporting token.
 */
async function realScrape({ sends = true } = {}): Promise<{ text: string; families: Set<string>; harness: Harness }> {
  const closed = await freePort();
  const harness = await startHarness({ files: [CERTS.aes.file], authUrlProducao: `https://127.0.0.1:${closed}`, uf: 'MG', reportingToken: REPORTING });
  const enable = await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
  expect(enable.status).toBe(200);
  const tested = await request(harness.app).post(`${BASE}/api/connection-test`).set(bearer);
  expect(tested.body.connection.status).toBe('no-connection');
  if (sends) {
    const reported = await request(harness.app).post(`${BASE}/api/envios`).set('Authorization', `Bearer ${REPORTING}`).send(reportedSends());
    expect(reported.body).toEqual({ accepted: 6, duplicates: 0 });
  }
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
      // The label values named in a regex (status=~"FALHA_CREDENCIAL|SEM_CONEXAO|…") and after != exist too.
      for (const m of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
        for (const pair of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=)\s*"([^"$]*)"/g)) {
          if (pair[1] === 'job' || pair[1] === 'instance' || pair[2] === '.+') continue;
          for (const value of pair[2]!.split('|')) expect(samplesWith(m[1]!, pair[1]!, value), `${where}: ${m[1]}{${pair[1]}="${value}"} não aparece em /metrics`).toBe(true);
        }
      }
    }
  });

  it('when sends were reported, then the scrape has every series the sends panels and alerts read: each model × status, each group, the last send per model, the last delivered', () => {
    const samples = parseExposition(scrape.text);
    const of = (name: string) => samples.filter((s) => s.name === name);

    expect(of('pec_rnds_sends_total')).toHaveLength(SEND_MODELS.length * SEND_STATUSES.length);
    expect(of('pec_rnds_sends_total').reduce((sum, s) => sum + s.value, 0)).toBe(6);
    expect(of('pec_rnds_send_refusals_total')).toHaveLength(SEND_MODELS.length * RNDS_ERROR_GROUPS.length);
    expect(of('pec_rnds_send_refusals_total').filter((s) => s.value > 0).map((s) => `${s.labels.model} ${s.labels.group}`).sort()).toEqual(['RAC credencial', 'RIA-R cidadao', 'RPM rnds-fora']);
    expect(of('pec_rnds_last_send_timestamp_seconds').map((s) => s.labels.model).sort()).toEqual(['RAC', 'RIA-C', 'RIA-R', 'RPM']);
    expect(of('pec_rnds_last_delivered_send_timestamp_seconds')).toHaveLength(1);
    // The last direct send was refused for the credential (ERR881): the problem the critical alert reads.
    expect(samples.find((s) => s.name === 'pec_rnds_problem' && s.labels.code === 'RNDS_CREDENTIAL_REFUSED')?.value).toBe(1);
    // What the fleet sees names no record and no patient: neither the host's record ids nor RNDS's text.
    for (const send of reportedSends().envios) expect(scrape.text).not.toContain(send.recordId);
    expect(scrape.text).not.toContain(PATIENT_CNS);
    expect(scrape.text).not.toContain('Recusado para o paciente');
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
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Estado', 'Dias restantes', 'Último teste de conexão', 'Testado em', 'Último envio', 'Último envio entregue', 'Recusados na última hora', 'Envios por situação (por hora)', 'Recusas por grupo (24 h)']),
    );
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
  // The items read from the status JSON (the others, from /metrics, are checked below).
  const dependents = template.items.filter((i) => i.type === 'DEPENDENT' && i.master_item?.key === master?.key);

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
    // Every dependent item hangs on the agent item or on the /metrics item.
    for (const item of template.items.filter((i) => i.type === 'DEPENDENT')) expect(['pec.rnds.status', 'pec.rnds.metrics'], item.key).toContain(item.master_item?.key);
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

describe('deploy/zabbix: the template\'s /metrics items on real scrapes', () => {
  const template = readZabbixTemplate();
  const http = template.items.find((i) => i.type === 'HTTP_AGENT');
  const fromMetrics = template.items.filter((i) => i.type === 'DEPENDENT' && i.master_item?.key === http?.key);
  const macro = (name: string) => template.macros.find((m) => m.macro === name);
  /** What Zabbix stores for an item from one scrape, before any change step: the pattern's result, or why it failed. */
  const patternOf = (item: ZabbixItem) => item.preprocessing?.find((p) => p.type === 'PROMETHEUS_PATTERN');
  const evaluate = (item: ZabbixItem, text: string) => prometheusPattern(parseExposition(text), patternOf(item)!.parameters!);
  const byKey = (key: string) => fromMetrics.find((i) => i.key === key)!;

  let before: string;
  let after: string;
  let fresh: string;
  beforeAll(async () => {
    // The same installation scraped before and after the host reports a batch, and one where nothing is enabled.
    const closed = await freePort();
    const enabled = await startHarness({ files: [CERTS.aes.file], authUrlProducao: `https://127.0.0.1:${closed}`, reportingToken: 'envios-do-pec-0123456789abcdef' });
    const empty = await startHarness({});
    try {
      expect((await request(enabled.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' })).status).toBe(200);
      before = (await request(enabled.app).get(`${BASE}/metrics`).set(bearer)).text;
      const reported = await request(enabled.app).post(`${BASE}/api/envios`).set('Authorization', 'Bearer envios-do-pec-0123456789abcdef').send(reportedSends());
      expect(reported.body.accepted).toBe(6);
      after = (await request(enabled.app).get(`${BASE}/metrics`).set(bearer)).text;
      fresh = (await request(empty.app).get(`${BASE}/metrics`).set(bearer)).text;
    } finally {
      await enabled.close();
      await empty.close();
    }
  });

  it('when read, then one HTTP agent item reads <base>/metrics with the monitoring token from a secret macro, the path of prometheus.yml, and the sends items hang on it', () => {
    expect(http?.key).toBe('pec.rnds.metrics');
    expect(http?.url).toBe('{$PEC.RNDS.SCHEME}://{HOST.CONN}{$PEC.RNDS.METRICS.PATH}');
    expect(http?.headers).toEqual([{ name: 'Authorization', value: 'Bearer {$PEC.RNDS.MONITORING.TOKEN}' }]);
    expect(macro('{$PEC.RNDS.MONITORING.TOKEN}')).toMatchObject({ type: 'SECRET_TEXT' });
    expect(macro('{$PEC.RNDS.MONITORING.TOKEN}')?.value ?? '').toBe('');
    expect(fs.readFileSync(path.join(DEPLOY, 'prometheus/prometheus.yml'), 'utf8')).toContain(`metrics_path: ${macro('{$PEC.RNDS.METRICS.PATH}')?.value}`);
    expect(fromMetrics.map((i) => i.key).sort()).toEqual(
      ['pec.rnds.clock.skew', 'pec.rnds.problem.clock_skew', 'pec.rnds.problem.credential_refused', 'pec.rnds.sends.direct', 'pec.rnds.sends.last', 'pec.rnds.sends.last_delivered', 'pec.rnds.sends.refused'].sort(),
    );
    // Prometheus pattern first: Zabbix caches the parsed scrape for every dependent item of one collection.
    for (const item of fromMetrics) expect(item.preprocessing?.[0]?.type, item.key).toBe('PROMETHEUS_PATTERN');
  });

  it('when each item\'s Prometheus pattern runs on a real scrape after a reported batch, then it finds the values the batch implies', () => {
    // All but the clock skew, measured only at a token request that reached an RNDS server (none here).
    for (const item of fromMetrics.filter((i) => i.key !== 'pec.rnds.clock.skew')) expect(() => evaluate(item, after), item.key).not.toThrow();
    const change = (key: string) => Number(evaluate(byKey(key), after)) - Number(evaluate(byKey(key), before));
    // SIMPLE_CHANGE between the two collections: 5 direct sends, 3 refused (the centralizador's record is neither).
    expect(byKey('pec.rnds.sends.direct').preprocessing?.[1]?.type).toBe('SIMPLE_CHANGE');
    expect(byKey('pec.rnds.sends.refused').preprocessing?.[1]?.type).toBe('SIMPLE_CHANGE');
    expect(change('pec.rnds.sends.direct')).toBe(5);
    expect(change('pec.rnds.sends.refused')).toBe(3);
    // The latest direct send (just now, any model) and the latest delivered one (40 minutes ago).
    const now = Date.now() / 1000;
    expect(now - Number(evaluate(byKey('pec.rnds.sends.last'), after))).toBeGreaterThanOrEqual(0);
    expect(now - Number(evaluate(byKey('pec.rnds.sends.last'), after))).toBeLessThan(60);
    expect(now - Number(evaluate(byKey('pec.rnds.sends.last_delivered'), after))).toBeGreaterThanOrEqual(39 * 60);
    expect(now - Number(evaluate(byKey('pec.rnds.sends.last_delivered'), after))).toBeLessThan(41 * 60);
    // The last direct send was refused for the credential (ERR881).
    expect(evaluate(byKey('pec.rnds.problem.credential_refused'), before)).toBe(0);
    expect(evaluate(byKey('pec.rnds.problem.credential_refused'), after)).toBe(1);
    expect(evaluate(byKey('pec.rnds.problem.clock_skew'), after)).toBe(0);
  });

  it('when nothing was ever reported or measured, then the items without a value discard it (never an error) and the counters read 0', () => {
    for (const scrape of [before, fresh]) {
      for (const item of fromMetrics) {
        let failed = false;
        try {
          evaluate(item, scrape);
        } catch {
          failed = true;
        }
        if (failed) expect(patternOf(item)!.error_handler, `${item.key} sem valor`).toBe('DISCARD_VALUE');
      }
      expect(evaluate(byKey('pec.rnds.sends.direct'), scrape)).toBe(0);
      expect(evaluate(byKey('pec.rnds.sends.refused'), scrape)).toBe(0);
    }
    expect(() => evaluate(byKey('pec.rnds.sends.last'), fresh)).toThrow();
  });

  it('when a status regex is not anchored, then this check notices it: Zabbix searches, so "ENVIADO" also counts ENVIADO_CENTRALIZADOR', () => {
    const samples = parseExposition(after);
    const loose = prometheusPattern(samples, ['pec_rnds_sends_total{status=~"ENVIADO"}', 'function', 'sum']);
    const anchored = prometheusPattern(samples, ['pec_rnds_sends_total{status=~"^(ENVIADO)$"}', 'function', 'sum']);

    expect(loose).toBe(3);
    expect(anchored).toBe(2);
  });

  it('when the triggers are read, then they cover credential refused, clock skew, no send for 24 h after a day with sends, and over 20 % of at least 20 sends refused in the hour, the thresholds of the Prometheus rules', () => {
    const T = template.template;
    const expressions = template.triggers.map((t) => t.expression);
    const rules = new Map(alertExpressions().map((a) => [a.alert, a.expr]));

    expect(expressions).toContain(`last(/${T}/pec.rnds.problem.credential_refused)=1`);
    expect(expressions).toContain(`last(/${T}/pec.rnds.problem.clock_skew)=1`);
    expect(expressions).toContain(`now()-last(/${T}/pec.rnds.sends.last)>86400 and sum(/${T}/pec.rnds.sends.direct,24h:now-24h)>0`);
    expect(rules.get('PecRndsNoSends')).toContain('> 86400');
    expect(expressions).toContain(
      `100*sum(/${T}/pec.rnds.sends.refused,1h)>{$PEC.RNDS.REFUSED.MAX.PERCENT}*sum(/${T}/pec.rnds.sends.direct,1h) and sum(/${T}/pec.rnds.sends.direct,1h)>={$PEC.RNDS.REFUSED.MIN.SENDS}`,
    );
    const percent = Number(macro('{$PEC.RNDS.REFUSED.MAX.PERCENT}')?.value);
    const minimum = Number(macro('{$PEC.RNDS.REFUSED.MIN.SENDS}')?.value);
    expect(rules.get('PecRndsSendsRefused')).toMatch(new RegExp(`\\) > ${percent / 100}\\s`));
    expect(rules.get('PecRndsSendsRefused')).toMatch(new RegExp(`>= ${minimum}$`));
    expect(template.triggers.find((t) => t.expression.includes('credential_refused'))?.priority).toBe('HIGH');
    expect(template.triggers.find((t) => t.expression.includes('pec.rnds.metrics'))?.expression).toBe(`nodata(/${T}/pec.rnds.metrics,30m)=1`);
  });
});
