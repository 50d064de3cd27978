import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPkcs12 } from '../../module/certificates/index.js';
import { isRndsError } from '../../module/errors.js';
import { createTestCertificate, generatePassword, normalizeCnpj, TEST_MARK } from '../../scripts/lib/test-certificate.js';
import { runScript, tempDir } from './run.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENGINE_ENCODING = {
  aes: 'AES-256-CBC (PBKDF2-SHA256, MAC SHA-256)',
  legacy: 'legado (RC2-40 + 3DES, MAC SHA-1)',
  '3des': '3DES (MAC SHA-1)',
} as const;

describe('npm run make-test-certificate', () => {
  it.each(Object.keys(ENGINE_ENCODING) as Array<keyof typeof ENGINE_ENCODING>)(
    'when run with --encoding %s, then the file lands in RNDS_CHAVES_DIR and the engine opens it with the printed password as an e-CNPJ marked as a test',
    async (encoding) => {
      const result = await runScript('make-test-certificate', ['--encoding', encoding, '--json'], { env: { RNDS_CHAVES_DIR: dir } });

      expect(result.code).toBe(0);
      const made = JSON.parse(result.stdout);
      expect(made.file).toBe(path.join(dir, 'certificado-teste.pfx'));
      const opened = openPkcs12(fs.readFileSync(made.file), made.password);
      expect(opened).toMatchObject({
        commonName: 'MUNICIPIO DE TESTE:11222333000181',
        razaoSocial: 'MUNICIPIO DE TESTE',
        cnpj: '11222333000181',
        responsibleName: 'RESPONSAVEL DE TESTE',
        responsibleCpf: '12345678909',
        clientAuth: true,
        keyType: 'RSA',
        keySize: 2048,
        encoding: ENGINE_ENCODING[encoding],
        warnings: [],
      });
      expect(opened.subject).toContain(`OU=${TEST_MARK}`);
      expect(opened.issuer).toContain('NAO CONFIAVEL');
      expect(opened.chainPem).toHaveLength(1);
      expect(opened.daysLeft).toBeGreaterThanOrEqual(364);
    },
  );

  it('when the text output is read, then it says it is a test certificate RNDS does not accept and shows the generated password', async () => {
    const result = await runScript('make-test-certificate', ['--out', dir, '--file', 'teste.p12'], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Certificado de TESTE criado');
    expect(result.stdout).toContain('A RNDS não o aceita');
    const password = /Senha:\s+(\S+)\s+\(gerada agora/.exec(result.stdout)?.[1];
    expect(password).toBeDefined();
    expect(() => openPkcs12(fs.readFileSync(path.join(dir, 'teste.p12')), password!)).not.toThrow();
  });

  it('when --ask-password gets an accented password on stdin, then that password opens the file', async () => {
    const result = await runScript('make-test-certificate', ['--out', dir, '--ask-password', '--encoding', 'legacy'], { input: 'Çalçadão@2026\n' });

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('Çalçadão@2026');
    expect(openPkcs12(fs.readFileSync(path.join(dir, 'certificado-teste.pfx')), 'Çalçadão@2026').cnpj).toBe('11222333000181');
  });

  it('when --days is negative, then the certificate is already expired: the engine refuses it and inspect exits 2', async () => {
    const result = await runScript('make-test-certificate', ['--out', dir, '--days', '-30', '--json'], {});
    const made = JSON.parse(result.stdout);
    const bytes = fs.readFileSync(made.file);

    let error: unknown;
    try {
      openPkcs12(bytes, made.password);
    } catch (e) {
      error = e;
    }
    const inspected = await runScript('inspect', [made.file], { input: made.password });

    expect(isRndsError(error) && error.code).toBe('CERTIFICATE_EXPIRED');
    const notAfter = openPkcs12(bytes, made.password, { checkValidity: false }).notAfter.getTime();
    expect(Math.abs(notAfter - (Date.now() - 30 * 86_400_000))).toBeLessThan(5 * 60_000);
    expect(inspected.code).toBe(2);
    expect(inspected.stdout).toMatch(/^CRITICAL - certificado-teste\.pfx abre, mas expirou em/);
  });

  it('when a CNPJ, razão social and CPF are given (alphanumeric CNPJ, accents), then the engine reads them back', async () => {
    const result = await runScript(
      'make-test-certificate',
      ['--out', dir, '--cnpj', '12.ABC.345/01DE-35', '--razao-social', 'Prefeitura de São João', '--responsavel', 'Maria José', '--cpf', '529.982.247-25', '--json'],
      {},
    );

    expect(result.code).toBe(0);
    const made = JSON.parse(result.stdout);
    const opened = openPkcs12(fs.readFileSync(made.file), made.password);
    expect(opened).toMatchObject({ cnpj: '12ABC34501DE35', razaoSocial: 'PREFEITURA DE SÃO JOÃO', responsibleName: 'MARIA JOSÉ', responsibleCpf: '52998224725' });
  });

  it('when the file already exists, then it is not replaced unless --force is given', async () => {
    const target = path.join(dir, 'certificado-teste.pfx');
    fs.writeFileSync(target, 'original');

    const refused = await runScript('make-test-certificate', ['--out', dir], {});
    const contentAfterRefusal = fs.readFileSync(target, 'utf8');
    const forced = await runScript('make-test-certificate', ['--out', dir, '--force'], {});

    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(contentAfterRefusal).toBe('original');
    expect(forced.code).toBe(0);
    expect(fs.readFileSync(target).subarray(0, 1)[0]).toBe(0x30); // DER SEQUENCE
    expect(fs.readdirSync(dir)).toEqual(['certificado-teste.pfx']); // no temp file left behind
  });

  it('when the CNPJ check digits are wrong, then it exits 2 and tells the right ones', async () => {
    const result = await runScript('make-test-certificate', ['--out', dir, '--cnpj', '11222333000199'], {});

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('os dígitos verificadores de 112223330001 são 81');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('when --file is a path instead of a name, then it refuses to write outside the folder', async () => {
    const result = await runScript('make-test-certificate', ['--out', dir, '--file', '../fora.pfx'], {});

    expect(result.code).toBe(2);
    expect(fs.existsSync(path.join(dir, '..', 'fora.pfx'))).toBe(false);
  });
});

describe('the test certificate builder', () => {
  it('when passwords are generated, then each follows the e-Gestor AB rule (lower, upper, digit, symbol, 6 to 8)', () => {
    const passwords = Array.from({ length: 200 }, generatePassword);

    for (const p of passwords) {
      expect(p).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{6,8}$/);
    }
    expect(new Set(passwords).size).toBeGreaterThan(190);
  });

  it('when a CNPJ is typed with punctuation or in lower case, then it is normalised; the classic examples validate', () => {
    expect(normalizeCnpj('11.222.333/0001-81')).toBe('11222333000181');
    expect(normalizeCnpj('12.abc.345/01de-35')).toBe('12ABC34501DE35');
    expect(() => normalizeCnpj('1122233300018')).toThrow(/14 caracteres/);
  });

  const hasOpenssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasOpenssl)('when OpenSSL (an independent implementation) reads each encoding with the password, then it verifies the MAC and decrypts every bag', () => {
    for (const encoding of ['aes', 'legacy', '3des'] as const) {
      const made = createTestCertificate({ password: 'Senha@çã1', encoding });
      const file = path.join(dir, `${encoding}.p12`);
      fs.writeFileSync(file, made.pfx);

      const pem = execFileSync('openssl', ['pkcs12', '-in', file, '-passin', 'env:P12_PASS', '-nodes', ...(encoding === 'legacy' ? ['-legacy'] : [])], {
        env: { ...process.env, P12_PASS: 'Senha@çã1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();

      expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
      expect(pem).toContain('-----BEGIN PRIVATE KEY-----');
    }
  });
});
