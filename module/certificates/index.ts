/**
 * The certificate engine: open a PKCS#12 (.pfx/.p12), describe it (ICP-Brasil fields) and hand
 * out PEM for mutual TLS. node-forge reads the ASN.1 and runs RC2; node:crypto does the rest.
 */
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ITERATIONS,
  type OpenedCertificate,
  openPkcs12,
  summarizeCertificate,
} from './open.js';
export {
  type CertificateOpener,
  type CertificateOpenerOptions,
  DEFAULT_IDLE_MS,
  DEFAULT_TIMEOUT_MS,
  type OpenOptions,
  createCertificateOpener,
} from './opener.js';
