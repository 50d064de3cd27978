/**
 * `npm run bench`: runs every benchmark section in scripts/bench/, in file-name order, and prints
 * their figures. A section file exports either `section: BenchSection` ({ title, run }) or a bare
 * `run()`; lib.* holds shared helpers. Timings are medians measured in the same run as their
 * baseline, so ratios stay meaningful on a busy machine. `npm run bench -- pkcs12` runs only the
 * files whose name contains "pkcs12"; `--quick` asks the sections that know it for fewer, shorter rounds.
 * Not part of `npm test`: speed is only ever measured here, never asserted in a test.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSection } from './bench/lib.js';

const extension = path.extname(fileURLToPath(import.meta.url)); // .ts under tsx, .js once built
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench');
const only = process.argv.slice(2).find((arg) => !arg.startsWith('--'));

console.log(`pec-rnds bench — Node ${process.version}, ${process.platform}/${process.arch}`);
const files = readdirSync(dir)
  .filter((file) => file.endsWith(extension) && !file.endsWith(`.d${extension}`) && !file.startsWith('lib.'))
  .sort();
for (const file of files) {
  if (only && !file.includes(only)) continue;
  const loaded = (await import(pathToFileURL(path.join(dir, file)).href)) as {
    section?: BenchSection;
    run?: () => Promise<void>;
  };
  const section = loaded.section ?? (loaded.run ? { title: path.basename(file, extension), run: loaded.run } : null);
  if (!section) continue;
  console.log(`\n== ${section.title}`);
  await section.run();
}
