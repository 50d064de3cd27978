import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ChavesDirInfo, Entry } from '../types.js';
import { compareEntries, DEFAULT_STABLE_MS, inspectEntry, mapLimited, probeDir } from './inspect.js';
import { DEFAULT_MAX_FILE_SIZE } from './safe-read.js';

export interface ScanOptions {
  /** Largest file read, in bytes (default 64 KiB); bigger files are listed as `too-large`. */
  maxFileSize?: number;
}

/**
 * One-shot listing of the chaves folder (for the CLI, which runs while the server may be down). Same rules as
 * the live catalogue; a file of unknown format counts as fully written once its mtime is 100 ms old.
 */
export async function scanChavesDir(
  dir: string,
  options: ScanOptions = {},
): Promise<{ dir: ChavesDirInfo; entries: Entry[] }> {
  const path = resolve(dir);
  const maxFileSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const { info, names } = await probeDir(path);
  const now = Date.now();
  const inspected = await mapLimited(names, 16, async (name) => {
    try {
      const lstats = await fsp.lstat(join(path, name));
      return (await inspectEntry(path, name, lstats, maxFileSize, (stats) => now - stats.mtimeMs >= DEFAULT_STABLE_MS))
        ?.entry;
    } catch {
      return undefined; // gone between readdir and lstat
    }
  });
  const entries = inspected.filter((entry): entry is Entry => entry !== undefined).sort(compareEntries);
  return { dir: info, entries };
}
