/**
 * Who signed a certificate, proven by its signature: the issuer is a certificate of the chain that names it as issuer
 * (`checkIssued`: names, key identifiers, key usage) AND whose public key verifies its signature. Equal names prove
 * nothing: anyone can make a CA with the name of an ICP-Brasil one. node:crypto only: the main thread uses this, and
 * node-forge stays in the certificate worker (summary.ts says why).
 */
import { X509Certificate } from 'node:crypto';

/** Whether `issuer` signed `certificate` (both PEM or DER); false for anything unreadable. */
export function isIssuedBy(certificate: string | Buffer, issuer: string | Buffer): boolean {
  try {
    const leaf = new X509Certificate(certificate);
    const ca = new X509Certificate(issuer);
    // A certificate is not its own issuer here: a self-signed leaf proves only that its maker has its key.
    if (leaf.fingerprint256 === ca.fingerprint256) return false;
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/**
 * The certificate of `chainPem` that signed `certPem`, as DER in base64 (what the state keeps), or null when the file
 * carried no certificate of its issuer (then no renewal can be proven to come from the same CA).
 */
export function findIssuer(certPem: string, chainPem: readonly string[]): string | null {
  for (const pem of chainPem) {
    if (!isIssuedBy(certPem, pem)) continue;
    try {
      return new X509Certificate(pem).raw.toString('base64');
    } catch {
      // unreadable: not this one
    }
  }
  return null;
}

/** The issuer certificate kept as base64 DER, back to DER (null when absent or not base64 of a certificate). */
export function issuerDer(base64: string | undefined | null): Buffer | null {
  if (!base64) return null;
  const der = Buffer.from(base64, 'base64');
  try {
    new X509Certificate(der);
    return der;
  } catch {
    return null;
  }
}
