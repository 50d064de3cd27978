#!/usr/bin/env node
/**
 * Builds dist/ with tsc. Plain JavaScript: it runs before anything is compiled.
 *
 *   node scripts/build.mjs              always build (npm run build, npm test)
 *   node scripts/build.mjs --if-stale   build only when a source is newer than the last build (npm start, status,
 *                                       inspect…): saves tsc's 3–4 s on every support command
 *   node scripts/build.mjs --clean      empty dist/ first, then build (prepare: npm pack and git installs ship no
 *                                       leftovers of deleted sources)
 *
 * "Newer" = the mtime of any file or folder under module/ and scripts/, tsconfig.json or package.json is later than
 * dist/.build-stamp, whose mtime is set to when the last successful build *started* (an edit made during a build
 * counts as newer). Folder mtimes catch deleted and renamed files. A failed build removes the stamp.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const SOURCES = ['module', 'scripts', 'tsconfig.json', 'package.json'];

/** The latest mtime (ms) of a file, or of a folder and everything under it. */
function newestMtime(target) {
  let stat;
  try {
    stat = fs.lstatSync(target);
  } catch {
    return 0;
  }
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, name)));
  }
  return newest;
}

function isStale() {
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return true;
  }
  return SOURCES.some((source) => newestMtime(path.join(root, source)) > built);
}

function build({ clean }) {
  let tsc;
  try {
    tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write(
      'pec-rnds: é preciso compilar (dist/ está ausente ou mais antigo que o código), mas o TypeScript não está instalado ' +
        '(instalação com --omit=dev ou depois de npm prune). Rode "npm ci" e depois "npm run build" nesta pasta.\n',
    );
    return 1;
  }
  if (clean) fs.rmSync(dist, { recursive: true, force: true });
  fs.rmSync(stamp, { force: true });
  const started = new Date();
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('pec-rnds: a compilação falhou (erros acima). Corrija o código ou rode "npm ci" de novo.\n');
    return result.status ?? 1;
  }
  fs.writeFileSync(stamp, '');
  fs.utimesSync(stamp, started, started);
  return 0;
}

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--if-stale' && a !== '--clean');
if (unknown.length > 0) {
  process.stderr.write(`Opção desconhecida: ${unknown.join(' ')}. Use --if-stale ou --clean.\n`);
  process.exit(2);
}
if (args.includes('--if-stale') && !isStale()) process.exit(0);
process.exit(build({ clean: args.includes('--clean') }));
