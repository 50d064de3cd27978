/** Turning one directory entry into an Entry (shared by the live catalogue and the one-shot scan). */
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ChavesDirInfo, Entry, EntryStatus } from '../types.js';
import { isCertificateFileName } from './file-names.js';
import { renamedReason, statusReason, unusableExtensionOf, unusableReason } from './reasons.js';
import { derCompleteness, readFileSafely, sha256Hex, statKey, type Completeness } from './safe-read.js';

/** How long size and mtime must stay put before a file of unknown format counts as fully written. */
export const DEFAULT_STABLE_MS = 100;

export interface Inspection {
  entry: Entry;
  /** statKey of what was inspected (the open handle's fstat when the file was read). */
  key: string;
  completeness: Completeness | null;
}

/**
 * Inspects `dir/name` given a fresh lstat of it. `isQuiet(stats, key)` answers, for content whose completeness the
 * bytes cannot tell, whether the writer has gone quiet. Returns null when the entry vanished meanwhile.
 */
export async function inspectEntry(
  dir: string,
  name: string,
  lstats: Stats,
  maxFileSize: number,
  isQuiet: (stats: Stats, key: string) => boolean,
): Promise<Inspection | null> {
  const unusable = unusableExtensionOf(name);
  if (lstats.size === 0 && lstats.isFile() && lstats.nlink === 1 && !unusable) {
    // cp and scp create the file empty, then write: nothing to read yet (its first write brings another look).
    const key = statKey(lstats);
    return { entry: { file: name, size: 0, modifiedAt: new Date(lstats.mtimeMs).toISOString(), status: 'incomplete', reason: statusReason('incomplete', 0, maxFileSize) }, key, completeness: 'incomplete' };
  }
  const result = await readFileSafely(join(dir, name), maxFileSize, lstats);
  if (result.kind === 'missing') return null;
  const stats = result.stats ?? lstats;
  const key = statKey(stats);
  const entry = (status: EntryStatus, sha256?: string, reason?: string): Entry => ({
    file: name,
    size: stats.size,
    modifiedAt: new Date(stats.mtimeMs).toISOString(),
    ...(sha256 === undefined ? {} : { sha256 }),
    status,
    ...(status === 'ready' ? {} : { reason: reason ?? statusReason(status as Parameters<typeof statusReason>[0], stats.size, maxFileSize) }),
  });
  if (unusable && (result.kind === 'file' || result.kind === 'too-large')) {
    // Never enabled, whatever it holds; the content only decides what the reason says.
    const bytes = result.kind === 'file' ? result.bytes : null;
    return { entry: entry('unusable', undefined, unusableReason(name, unusable, bytes)), key, completeness: null };
  }
  if (result.kind !== 'file') return { entry: entry(result.kind), key, completeness: null };

  const { bytes } = result;
  const completeness = derCompleteness(bytes);
  // A short read means the file changed under us: the next look will see the new size.
  const whole =
    bytes.length === stats.size &&
    (completeness === 'complete' || (completeness === 'unknown' && isQuiet(stats, key)));
  // Content beats the name: a renamed .cer, a PEM or text named .pfx is never offered. Its first bytes tell, so a
  // copy under way is told at once; only bytes too few to tell wait for the copy to end.
  const reason = renamedReason(name, bytes, whole);
  if (reason) return { entry: entry('unusable', undefined, reason), key, completeness };
  return {
    entry: whole ? { ...entry('ready', sha256Hex(bytes)), size: bytes.length } : entry('incomplete'),
    key,
    completeness,
  };
}

/** Reads the folder's state and its candidate names (empty when missing or unreadable). */
export async function probeDir(dir: string): Promise<{ info: ChavesDirInfo; names: string[] }> {
  let stats: Stats;
  try {
    stats = await fsp.stat(dir);
  } catch {
    return { info: { path: dir, exists: false, readable: false }, names: [] };
  }
  // A plain file called `chaves` is, for the installer, a missing folder.
  if (!stats.isDirectory()) return { info: { path: dir, exists: false, readable: false }, names: [] };
  try {
    const names = (await fsp.readdir(dir)).filter(isCertificateFileName);
    return { info: { path: dir, exists: true, readable: true }, names };
  } catch {
    return { info: { path: dir, exists: true, readable: false }, names: [] };
  }
}

// Made at the first comparison, not at start: the first Intl object costs ~8 ms and ~4 MB (ICU), and an empty or
// one-file folder never compares (issue 14).
let collator: Intl.Collator | undefined;

/** Orders file names as a person expects (`cert2` before `cert10`), ties broken by code points. */
export function compareFileNames(a: string, b: string): number {
  collator ??= new Intl.Collator('pt-BR', { numeric: true, sensitivity: 'variant' });
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Orders entries by name (compareFileNames). */
export function compareEntries(a: Entry, b: Entry): number {
  return compareFileNames(a.file, b.file);
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
