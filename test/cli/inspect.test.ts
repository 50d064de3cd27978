import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { OPEN_ERROR_LABEL } from '../../scripts/lib/cli.js';
import { readPassword } from '../../scripts/lib/password.js';
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
