/**
 * deploy/prometheus with the real engine (the Debian `prometheus` package, installed by .ci/run): promtool checks
 * the rules and the example configuration, and runs the rule unit tests of pec-rnds-alerts.test.yml.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/files.js';
import { parse } from 'yaml';
import { DEPLOY, which } from './support.js';
import { MONITORING_CRITICAL_DAYS, MONITORING_WARNING_DAYS } from '../../module/present/index.js';

const promtool = which('promtool');
const RULES = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.yml');
const RULE_TESTS = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.test.yml');
const CONFIG = path.join(DEPLOY, 'prometheus/prometheus.yml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
}

export function readRules(file = RULES): Rule[] {
  const doc = parse(fs.readFileSync(file, 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

function run(args: string[], cwd: string) {
  const result = spawnSync(promtool!, args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('deploy/prometheus: the alert rules', () => {
  const rules = readRules();

  it('when read, then they cover disabled, degraded, connection failing, expiring (warning under 28 days, critical under 14), expired and the target gone', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));

    expect([...byName.keys()].sort()).toEqual(
      ['PecRndsCertificateExpired', 'PecRndsCertificateExpiring', 'PecRndsCertificateExpiringSoon', 'PecRndsConnectionFailing', 'PecRndsDegraded', 'PecRndsDisabled', 'PecRndsTargetDown'].sort(),
    );
    expect(byName.get('PecRndsCertificateExpiringSoon')!.labels.severity).toBe('warning');
    expect(byName.get('PecRndsCertificateExpiringSoon')!.expr).toContain(`${MONITORING_WARNING_DAYS} * 86400`);
    expect(byName.get('PecRndsCertificateExpiring')!.labels.severity).toBe('critical');
    expect(byName.get('PecRndsCertificateExpiring')!.expr).toContain(`${MONITORING_CRITICAL_DAYS} * 86400`);
    for (const rule of rules) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      // pt-BR text that says what to do, naming the installation.
      expect(rule.annotations.summary, rule.alert).toContain('{{ $labels.instance }}');
      expect(rule.annotations.description?.length ?? 0, rule.alert).toBeGreaterThan(60);
    }
  });

  it('when the unit tests are read, then every alert has a case where it fires and a case where it stays quiet', () => {
    const tests = (parse(fs.readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: AlertTest[] }> }).tests.flatMap((t) => t.alert_rule_test);

    for (const rule of rules) {
      const cases = tests.filter((t) => t.alertname === rule.alert);
      expect(cases.some((t) => (t.exp_alerts ?? []).length > 0), `${rule.alert} fires somewhere`).toBe(true);
      expect(cases.some((t) => (t.exp_alerts ?? []).length === 0), `${rule.alert} stays quiet somewhere`).toBe(true);
    }
  });
});

describe.skipIf(!promtool)('deploy/prometheus with promtool (prometheus installed)', () => {
  let work: string;
  beforeAll(() => {
    work = tempDir('pec-rnds-promtool-');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('when promtool checks the rules, then it accepts all of them', () => {
    const result = run(['check', 'rules', RULES], DEPLOY);

    expect(result.output).toContain(`SUCCESS: ${readRules().length} rules found`);
    expect(result.status).toBe(0);
  });

  it('when promtool runs the rule unit tests, then every case passes', () => {
    const result = run(['test', 'rules', RULE_TESTS], path.dirname(RULE_TESTS));

    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('when a threshold moves by two minutes (warning at 28 days + 2 min), then the unit tests fail: they really pin the thresholds', () => {
    fs.copyFileSync(RULE_TESTS, path.join(work, 'pec-rnds-alerts.test.yml'));
    fs.writeFileSync(path.join(work, 'pec-rnds-alerts.yml'), fs.readFileSync(RULES, 'utf8').replace('< 28 * 86400', '< 28 * 86400 + 120'));

    const result = run(['test', 'rules', 'pec-rnds-alerts.test.yml'], work);

    expect(result.status).not.toBe(0);
    expect(result.output).toContain('PecRndsCertificateExpiringSoon');
  });

  it('when the example prometheus.yml is checked (its token and rule paths pointed at test copies), then promtool accepts it', () => {
    const tokenFile = path.join(work, 'token');
    fs.writeFileSync(tokenFile, 'monitoramento-0123456789abcdef', { mode: 0o400 });
    const config = fs
      .readFileSync(CONFIG, 'utf8')
      .replaceAll('/etc/prometheus/pec-rnds-monitoring-token', tokenFile)
      .replaceAll('/etc/prometheus/pec-rnds-alerts.yml', RULES);
    fs.writeFileSync(path.join(work, 'prometheus.yml'), config);

    const result = run(['check', 'config', path.join(work, 'prometheus.yml')], work);

    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
    expect(config).toMatch(/job_name: pec-rnds\b/);
  });
});
