/**
 * `npm run bench`: runs every benchmark section in scripts/bench/ (files exporting `section`),
 * in file-name order (10-pkcs12, 20-…), and prints their figures. Timings are medians measured
 * in the same run as their baseline, so ratios stay meaningful on a busy machine.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSection } from './bench/lib.js';

const extension = path.extname(fileURLToPath(import.meta.url)); // .ts under tsx, .js once built
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench');
const only = process.argv[2];

console.log(`pec-rnds bench — Node ${process.version}, ${process.platform}/${process.arch}`);
const files = readdirSync(dir)
  .filter((file) => file.endsWith(extension) && !file.endsWith(`.d${extension}`) && /^\d+-/.test(file))
  .sort();
for (const file of files) {
  if (only && !file.includes(only)) continue;
  const { section } = (await import(pathToFileURL(path.join(dir, file)).href)) as { section?: BenchSection };
  if (!section) continue;
  console.log(`\n== ${section.title}`);
  await section.run();
}
