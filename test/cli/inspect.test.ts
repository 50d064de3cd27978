import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OPEN_ERROR_LABEL } from '../../scripts/lib/cli.js';
import { readPassword } from '../../scripts/lib/password.js';
import { scanChavesDir } from '../../module/chaves/index.js';
import { FIXTURES, runScript, tempDir } from './run.js';

import { manifest } from '../support/fixtures.js';

const temp = tempDir();
afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

describe('npm run inspect, on every fixture of the manifest', () => {
  const opening = manifest.fixtures.filter((f) => f.error === null);
  const failing = manifest.fixtures.filter((f) => f.error !== null);

  it.concurrent.each(opening.map((f) => [f.file, f] as const))(
    'when %s is inspected with its password (from stdin), then it shows what the engine sees and exits 0, or 1 with a warning',
    async (_name, fixture) => {
      const result = await runScript('inspect', [path.join(FIXTURES, fixture.file), '--json'], { input: `${fixture.password}\n` });

      const body = JSON.parse(result.stdout);
      expect(body.opened).toBe(true);
      expect(body.certificate).toMatchObject({ cnpj: fixture.cnpj, encoding: fixture.encoding, keyType: fixture.keyType, keySize: fixture.keySize, clientAuth: fixture.clientAuth });
      expect(body.certificate.chain).toHaveLength(fixture.chainLength!);
      expect(result.code).toBe(fixture.clientAuth ? 0 : 1);
      expect(body.check.code).toBe(result.code);
      expect(result.stdout).not.toContain('PRIVATE KEY');
    },
  );

  it.concurrent.each(failing.map((f) => [f.file, f] as const))(
    'when %s is inspected, then it exits 2 with the engine code and its pt-BR message',
    async (_name, fixture) => {
      const result = await runScript('inspect', [path.join(FIXTURES, fixture.file), '--json'], { input: fixture.password });

      expect(result.code).toBe(2);
      const body = JSON.parse(result.stdout);
      expect(body.error.code).toBe(fixture.error);
      expect(body.error.message.length).toBeGreaterThan(20);
      expect(body.check.label).toBe('CRITICAL');
    },
  );
});

describe('npm run inspect, in pt-BR', () => {
  it('when a fixture of the manifest cannot be opened, then its error code has a pt-BR label to show before the code', () => {
    const codes = [...new Set(manifest.fixtures.flatMap((f) => (f.error === null ? [] : [f.error])))];

    expect(codes.length).toBeGreaterThan(3);
    expect(codes.filter((code) => !OPEN_ERROR_LABEL[code])).toEqual([]);
  });
});

describe('npm run inspect', () => {
  it('when the password is wrong, then the first line says it cannot be used, in pt-BR, and exits 2', async () => {
    const result = await runScript('inspect', [path.join(FIXTURES, 'aes256-default.p12')], { input: 'senha-errada\n' });

    expect(result.code).toBe(2);
    expect(result.stdout.split('\n')[0]).toMatch(/^CRITICAL - aes256-default\.p12 não pode ser usado: Senha incorreta/);
    expect(result.stdout).toMatch(/^Abre com a senha:\s+não — senha incorreta \(WRONG_PASSWORD\)$/m);
    expect(result.stdout + result.stderr).not.toContain('senha-errada');
  });

  it('when the certificate is expired, then it still shows its details and exits 2 saying since when', async () => {
    const result = await runScript('inspect', [path.join(FIXTURES, 'expired.p12')], { input: 'senha123' });

    expect(result.code).toBe(2);
    expect(result.stdout.split('\n')[0]).toBe('CRITICAL - expired.p12 abre, mas expirou em 31/12/2020: obtenha um certificado novo no e-Gestor AB');
    expect(result.stdout).toMatch(/CNPJ:\s+12\.345\.678\/0001-90/);
    expect(result.stdout).toMatch(/Responsável:\s+JOSÉ DA SILVA TESTE \(CPF 123\.456\.789-09\)/);
  });

  it('when the accented password arrives on stdin with a Windows line ending, then the file opens', async () => {
    const result = await runScript('inspect', [path.join(FIXTURES, 'legacy-rc2-3des.pfx')], { input: 'Senha@çã1\r\n' });

    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('OK - legacy-rc2-3des.pfx abre com esta senha e pode ser habilitado');
    expect(result.stdout).toMatch(/Codificação:\s+legado \(RC2-40 \+ 3DES, MAC SHA-1\)/);
    expect(result.stdout).toMatch(/Cadeia \(2 certificados além do titular\):\n {2}1\. CN=AC Intermediária de Teste pec-rnds/);
  });

  it('when the file does not end in .pfx or .p12, then it opens but warns that the chaves folder will not list it (exit 1)', async () => {
    const renamed = path.join(temp, 'municipio.pfx.bak');
    fs.copyFileSync(path.join(FIXTURES, 'aes256-default.p12'), renamed);

    const result = await runScript('inspect', [renamed], { input: 'Senha@çã1' });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('não termina em .pfx nem .p12');
  });

  it('when the file does not exist, then it exits 3 (UNKNOWN) without asking for a password', async () => {
    const result = await runScript('inspect', [path.join(temp, 'nao-existe.pfx')]);

    expect(result.code).toBe(3);
    expect(result.stdout.split('\n')[0]).toMatch(/^UNKNOWN - Arquivo não encontrado/);
    expect(result.stderr).not.toContain('Senha');
  });

  it('when no file is given, then it exits 3 and prints the usage on stderr', async () => {
    const result = await runScript('inspect', []);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Uso: npm run inspect');
    expect(result.stdout).toBe('');
  });
});

describe('npm run inspect, told what a file is as the screen tells it (module/chaves/reasons.ts)', () => {
  it('when a PEM holds the certificate and the key, then it says so and gives the openssl line for that very file, without asking for a password', async () => {
    const pem = path.join(temp, 'municipio.pem');
    fs.copyFileSync(path.join(FIXTURES, 'not-pkcs12/chave-e-certificado.pem'), pem);

    const result = await runScript('inspect', [pem]);

    expect(result.code).toBe(2);
    expect(result.stdout.split('\n')[0]).toBe('CRITICAL - municipio.pem não pode ser usado: não é um certificado .pfx/.p12');
    expect(result.stdout).toContain('Arquivo .pem no formato PEM, com o certificado e a chave privada');
    expect(result.stdout).toContain('openssl pkcs12 -export -in municipio.pem -out municipio.pfx');
    expect(result.stdout).not.toMatch(/sem a chave privada|Você copiou o \.cer\?/);
    expect(result.stderr).not.toContain('Senha');
  });

  it('when a zip is inspected, then it is told to extract the .pfx, never called corrupt, and the JSON carries the same reason as the catalogue', async () => {
    const zip = path.join(temp, 'download.zip');
    fs.copyFileSync(path.join(FIXTURES, 'not-pkcs12/municipio.zip'), zip);
    const dir = fs.mkdtempSync(path.join(temp, 'chaves-'));
    fs.copyFileSync(zip, path.join(dir, 'download.zip'));

    const result = await runScript('inspect', [zip, '--json']);
    const listed = (await scanChavesDir(dir)).entries[0];

    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout);
    expect(body.error).toEqual({ code: 'INVALID_CERTIFICATE', message: listed?.reason });
    expect(body.error.message).toMatch(/^Arquivo compactado \(\.zip\): extraia o \.pfx ou \.p12/);
    expect(result.stdout).not.toMatch(/corrompido/);
  });

  it('when a renamed .cer (cer-renomeado.pfx) and a 28-byte text .p12 are inspected, then each is told what it is, as npm run status and the screen say it', async () => {
    const cer = path.join(temp, 'cer-renomeado.pfx');
    const text = path.join(temp, 'anotacao.p12');
    fs.copyFileSync(path.join(FIXTURES, 'not-pkcs12/certificado.cer'), cer);
    fs.writeFileSync(text, 'senha do certificado: 12345\n');

    const renamed = await runScript('inspect', [cer]);
    const note = await runScript('inspect', [text]);

    expect(renamed.code).toBe(2);
    expect(renamed.stdout).toContain('Arquivo com nome .pfx, mas é só o certificado público (um .cer renomeado)');
    expect(note.code).toBe(2);
    expect(note.stdout).toContain('Arquivo com nome .p12, mas é um texto, não um certificado');
    expect(note.stdout).not.toContain('12345');
  });
});

describe('npm run inspect, on the wrong kind of certificate (before it is copied)', () => {
  it("when PEC's HTTPS keystore is inspected, then it opens but exits 1 saying it is a server certificate for esus.municipio.gov.br", async () => {
    const result = await runScript('inspect', [path.join(FIXTURES, 'kinds/keystore.p12')], { input: 'senha123\n' });

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('WARNING - keystore.p12 abre e pode ser habilitado, com um aviso');
    expect(result.stdout).toMatch(/Avisos:\n {2}- Este é um certificado de servidor HTTPS \(de esus\.municipio\.gov\.br\)/);
  });

  it("when a person's e-CPF or a certificate outside ICP-Brasil is inspected, then the JSON lists the warning's code and text, and it exits 1", async () => {
    const ecpf = await runScript('inspect', [path.join(FIXTURES, 'kinds/e-cpf.p12'), '--json'], { input: 'senha123' });
    const outside = await runScript('inspect', [path.join(FIXTURES, 'kinds/fora-icp.pfx'), '--json'], { input: 'senha123' });

    expect(ecpf.code).toBe(1);
    expect(JSON.parse(ecpf.stdout).certificate.warnings.map((w: { code: string }) => w.code)).toEqual(['PERSONAL_CERTIFICATE', 'AES_FOR_OLD_JAVA']);
    expect(JSON.parse(ecpf.stdout).warnings[0]).toMatch(/^Este é um e-CPF/);
    expect(outside.code).toBe(1);
    expect(JSON.parse(outside.stdout).certificate.warnings).toEqual([{ code: 'OUTSIDE_ICP_BRASIL', message: expect.stringContaining('não é da ICP-Brasil') }]);
  });

  it('when the AES file is inspected, then "Para o PEC" says to export with -legacy and the exit stays 0; the -legacy file has no such note', async () => {
    const aes = await runScript('inspect', [path.join(FIXTURES, 'aes256-default.p12')], { input: 'Senha@çã1' });
    const legacy = await runScript('inspect', [path.join(FIXTURES, 'legacy-rc2-3des.pfx')], { input: 'Senha@çã1' });

    expect(aes.code).toBe(0);
    expect(aes.stdout).toMatch(/Para o PEC:\n {2}- O arquivo usa a cifra AES .*Java 8.*exporte o certificado com -legacy/);
    expect(legacy.code).toBe(0);
    expect(legacy.stdout).not.toContain('Para o PEC');
  });
});

describe('readPassword on a terminal', () => {
  it('when the user types, erases and presses Enter, then the password is what remains and nothing typed is echoed', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[], setRawMode(mode: boolean) { this.rawModes.push(mode); } });
    const output = new PassThrough();
    let echoed = '';
    output.setEncoding('utf8').on('data', (d: string) => (echoed += d));

    const reading = readPassword('Senha: ', { input, output });
    input.write('Senhx');
    input.write('\u007f');
    input.write('a@çã1\r');
    const password = await reading;

    expect(password).toBe('Senha@çã1');
    expect(echoed).toBe('Senha: \n');
    expect(input.rawModes).toEqual([true, false]);
  });

  it('when the user presses Ctrl+C, then reading is cancelled', async () => {
    const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode() {} });

    const reading = readPassword('Senha: ', { input, output: new PassThrough() });
    input.write('abc\u0003');

    await expect(reading).rejects.toThrow('Cancelado');
  });
});
