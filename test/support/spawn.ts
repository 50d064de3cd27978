/**
 * Children run from compiled JS (dist/, built by `npm run build`, which `npm test` runs first): starting
 * `node --import tsx` costs a TypeScript compile per child, which on a loaded machine was most of a test's time.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The repository root (the folder holding package.json). */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** The compiled JS of a TypeScript source given relative to the root, e.g. `scripts/serve.ts`. */
export function compiled(source: string): string {
  const file = path.join(ROOT, 'dist', source.replace(/\.ts$/, '.js'));
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (\`npm test\` does).`);
  return file;
}
