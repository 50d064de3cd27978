/**
 * docs/openapi.json and docs/CONTRACT.md are generated (`npm run contract`): they must be what the generator writes
 * from today's schemas, error table and routes, and they must name every error code and environment variable the
 * code uses. The model is bull-board's openapi.spec.ts: the document is regenerated in memory and compared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBLEM_SEVERITY } from '../../module/enums.js';
import { ERRORS } from '../../module/errors.js';
import { CONTRACT_ROUTES, generateContract } from '../../scripts/lib/contract.js';
import { ROOT } from './support.js';

const committed = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Every .ts file under the given folders of the repository. */
function sources(...dirs: string[]): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) out.push({ file: rel, text: committed(rel) });
    }
  };
  for (const dir of dirs) walk(dir);
  return out;
}

/** The rows of the markdown table that starts with `header`: first cell (without backticks) → the other cells. */
function table(markdown: string, header: string): Map<string, string[]> {
  const start = markdown.indexOf(header);
  if (start < 0) throw new Error(`no table "${header}"`);
  const rows = new Map<string, string[]>();
  for (const line of markdown.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    rows.set(cells[0]!.replace(/`/g, ''), cells.slice(1));
  }
  return rows;
}

describe('the generated contract', () => {
  const generated = generateContract(ROOT);

  it('when docs/openapi.json and docs/CONTRACT.md are compared with a fresh generation, then both are up to date (else run npm run contract)', () => {
    expect(Object.keys(generated).sort()).toEqual(['docs/CONTRACT.md', 'docs/openapi.json']);
    for (const [file, text] of Object.entries(generated)) {
      expect(committed(file), `${file} is stale: run npm run contract and commit it`).toBe(text);
    }
  });

  it('when the code raises an error code, then docs/CONTRACT.md lists it with its HTTP status and openapi.json knows it', () => {
    const raised = new Set<string>(Object.keys(ERRORS));
    for (const { text } of sources('module', 'scripts')) {
      for (const m of text.matchAll(/new RndsError\(\s*'([A-Z_]+)'/g)) raised.add(m[1]!);
    }
    const documented = table(generated['docs/CONTRACT.md']!, '| code | HTTP | when |');
    const openapi = JSON.parse(generated['docs/openapi.json']!) as { components: { schemas: { ErrorCode: { enum: string[] } } } };

    expect(raised.size).toBeGreaterThanOrEqual(25);
    for (const code of raised) {
      expect(documented.get(code)?.[0], `${code} in docs/CONTRACT.md's error table`).toBe(String(ERRORS[code as keyof typeof ERRORS]?.status));
    }
    expect([...raised].filter((code) => !openapi.components.schemas.ErrorCode.enum.includes(code))).toEqual([]);
  });

  it('when the code reads an RNDS_* environment variable, then docs/CONTRACT.md has a row for it', () => {
    const declared = new Set<string>();
    const used = new Set<string>();
    for (const { text } of sources('module', 'scripts')) {
      for (const m of text.matchAll(/\b(?:const|let)\s+(RNDS_[A-Z_]+)\b/g)) declared.add(m[1]!);
      for (const m of text.matchAll(/\bRNDS_[A-Z][A-Z_]*\b/g)) used.add(m[0]);
    }
    // Error codes and problem codes (RNDS_CREDENTIAL_REFUSED) share the prefix; they are not variables.
    const variables = [...used].filter((name) => !declared.has(name) && !(name in ERRORS) && !(name in PROBLEM_SEVERITY));
    const documented = table(generated['docs/CONTRACT.md']!, '| variable | meaning | default |');

    expect(variables.length).toBeGreaterThanOrEqual(20);
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('when openapi.json is read, then every $ref resolves and every route of the list is a path with its answers', () => {
    const doc = JSON.parse(generated['docs/openapi.json']!) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const refs = [...generated['docs/openapi.json']!.matchAll(/"\$ref": "#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);

    expect(doc.openapi).toBe('3.1.0');
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((id) => !(id in doc.components.schemas))).toEqual([]);
    for (const route of CONTRACT_ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(operation!.responses).length).toBeGreaterThan(1);
    }
  });
});
