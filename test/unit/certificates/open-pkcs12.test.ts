import crypto, { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RndsError } from '../../../module/errors.js';
import { openPkcs12, summarizeCertificate } from '../../../module/certificates/index.js';
import { fixture, fixtureBytes, manifest, standardAes, standardLegacy } from '../../support/fixtures.js';

const NOW = new Date('2026-06-15T12:00:00Z');

function openError(run: () => unknown): RndsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RndsError);
    return error as RndsError;
  }
  throw new Error('expected openPkcs12 to throw');
}

describe('openPkcs12 — every supported encoding', () => {
  const good = manifest.fixtures.filter((entry) => entry.error === null);

  it.each(good.map((entry) => [entry.file, entry] as const))(
    'when %s is opened with its password, then it describes the certificate and hands out a matching key',
    (file, entry) => {
      const opened = openPkcs12(fixtureBytes(file), entry.password, { fileName: file, now: NOW });

      expect(opened.encoding).toBe(entry.encoding);
      expect(opened.commonName).toBe(entry.commonName);
      expect(opened.razaoSocial).toBe(entry.razaoSocial);
      expect(opened.cnpj).toBe(entry.cnpj);
      expect(opened.responsibleName).toBe(entry.responsibleName);
      expect(opened.responsibleCpf).toBe(entry.responsibleCpf);
      expect(opened.keyType).toBe(entry.keyType);
      expect(opened.keySize).toBe(entry.keySize);
      expect(opened.curve).toBe(entry.curve);
      expect(opened.clientAuth).toBe(entry.clientAuth);
      expect(opened.friendlyName).toBe(entry.friendlyName);
      expect(opened.chainPem).toHaveLength(entry.chainLength!);
      const key = crypto.createPrivateKey(opened.keyPem);
      expect(new X509Certificate(opened.certPem).checkPrivateKey(key)).toBe(true);
    },
  );
});

describe('openPkcs12 — what it reports', () => {
  it('when the standard AES file is opened, then names, dates, serial and the file hash are reported', () => {
    const { bytes, password } = standardAes();

    const opened = openPkcs12(bytes, password, { now: NOW });

    expect(opened.subject).toBe(
      'CN=PREFEITURA MUNICIPAL DE TESTE:12345678000190, OU=Teste pec-rnds, OU=RFB e-CNPJ A1, ' +
        'OU=Secretaria da Receita Federal do Brasil - RFB, O=ICP-Brasil, L=São Paulo, ST=SP, C=BR',
    );
    expect(opened.issuer).toBe('CN=AC Intermediária de Teste pec-rnds, O=pec-rnds teste, C=BR');
    expect(opened.notBefore.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(opened.notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(opened.daysLeft).toBe(8600);
    expect(opened.serialNumber).toBe(new X509Certificate(opened.certPem).serialNumber);
    expect(opened.sha256).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
    expect(opened.warnings).toEqual([]);
  });

  it('when the chain bags come root first, then the matching leaf is the certificate and the chain goes leaf → root', () => {
    const { bytes, password } = fixture('chain-reversed.p12');

    const opened = openPkcs12(bytes, password, { now: NOW });

    expect(opened.commonName).toBe('PREFEITURA MUNICIPAL DE TESTE:12345678000190');
    expect(opened.chainPem.map((pem) => new X509Certificate(pem).subject.split('\n').at(-1))).toEqual([
      'CN=AC Intermediária de Teste pec-rnds',
      'CN=AC Raiz de Teste pec-rnds',
    ]);
  });

  it('when the certificate lacks the clientAuth usage, then a pt-BR warning says RNDS may refuse it', () => {
    const { bytes, password } = fixture('no-client-auth.p12');

    const opened = openPkcs12(bytes, password, { now: NOW });

    expect(opened.clientAuth).toBe(false);
    expect(opened.warnings.join(' ')).toMatch(/autenticação de cliente.*a RNDS pode recusá-lo/);
  });

  it('when 30 days or fewer are left, then a warning gives the expiry date', () => {
    const { bytes, password } = standardAes();

    const opened = openPkcs12(bytes, password, { now: new Date('2049-12-10T12:00:00Z') });

    expect(opened.daysLeft).toBe(21);
    expect(opened.warnings).toEqual([expect.stringContaining('vence em 31/12/2049 (faltam 21 dias)')]);
  });

  it('when summarized, then Status gets ISO dates and days left in calendar days of the given time zone', () => {
    const { bytes, password } = standardLegacy();
    const opened = openPkcs12(bytes, password, { now: NOW });

    const summary = summarizeCertificate(opened, new Date('2049-12-30T00:00:00Z'), 'America/Sao_Paulo');

    expect(summary).toEqual({
      subject: opened.subject,
      commonName: 'PREFEITURA MUNICIPAL DE TESTE:12345678000190',
      cnpj: '12345678000190',
      razaoSocial: 'PREFEITURA MUNICIPAL DE TESTE',
      issuer: opened.issuer,
      serialNumber: opened.serialNumber,
      notBefore: '2020-01-01T00:00:00.000Z',
      notAfter: '2049-12-31T23:59:59.000Z',
      // 29/12 21:00 in São Paulo to 31/12 20:59: two calendar days (47 h).
      daysLeft: 2,
      sha256: opened.sha256,
    });
  });
});

describe('openPkcs12 — errors', () => {
  const failing = manifest.fixtures.filter((entry) => entry.error !== null);

  it.each(failing.map((entry) => [entry.file, entry.error, entry] as const))(
    'when %s is opened, then it fails with %s and a message that names the file but not the password',
    (file, code, entry) => {
      const error = openError(() => openPkcs12(fixtureBytes(file), entry.password, { fileName: 'municipio.pfx', now: NOW }));

      expect(error.code).toBe(code);
      expect(error.message).toContain('municipio.pfx');
      if (entry.password) expect(error.message).not.toContain(entry.password);
    },
  );

  it.each([
    ['standard AES', () => standardAes()],
    ['standard legacy', () => standardLegacy()],
    ['no-MAC AES', () => fixture('no-mac-aes.p12')],
    ['no-MAC legacy', () => fixture('no-mac-legacy.pfx')],
  ])('when the %s file gets a wrong password, then WRONG_PASSWORD says "senha incorreta ou arquivo danificado"', (_, load) => {
    const { bytes } = load();

    const error = openError(() => openPkcs12(bytes, 'Senha@errada9', { fileName: 'municipio.pfx' }));

    expect(error.code).toBe('WRONG_PASSWORD');
    expect(error.message).toMatch(/^Senha incorreta para o certificado municipio\.pfx \(ou o arquivo está danificado\)\. Digite a senha novamente/);
    expect(error.message).not.toContain('Senha@errada9');
  });

  it('when an accented password is typed without its accents, then it is refused', () => {
    const { bytes } = standardLegacy();

    expect(openError(() => openPkcs12(bytes, 'Senha@ca1')).code).toBe('WRONG_PASSWORD');
  });

  it('when a byte inside the MAC-protected data is flipped, then it is reported like a wrong password', () => {
    const { bytes, password } = standardAes();
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 200]! ^= 0x01;

    expect(openError(() => openPkcs12(damaged, password)).code).toBe('WRONG_PASSWORD');
  });

  it.each(['not-pkcs12/certificado.cer', 'not-pkcs12/certificado.pem', 'not-pkcs12/chave-e-certificado.pem'])(
    'when %s is chosen, then the message asks whether the .cer was copied instead of the .pfx',
    (file) => {
      const error = openError(() => openPkcs12(fixtureBytes(file), 'senha123', { fileName: 'municipio.pfx' }));

      expect(error.code).toBe('INVALID_CERTIFICATE');
      expect(error.message).toContain('Você copiou o .cer? Use o .pfx/.p12 com a chave privada');
    },
  );

  it('when the file is cut short, then the message says the copy is incomplete', () => {
    const error = openError(() => openPkcs12(fixtureBytes('not-pkcs12/truncado.pfx'), 'Senha@çã1'));

    expect(error.code).toBe('INVALID_CERTIFICATE');
    expect(error.message).toMatch(/está incompleto/);
  });

  it('when the file is empty, then the message says so', () => {
    const error = openError(() => openPkcs12(Buffer.alloc(0), '', { fileName: 'vazio.pfx' }));

    expect(error.code).toBe('INVALID_CERTIFICATE');
    expect(error.message).toMatch(/^O arquivo vazio\.pfx está vazio\./);
  });

  it('when the file is larger than the cap, then CERTIFICATE_TOO_LARGE is raised before parsing', () => {
    const error = openError(() => openPkcs12(Buffer.alloc(64 * 1024 + 1, 0x30), 'x', { fileName: 'grande.pfx' }));

    expect(error.code).toBe('CERTIFICATE_TOO_LARGE');
    expect(error.message).toContain('tem mais de 64 KB, acima do limite de 64 KB');
  });

  it('when a smaller size cap is configured, then a normal file is refused', () => {
    const { bytes, password } = standardAes();

    expect(openError(() => openPkcs12(bytes, password, { maxBytes: 1024 })).code).toBe('CERTIFICATE_TOO_LARGE');
  });

  it('when the iteration cap is below the file\'s 2048, then TOO_EXPENSIVE names both counts', () => {
    const { bytes, password } = standardAes();

    const error = openError(() => openPkcs12(bytes, password, { maxIterations: 1000 }));

    expect(error.code).toBe('TOO_EXPENSIVE');
    expect(error.message).toMatch(/2\.048 iterações.*limite de 1\.000/);
  });

  it('when a key bag uses RC4, then UNSUPPORTED_CERTIFICATE names the algorithm', () => {
    const { bytes, password } = fixture('rc4-key.p12');

    expect(openError(() => openPkcs12(bytes, password)).message).toContain('RC4-128');
  });

  it('when the certificate expired, then the message gives the date in Brasília time', () => {
    const { bytes, password } = fixture('expired.p12');

    const error = openError(() => openPkcs12(bytes, password, { fileName: 'velho.pfx', now: NOW }));

    expect(error.code).toBe('CERTIFICATE_EXPIRED');
    // notAfter is 2021-01-01T02:00Z, still 31/12/2020 in UTC-3.
    expect(error.message).toMatch(/^O certificado velho\.pfx expirou em 31\/12\/2020\./);
  });

  it('when validity checks are off, then an expired certificate opens with negative days and a warning', () => {
    const { bytes, password } = fixture('expired.p12');

    const opened = openPkcs12(bytes, password, { now: NOW, checkValidity: false });

    expect(opened.daysLeft).toBeLessThan(0);
    expect(opened.warnings.join(' ')).toContain('expirou em 31/12/2020');
  });

  it('when the certificate is not valid yet, then the message gives the start date', () => {
    const { bytes, password } = fixture('not-yet-valid.p12');

    const error = openError(() => openPkcs12(bytes, password, { now: NOW }));

    expect(error.code).toBe('CERTIFICATE_NOT_YET_VALID');
    expect(error.message).toContain('a partir de 31/12/2089');
  });

  it('when no file name is given, then messages still read well', () => {
    const { bytes } = standardAes();

    expect(openError(() => openPkcs12(bytes, 'errada')).message).toMatch(/^Senha incorreta para o certificado \(ou/);
  });
});
