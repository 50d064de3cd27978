import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificate, createTestIssuer, type TestCertificate, type TestIssuer } from '../../../scripts/lib/test-certificate.js';
import { findIssuer, isIssuedBy, issuerDer } from '../../../module/certificates/issuer.js';
import { openPkcs12 } from '../../../module/certificates/open.js';
import forge from 'node-forge';

/** The proof a renewal rests on: the signature, not the names. Real certificates from the test PKI. */
let ca: TestIssuer;
let caPem: string;
let genuine: TestCertificate;
let lookAlike: TestCertificate; // signed by another CA that has the genuine CA's name, no authorityKeyIdentifier
let selfSigned: TestCertificate;

beforeAll(() => {
  ca = createTestIssuer();
  caPem = forge.pki.certificateToPem(ca.cert);
  genuine = createTestCertificate({ password: 'x', issuer: ca, mac: false });
  lookAlike = createTestCertificate({ password: 'x', issuer: createTestIssuer({ subject: ca.cert.subject.attributes }), authorityKeyIdentifier: false, mac: false });
  selfSigned = createTestCertificate({ password: 'x', issuer: 'self', mac: false });
});

describe('the issuer proof', () => {
  it('when the CA signed the certificate, then it is its issuer, and found in a chain', () => {
    expect(isIssuedBy(genuine.certPem, caPem)).toBe(true);
    expect(findIssuer(genuine.certPem, [lookAlike.caPem, caPem])).toBe(new X509Certificate(caPem).raw.toString('base64'));
    expect(issuerDer(findIssuer(genuine.certPem, [caPem]))?.equals(new X509Certificate(caPem).raw)).toBe(true);
  });

  it('when another CA has the same name, then the names match but the signature does not, and it is not the issuer', () => {
    const leaf = new X509Certificate(lookAlike.certPem);
    expect(leaf.issuer).toBe(new X509Certificate(caPem).subject);
    expect(leaf.checkIssued(new X509Certificate(caPem))).toBe(true); // names alone would pass
    expect(isIssuedBy(lookAlike.certPem, caPem)).toBe(false);
    expect(isIssuedBy(lookAlike.certPem, lookAlike.caPem)).toBe(true); // its own look-alike CA did sign it
  });

  it('when the certificate is self-signed or the chain is empty or junk, then there is no issuer', () => {
    expect(isIssuedBy(selfSigned.certPem, selfSigned.certPem)).toBe(false);
    expect(isIssuedBy(selfSigned.certPem, caPem)).toBe(false);
    expect(findIssuer(genuine.certPem, [])).toBeNull();
    expect(findIssuer(genuine.certPem, ['não é um certificado'])).toBeNull();
    expect(issuerDer(undefined)).toBeNull();
    expect(issuerDer('bm9wZQ==')).toBeNull();
  });
});

/**
 * `bytes` with one bit of the shrouded private key's ciphertext flipped (the certificates untouched): opening it fails
 * exactly when the key is decrypted, so an error of another kind shows that the opener stopped before the key.
 */
function damageKey(bytes: Buffer): Buffer {
  const { asn1 } = forge;
  type Asn1 = forge.asn1.Asn1;
  const at = (node: Asn1, ...path: number[]): Asn1 => path.reduce((n, i) => (n.value as Asn1[])[i]!, node);
  const pfx = asn1.fromDer(bytes.toString('binary'));
  const authSafeOctets = at(pfx, 1, 1, 0);
  const authSafe = asn1.fromDer(authSafeOctets.value as string);
  for (const info of authSafe.value as Asn1[]) {
    if (asn1.derToOid(at(info, 0).value as string) !== '1.2.840.113549.1.7.1') continue;
    const octets = at(info, 1, 0);
    const safe = asn1.fromDer(octets.value as string);
    const encryptedKey = at(safe, 0, 1, 0, 1);
    const cipher = Buffer.from(encryptedKey.value as string, 'binary');
    cipher[cipher.length - 20]! ^= 0x01;
    encryptedKey.value = cipher.toString('binary');
    octets.value = asn1.toDer(safe).getBytes();
  }
  authSafeOctets.value = asn1.toDer(authSafe).getBytes();
  return Buffer.from(asn1.toDer(pfx).getBytes(), 'binary');
}

describe('the renewal pre-check in the opener', () => {
  it('when no certificate of the file is a renewal signed by the issuer, then the file is refused before its private key is decrypted; a proven one goes on to the key', () => {
    const renewalOf = { issuerDer: new X509Certificate(caPem).raw, cnpj: genuine.cnpj, notAfter: new Date(genuine.notAfter.getTime() - 86_400_000) };
    // Sanity: the damage reaches the key only.
    expect(() => openPkcs12(damageKey(lookAlike.pfx), 'x')).toThrow(expect.objectContaining({ code: 'WRONG_PASSWORD' }));
    for (const rogue of [lookAlike, selfSigned]) {
      expect(() => openPkcs12(damageKey(rogue.pfx), 'x', { renewalOf })).toThrow(expect.objectContaining({ code: 'CERTIFICATE_NOT_FOUND' }));
    }
    expect(() => openPkcs12(damageKey(genuine.pfx), 'x', { renewalOf })).toThrow(expect.objectContaining({ code: 'WRONG_PASSWORD' }));
    expect(openPkcs12(genuine.pfx, 'x', { renewalOf }).sha256).toMatch(/^[0-9a-f]{64}$/);
    // Same CA, but not later than the enabled one, or another CNPJ: not a renewal either.
    expect(() => openPkcs12(genuine.pfx, 'x', { renewalOf: { ...renewalOf, notAfter: genuine.notAfter } })).toThrow(expect.objectContaining({ code: 'CERTIFICATE_NOT_FOUND' }));
    expect(() => openPkcs12(genuine.pfx, 'x', { renewalOf: { ...renewalOf, cnpj: '12345678000195' } })).toThrow(expect.objectContaining({ code: 'CERTIFICATE_NOT_FOUND' }));
  });
});
