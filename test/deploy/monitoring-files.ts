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
  triggers?: Array<{ expression: string; name: string; priority: string }>;
}
export interface ZabbixTemplate {
  template: string;
  items: ZabbixItem[];
  triggers: Array<{ expression: string; name: string; priority: string }>;
}

export function readZabbixTemplate(): ZabbixTemplate {
  const doc = parse(fs.readFileSync(ZABBIX_TEMPLATE, 'utf8')) as {
    zabbix_export: { templates: Array<{ template: string; items: ZabbixItem[] }>; triggers?: ZabbixTemplate['triggers'] };
  };
  const template = doc.zabbix_export.templates[0]!;
  return {
    template: template.template,
    items: template.items,
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
