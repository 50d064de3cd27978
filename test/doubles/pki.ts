/**
 * Throw-away X.509 material for tests: CAs, a server certificate for 127.0.0.1/localhost and client
 * certificates. CAs, keys and serial numbers come from the test-certificate CLI's builder
 * (scripts/lib/test-certificate.ts); forge signs the leaves.
 */
import forge from 'node-forge';
import { buildCa, newRsaKey, serialNumber } from '../../scripts/lib/test-certificate.js';

/** PEM material shaped like the engine's OpenedCertificate: ready for `tls.connect({ key, cert })`. */
export interface TestCertificate {
  keyPem: string;
  certPem: string;
  /** Issuers above the leaf (the CA that signed it), as the engine returns them. */
  chainPem: string[];
  notBefore: Date;
  notAfter: Date;
  commonName: string;
}

export interface IssueOptions {
  commonName: string;
  notBefore?: Date;
  notAfter?: Date;
  /** Server certificates: names and addresses in subjectAltName. */
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Extended key usage: `client` (default), `server`. */
  usage?: 'client' | 'server';
}

export interface TestCa {
  commonName: string;
  certPem: string;
  keyPem: string;
  /** Issues a leaf certificate signed by this CA. */
  issue(options: IssueOptions): TestCertificate;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Creates a self-signed test CA (valid from yesterday for ten years unless told otherwise). */
export function createTestCa(commonName: string, validity: { notBefore?: Date; notAfter?: Date } = {}): TestCa {
  const { cert, key } = buildCa(
    [
      { name: 'commonName', value: commonName },
      { name: 'organizationName', value: 'pec-rnds testes' },
      { name: 'countryName', value: 'BR' },
    ],
    {
      notBefore: validity.notBefore ?? new Date(Date.now() - DAY_MS),
      notAfter: validity.notAfter ?? new Date(Date.now() + 3650 * DAY_MS),
    },
  );
  const certPem = forge.pki.certificateToPem(cert);

  return {
    commonName,
    certPem,
    keyPem: key.keyPem,
    issue(options: IssueOptions): TestCertificate {
      const leafKey = newRsaKey();
      const leaf = forge.pki.createCertificate();
      leaf.publicKey = leafKey.publicKey;
      leaf.serialNumber = serialNumber();
      const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
      const notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY_MS);
      leaf.validity.notBefore = notBefore;
      leaf.validity.notAfter = notAfter;
      leaf.setSubject([
        { name: 'commonName', value: options.commonName },
        { name: 'organizationName', value: 'pec-rnds testes' },
        { name: 'countryName', value: 'BR' },
      ]);
      leaf.setIssuer(cert.subject.attributes);
      const altNames = [
        ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
        ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
      ];
      const usage = options.usage ?? 'client';
      leaf.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: usage === 'server', clientAuth: usage === 'client' },
        ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
        { name: 'authorityKeyIdentifier', keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() },
      ]);
      leaf.sign(key.privateKey, forge.md.sha256.create());
      return {
        keyPem: leafKey.keyPem,
        certPem: forge.pki.certificateToPem(leaf),
        chainPem: [certPem],
        notBefore,
        notAfter,
        commonName: options.commonName,
      };
    },
  };
}

/** Everything the RNDS auth double and its clients need, generated once per test file. */
export interface RndsTestPki {
  /** Signs the double's server certificate; clients trust it to reach the double. */
  serverCa: TestCa;
  /** The CA the double trusts for client certificates. */
  clientCa: TestCa;
  /** A CA the double does not trust. */
  untrustedCa: TestCa;
  server: TestCertificate;
  clients: {
    /** Valid now, issued by clientCa. */
    good: TestCertificate;
    /** Issued by clientCa, expired yesterday. */
    expired: TestCertificate;
    /** Issued by clientCa, valid only from next month. */
    notYetValid: TestCertificate;
    /** Valid now, issued by untrustedCa. */
    untrusted: TestCertificate;
  };
}

/** Generates the CAs and certificates of an RNDS test setup (about ten RSA-2048 keys, well under a second or two). */
export function createRndsTestPki(): RndsTestPki {
  const now = Date.now();
  const serverCa = createTestCa('RNDS Double Server CA');
  const clientCa = createTestCa('RNDS Double Client CA');
  const untrustedCa = createTestCa('Untrusted Client CA');
  return {
    serverCa,
    clientCa,
    untrustedCa,
    server: serverCa.issue({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' }),
    clients: {
      good: clientCa.issue({ commonName: 'MUNICIPIO DE TESTE:12345678000190' }),
      expired: clientCa.issue({
        commonName: 'MUNICIPIO EXPIRADO:12345678000190',
        notBefore: new Date(now - 400 * DAY_MS),
        notAfter: new Date(now - DAY_MS),
      }),
      notYetValid: clientCa.issue({
        commonName: 'MUNICIPIO FUTURO:12345678000190',
        notBefore: new Date(now + 30 * DAY_MS),
        notAfter: new Date(now + 400 * DAY_MS),
      }),
      untrusted: untrustedCa.issue({ commonName: 'MUNICIPIO NAO CONFIAVEL:12345678000190' }),
    },
  };
}
