import { describe, expect, it } from 'vitest';
import { openPkcs12, summarizeCertificate } from '../../../module/certificates/index.js';
import { CERTIFICATE_WARNING_CODES } from '../../../module/certificates/warnings.js';
import { CertificateSummarySchema } from '../../../module/contract/schemas.js';
import { fixture, fixtureBytes, manifest } from '../../support/fixtures.js';

// The kinds fixtures are valid from the day they were made (late 2026) for 9000 days.
const NOW = new Date('2030-06-15T12:00:00Z');
const TZ = 'America/Sao_Paulo';
const kinds = (manifest as unknown as { kinds: Array<{ file: string; password: string; warnings: string[] }> }).kinds;

const open = (file: string, password: string) => openPkcs12(fixtureBytes(file), password, { now: NOW, fileName: file });
const codes = (file: string, password: string) => open(file, password).kindWarnings.map((warning) => warning.code);

describe('the wrong kind of certificate, told when the file is opened', () => {
  it.each(kinds.map((entry) => [entry.file, entry] as const))('when %s is opened, then its warnings are the ones of its kind', (_file, entry) => {
    expect(codes(entry.file, entry.password)).toEqual(entry.warnings);
  });

  it("when PEC's HTTPS keystore (serverAuth, DNS esus.municipio.gov.br) is opened, then it is told a server certificate, to be left for PEC and not enabled", () => {
    const opened = open('kinds/keystore.p12', 'senha123');

    const server = opened.kindWarnings.find((warning) => warning.code === 'SERVER_CERTIFICATE');
    expect(server?.message).toMatch(/^Este é um certificado de servidor HTTPS \(de esus\.municipio\.gov\.br\)/);
    expect(server?.message).toContain('Escolha o e-CNPJ A1 do município');
    // Said once: the no-clientAuth note would repeat the server warning.
    expect(opened.warnings.join(' ')).not.toMatch(/clientAuth/);
    expect(opened.clientAuth).toBe(false);
  });

  it("when a person's e-CPF is opened, then it names the person and the CPF and asks for the municipality's e-CNPJ", () => {
    const [personal] = open('kinds/e-cpf.p12', 'senha123').kindWarnings;

    expect(personal).toEqual({
      code: 'PERSONAL_CERTIFICATE',
      message: expect.stringMatching(/^Este é um e-CPF, o certificado de uma pessoa \(MARIA DA SILVA TESTE, CPF 123\.456\.789-09\), não o e-CNPJ do município/),
    });
  });

  it('when a certificate from a CA outside ICP-Brasil is opened, then it names the issuer and says RNDS accepts ICP-Brasil or the e-Gestor one', () => {
    const [outside] = open('kinds/fora-icp.pfx', 'senha123').kindWarnings;

    expect(outside?.code).toBe('OUTSIDE_ICP_BRASIL');
    expect(outside?.message).toContain('emitido por CN=Exemplo CA Comercial de Teste');
    expect(outside?.message).toContain('a RNDS só aceita certificados ICP-Brasil e o gerado no e-Gestor AB');
  });

  it('when the AES (OpenSSL 3) file is opened, then it says PEC before 5.3 (Java 8) may not open it and to export with -legacy; the -legacy file of the same certificate says nothing', () => {
    const aes = open(manifest.standard.aes, fixture(manifest.standard.aes).password).kindWarnings;
    const legacy = open(manifest.standard.legacy, fixture(manifest.standard.legacy).password).kindWarnings;

    expect(aes.map((warning) => warning.code)).toEqual(['AES_FOR_OLD_JAVA']);
    expect(aes[0]?.message).toMatch(/PEC anterior à versão 5\.3 roda em Java 8/);
    expect(aes[0]?.message).toContain('openssl pkcs12 -export -legacy');
    expect(legacy).toEqual([]);
  });

  it.each([
    ['3des-3des.pfx', []],
    ['no-mac-legacy.pfx', []],
    ['ber-indefinite-legacy.pfx', []],
    ['ber-indefinite.p12', ['AES_FOR_OLD_JAVA']],
    ['mac-sha512.p12', ['AES_FOR_OLD_JAVA']],
    ['keytool-rsa.p12', ['AES_FOR_OLD_JAVA']],
    ['alnum-cnpj.p12', ['AES_FOR_OLD_JAVA']],
    ['no-client-auth.p12', ['AES_FOR_OLD_JAVA']],
  ])('when the e-CNPJ %s is opened, then only the encoding may be warned about: %j', (file, expected) => {
    expect(codes(file, fixture(file).password)).toEqual(expected);
  });

  it('when summarized for the Status, then the warnings travel in the certificate summary, and the saved state accepts them', () => {
    const summary = summarizeCertificate(open('kinds/e-cpf.p12', 'senha123'), NOW, TZ);

    expect(summary.warnings?.map((warning) => warning.code)).toEqual(['PERSONAL_CERTIFICATE', 'AES_FOR_OLD_JAVA']);
    expect(CertificateSummarySchema.parse(summary)).toEqual(summary);
    expect(CertificateSummarySchema.safeParse({ ...summary, warnings: [{ code: 'OUTRO', message: 'x' }] }).success).toBe(false);
  });

  it('when nothing is wrong with the kind, then the summary has no warnings field (states saved before it read the same)', () => {
    const legacy = fixture(manifest.standard.legacy);
    const summary = summarizeCertificate(open(legacy.file, legacy.password), NOW, TZ);

    expect(summary).not.toHaveProperty('warnings');
    expect(CERTIFICATE_WARNING_CODES).toEqual(['SERVER_CERTIFICATE', 'PERSONAL_CERTIFICATE', 'OUTSIDE_ICP_BRASIL', 'AES_FOR_OLD_JAVA']);
  });
});
