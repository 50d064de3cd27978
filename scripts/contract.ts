/**
 * `npm run contract`: writes docs/openapi.json and docs/CONTRACT.md from the contract's schemas, error table and
 * routes (scripts/lib/contract.ts) and the prose of scripts/contract.template.md. Run it after changing any of them;
 * test/deploy/contract.test.ts fails while the committed documents differ from what this writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TEMPLATE_PATH, generateContract } from './lib/contract.js';

/** The repository root: from scripts/ (tsx) or dist/scripts/ (built), the nearest folder up holding the template. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, TEMPLATE_PATH))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`${TEMPLATE_PATH} não encontrado acima de ${from}.`);
  }
}

const root = findRoot(import.meta.dirname);
for (const [file, text] of Object.entries(generateContract(root))) {
  const target = path.join(root, file);
  const before = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
  if (before === text) {
    console.log(`${file}: sem mudanças`);
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
    console.log(`${file}: atualizado`);
  }
}
