/** Reads the monitoring files of deploy/ (Grafana dashboard, Zabbix template, Prometheus rules) for the tests. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEPLOY } from './support.js';

export const DASHBOARD = path.join(DEPLOY, 'grafana/pec-rnds.json');
export const ZABBIX_TEMPLATE = path.join(DEPLOY, 'zabbix/pec-rnds-template.yaml');
export const ALERT_RULES = path.join(DEPLOY, 'prometheus/pec-rnds-alerts.yml');

interface Panel {
  id: number;
  type: string;
  title: string;
  repeat?: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
export interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: { query: string } | string; definition?: string }> };
}

export function readDashboard(): Dashboard {
  return JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Every PromQL query of the dashboard (panels and variables), with the panel it belongs to. */
export function dashboardQueries(): Array<{ title: string; expr: string }> {
  const dashboard = readDashboard();
  const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
  return panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
}

/** The variables' label_values(...) queries. */
export function dashboardVariableQueries(): Array<{ name: string; query: string }> {
  return readDashboard()
    .templating.list.filter((v) => v.type === 'query')
    .map((v) => ({ name: v.name, query: typeof v.query === 'string' ? v.query : (v.query?.query ?? '') }));
}

/** Every alert expression of deploy/prometheus. */
export function alertExpressions(): Array<{ alert: string; expr: string }> {
  const doc = parse(fs.readFileSync(ALERT_RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}

export interface ZabbixItem {
  key: string;
  name: string;
  type?: string;
  value_type: string;
  preprocessing?: Array<{ type: string; parameters?: string[]; error_handler?: string }>;
  master_item?: { key: string };
  url?: string;
  headers?: Array<{ name: string; value: string }>;
  triggers?: Array<{ expression: string; name: string; priority: string }>;
}
export interface ZabbixTemplate {
  template: string;
  items: ZabbixItem[];
  macros: Array<{ macro: string; value?: string; type?: string }>;
  triggers: Array<{ expression: string; name: string; priority: string }>;
}

export function readZabbixTemplate(): ZabbixTemplate {
  const doc = parse(fs.readFileSync(ZABBIX_TEMPLATE, 'utf8')) as {
    zabbix_export: { templates: Array<{ template: string; items: ZabbixItem[]; macros?: ZabbixTemplate['macros'] }>; triggers?: ZabbixTemplate['triggers'] };
  };
  const template = doc.zabbix_export.templates[0]!;
  return {
    template: template.template,
    items: template.items,
    macros: template.macros ?? [],
    triggers: [...template.items.flatMap((i) => i.triggers ?? []), ...(doc.zabbix_export.triggers ?? [])],
  };
}

/** Zabbix's JSONPath, the subset the template may use: `$.a.b.c`. Returns undefined when a step is missing. */
export function resolveJsonPath(document: unknown, jsonPath: string): unknown {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(jsonPath)) throw new Error(`JSONPath fora do subconjunto testado: ${jsonPath}`);
  let value: unknown = document;
  for (const step of jsonPath.slice(2).split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/** The metric names a PromQL expression reads (identifiers followed by a selector or standing alone, not functions). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, '');
  for (const m of stripped.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || /^(and|or|unless|bool|offset)$/.test(name!)) continue;
    names.add(name!);
  }
  return [...names];
}

/** The `name{label="value", …}` selectors of an expression, exact matchers only (variables and regexes skipped). */
export function exactMatchers(expr: string): Array<{ metric: string; label: string; value: string }> {
  const out: Array<{ metric: string; label: string; value: string }> = [];
  for (const m of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    for (const pair of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"$]*)"/g)) out.push({ metric: m[1]!, label: pair[1]!, value: pair[2]! });
  }
  return out;
}

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a /metrics answer (comments skipped; label values unescaped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) throw new Error(`linha fora do formato do Prometheus: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/**
 * Zabbix's "Prometheus pattern" preprocessing, the part the template uses: `name{label="v", label=~"re"}` (Zabbix's
 * regular expressions search, they are not anchored: `=~"ENVIADO"` also matches ENVIADO_CENTRALIZADOR) and the output
 * `value` (exactly one sample, else Zabbix fails the step), `label` (that label of the one sample) or `function` (sum,
 * min, max, avg, count over the samples; none matched fails the step). A failed step throws.
 */
export function prometheusPattern(samples: Sample[], [pattern, output, argument]: string[]): number | string {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$/.exec(pattern ?? '');
  if (!m) throw new Error(`padrão fora do subconjunto testado: ${pattern}`);
  const matchers = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(([, label, op, value]) => ({ label: label!, op, value: value! }));
  const matched = samples.filter(
    (s) => s.name === m[1] && matchers.every(({ label, op, value }) => (op === '=' ? s.labels[label] === value : new RegExp(value).test(s.labels[label] ?? ''))),
  );
  if (output === 'value' || output === 'label') {
    if (matched.length !== 1) throw new Error(`${pattern}: ${matched.length} amostras (o Zabbix exige exatamente uma)`);
    if (output === 'value') return matched[0]!.value;
    const label = matched[0]!.labels[argument ?? ''];
    if (label === undefined) throw new Error(`${pattern}: sem o rótulo ${argument}`);
    return label;
  }
  if (output !== 'function') throw new Error(`${pattern}: saída ${output} fora do subconjunto testado`);
  if (matched.length === 0) throw new Error(`${pattern}: nenhuma amostra`);
  const values = matched.map((s) => s.value);
  switch (argument) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'count':
      return values.length;
    default:
      throw new Error(`${pattern}: função ${argument} fora do subconjunto testado`);
  }
}

/** RNDS's answer as the host received it: the code and RNDS's text, which names the patient (never to be shown). */
export const PATIENT_CNS = '701000888123456';
const refusedBy = (code: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'processing', diagnostics: `(${code}) Recusado para o paciente: Patient/${PATIENT_CNS}` }],
});
/**
 * An hour of the host's sends as POST /api/envios receives them: five direct sends (every model; ENVIADO twice, then
 * DADOS_INVALIDOS, SEM_CONEXAO and, at `now`, FALHA_CREDENCIAL by ERR881 — after an enable made before this call, so
 * the Status has RNDS_CREDENTIAL_REFUSED), and one record that reached RNDS later by the centralizador (not direct). `prefix` makes the record ids of another batch.
 */
export function reportedSends(now = Date.now(), prefix = '2204681-registro') {
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  return {
    envios: [
      { at: at(50), model: 'RAC', recordId: `${prefix}-1`, httpStatus: 201, rndsId: 'Composition/1' },
      { at: at(40), model: 'RIA-C', recordId: `${prefix}-2`, httpStatus: 201 },
      { at: at(30), model: 'RIA-R', recordId: `${prefix}-3`, httpStatus: 422, operationOutcome: refusedBy('EHR-ERR983') },
      { at: at(20), model: 'RPM', recordId: `${prefix}-4`, failure: 'no-connection', detail: 'ETIMEDOUT' },
      { at: at(0), model: 'RAC', recordId: `${prefix}-5`, httpStatus: 422, operationOutcome: refusedBy('EHR-ERR881') },
      { at: at(5), model: 'RIA-R', recordId: `${prefix}-3`, delivery: 'ENVIADO_CENTRALIZADOR' },
    ],
  };
}
