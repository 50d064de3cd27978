import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChavesCatalogue, scanChavesDir } from '../../../module/chaves/index.js';
import type { Entry } from '../../../module/types.js';
import { PROJECT_ROOT, tempDir } from './helpers.js';
import { manifest } from '../../support/fixtures.js';

const FIXTURES = join(PROJECT_ROOT, 'test/fixtures/pkcs12');

let base: string;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ base, cleanup } = await tempDir());
  dir = join(base, 'chaves');
  await mkdir(dir);
});
afterEach(async () => {
  await cleanup();
});

/** Copies fixtures into the folder under the names an installer would give them, then lists it live. */
async function listLive(files: Record<string, string | Buffer>): Promise<Map<string, Entry>> {
  for (const [name, source] of Object.entries(files)) {
    if (typeof source === 'string') await copyFile(join(FIXTURES, source), join(dir, name));
    else await writeFile(join(dir, name), source);
  }
  const catalogue = new ChavesCatalogue({ dir, stableMs: 0 });
  await catalogue.start();
  const entries = catalogue.list();
  await catalogue.close();
  return new Map(entries.map((entry) => [entry.file, entry]));
}

describe('certificate-like files that cannot be enabled', () => {
  it('when the installer copies the .cer, .crt or .der, then each is listed unusable with "only the public certificate, copy the .pfx"', async () => {
    const entries = await listLive({
      'municipio.cer': 'not-pkcs12/certificado.cer',
      'municipio.crt': 'not-pkcs12/certificado.cer',
      'MUNICIPIO.DER': 'not-pkcs12/certificado.cer',
    });

    for (const name of ['municipio.cer', 'municipio.crt', 'MUNICIPIO.DER']) {
      const entry = entries.get(name);
      expect(entry?.status, name).toBe('unusable');
      expect(entry?.sha256, name).toBeUndefined();
      expect(entry?.reason, name).toMatch(/só o certificado público, sem a chave privada/);
      expect(entry?.reason, name).toMatch(/Copie para a pasta o \.pfx ou \.p12 baixado do e-Gestor AB/);
    }
    expect(entries.get('municipio.cer')?.reason).toMatch(/^Arquivo \.cer:/);
    expect(entries.get('MUNICIPIO.DER')?.reason).toMatch(/^Arquivo \.der:/);
  });

  it('when a PEM holds the key and the certificate, then the reason gives the openssl line that makes a .pfx from that very file', async () => {
    const entries = await listLive({ 'municipio.pem': 'not-pkcs12/chave-e-certificado.pem' });

    const reason = entries.get('municipio.pem')?.reason ?? '';
    expect(entries.get('municipio.pem')?.status).toBe('unusable');
    expect(reason).toMatch(/formato PEM, com o certificado e a chave privada/);
    expect(reason).toContain('openssl pkcs12 -export -in municipio.pem -out municipio.pfx');
  });

  it('when a .key holds only the private key, then the reason says so and how to join it to the certificate', async () => {
    const entries = await listLive({ 'chave.key': 'not-pkcs12/chave.key', 'certificado.pem': 'not-pkcs12/certificado.pem' });

    expect(entries.get('chave.key')?.reason).toMatch(/só com a chave privada/);
    expect(entries.get('chave.key')?.reason).toContain('openssl pkcs12 -export -inkey chave.key -in certificado.cer -out municipio.pfx');
    expect(entries.get('certificado.pem')?.reason).toMatch(/só com o certificado público, sem a chave privada/);
    expect(entries.get('certificado.pem')?.reason).toContain('-in certificado.pem -out municipio.pfx');
  });

  it('when a file name could not be pasted safely into a shell, then the command uses a placeholder instead of it', async () => {
    const entries = await listLive({ 'chave $(rm -rf ~).pem': 'not-pkcs12/chave-e-certificado.pem' });

    const reason = entries.get('chave $(rm -rf ~).pem')?.reason ?? '';
    expect(reason).toContain('openssl pkcs12 -export -in arquivo.pem -out municipio.pfx');
    expect(reason).not.toContain('rm -rf');
  });

  it('when the download is still zipped (.zip, .rar, .7z), then the reason says to extract the .pfx first', async () => {
    const entries = await listLive({
      'certificado.zip': 'not-pkcs12/municipio.zip',
      'certificado.rar': Buffer.concat([Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), Buffer.alloc(64, 1)]),
      'certificado.7z': Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), Buffer.alloc(64, 2)]),
    });

    expect(entries.get('certificado.zip')?.reason).toMatch(/^Arquivo compactado \(\.zip\): extraia o \.pfx ou \.p12/);
    expect(entries.get('certificado.rar')?.reason).toMatch(/^Arquivo compactado \(\.rar\)/);
    expect(entries.get('certificado.7z')?.reason).toMatch(/^Arquivo compactado \(\.7z\)/);
    for (const entry of entries.values()) expect(entry.status).toBe('unusable');
  });

  it('when a Java keystore is copied (.jks, .keystore), then the reason gives the keytool -importkeystore line', async () => {
    const entries = await listLive({ 'municipio.jks': 'not-pkcs12/municipio.jks', 'servidor.keystore': 'not-pkcs12/municipio.jks' });

    expect(entries.get('municipio.jks')?.reason).toMatch(/keystore Java/);
    expect(entries.get('municipio.jks')?.reason).toContain(
      'keytool -importkeystore -srckeystore municipio.jks -destkeystore municipio.pfx -deststoretype PKCS12',
    );
    expect(entries.get('servidor.keystore')?.reason).toContain('-srckeystore servidor.keystore');
  });

  it('when a certificate request (.csr) or a PKCS#7 chain (.p7b, .p7c) is copied, then the reason says what it is', async () => {
    const entries = await listLive({
      'pedido.csr': 'not-pkcs12/pedido.csr',
      'cadeia.p7b': 'not-pkcs12/cadeia.p7b',
      'cadeia.p7c': 'not-pkcs12/cadeia.p7b',
    });

    expect(entries.get('pedido.csr')?.reason).toMatch(/pedido de certificado \(CSR\), não um certificado/);
    expect(entries.get('cadeia.p7b')?.reason).toMatch(/cadeia de certificados \(PKCS#7\), sem a chave privada/);
    expect(entries.get('cadeia.p7c')?.reason).toMatch(/^Arquivo \.p7c: é uma cadeia/);
  });

  it('when a real .pfx was saved with a .cer name, then content beats the name: it is told to rename it to .pfx', async () => {
    const entries = await listLive({ 'municipio.cer': 'aes256-default.p12', 'municipio.pem': 'legacy-rc2-3des.pfx' });

    for (const name of ['municipio.cer', 'municipio.pem']) {
      expect(entries.get(name)?.status).toBe('unusable');
      expect(entries.get(name)?.reason).toMatch(/é um certificado \.pfx\/\.p12 salvo com a extensão \.(cer|pem): renomeie-o/);
    }
  });

  it('when a .cer was renamed to .pfx, then content beats the name: it is unusable, told it is only the public certificate', async () => {
    const entries = await listLive({ 'cer-renomeado.pfx': 'not-pkcs12/certificado.cer' });

    expect(entries.get('cer-renomeado.pfx')).toMatchObject({ status: 'unusable' });
    expect(entries.get('cer-renomeado.pfx')?.sha256).toBeUndefined();
    expect(entries.get('cer-renomeado.pfx')?.reason).toMatch(/^Arquivo com nome \.pfx, mas é só o certificado público \(um \.cer renomeado\), sem a chave privada: renomear não basta\. Copie para a pasta o \.pfx ou \.p12 baixado do e-Gestor AB/);
  });

  it('when files named .pfx/.p12 hold something else (text, PEM, zip, Java keystore, PKCS#7, random bytes), then each is unusable with what it really is', async () => {
    const entries = await listLive({
      'senha.p12': Buffer.from('senha do certificado: 12345\n'), // 28 bytes of text
      'chave-e-certificado.pfx': 'not-pkcs12/chave-e-certificado.pem',
      'baixado.pfx': 'not-pkcs12/municipio.zip',
      'java.p12': 'not-pkcs12/municipio.jks',
      'cadeia.pfx': 'not-pkcs12/cadeia.p7b',
      'aleatorio.pfx': 'not-pkcs12/aleatorio.pfx',
    });

    expect(entries.get('senha.p12')?.size).toBe(28);
    expect(entries.get('senha.p12')?.reason).toMatch(/^Arquivo com nome \.p12, mas é um texto, não um certificado\. Se for uma anotação \(a senha, por exemplo\), tire-o da pasta chaves\./);
    expect(entries.get('chave-e-certificado.pfx')?.reason).toMatch(/^Arquivo com nome \.pfx, mas no formato PEM, com o certificado e a chave privada/);
    expect(entries.get('chave-e-certificado.pfx')?.reason).toContain('openssl pkcs12 -export -in chave-e-certificado.pfx -out municipio.pfx');
    expect(entries.get('baixado.pfx')?.reason).toMatch(/^Arquivo com nome \.pfx, mas compactado \(\.zip\): extraia o \.pfx ou \.p12/);
    expect(entries.get('java.p12')?.reason).toContain('keytool -importkeystore -srckeystore java.p12 -srcstoretype JKS');
    expect(entries.get('cadeia.pfx')?.reason).toMatch(/cadeia de certificados \(PKCS#7, \.p7b\), sem a chave privada/);
    expect(entries.get('aleatorio.pfx')?.reason).toMatch(/o conteúdo não é de um certificado \.pfx\/\.p12 \(PKCS#12\)/);
    for (const entry of entries.values()) expect(entry, entry.file).toMatchObject({ status: 'unusable' });
    for (const entry of entries.values()) expect(entry.sha256, entry.file).toBeUndefined();
  });

  it('when real PKCS#12 files of every encoding are in the folder (DER, BER indefinite length, with and without MAC, legacy, AES, keytool), then every one is ready', async () => {
    const real = manifest.fixtures.filter((f) => !f.file.startsWith('not-pkcs12/')).map((f) => f.file);
    const files = Object.fromEntries([...real, 'kinds/keystore.p12', 'kinds/e-cpf.p12', 'kinds/fora-icp.pfx'].map((file) => [file.replace('/', '-'), file]));
    expect(real).toEqual(expect.arrayContaining(['ber-indefinite.p12', 'ber-indefinite-legacy.pfx', 'no-mac-aes.p12', 'no-mac-legacy.pfx', 'legacy-rc2-3des.pfx', 'aes256-default.p12', 'keytool-rsa.p12', 'cert-only.p12']));

    const entries = await listLive(files);

    expect([...entries.values()].filter((entry) => entry.status !== 'ready')).toEqual([]);
    expect(entries.size).toBe(Object.keys(files).length);
  });

  it('when a real .pfx is still being copied (only its first bytes are there), then it is incomplete, never unusable', async () => {
    const der = await readFile(join(FIXTURES, 'aes256-default.p12'));

    const entries = await listLive({ 'a.pfx': der.subarray(0, 20), 'b.pfx': der.subarray(0, 9), 'c.pfx': der.subarray(0, 1) });

    for (const name of ['a.pfx', 'b.pfx', 'c.pfx']) expect(entries.get(name)?.status, name).toBe('incomplete');
  });

  it('when the CLI scans a folder with a renamed .cer and a text .p12, then it reports them unusable with the same reasons as the live catalogue', async () => {
    const live = await listLive({ 'cer-renomeado.pfx': 'not-pkcs12/certificado.cer', 'texto.p12': Buffer.from('isto nao e um certificado'), 'bom.pfx': 'legacy-rc2-3des.pfx' });

    const scanned = await scanChavesDir(dir);

    expect(scanned.entries).toEqual([...live.values()]);
    expect(scanned.entries.map((entry) => [entry.file, entry.status])).toEqual([['bom.pfx', 'ready'], ['cer-renomeado.pfx', 'unusable'], ['texto.p12', 'unusable']]);
  });

  it('when a zipped download is too large to read, then it is still unusable with the archive reason (not just "too large")', async () => {
    const entries = await listLive({ 'grande.zip': Buffer.alloc(100_000, 7) });

    expect(entries.get('grande.zip')).toMatchObject({ status: 'unusable', size: 100_000 });
    expect(entries.get('grande.zip')?.reason).toMatch(/extraia o \.pfx/);
  });

  it('when other files sit in the folder, then only certificate-related ones are listed', async () => {
    const entries = await listLive({ 'leia-me.txt': Buffer.from('x'), 'foto.jpg': Buffer.from('x'), 'a.cer': 'not-pkcs12/certificado.cer' });

    expect([...entries.keys()]).toEqual(['a.cer']);
  });

  it('when entries are not ready for other reasons, then every one carries a reason that says what to do', async () => {
    const half = (await readFile(join(FIXTURES, 'aes256-default.p12'))).subarray(0, 1000);
    await writeFile(join(dir, 'metade.p12'), half);
    await writeFile(join(dir, 'grande.pfx'), Buffer.alloc(70_000, 0x30));
    if (process.platform !== 'win32') await symlink(join(FIXTURES, 'aes256-default.p12'), join(dir, 'atalho.pfx'));
    const canChmod = process.platform !== 'win32' && process.getuid?.() !== 0;
    if (canChmod) {
      await copyFile(join(FIXTURES, 'aes256-default.p12'), join(dir, 'trancado.pfx'));
      await chmod(join(dir, 'trancado.pfx'), 0o000);
    }
    const entries = await listLive({});

    expect(entries.get('metade.p12')).toMatchObject({ status: 'incomplete' });
    expect(entries.get('metade.p12')?.reason).toMatch(/ainda está sendo copiado/);
    expect(entries.get('grande.pfx')?.reason).toMatch(/^O arquivo tem 68,4 KB, mais do que cabe num certificado \(até 64 KB\)/);
    if (process.platform !== 'win32') expect(entries.get('atalho.pfx')?.reason).toMatch(/Não é um arquivo comum/);
    if (canChmod) expect(entries.get('trancado.pfx')?.reason).toMatch(/não tem permissão para ler este arquivo/);
    for (const entry of entries.values()) expect(entry.reason, entry.file).toBeTruthy();
  });

  it('when the CLI scans the same folder, then it reports the same unusable entries and reasons as the live catalogue', async () => {
    const live = await listLive({ 'municipio.cer': 'not-pkcs12/certificado.cer', 'pacote.zip': 'not-pkcs12/municipio.zip' });

    const scanned = await scanChavesDir(dir);

    expect(scanned.entries).toEqual([...live.values()]);
  });
});
