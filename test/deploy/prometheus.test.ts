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
import { PROBLEM_SEVERITY, SEND_STATUSES } from '../../module/enums.js';

const promtool = which('promtool');
const RULES = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.yml');
const RULE_TESTS = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.test.yml');
/** PecRndsNoSends' cases cover three days: their own file, evaluated every 5 minutes instead of every minute. */
const RULE_TESTS_24H = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.24h.test.yml');
const TEST_FILES = [RULE_TESTS, RULE_TESTS_24H].map((file) => path.basename(file));
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

  it('when read, then they cover disabled, degraded, connection failing, expiring (warning under 28 days, critical under 14), expired, the target gone, and the reported sends: credential refused, no send for 24 h, over 20 % refused, clock skew', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));

    expect([...byName.keys()].sort()).toEqual(
      [
        'PecRndsCertificateExpired',
        'PecRndsCertificateExpiring',
        'PecRndsCertificateExpiringSoon',
        'PecRndsConnectionFailing',
        'PecRndsDegraded',
        'PecRndsDisabled',
        'PecRndsTargetDown',
        'PecRndsCredentialRefused',
        'PecRndsNoSends',
        'PecRndsSendsRefused',
        'PecRndsClockSkew',
      ].sort(),
    );
    // The Status problems keep their severity in the alerts.
    expect(byName.get('PecRndsCredentialRefused')!.expr).toContain('code="RNDS_CREDENTIAL_REFUSED"');
    expect(byName.get('PecRndsCredentialRefused')!.labels.severity).toBe(PROBLEM_SEVERITY.RNDS_CREDENTIAL_REFUSED);
    expect(byName.get('PecRndsClockSkew')!.expr).toContain('code="CLOCK_SKEW"');
    expect(byName.get('PecRndsClockSkew')!.labels.severity).toBe(PROBLEM_SEVERITY.CLOCK_SKEW);
    // Refused means the three statuses of a send that did not reach RNDS; the rest of the enum is delivered.
    const refused = byName.get('PecRndsSendsRefused')!.expr.match(/status=~"([^"]+)"/)![1]!.split('|');
    expect(refused.sort()).toEqual(SEND_STATUSES.filter((s) => !s.startsWith('ENVIADO')).sort());
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
    const tests = [RULE_TESTS, RULE_TESTS_24H].flatMap((file) =>
      (parse(fs.readFileSync(file, 'utf8')) as { tests: Array<{ alert_rule_test: AlertTest[] }> }).tests.flatMap((t) => t.alert_rule_test),
    );

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
    const result = run(['test', 'rules', ...TEST_FILES], path.dirname(RULE_TESTS));

    expect(result.output.match(/SUCCESS/g)).toHaveLength(TEST_FILES.length);
    expect(result.status).toBe(0);
  });

  it('when a threshold moves by two minutes (warning at 28 days + 2 min), then the unit tests fail: they really pin the thresholds', () => {
    fs.copyFileSync(RULE_TESTS, path.join(work, 'pec-rnds-alerts.test.yml'));
    fs.writeFileSync(path.join(work, 'pec-rnds-alerts.yml'), fs.readFileSync(RULES, 'utf8').replace('< 28 * 86400', '< 28 * 86400 + 120'));

    const result = run(['test', 'rules', 'pec-rnds-alerts.test.yml'], work);

    expect(result.status).not.toBe(0);
    expect(result.output).toContain('PecRndsCertificateExpiringSoon');
  });

  // The sends alerts' thresholds, each moved a little both ways: the unit tests have a case on each side of it.
  it.each([
    ['PecRndsSendsRefused', 'more than 20 % refused → 21 %', ') > 0.2\n', ') > 0.21\n'],
    ['PecRndsSendsRefused', 'more than 20 % refused → 19 %', ') > 0.2\n', ') > 0.19\n'],
    ['PecRndsSendsRefused', 'at least 20 direct sends → 21', '>= 20\n', '>= 21\n'],
    ['PecRndsSendsRefused', 'at least 20 direct sends → 19', '>= 20\n', '>= 19\n'],
    ['PecRndsNoSends', 'no send for 24 h → 24 h less 5 min', '> 86400)', '> 86100)'],
    ['PecRndsNoSends', 'sends the day before → any status, the centralizador too', 'status!="ENVIADO_CENTRALIZADOR"}[1d]', 'status=~".+"}[1d]'],
  ])('when the %s threshold moves (%s), then the unit tests fail', (alert, _what, from, to) => {
    const source = fs.readFileSync(RULES, 'utf8');
    expect(source, from).toContain(from);
    const file = alert === 'PecRndsNoSends' ? RULE_TESTS_24H : RULE_TESTS;
    fs.copyFileSync(file, path.join(work, path.basename(file)));
    fs.writeFileSync(path.join(work, 'pec-rnds-alerts.yml'), source.replace(from, to));

    const result = run(['test', 'rules', path.basename(file)], work);

    expect(result.status).not.toBe(0);
    expect(result.output).toContain(alert);
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
