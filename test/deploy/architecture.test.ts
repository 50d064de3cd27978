/**
 * docs/ARCHITECTURE.md names every file under module/, and only files that exist. A file is named by its path
 * relative to module/ (`http/routes.ts`, `module/http/routes.ts`), or in a brace group (`alerts/{index,detect}.ts`);
 * a file at the top of module/ by its bare name (`index.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.js';

const MODULE = path.join(ROOT, 'module');
const DOC = fs.readFileSync(path.join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');

function moduleFiles(dir = MODULE): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return moduleFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(MODULE, full).split(path.sep).join('/')] : [];
  });
}

const FILES = moduleFiles();
const FOLDERS = new Set(FILES.filter((f) => f.includes('/')).map((f) => f.split('/')[0]!));

/** Every module/ path the document writes, braces expanded, relative to module/. */
function namedPaths(doc: string): string[] {
  const named: string[] = [];
  const pattern = /(?<![\w.\-/])(?:module\/)?((?:[a-z0-9-]+\/)+)(?:\{([a-z0-9,-]+)\}|([a-z0-9-]+))\.ts(?![\w])/g;
  for (const match of doc.matchAll(pattern)) {
    const folder = match[1]!;
    if (folder === 'module/') continue; // module/x.ts: the top-level pattern below
    if (!match[0].startsWith('module/') && !FOLDERS.has(folder.split('/')[0]!)) continue;
    const names = match[2] ? match[2].split(',') : [match[3]!];
    for (const name of names) named.push(`${folder}${name}.ts`);
  }
  for (const match of doc.matchAll(/(?<![\w.\-/])module\/([a-z0-9-]+)\.ts(?![\w])/g)) named.push(`${match[1]}.ts`);
  return named;
}

describe('docs/ARCHITECTURE.md and the module/ tree', () => {
  const named = new Set(namedPaths(DOC));

  it('when a file exists under module/, then docs/ARCHITECTURE.md names it', () => {
    expect(FILES.length).toBeGreaterThan(50);
    const topLevel = (file: string) => new RegExp(`(?<![\\w.\\-/])${file.replace(/[.-]/g, '\\$&')}(?![\\w])`).test(DOC);
    const missing = FILES.filter((file) => !named.has(file) && !(!file.includes('/') && topLevel(file)));
    expect(missing, 'files under module/ that docs/ARCHITECTURE.md does not name').toEqual([]);
  });

  it('when docs/ARCHITECTURE.md names a module/ file, then the file exists', () => {
    expect(named.size).toBeGreaterThan(50);
    const gone = [...named].filter((file) => !fs.existsSync(path.join(MODULE, file)));
    expect(gone, 'module/ files named in docs/ARCHITECTURE.md that do not exist').toEqual([]);
  });

  it('when a document names files in full, in braces or at the top of module/, then each is read, existing or not', () => {
    const doc = 'alerts/{index,gone}.ts and module/nothing.ts and http/routes.ts and views/x.ts';
    expect(namedPaths(doc).sort()).toEqual(['alerts/gone.ts', 'alerts/index.ts', 'http/routes.ts', 'nothing.ts']);
  });
});
