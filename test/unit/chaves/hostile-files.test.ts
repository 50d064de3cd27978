import { spawnSync } from 'node:child_process';
import { chmod, link, lstat, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChavesCatalogue, isPlainFileName } from '../../../module/chaves/index.js';
import { readFileSafely } from '../../../module/chaves/safe-read.js';
import { derBlob, runListChild, sha256, tempDir, waitForCatalogue } from './helpers.js';
import { scanChavesDir } from '../../../module/chaves/index.js';

let base: string;
let dir: string;
let cleanup: () => Promise<void>;
const catalogues: ChavesCatalogue[] = [];

beforeEach(async () => {
  ({ base, cleanup } = await tempDir());
  dir = join(base, 'chaves');
  await mkdir(dir);
});

afterEach(async () => {
  await Promise.all(catalogues.splice(0).map((c) => c.close()));
  await cleanup();
});

async function startCatalogue(options: { maxFileSize?: number } = {}): Promise<ChavesCatalogue> {
  const catalogue = new ChavesCatalogue({ dir, ...options });
  catalogues.push(catalogue);
  await catalogue.start();
  return catalogue;
}

const isWindows = process.platform === 'win32';

describe('ChavesCatalogue — things that are not plain certificate files', () => {
  it.skipIf(isWindows)('when a .pfx is a symlink to a file outside the folder, then it is not-a-file and never read', async () => {
    const secret = join(base, 'segredo.pfx');
    await writeFile(secret, derBlob());
    await symlink(secret, join(dir, 'atalho.pfx'));

    const catalogue = await startCatalogue();

    expect(catalogue.get('atalho.pfx')).toMatchObject({ status: 'not-a-file' });
    expect(catalogue.get('atalho.pfx')?.sha256).toBeUndefined();
    await expect(catalogue.readEntry('atalho.pfx')).rejects.toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });
  });

  it.skipIf(isWindows)('when a file is swapped for a symlink between lstat and open, then the open refuses to follow it', async () => {
    const regular = join(base, 'comum.pfx');
    await writeFile(regular, derBlob());
    await symlink(regular, join(dir, 'trocado.pfx'));

    // Pretend the lstat saw a regular file: only O_NOFOLLOW stands between the name and the symlink's target.
    const result = await readFileSafely(join(dir, 'trocado.pfx'), 65536, await lstat(regular));

    expect(result.kind).toBe('not-a-file');
  });

  it.skipIf(isWindows)('when a .pfx is a hard link to a file outside the folder (the module key), then it is not-a-file, never hashed nor read', async () => {
    const key = join(base, 'secret.key');
    await writeFile(key, derBlob(28), { mode: 0o600 });
    await link(key, join(dir, 'chave.pfx'));
    await writeFile(join(dir, 'bom.pfx'), derBlob());

    const catalogue = await startCatalogue();
    const scanned = await scanChavesDir(dir);

    for (const entries of [catalogue.list(), scanned.entries]) {
      expect(entries).toEqual([
        expect.objectContaining({ file: 'bom.pfx', status: 'ready' }),
        expect.objectContaining({ file: 'chave.pfx', status: 'not-a-file' }),
      ]);
      expect(JSON.stringify(entries)).not.toContain(sha256(derBlob(28)));
    }
    await expect(catalogue.readEntry('chave.pfx')).rejects.toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });
    // Even when the caller's lstat predates the link, the open handle's link count refuses it.
    expect((await readFileSafely(join(dir, 'chave.pfx'), 65536, await lstat(join(dir, 'bom.pfx')))).kind).toBe('not-a-file');
  });

  it.skipIf(isWindows)('when a ready file gets a second name while watched, then it turns not-a-file, and ready again when the other name goes', async () => {
    await writeFile(join(dir, 'municipio.pfx'), derBlob());
    const catalogue = await startCatalogue();
    expect(catalogue.get('municipio.pfx')).toMatchObject({ status: 'ready' });

    await link(join(dir, 'municipio.pfx'), join(base, 'copia-escondida.bin'));
    await waitForCatalogue(catalogue, () => catalogue.get('municipio.pfx')?.status === 'not-a-file', 'municipio.pfx not-a-file');
    await expect(catalogue.readEntry('municipio.pfx')).rejects.toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });

    await rm(join(base, 'copia-escondida.bin'));
    await waitForCatalogue(catalogue, () => catalogue.get('municipio.pfx')?.status === 'ready', 'municipio.pfx ready again');
  });

  it('when a directory is named x.pfx, then it is listed as not-a-file', async () => {
    await mkdir(join(dir, 'pasta.pfx'));

    const catalogue = await startCatalogue();

    expect(catalogue.list()).toEqual([expect.objectContaining({ file: 'pasta.pfx', status: 'not-a-file' })]);
  });

  it.skipIf(isWindows)('when a FIFO is named x.pfx, then it is not-a-file, nothing blocks and the process can exit', async () => {
    const made = spawnSync('mkfifo', [join(dir, 'fila.pfx')]);
    expect(made.status, 'mkfifo must exist to run this test').toBe(0);
    await writeFile(join(dir, 'bom.pfx'), derBlob());
    await writeFile(join(base, 'comum.bin'), derBlob());

    // In a child process: a read that blocks on the FIFO would pin a libuv thread and keep the process alive.
    const child = await runListChild([dir, '--probe', join(dir, 'fila.pfx'), join(base, 'comum.bin')]);

    expect(child.killedByGuard, child.stderr).toBe(false);
    expect(child.code, child.stderr).toBe(0);
    const output = JSON.parse(child.stdout) as { entries: Array<{ file: string; status: string }>; reads: Record<string, string>; probe: string };
    expect(output.entries).toEqual([
      expect.objectContaining({ file: 'bom.pfx', status: 'ready' }),
      expect.objectContaining({ file: 'fila.pfx', status: 'not-a-file' }),
    ]);
    expect(output.reads['fila.pfx']).toBe('CERTIFICATE_NOT_FOUND');
    // Even when the lstat was fooled, the non-blocking open and fstat of the handle reject the FIFO.
    expect(output.probe).toBe('not-a-file');
  });

  it('when a sparse 100 MB file is named x.pfx, then it is too-large (and the size is reported)', async () => {
    const file = join(dir, 'enorme.pfx');
    await writeFile(file, '');
    await truncate(file, 100 * 1024 * 1024);

    const catalogue = await startCatalogue();

    expect(catalogue.get('enorme.pfx')).toMatchObject({ status: 'too-large', size: 100 * 1024 * 1024 });
    expect(catalogue.get('enorme.pfx')?.sha256).toBeUndefined();
    await expect(catalogue.readEntry('enorme.pfx')).rejects.toMatchObject({ code: 'CERTIFICATE_NOT_FOUND' });
  });

  it('when maxFileSize is set lower, then a file just above it is too-large and one exactly at it is ready', async () => {
    await writeFile(join(dir, 'limite.pfx'), derBlob(996)); // 1000 bytes with its 4-byte header
    await writeFile(join(dir, 'acima.pfx'), derBlob(997));

    const catalogue = await startCatalogue({ maxFileSize: 1000 });

    expect(catalogue.get('limite.pfx')).toMatchObject({ status: 'ready', size: 1000 });
    expect(catalogue.get('acima.pfx')).toMatchObject({ status: 'too-large', size: 1001 });
  });

  it.skipIf(isWindows)('when a file has mode 000, then it is listed as unreadable', async () => {
    await writeFile(join(dir, 'trancado.pfx'), derBlob());
    await writeFile(join(dir, 'aberto.pfx'), derBlob());
    await chmod(join(dir, 'trancado.pfx'), 0o000);

    let entries: Array<{ file: string; status: string }>;
    if (process.getuid?.() === 0) {
      // root reads mode-000 files anyway: look through the eyes of an ordinary user (nobody) in a child process.
      await chmod(base, 0o755);
      await chmod(dir, 0o755);
      await chmod(join(dir, 'aberto.pfx'), 0o644);
      const child = await runListChild([dir], { uid: 65534, gid: 65534 });
      expect(child.code, child.stderr).toBe(0);
      const output = JSON.parse(child.stdout) as { uid: number; entries: typeof entries };
      expect(output.uid).toBe(65534);
      entries = output.entries;
    } else {
      entries = (await startCatalogue()).list();
    }

    expect(entries).toEqual([
      expect.objectContaining({ file: 'aberto.pfx', status: 'ready' }),
      expect.objectContaining({ file: 'trancado.pfx', status: 'unreadable' }),
    ]);
  });

  it.skipIf(isWindows)('when the folder cannot be listed, then dirInfo says it exists but is not readable', async () => {
    await writeFile(join(dir, 'escondido.pfx'), derBlob());
    await chmod(base, 0o755);
    await chmod(dir, 0o000);

    let output: { dirInfo: { exists: boolean; readable: boolean }; entries: unknown[] };
    if (process.getuid?.() === 0) {
      const child = await runListChild([dir], { uid: 65534, gid: 65534 }); // root could list it anyway
      expect(child.code, child.stderr).toBe(0);
      output = JSON.parse(child.stdout) as typeof output;
    } else {
      const catalogue = await startCatalogue();
      output = { dirInfo: catalogue.dirInfo(), entries: catalogue.list() };
    }
    await chmod(dir, 0o755);

    expect(output.dirInfo).toEqual({ path: dir, exists: true, readable: false });
    expect(output.entries).toEqual([]);
  });

  it('when file names carry HTML, newlines, ANSI escapes or bidi overrides, then they are listed verbatim and ready', async () => {
    const names = [
      '<img src=x onerror=alert(1)>.pfx',
      'linha\nquebrada.pfx',
      '\u001b[31mvermelho\u001b[0m.pfx',
      'fatura\u202Egpj.pfx',
      "aspas \"duplas\" e 'simples'.p12",
      'Munic\u0069\u0301pio.pfx', // NFD: i + combining acute
    ];
    const contents = new Map(names.map((name) => [name, derBlob(500)]));
    for (const [name, bytes] of contents) await writeFile(join(dir, name), bytes);

    const catalogue = await startCatalogue();

    expect(new Set(catalogue.list().map((e) => e.file))).toEqual(new Set(names));
    for (const [name, bytes] of contents) {
      expect(catalogue.get(name)).toMatchObject({ status: 'ready', sha256: sha256(bytes) });
      expect((await catalogue.readEntry(name)).sha256).toBe(sha256(bytes));
    }
    // The exact name only: the NFC spelling of the NFD file is not the same entry.
    expect(catalogue.get('Munic\u00edpio.pfx')).toBeUndefined();
    // The names a person could be fooled by are not accepted for choosing.
    expect(names.filter((name) => !isPlainFileName(name))).toEqual([
      'linha\nquebrada.pfx',
      '\u001b[31mvermelho\u001b[0m.pfx',
      'fatura\u202Egpj.pfx',
    ]);
  });

  it('when a not-found error names a hostile file, then its message shows no control characters', async () => {
    const catalogue = await startCatalogue();

    const failure = await catalogue.readEntry('x\n\u001b[2J\u202E.pfx').then(() => null, (error: unknown) => error as Error);

    expect(failure?.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(failure?.message).toContain('\\u{202E}');
  });
});
