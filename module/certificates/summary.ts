/**
 * What the main thread needs of an opened certificate, without the parser: the limits, the size check and the
 * summary the Status shows. Kept apart from open.ts so that the server never loads node-forge (it runs only in the
 * certificate worker): importing it costs ~30 ms of start and ~5 MB of memory (README, "Lean").
 */
import type { CertificateSummary } from '../types.js';
import type { CertificateMessages } from './messages.js';
import type { OpenedCertificate } from './open.js';
import { daysLeft } from '../present/index.js';

export const DEFAULT_MAX_BYTES = 64 * 1024;
export const DEFAULT_MAX_ITERATIONS = 200_000;

/** The part of an opened certificate that Status shows (docs/CONTRACT.md). */
export function summarizeCertificate(cert: OpenedCertificate, now: Date, timeZone: string): CertificateSummary {
  return {
    subject: cert.subject,
    commonName: cert.commonName,
    cnpj: cert.cnpj,
    razaoSocial: cert.razaoSocial,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: daysLeft(cert.notAfter, now, timeZone),
    sha256: cert.sha256,
    // Absent when there is nothing to say, as in states saved before the field existed.
    ...(cert.kindWarnings.length > 0 ? { warnings: cert.kindWarnings } : {}),
  };
}

/** Refuses empty and oversized files before any parsing. */
export function checkSize(data: Uint8Array, maxBytes: number, messages: CertificateMessages): void {
  if (data.byteLength > maxBytes) throw messages.tooLarge(data.byteLength, maxBytes);
  if (data.byteLength === 0) throw messages.empty();
}
