import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChavesCatalogue, scanChavesDir } from '../../../module/chaves/index.js';
import { derCompleteness } from '../../../module/chaves/safe-read.js';
import { derBlob, sha256, tempDir } from './helpers.js';

let base: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ base, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

describe('scanChavesDir (one-shot, for the CLI)', () => {
  it('when the folder is missing, then it reports exists false and no entries', async () => {
    const result = await scanChavesDir(join(base, 'chaves'));

    expect(result).toEqual({ dir: { path: join(base, 'chaves'), exists: false, readable: false }, entries: [] });
  });

  it('when "chaves" is a plain file, then the folder counts as missing', async () => {
    await writeFile(join(base, 'chaves'), 'oops');

    const result = await scanChavesDir(join(base, 'chaves'));

    expect(result.dir.exists).toBe(false);
  });

  it('when the folder holds certificates and other things, then it lists the same entries as the catalogue', async () => {
    const dir = join(base, 'chaves');
    await mkdir(dir);
    const good = derBlob();
    await writeFile(join(dir, 'bom.pfx'), good);
    await writeFile(join(dir, 'metade.p12'), derBlob().subarray(0, 1000));
    await writeFile(join(dir, 'grande.pfx'), derBlob(70_000));
    await writeFile(join(dir, 'leia-me.txt'), 'x');
    if (process.platform !== 'win32') await symlink(join(dir, 'bom.pfx'), join(dir, 'link.pfx'));
    const old = new Date(Date.now() - 60_000);
    for (const file of ['bom.pfx', 'metade.p12', 'grande.pfx']) await utimes(join(dir, file), old, old);

    const result = await scanChavesDir(dir);
    const catalogue = new ChavesCatalogue({ dir });
    await catalogue.start();
    const live = catalogue.list();
    await catalogue.close();

    expect(result.dir).toEqual({ path: dir, exists: true, readable: true });
    expect(result.entries.map((e) => [e.file, e.status])).toEqual([
      ['bom.pfx', 'ready'],
      ['grande.pfx', 'too-large'],
      ...(process.platform !== 'win32' ? [['link.pfx', 'not-a-file']] : []),
      ['metade.p12', 'incomplete'],
    ]);
    expect(result.entries[0]?.sha256).toBe(sha256(good));
    expect(result.entries).toEqual(live);
  });
});

describe('derCompleteness', () => {
  it.each([
    ['empty', [], 'incomplete'],
    ['short form, whole', [0x30, 0x02, 1, 2], 'complete'],
    ['short form, cut', [0x30, 0x03, 1, 2], 'incomplete'],
    ['long form, header cut', [0x30, 0x82, 0x01], 'incomplete'],
    ['long form, whole', [0x30, 0x81, 0x02, 9, 9], 'complete'],
    ['long form with trailing bytes', [0x30, 0x81, 0x01, 9, 0, 0], 'complete'],
    ['indefinite length (BER)', [0x30, 0x80, 1, 2, 0, 0], 'unknown'],
    ['PEM text', [...Buffer.from('-----BEGIN')], 'unknown'],
    ['zip', [0x50, 0x4b, 3, 4], 'unknown'],
  ])('when the bytes are %s, then it answers %s', (_what, bytes, expected) => {
    expect(derCompleteness(Buffer.from(bytes as number[]))).toBe(expected);
  });
});

describe('ChavesCatalogue with thousands of files', () => {
  it('when 5 000 certificates are in the folder, then all are listed ready with their hashes (time printed)', async () => {
    const dir = join(base, 'chaves');
    await mkdir(dir);
    const blobs: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const bytes = derBlob(2000 + (i % 50));
      blobs.push(bytes);
      await writeFile(join(dir, `cert-${i}.pfx`), bytes);
    }
    const catalogue = new ChavesCatalogue({ dir });

    const started = performance.now();
    await catalogue.start();
    const list = catalogue.list();
    const startMs = performance.now() - started;
    const again = performance.now();
    for (let i = 0; i < 100; i++) catalogue.list();
    const listMs = (performance.now() - again) / 100;
    await catalogue.close();
    console.log(`[chaves] 5000 arquivos: start()+list() ${startMs.toFixed(0)} ms; list() depois ${listMs.toFixed(2)} ms`);

    expect(list).toHaveLength(5000);
    expect(list.every((e) => e.status === 'ready')).toBe(true);
    expect(list[0]?.file).toBe('cert-0.pfx');
    expect(list[4999]?.file).toBe('cert-4999.pfx'); // numeric order
    expect(list.find((e) => e.file === 'cert-1234.pfx')?.sha256).toBe(sha256(blobs[1234]!));
    await rm(dir, { recursive: true });
  });
});
