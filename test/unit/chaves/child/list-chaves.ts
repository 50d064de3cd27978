/**
 * Child process for tests that must not run inside the test worker: it lists a chaves folder with the live
 * catalogue, tries to read every entry, optionally probes one path with a stale lstat, closes, and then simply
 * ends — no process.exit(), so a dangling watcher, timer or blocked read would keep it alive.
 * Usage: list-chaves.ts <dir> [--probe <path> <regular file whose lstat to pretend>]
 */
import { lstat } from 'node:fs/promises';
import { ChavesCatalogue } from '../../../../module/chaves/index.js';
import { readFileSafely } from '../../../../module/chaves/safe-read.js';

const [dir, flag, probePath, pretendPath] = process.argv.slice(2);
if (!dir) throw new Error('uso: list-chaves.ts <pasta> [--probe <caminho> <arquivo comum>]');

const catalogue = new ChavesCatalogue({ dir });
await catalogue.start();
const reads: Record<string, string> = {};
for (const entry of catalogue.list()) {
  try {
    const { sha256 } = await catalogue.readEntry(entry.file);
    reads[entry.file] = sha256;
  } catch (error) {
    reads[entry.file] = (error as { code?: string }).code ?? 'ERROR';
  }
}
let probe: string | undefined;
if (flag === '--probe' && probePath && pretendPath) {
  probe = (await readFileSafely(probePath, 65536, await lstat(pretendPath))).kind;
}
const output = { uid: process.getuid?.(), dirInfo: catalogue.dirInfo(), entries: catalogue.list(), reads, probe };
await catalogue.close();
process.stdout.write(JSON.stringify(output));
