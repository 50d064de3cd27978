/**
 * The HTTP contract as documents: docs/openapi.json (OpenAPI 3.1, its components from zod's JSON Schema export of
 * module/contract/schemas.ts) and docs/CONTRACT.md (scripts/contract.template.md's prose with the tables filled in
 * from the same data: routes, shapes, error codes, environment variables, exit codes). Pure: `npm run contract`
 * writes what this returns, and test/deploy/contract.test.ts compares it with what is committed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { contractRegistry } from '../../module/contract/schemas.js';
import { ENV_VARIABLES } from '../../module/config/env.js';
import { ROUTES, type Route, type RouteResponse } from '../../module/http/routes.js';
import { enableInputSchema, renewInputSchema } from '../../module/enablement/inputs.js';
import { reportSchema } from '../../module/sends/inputs.js';
import { ERRORS, ERROR_CODES, type ErrorCode } from '../../module/errors.js';
import { EXIT } from './cli.js';

// The request bodies are the schemas the module validates with; they get their component names here.
contractRegistry.add(reportSchema, { id: 'SendsReport', description: 'The host reports 1–1000 direct sends (1 MiB at most); each has exactly one of `httpStatus`, `failure` or `delivery`.' });
contractRegistry.add(enableInputSchema, { id: 'EnableRequest', description: 'The body of an enable: `file` is exactly the `file` of a listed entry, never a path.' });
contractRegistry.add(renewInputSchema, { id: 'RenewRequest', description: 'Nothing required; `sha256` pins the file the screen showed; `checkRnds` defaults to `true`.' });

/** Who may call a route. */
export type RouteAccess =
  /** Anyone: says nothing secret. */
  | 'public'
  /** The access token (Bearer) or an admin session; cookie requests that change state also need the CSRF token. */
  | 'admin'
  /** Like `admin`, and also the read-only monitoring token. */
  | 'monitoring'
  /** The access token as `Authorization: Bearer` only: never a browser session. */
  | 'bearer'
  /** Like `admin`, and also the reporting token (which may call nothing else). */
  | 'reporting';

/** One route of the contract, as the documents show it. */
export interface ContractRoute {
  method: 'GET' | 'POST';
  path: string;
  access: RouteAccess;
  summary: string;
  body?: z.ZodType;
  /** A JSON answer's schema, or the media type of anything else (HTML, an event stream, Prometheus text, a redirect). */
  response: z.ZodType | { type: string; status?: number; description: string };
  /** The route's own error codes; the ones every route of its access can answer are added (see `errorsOf`). */
  errors: ErrorCode[];
}

/** The media type of each kind of answer the route table names. */
const MEDIA_TYPE: Record<RouteResponse['type'], string> = {
  json: 'application/json',
  html: 'text/html',
  text: 'text/plain',
  'event-stream': 'text/event-stream',
  csv: 'text/csv',
  redirect: 'text/html',
};

const ACCESS: Record<Route['who'], RouteAccess> = { public: 'public', monitoring: 'monitoring', admin: 'admin' };

/** The contract's view of one entry of the route table (module/http/routes.ts): the document cannot name a route the code lacks. */
function contractRoute(route: Route): ContractRoute {
  const { response } = route;
  return {
    method: route.method === 'get' ? 'GET' : 'POST',
    path: route.path,
    access: route.bearerOnly ? 'bearer' : route.reporting ? 'reporting' : ACCESS[route.who],
    summary: route.summary,
    ...(route.body?.type === 'json' ? { body: route.body.schema } : {}),
    response: response.schema ?? { type: MEDIA_TYPE[response.type], status: response.status, description: response.description },
    errors: [...route.errors],
  };
}

/** Every route of the module, from the route table. */
export const CONTRACT_ROUTES: ContractRoute[] = ROUTES.map(contractRoute);

/** The route's own codes plus what any route of its kind can answer, in the order of ERRORS. */
function errorsOf(route: ContractRoute): ErrorCode[] {
  const codes = new Set<ErrorCode>(route.errors);
  codes.add('HOST_NOT_ALLOWED').add('NOT_FOUND').add('INTERNAL');
  if (route.access !== 'public') codes.add('UNAUTHENTICATED').add('FORBIDDEN').add('TOO_MANY_LOGINS');
  if (route.method === 'POST') codes.add('PAYLOAD_TOO_LARGE');
  if (route.body) codes.add('INVALID_INPUT');
  return ERROR_CODES.filter((code) => codes.has(code));
}

/** What `npm run status` exits with (the monitoring-plugin convention). */
const EXIT_MEANINGS: Record<keyof typeof EXIT, string> = {
  OK: 'enabled and healthy',
  WARNING: 'a warning (e.g. `CERTIFICATE_EXPIRING`, server not answering)',
  CRITICAL: 'disabled or degraded',
  UNKNOWN: 'it could not tell',
};

type JsonSchema = z.core.JSONSchema.BaseSchema;

/** The components: every schema of the contract registry, as JSON Schema 2020-12 (OpenAPI 3.1's dialect). */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(contractRegistry, {
    target: 'draft-2020-12',
    metadata: contractRegistry,
    uri: (id) => `#/components/schemas/${id}`,
    override: ({ jsonSchema }) => {
      // `format: date-time` says it; zod's long regex for it only makes the document unreadable.
      if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
    },
  });
  const out: Record<string, JsonSchema> = {};
  for (const id of Object.keys(schemas).sort()) {
    const { $schema: _schema, $id: _id, ...rest } = schemas[id]!;
    out[id] = rest;
  }
  return out;
}

function idOf(schema: z.ZodType): string {
  const id = contractRegistry.get(schema)?.id;
  if (!id) throw new Error('a route names a schema that is not in the contract registry');
  return id;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** docs/openapi.json. */
function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of CONTRACT_ROUTES) {
    const responses: Record<string, object> = {};
    const { response } = route;
    if (response instanceof z.ZodType) {
      responses['200'] = { description: route.summary, content: { 'application/json': { schema: ref(idOf(response)) } } };
    } else {
      responses[String(response.status ?? 200)] = { description: response.description, ...(response.status === 303 ? {} : { content: { [response.type]: {} } }) };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of errorsOf(route)) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
      responses[String(status)] = {
        description: codes.map((code) => `\`${code}\`: ${ERRORS[code].when}`).join('; '),
        content: { 'application/json': { schema: ref('Error') } },
      };
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      'x-access': route.access,
      security: SECURITY[route.access],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(idOf(route.body)) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pec-rnds',
      version,
      description: 'The HTTP contract of pec-rnds (docs/CONTRACT.md). Generated by `npm run contract`: edit module/contract/schemas.ts and scripts/lib/contract.ts, not this file.',
    },
    // `base`: where the module is mounted (RNDS_BASE_PATH, or the host app's path).
    servers: [{ url: '{base}', variables: { base: { default: '/' } } }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        accessToken: { type: 'http', scheme: 'bearer', description: 'The access token (`RNDS_ACCESS_TOKEN`).' },
        monitoringToken: { type: 'http', scheme: 'bearer', description: 'The read-only monitoring token (`RNDS_MONITORING_TOKEN`).' },
        reportingToken: { type: 'http', scheme: 'bearer', description: 'The token that may only report sends (`RNDS_REPORTING_TOKEN`).' },
        session: { type: 'apiKey', in: 'cookie', name: 'pec_rnds_sessao', description: 'The admin session from `/entrar`; state changes also need the CSRF token.' },
      },
    },
  };
}

const SECURITY: Record<RouteAccess, object[]> = {
  public: [],
  admin: [{ accessToken: [] }, { session: [] }],
  monitoring: [{ accessToken: [] }, { session: [] }, { monitoringToken: [] }],
  bearer: [{ accessToken: [] }],
  reporting: [{ accessToken: [] }, { session: [] }, { reportingToken: [] }],
};

// ---- docs/CONTRACT.md -------------------------------------------------------------------------------------------

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** A JSON Schema as a short type: `string (date-time)`, `Entry[]`, `"ok" \| "no-connection"`, `Status \| null`. */
function typeText(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') {
    const id = schema.$ref.split('/').pop()!;
    return `[${id}](#${anchor(id)})`;
  }
  if (schema.const !== undefined) return code(JSON.stringify(schema.const));
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => code(JSON.stringify(v))).join(' \\| ');
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union) return union.map(typeText).join(' \\| ');
  if (schema.type === 'array') {
    const items = typeText(schema.items as JsonSchema);
    return `${items.includes(' ') ? `(${items})` : items}[]${typeof schema.minItems === 'number' && schema.minItems > 0 ? ` (at least ${schema.minItems})` : ''}`;
  }
  if (Array.isArray(schema.type)) return schema.type.map((type) => typeText({ ...schema, type })).join(' \\| ');
  if (schema.type === 'object' && !schema.properties) {
    const keys = schema.propertyNames as JsonSchema | undefined;
    const value = typeText(schema.additionalProperties as JsonSchema);
    return keys && (keys.$ref || keys.enum) ? `one ${value} per ${typeText(keys)}` : `{ name: ${value} }`;
  }
  if (schema.type === 'object') return 'object';
  const notes: string[] = [];
  if (typeof schema.format === 'string') notes.push(schema.format);
  if (typeof schema.pattern === 'string') notes.push(code(schema.pattern));
  if (typeof schema.minLength === 'number' && schema.minLength > 0) notes.push(`≥ ${schema.minLength} chars`);
  if (typeof schema.maxLength === 'number') notes.push(`≤ ${schema.maxLength} chars`);
  if (typeof schema.minimum === 'number') notes.push(`≥ ${schema.minimum}`);
  if (schema.type === 'null') return 'null';
  return `${String(schema.type)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

function anchor(id: string): string {
  return `shape-${id.toLowerCase()}`;
}

/** The rows of an object's fields; inline objects (and an inline object or null) add their fields as `a.b`. */
function fieldRows(schema: JsonSchema, prefix = ''): string[] {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows: string[] = [];
  for (const [name, field] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const union = (field.anyOf ?? []) as JsonSchema[];
    const inline = field.type === 'object' && field.properties ? field : union.find((s) => s.type === 'object' && s.properties);
    const nullable = union.some((s) => s.type === 'null');
    const type = inline ? `object${nullable ? ' \\| null' : ''}` : typeText(field);
    rows.push(`| ${code(prefix + name)} | ${type} | ${required.has(name) ? 'yes' : 'no'} |`);
    if (inline) rows.push(...fieldRows(inline, `${prefix}${name}.`));
  }
  return rows;
}

function shapesSection(schemas: Record<string, JsonSchema>): string {
  const objects: string[] = [];
  const enums: string[] = [];
  for (const [id, schema] of Object.entries(schemas)) {
    const description = typeof schema.description === 'string' ? schema.description : '';
    if (schema.type === 'object' && schema.properties) {
      objects.push(
        [`<a id="${anchor(id)}"></a>`, `#### ${id}`, ...(description ? ['', description, ''] : ['']), '| field | type | required |', '|---|---|---|', ...fieldRows(schema)].join('\n'),
      );
    } else {
      enums.push(`| <a id="${anchor(id)}"></a>${code(id)} | ${typeText(schema)} | ${cell(description)} |`);
    }
  }
  return [objects.join('\n\n'), '', '#### Value sets', '', '| name | values | meaning |', '|---|---|---|', ...enums].join('\n');
}

function routesSection(): string {
  const rows = CONTRACT_ROUTES.map((route) => {
    const { response } = route;
    const answer = response instanceof z.ZodType ? `\`200\` [${idOf(response)}](#${anchor(idOf(response))})` : `\`${response.status ?? 200}\` ${code(response.type)}`;
    const body = route.body ? `[${idOf(route.body)}](#${anchor(idOf(route.body))})` : '';
    return `| \`${route.method} {base}${route.path === '/' ? '/' : route.path}\` | ${route.access} | ${body} | ${answer} | ${cell(route.summary)} | ${route.errors.map(code).join(', ')} |`;
  });
  return ['| method and path | access | body | answer | what | its own errors |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function errorsSection(): string {
  return ['| code | HTTP | when |', '|---|---|---|', ...ERROR_CODES.map((c) => `| ${code(c)} | ${ERRORS[c].status} | ${cell(ERRORS[c].when)} |`)].join('\n');
}

function envSection(): string {
  return ['| variable | meaning | default |', '|---|---|---|', ...ENV_VARIABLES.map((v) => `| ${code(v.name)} | ${cell(v.meaning)} | ${cell(v.default)} |`)].join('\n');
}

function exitSection(): string {
  return ['| exit code | meaning |', '|---|---|', ...(Object.keys(EXIT) as Array<keyof typeof EXIT>).map((name) => `| \`${EXIT[name]}\` (${name}) | ${EXIT_MEANINGS[name]} |`)].join('\n');
}

export const TEMPLATE_PATH = 'scripts/contract.template.md';

/** docs/CONTRACT.md: the template's `{{name}}` markers replaced by the generated tables. */
function contractMarkdown(template: string): string {
  const parts: Record<string, () => string> = {
    routes: routesSection,
    errors: errorsSection,
    env: envSection,
    'exit-codes': exitSection,
    shapes: () => shapesSection(componentSchemas()),
  };
  const used = new Set<string>();
  const text = template.replace(/\{\{([a-z-]+)\}\}/g, (_, name: string) => {
    const part = parts[name];
    if (!part) throw new Error(`${TEMPLATE_PATH}: unknown marker {{${name}}}`);
    used.add(name);
    return part();
  });
  const missing = Object.keys(parts).filter((name) => !used.has(name));
  if (missing.length > 0) throw new Error(`${TEMPLATE_PATH}: missing markers ${missing.map((m) => `{{${m}}}`).join(', ')}`);
  return text;
}

/** Both documents, as `npm run contract` writes them (paths relative to the repository root). */
export function generateContract(root: string): Record<string, string> {
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    'docs/openapi.json': `${JSON.stringify(openApiDocument(version), null, 2)}\n`,
    'docs/CONTRACT.md': contractMarkdown(fs.readFileSync(path.join(root, TEMPLATE_PATH), 'utf8')),
  };
}
