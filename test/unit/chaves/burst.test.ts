import { execFile } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChavesCatalogue } from '../../../module/chaves/index.js';
import { compareFileNames } from '../../../module/chaves/inspect.js';
import { derBlob, sha256, tempDir, waitForCatalogue } from './helpers.js';

// Thousands of files copied into a watched folder at once (issue 14): counted, never timed — `npm run bench` times it.

let base: string;
let cleanup: () => Promise<void>;
let catalogue: ChavesCatalogue | undefined;

beforeEach(async () => {
  ({ base, cleanup } = await tempDir());
});

afterEach(async () => {
  await catalogue?.close();
  catalogue = undefined;
  await cleanup();
});

/** `cp -r from/. to`: what an administrator runs, one process writing file after file. */
const copyAll = (from: string, to: string): Promise<void> =>
  new Promise((resolve, reject) => execFile('cp', ['-r', `${from}/.`, to], (error) => (error ? reject(error) : resolve())));

/** Writes `count` certificate-shaped files into `dir`; returns name → SHA-256. */
async function stage(dir: string, count: number, name: (i: number) => string): Promise<Map<string, string>> {
  await mkdir(dir, { recursive: true });
  const hashes = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const bytes = derBlob(2000 + (i % 97));
    await writeFile(join(dir, name(i)), bytes);
    hashes.set(name(i), sha256(bytes));
  }
  return hashes;
}

const settled = (c: ChavesCatalogue, expected: Map<string, string>) => (): boolean => {
  const list = c.list();
  return list.length === expected.size && list.every((entry) => entry.status === 'ready' && entry.sha256 === expected.get(entry.file));
};

describe('ChavesCatalogue — a burst of files copied in at once', () => {
  it('when 5 000 files are copied into the watched folder at once, then every one is listed ready with its hash, in name order', async () => {
    const chaves = join(base, 'chaves');
    await mkdir(chaves);
    // Staged outside the folder's parent: only the folder's own notifications announce them.
    const staged = await tempDir('chaves-burst-stage-');
    try {
      const expected = await stage(staged.base, 5000, (i) => `cert-${i}.pfx`);
      catalogue = new ChavesCatalogue({ dir: chaves });
      await catalogue.start();
      expect(catalogue.list()).toEqual([]);

      await copyAll(staged.base, chaves);
      await waitForCatalogue(catalogue, settled(catalogue, expected), 'os 5 000 arquivos prontos com o hash certo');
      await catalogue.idle();

      const list = catalogue.list();
      expect(list).toHaveLength(5000);
      expect(list.filter((entry) => entry.status === 'ready' && entry.sha256 === expected.get(entry.file))).toHaveLength(5000);
      expect(list.map((entry) => entry.file)).toEqual([...expected.keys()].sort(compareFileNames));
      expect(list[1]!.file).toBe('cert-1.pfx');
      expect(list[2]!.file).toBe('cert-2.pfx'); // cert-2 before cert-10: a person's order, not code points
    } finally {
      await staged.cleanup();
    }
  });

  it('when files are removed, replaced and removed-then-recreated while a burst is being listed, then none is lost, kept stale or listed twice', async () => {
    const chaves = join(base, 'chaves');
    await mkdir(chaves);
    const before = await stage(chaves, 3, (i) => ['antigo.pfx', 'trocado.pfx', 'volta.pfx'][i]!);
    catalogue = new ChavesCatalogue({ dir: chaves });
    await catalogue.start();
    expect(catalogue.list().map((entry) => entry.file)).toEqual(['antigo.pfx', 'trocado.pfx', 'volta.pfx']);
    expect(before.size).toBe(3);

    const staged = await tempDir('chaves-burst-stage-');
    try {
      const expected = await stage(staged.base, 2000, (i) => `lote-${i}.p12`);
      const copying = copyAll(staged.base, chaves);
      // While the copy runs: one file goes, one is replaced in place by a rename, one goes and comes back changed.
      await rm(join(chaves, 'antigo.pfx'));
      const replacement = derBlob(2600);
      await writeFile(join(base, 'trocado.tmp'), replacement);
      await rename(join(base, 'trocado.tmp'), join(chaves, 'trocado.pfx'));
      await rm(join(chaves, 'volta.pfx'));
      const back = derBlob(2700);
      await writeFile(join(chaves, 'volta.pfx'), back);
      await copying;
      expected.set('trocado.pfx', sha256(replacement));
      expected.set('volta.pfx', sha256(back));

      await waitForCatalogue(catalogue, settled(catalogue, expected), 'o lote e as trocas listados');
      await catalogue.idle();

      const list = catalogue.list();
      expect(list.map((entry) => entry.file)).toEqual([...expected.keys()].sort(compareFileNames));
      expect(list.find((entry) => entry.file === 'antigo.pfx')).toBeUndefined();
      expect(catalogue.get('trocado.pfx')).toMatchObject({ status: 'ready', sha256: sha256(replacement) });
      expect(catalogue.get('volta.pfx')).toMatchObject({ status: 'ready', sha256: sha256(back) });
      expect(list.filter((entry) => entry.file === 'volta.pfx')).toHaveLength(1);
    } finally {
      await staged.cleanup();
    }
  });
});
