import { mkdir, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChavesCatalogue, type ChavesCatalogueOptions } from '../../../module/chaves/index.js';
import { RndsError } from '../../../module/errors.js';
import type { Entry } from '../../../module/types.js';
import { changeEventWhere, derBlob, PROJECT_ROOT, sha256, tempDir, waitForCatalogue } from './helpers.js';

let base: string;
let cleanup: () => Promise<void>;
const catalogues: ChavesCatalogue[] = [];

beforeEach(async () => {
  ({ base, cleanup } = await tempDir());
});

afterEach(async () => {
  await Promise.all(catalogues.splice(0).map((c) => c.close()));
  await cleanup();
});

async function startCatalogue(options: Partial<ChavesCatalogueOptions> & { dir: string }): Promise<ChavesCatalogue> {
  const catalogue = new ChavesCatalogue(options);
  catalogues.push(catalogue);
  await catalogue.start();
  return catalogue;
}

async function makeChaves(): Promise<string> {
  const dir = join(base, 'chaves');
  await mkdir(dir);
  return dir;
}

const isReadyWith = (catalogue: ChavesCatalogue, file: string, bytes: Buffer): boolean =>
  catalogue.get(file)?.status === 'ready' && catalogue.get(file)?.sha256 === sha256(bytes);

describe('ChavesCatalogue — files coming and going', () => {
  it('when a .pfx file is dropped into the folder, then it appears as ready with the sha256 of its bytes', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir });
    const bytes = derBlob();

    await writeFile(join(dir, 'municipio.pfx'), bytes);
    await waitForCatalogue(catalogue, () => catalogue.get('municipio.pfx')?.status === 'ready', 'municipio.pfx pronto');

    expect(catalogue.list()).toEqual([
      expect.objectContaining({ file: 'municipio.pfx', size: bytes.length, status: 'ready', sha256: sha256(bytes) }),
    ]);
    expect(Date.parse(catalogue.list()[0]!.modifiedAt)).not.toBeNaN();
  });

  it('when files are already in the folder at start, then start() resolves with them listed and sorted by name', async () => {
    const dir = await makeChaves();
    const files = ['cert10.pfx', 'Cert2.p12', 'abc.PFX'];
    for (const file of files) await writeFile(join(dir, file), derBlob(300));

    const catalogue = await startCatalogue({ dir });

    expect(catalogue.list().map((e) => e.file)).toEqual(['abc.PFX', 'Cert2.p12', 'cert10.pfx']);
    expect(catalogue.list().every((e) => e.status === 'ready')).toBe(true);
  });

  it('when a listed file is removed, then it disappears and a change event is emitted', async () => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'a.pfx'), derBlob());
    await writeFile(join(dir, 'b.pfx'), derBlob());
    const catalogue = await startCatalogue({ dir });
    const announced = changeEventWhere(catalogue, () => catalogue.get('a.pfx') === undefined, 'um evento change sem a.pfx');

    await rm(join(dir, 'a.pfx'));
    await announced;

    expect(catalogue.list().map((e) => e.file)).toEqual(['b.pfx']);
  });

  it('when a file is overwritten in place with other content, then its sha256 changes and a change event is emitted', async () => {
    const dir = await makeChaves();
    const first = derBlob();
    await writeFile(join(dir, 'municipio.pfx'), first);
    const catalogue = await startCatalogue({ dir });
    const second = derBlob();
    // The listing may already hold the new content when writeFile returns: wait for the event, not only the listing.
    const announced = changeEventWhere(catalogue, () => isReadyWith(catalogue, 'municipio.pfx', second), 'um evento change com o novo conteúdo');

    await writeFile(join(dir, 'municipio.pfx'), second);
    await announced;

    expect(catalogue.get('municipio.pfx')?.sha256).not.toBe(sha256(first));
  });

  it('when a file is replaced by renaming another one over it, then the new content is listed', async () => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'municipio.pfx'), derBlob());
    const catalogue = await startCatalogue({ dir });
    const second = derBlob(1800);

    await writeFile(join(dir, 'municipio.pfx.filepart'), second); // WinSCP's temporary name
    await rename(join(dir, 'municipio.pfx.filepart'), join(dir, 'municipio.pfx'));
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'municipio.pfx', second), 'conteúdo renomeado');

    expect(catalogue.list().map((e) => e.file)).toEqual(['municipio.pfx']);
  });

  it('when a writer writes half a file, pauses and then finishes, then it is incomplete until whole and only then ready', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir });
    const bytes = derBlob(4000);
    const seen: Array<Entry | undefined> = [];
    catalogue.on('change', () => seen.push(catalogue.get('lento.pfx')));

    const handle = await open(join(dir, 'lento.pfx'), 'w');
    try {
      await handle.write(bytes, 0, 2000);
      await waitForCatalogue(catalogue, () => catalogue.get('lento.pfx')?.status === 'incomplete', 'lento.pfx incompleto');
      // The writer pauses, as scp over a slow link does: however long, once the catalogue has nothing left to
      // decide (every quiet-interval follow-up has run), the half file is still incomplete.
      await catalogue.idle();
      expect(catalogue.get('lento.pfx')?.status).toBe('incomplete');
      await handle.write(bytes, 2000, bytes.length - 2000, 2000);
    } finally {
      await handle.close();
    }
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'lento.pfx', bytes), 'lento.pfx pronto');

    const readyStates = seen.filter((e) => e?.status === 'ready');
    expect(readyStates.every((e) => e?.sha256 === sha256(bytes))).toBe(true);
    expect(catalogue.get('lento.pfx')?.sha256).toBe(sha256(bytes));
  });

  it('when a file whose length its header does not state (BER, indefinite length) is dropped, then it becomes ready once it stops changing', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir });
    const ber = await readFile(join(PROJECT_ROOT, 'test/fixtures/pkcs12/ber-indefinite.p12'));

    await writeFile(join(dir, 'windows.p12'), ber);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'windows.p12', ber), 'windows.p12 pronto');

    expect(catalogue.get('windows.p12')?.size).toBe(ber.length);
  });

  it('when an empty .pfx file sits in the folder, then it is listed as incomplete', async () => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'vazio.pfx'), '');

    const catalogue = await startCatalogue({ dir });
    await catalogue.idle(); // every quiet-time follow-up has run: the status must not have flipped to ready

    expect(catalogue.get('vazio.pfx')).toMatchObject({ status: 'incomplete', size: 0 });
    expect(catalogue.get('vazio.pfx')?.sha256).toBeUndefined();
  });

  it('when extensions differ only in letter case, then all are listed; certificate-like files are listed unusable; other extensions and subfolders are ignored', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir });
    await mkdir(join(dir, 'antigos'));
    // The ignored names come first: by the time the last listed file is seen, they have been looked at.
    for (const file of ['i.pfx.bak', 'j.pfx.filepart', 'pfx', 'k.p12x']) await writeFile(join(dir, file), derBlob(200));
    await writeFile(join(dir, 'antigos', 'velho.pfx'), derBlob(200));
    for (const file of ['a.pfx', 'b.PFX', 'c.p12', 'd.P12', 'e.PfX', 'f.cer', 'g.pem', 'h.zip']) await writeFile(join(dir, file), derBlob(200));

    await waitForCatalogue(
      catalogue,
      () => catalogue.list().filter((e) => e.status === 'ready').length === 5 && catalogue.list().filter((e) => e.status === 'unusable').length === 3,
      'cinco prontos e três inutilizáveis',
    );
    await catalogue.idle();

    expect(catalogue.list().map((e) => [e.file, e.status])).toEqual([
      ['a.pfx', 'ready'], ['b.PFX', 'ready'], ['c.p12', 'ready'], ['d.P12', 'ready'], ['e.PfX', 'ready'],
      ['f.cer', 'unusable'], ['g.pem', 'unusable'], ['h.zip', 'unusable'],
    ]);
  });
});

describe('ChavesCatalogue — the folder itself', () => {
  it('when the folder is missing at start and is created later, then dirInfo says so and dropped files are listed', async () => {
    const dir = join(base, 'chaves');
    const catalogue = await startCatalogue({ dir, rescanIntervalMs: 0 }); // the watcher alone must notice
    expect(catalogue.dirInfo()).toEqual({ path: dir, exists: false, readable: false });
    expect(catalogue.list()).toEqual([]);
    const bytes = derBlob();

    await mkdir(dir);
    await waitForCatalogue(catalogue, () => catalogue.dirInfo().exists, 'pasta criada');
    await writeFile(join(dir, 'novo.pfx'), bytes);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'novo.pfx', bytes), 'novo.pfx pronto');

    expect(catalogue.dirInfo()).toEqual({ path: dir, exists: true, readable: true });
  });

  it('when even the parent folder is missing at start, then the periodic rescan finds the folder once created', async () => {
    const dir = join(base, 'webserver', 'chaves');
    const catalogue = await startCatalogue({ dir, rescanIntervalMs: 200 });
    const bytes = derBlob();

    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'novo.pfx'), bytes);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'novo.pfx', bytes), 'novo.pfx pronto');

    expect(catalogue.dirInfo().exists).toBe(true);
  });

  it('when the folder is deleted and recreated, then entries vanish, and the new folder is watched afterwards', async () => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'antigo.pfx'), derBlob());
    const catalogue = await startCatalogue({ dir, rescanIntervalMs: 0 });

    await rm(dir, { recursive: true });
    await waitForCatalogue(catalogue, () => !catalogue.dirInfo().exists && catalogue.list().length === 0, 'pasta removida');
    await mkdir(dir);
    await waitForCatalogue(catalogue, () => catalogue.dirInfo().exists, 'pasta recriada');
    await catalogue.idle(); // the watcher is re-armed on the new folder
    const later = derBlob();
    await writeFile(join(dir, 'depois.pfx'), later);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'depois.pfx', later), 'depois.pfx pronto');
    await rm(join(dir, 'depois.pfx'));
    await waitForCatalogue(catalogue, () => catalogue.get('depois.pfx') === undefined, 'depois.pfx removido');

    expect(catalogue.dirInfo()).toEqual({ path: dir, exists: true, readable: true });
  });

  it.skipIf(process.platform === 'win32')('when chaves is a symlink to a folder elsewhere, then files dropped there are listed', async () => {
    const real = join(base, 'disco', 'chaves-real');
    await mkdir(real, { recursive: true });
    const dir = join(base, 'chaves');
    await symlink(real, dir);
    const catalogue = await startCatalogue({ dir, rescanIntervalMs: 0 });
    const bytes = derBlob();

    await writeFile(join(real, 'ligado.pfx'), bytes);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'ligado.pfx', bytes), 'ligado.pfx pronto');

    expect(catalogue.dirInfo()).toEqual({ path: dir, exists: true, readable: true });
  });

  it('when polling mode is on, then dropped and removed files are still noticed', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir, polling: true, pollIntervalMs: 100, rescanIntervalMs: 0 });
    const bytes = derBlob();

    await writeFile(join(dir, 'rede.pfx'), bytes);
    await waitForCatalogue(catalogue, () => isReadyWith(catalogue, 'rede.pfx', bytes), 'rede.pfx pronto');
    await rm(join(dir, 'rede.pfx'));
    await waitForCatalogue(catalogue, () => catalogue.list().length === 0, 'rede.pfx removido');

    expect(catalogue.list()).toEqual([]);
  });

  it('when the catalogue is closed, then later changes in the folder emit nothing', async () => {
    const dir = await makeChaves();
    const catalogue = await startCatalogue({ dir });
    let events = 0;
    catalogue.on('change', () => events++);

    await catalogue.close();
    // A second catalogue on the same folder witnesses that the change happened and was noticeable.
    const witness = await startCatalogue({ dir });
    const bytes = derBlob();
    await writeFile(join(dir, 'tarde.pfx'), bytes);
    await waitForCatalogue(witness, () => isReadyWith(witness, 'tarde.pfx', bytes), 'tarde.pfx visto pela testemunha');

    expect(events).toBe(0);
    expect(catalogue.get('tarde.pfx')).toBeUndefined();
  });
});

describe('ChavesCatalogue.readEntry', () => {
  it('when a ready entry is read, then its exact bytes and their sha256 come back', async () => {
    const dir = await makeChaves();
    const bytes = derBlob();
    await writeFile(join(dir, 'municipio.pfx'), bytes);
    const catalogue = await startCatalogue({ dir });

    const read = await catalogue.readEntry('municipio.pfx');

    expect(read.bytes.equals(bytes)).toBe(true);
    expect(read.sha256).toBe(sha256(bytes));
  });

  it.each([
    ['a name that is not listed', 'outro.pfx'],
    ['a path instead of a name', '../chaves/municipio.pfx'],
    ['an absolute path', '/etc/passwd'],
    ['the name in another letter case', 'MUNICIPIO.PFX'],
    ['an incomplete entry', 'vazio.pfx'],
  ])('when asked for %s, then it refuses with CERTIFICATE_NOT_FOUND and a pt-BR message', async (_what, file) => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'municipio.pfx'), derBlob());
    await writeFile(join(dir, 'vazio.pfx'), '');
    const catalogue = await startCatalogue({ dir });

    const failure = await catalogue.readEntry(file).then(() => null, (error: unknown) => error);

    expect(failure).toBeInstanceOf(RndsError);
    expect(failure).toMatchObject({ code: 'CERTIFICATE_NOT_FOUND', httpStatus: 404 });
    expect((failure as RndsError).message).toMatch(/pasta chaves/);
  });

  it('when the file was removed after being listed, then reading it refuses instead of returning stale bytes', async () => {
    const dir = await makeChaves();
    await writeFile(join(dir, 'municipio.pfx'), derBlob());
    const catalogue = await startCatalogue({ dir, rescanIntervalMs: 0 });
    await catalogue.close(); // freeze the list: the entry stays listed as ready while the file goes away
    await rm(join(dir, 'municipio.pfx'));

    await expect(catalogue.readEntry('municipio.pfx')).rejects.toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });
  });
});
