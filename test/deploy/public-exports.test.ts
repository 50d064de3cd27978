/**
 * The package's public surface, pinned: what a host gets from `import … from 'pec-rnds'` (package.json `exports`,
 * compiled). Adding, removing or retyping an export must be a deliberate change of this list (bull-board's
 * public-interface spec does the same). Internal barrels (module/*\/index.ts) are not part of it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/files.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string>; types: string };

describe('the public exports of the package', () => {
  it('when a host imports the package entry, then it gets exactly createRndsModule and RndsError (both functions)', async () => {
    expect(Object.keys(pkg.exports)).toEqual(['.']);
    const entry = path.join(ROOT, pkg.exports['.']!);
    expect(fs.existsSync(entry), `${entry} is missing: run \`npm run build\` first (\`npm test\` does)`).toBe(true);

    const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;

    expect(Object.keys(mod).sort().map((name) => [name, typeof mod[name]])).toEqual([
      ['RndsError', 'function'],
      ['createRndsModule', 'function'],
    ]);
  });

  it('when a host reads the type declarations, then the exported names are the pinned ones', () => {
    const dts = fs.readFileSync(path.join(ROOT, pkg.types), 'utf8');
    const statements = dts
      .split('\n')
      .filter((line) => line.startsWith('export '))
      .map((line) => line.replace(/\s*\{$/, '').replace(/\(.*$/, '').trim())
      .sort();

    expect(statements).toEqual([
      'export declare function createRndsModule',
      'export interface RndsModule',
      "export type * from './types.js';",
      "export type { RndsModuleOptions, AuthorizeHook, AuthorizeResult, Logger } from './config/options.js';",
      "export { RndsError } from './errors.js';",
    ].sort());
  });

  it('when a host reads the contract types (re-exported from types.ts), then their names are the pinned ones', () => {
    const dts = fs.readFileSync(path.join(ROOT, path.dirname(pkg.types), 'types.d.ts'), 'utf8');
    const names = [...dts.matchAll(/^export (?:declare )?(?:type|interface|const) ([A-Za-z]+)/gm)].map((m) => m[1]).sort();

    expect(names).toEqual([
      'AlertChannel', 'AlertsInfo', 'CONNECTION', 'CertificateSummary', 'ChavesDirInfo', 'Connection', 'ConnectionStatus',
      'ConnectionStep', 'ContraChaveOrigin', 'EnabledInfo', 'Entry', 'EntryStatus', 'Environment', 'Problem', 'ProblemCode',
      'ProblemSeverity', 'RenewalInfo', 'Service', 'ServiceConnection', 'State', 'Status', 'StepName',
    ]);
  });
});
