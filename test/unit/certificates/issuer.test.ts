import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestCertificate, createTestIssuer, type TestCertificate, type TestIssuer } from '../../../scripts/lib/test-certificate.js';
import { findIssuer, isIssuedBy, issuerDer } from '../../../module/certificates/issuer.js';
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
  genuine = createTestCertificate({ password: 'x', issuer: ca });
  lookAlike = createTestCertificate({ password: 'x', issuer: createTestIssuer({ subject: ca.cert.subject.attributes }), authorityKeyIdentifier: false });
  selfSigned = createTestCertificate({ password: 'x', issuer: 'self' });
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
