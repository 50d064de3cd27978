/**
 * openPkcs12: bytes + password in, an opened certificate (or an RndsError with a pt-BR message)
 * out. Synchronous and CPU-bound: production code calls it through createCertificateOpener.
 */
import crypto, { X509Certificate } from 'node:crypto';
import { RndsError } from '../errors.js';
import { StructureError, child, oid, parseDer } from './asn1.js';
import { describeCertificate } from './describe.js';
import { CertificateMessages, certificateWarnings } from './messages.js';
import { DEFAULT_TIME_ZONE, daysLeft as calendarDaysLeft } from '../present/index.js';
import { UnsupportedAlgorithm } from './pbe.js';
import { type CertificateWarning, kindWarnings } from './warnings.js';
import { DamagedContent, type DecodedPkcs12, type Pkcs12Item, TooExpensive, WrongPassword, decodePkcs12 } from './pkcs12.js';
import { isIssuedBy } from './issuer.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ITERATIONS, checkSize } from './summary.js';

export { DEFAULT_MAX_BYTES, DEFAULT_MAX_ITERATIONS, checkSize, summarizeCertificate } from './summary.js';

/** A certificate whose password opened it: what to show, and what mutual TLS needs. */
export interface OpenedCertificate {
  subject: string;
  commonName: string;
  razaoSocial: string | null;
  /** 14 characters, digits or the new alphanumeric form `[0-9A-Z]{12}[0-9]{2}`. */
  cnpj: string | null;
  responsibleName: string | null;
  /** 11 digits. */
  responsibleCpf: string | null;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** SHA-256 of the file bytes, 64 lowercase hex. */
  sha256: string;
  keyType: 'RSA' | 'EC';
  /** RSA modulus bits, or the EC curve size. */
  keySize: number;
  /** "P-256", "P-384"… for EC keys. */
  curve: string | null;
  /** True when the certificate may be used for TLS client authentication. */
  clientAuth: boolean;
  /** pt-BR notes for the administrator (no clientAuth, expiring soon…). */
  warnings: string[];
  /** The wrong kind of certificate (server, e-CPF, outside ICP-Brasil) or of file (AES for PEC on Java 8), with what to do. */
  kindWarnings: CertificateWarning[];
  /** How the file is protected, e.g. "legado (RC2-40 + 3DES, MAC SHA-1)". */
  encoding: string;
  friendlyName: string | null;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  /** PEM of the certificate that matches the key. */
  certPem: string;
  /** PEM of the other certificates, issuer of the previous one first when known. */
  chainPem: string[];
}

export interface OpenPkcs12Options {
  /** Used in messages only, e.g. "municipio.pfx". */
  fileName?: string;
  /** Largest accepted file, in bytes (default 64 KiB). */
  maxBytes?: number;
  /** Largest accepted iteration count of any key derivation (default 200 000). */
  maxIterations?: number;
  /** The moment to check validity against (default: now). */
  now?: Date;
  /** False skips the expired / not-yet-valid errors (the details still tell). Default true. */
  checkValidity?: boolean;
  /** The installation's time zone: dates in the messages, calendar days left (default America/Sao_Paulo). */
  timeZone?: string;
  /**
   * Opens only a renewal of this certificate: unless the file holds a certificate signed by `issuerDer`, with `cnpj`
   * and an expiry after `notAfter`, it is refused before any private key is decrypted (CERTIFICATE_NOT_FOUND). The
   * renewal scan's pre-check: a file that fails the proof costs about the same whether the password opened its
   * certificates or not (the caller still checks the certificate that matches the key).
   */
  renewalOf?: { issuerDer: Uint8Array; cnpj: string; notAfter: Date };
}

/** Opens a PKCS#12 (.pfx/.p12) file; throws RndsError with a contract code on every failure. */
export function openPkcs12(
  bytes: Uint8Array,
  password: string,
  options: OpenPkcs12Options = {},
): OpenedCertificate {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const messages = new CertificateMessages(options.fileName, timeZone);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const now = options.now ?? new Date();
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  checkSize(data, maxBytes, messages);
  const decoded = decode(data, password, maxIterations, messages, options.renewalOf && renewalCheck(options.renewalOf, messages));

  if (decoded.keys.length === 0) throw messages.noPrivateKey();
  const keys = decoded.keys.map((key) => ({ ...key, object: loadPrivateKey(key.der, messages) }));
  const certs = decoded.certs.flatMap((cert) => {
    try {
      return [{ ...cert, x509: new X509Certificate(cert.der) }];
    } catch {
      return [];
    }
  });
  let match: { key: (typeof keys)[number]; cert: (typeof certs)[number] } | undefined;
  for (const key of keys) {
    const cert = certs.find((candidate) => candidate.x509.checkPrivateKey(key.object));
    if (cert) {
      match = { key, cert };
      break;
    }
  }
  if (!match) throw messages.keyMismatch(certs.length > 0);

  const { key, cert } = match;
  const facts = describeCertificate(cert.der);
  const daysLeft = calendarDaysLeft(facts.notAfter, now, timeZone);
  if (options.checkValidity !== false) {
    if (now < facts.notBefore) throw messages.notYetValid(facts.notBefore);
    if (now > facts.notAfter) throw messages.expired(facts.notAfter);
  }
  const { keyType, keySize, curve } = keyFacts(key.object, messages);
  const kinds = kindWarnings({ ...facts, modernEncryption: decoded.modern });

  return {
    subject: facts.subject,
    commonName: facts.commonName,
    razaoSocial: facts.razaoSocial,
    cnpj: facts.cnpj,
    responsibleName: facts.responsibleName,
    responsibleCpf: facts.responsibleCpf,
    issuer: facts.issuer,
    serialNumber: cert.x509.serialNumber,
    notBefore: facts.notBefore,
    notAfter: facts.notAfter,
    daysLeft,
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
    keyType,
    keySize,
    curve,
    clientAuth: facts.clientAuth,
    // A server certificate's warning already says it is not for RNDS: the clientAuth note would repeat it.
    warnings: certificateWarnings({ clientAuth: facts.clientAuth || kinds.some((w) => w.code === 'SERVER_CERTIFICATE'), notAfter: facts.notAfter, daysLeft, expired: now > facts.notAfter }, timeZone),
    kindWarnings: kinds,
    encoding: decoded.encoding,
    friendlyName: key.friendlyName ?? cert.friendlyName,
    keyPem: key.object.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certPem: cert.x509.toString(),
    chainPem: orderChain(
      cert.x509,
      certs.filter((other) => other !== cert).map((other) => other.x509),
    ).map((x509) => x509.toString()),
  };
}

/** Refuses, before any key is decrypted, a file without a certificate that could renew the one described. */
function renewalCheck(renewalOf: NonNullable<OpenPkcs12Options['renewalOf']>, messages: CertificateMessages): (certs: readonly Pkcs12Item[]) => void {
  const issuer = Buffer.from(renewalOf.issuerDer.buffer, renewalOf.issuerDer.byteOffset, renewalOf.issuerDer.byteLength);
  return (certs) => {
    const proven = certs.some((cert) => {
      try {
        const facts = describeCertificate(cert.der);
        return facts.cnpj === renewalOf.cnpj && facts.notAfter > renewalOf.notAfter && isIssuedBy(cert.der, issuer);
      } catch {
        return false;
      }
    });
    if (!proven) throw messages.notRenewal();
  };
}

function decode(data: Buffer, password: string, maxIterations: number, messages: CertificateMessages, beforeKeys?: (certs: readonly Pkcs12Item[]) => void): DecodedPkcs12 {
  try {
    return decodePkcs12(data, password, maxIterations, beforeKeys);
  } catch (error) {
    if (error instanceof RndsError) throw error;
    if (error instanceof WrongPassword) throw messages.wrongPassword();
    if (error instanceof TooExpensive) throw messages.tooExpensive(error.iterations, error.limit, error.total);
    if (error instanceof UnsupportedAlgorithm) throw messages.unsupported(error.label, error);
    if (error instanceof DamagedContent) throw messages.damaged(error);
    if (error instanceof StructureError || isPlainError(error)) throw classifyUnreadable(data, messages, error);
    throw new RndsError('INTERNAL', 'Erro inesperado ao abrir o certificado. Tente novamente.', { cause: error });
  }
}

/** Says why bytes are not a PKCS#12: a .cer or PEM copied by mistake, a cut-short copy, or junk. */
function classifyUnreadable(data: Buffer, messages: CertificateMessages, cause: unknown): RndsError {
  const head = data.subarray(0, 256).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart();
  if (head.startsWith('-----BEGIN')) return messages.publicCertificateOnly();
  try {
    new X509Certificate(data);
    return messages.publicCertificateOnly();
  } catch {
    // not a DER certificate either
  }
  if (declaredLength(data) > data.length) return messages.truncated(cause);
  return messages.notPkcs12(cause);
}

/** Total length announced by a DER SEQUENCE header, or 0 when the bytes do not start with one. */
function declaredLength(data: Buffer): number {
  if (data[0] !== 0x30 || data.length < 2) return 0;
  const first = data[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || data.length < 2 + count) return 0;
  return 2 + count + data.readUIntBE(2, count);
}

function isPlainError(error: unknown): boolean {
  return error instanceof Error && error.constructor === Error;
}

function loadPrivateKey(der: Buffer, messages: CertificateMessages): crypto.KeyObject {
  try {
    return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (error) {
    let algorithm = 'desconhecido';
    try {
      algorithm = `OID ${oid(child(child(parseDer(der), 1, 'chave'), 0, 'chave'), 'chave')}`;
    } catch {
      // keep "desconhecido"
    }
    throw messages.unsupported(`chave privada ${algorithm}`, error);
  }
}

const CURVES: Record<string, { name: string; bits: number }> = {
  prime256v1: { name: 'P-256', bits: 256 },
  secp384r1: { name: 'P-384', bits: 384 },
  secp521r1: { name: 'P-521', bits: 521 },
};

function keyFacts(
  key: crypto.KeyObject,
  messages: CertificateMessages,
): { keyType: 'RSA' | 'EC'; keySize: number; curve: string | null } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    return { keyType: 'RSA', keySize: details.modulusLength ?? 0, curve: null };
  }
  if (key.asymmetricKeyType === 'ec') {
    const named = details.namedCurve ?? '';
    const known = CURVES[named];
    const bits = known?.bits ?? Number(/(\d{3})/.exec(named)?.[1] ?? 0);
    return { keyType: 'EC', keySize: bits, curve: known?.name ?? (named || null) };
  }
  throw messages.unsupportedKey(String(key.asymmetricKeyType ?? 'desconhecido').toUpperCase());
}

/** Leaf's issuer first, then its issuer…; certificates outside that path keep their file order. */
function orderChain(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const remaining = [...others];
  const ordered: X509Certificate[] = [];
  let current = leaf;
  for (;;) {
    const index = remaining.findIndex((candidate) => current.checkIssued(candidate));
    if (index < 0) break;
    current = remaining.splice(index, 1)[0]!;
    ordered.push(current);
  }
  return [...ordered, ...remaining];
}
