/** The repository's folders and fresh temp folders, for every test. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The repository root (the folder holding package.json). */
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A fresh folder under os.tmpdir(); the caller removes it. */
export function tempDir(prefix = 'pec-rnds-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A fresh folder under os.tmpdir() and the function that removes it. */
export async function tempRoot(prefix = 'pec-rnds-'): Promise<{ base: string; cleanup: () => Promise<void> }> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  return { base, cleanup: () => fsp.rm(base, { recursive: true, force: true }) };
}
