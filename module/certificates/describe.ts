/**
 * What an administrator needs to know about an X.509 certificate: names, ICP-Brasil identity
 * fields (subjectAltName otherName 2.16.76.1.3.x), validity and the clientAuth usage.
 */
import forge from 'node-forge';
import { type Node, Type, bytesOf, child, children, isContext, isUniversal, oid, parseDer, text } from './asn1.js';

export interface CertificateFacts {
  subject: string;
  commonName: string;
  issuer: string;
  razaoSocial: string | null;
  cnpj: string | null;
  responsibleName: string | null;
  responsibleCpf: string | null;
  notBefore: Date;
  notAfter: Date;
  clientAuth: boolean;
  /** The extendedKeyUsage lists serverAuth (an HTTPS server certificate). */
  serverAuth: boolean;
  /** subjectAltName dNSName entries (a server certificate names its host). */
  dnsNames: string[];
  /** ICP-Brasil marks: O=ICP-Brasil in the subject or issuer, 2.16.76.1.3.x identity fields or a 2.16.76.1.2 policy. */
  icpBrasil: boolean;
  /** An individual's certificate (e-CPF): otherName 2.16.76.1.3.1, or CN `NOME:CPF`; null otherwise. */
  person: { name: string; cpf: string | null } | null;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GN',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const ICP = {
  personData: '2.16.76.1.3.1',
  responsibleData: '2.16.76.1.3.4',
  responsibleName: '2.16.76.1.3.2',
  cnpj: '2.16.76.1.3.3',
  companyName: '2.16.76.1.3.8',
} as const;

const EXT_SUBJECT_ALT_NAME = '2.5.29.17';
const EXT_EXTENDED_KEY_USAGE = '2.5.29.37';
const EXT_CERTIFICATE_POLICIES = '2.5.29.32';
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Arc of ICP-Brasil (2.16.76.1): policies under .2, identity fields under .3. */
const ICP_ARC = '2.16.76.1.';
const EKU_ANY = '2.5.29.37.0';

const CNPJ_PATTERN = /^[0-9A-Z]{12}[0-9]{2}$/;

/** Reads the facts from a certificate's DER. */
export function describeCertificate(der: Buffer): CertificateFacts {
  const tbs = child(parseDer(der), 0, 'TBSCertificate');
  const fields = children(tbs, 'TBSCertificate');
  // The optional [0] version shifts every later field by one.
  const offset = isContext(fields[0], 0) ? 1 : 0;
  const issuer = readName(fields[offset + 2]);
  const validity = children(fields[offset + 3], 'validade');
  const subject = readName(fields[offset + 4]);
  const extensions = new Map<string, Buffer>();
  for (const field of fields.slice(offset + 6)) {
    if (!isContext(field, 3)) continue;
    for (const extension of children(child(field, 0, 'extensões'), 'extensões')) {
      const parts = children(extension, 'extensão');
      extensions.set(oid(parts[0], 'extensão'), bytesOf(parts[parts.length - 1], 'extensão'));
    }
  }

  const otherNames = readOtherNames(extensions.get(EXT_SUBJECT_ALT_NAME));
  const commonName = [...subject.attributes].reverse().find(([type]) => type === 'CN')?.[1] ?? '';
  const cnMatch = /^(.*):([0-9A-Z]{12}[0-9]{2})$/.exec(commonName.trim());
  const sanCnpj = normalizeCnpj(otherNames.get(ICP.cnpj));
  const responsibleData = otherNames.get(ICP.responsibleData)?.trim() ?? '';
  const cpf = responsibleData.slice(8, 19);
  const cnpj = sanCnpj ?? cnMatch?.[2] ?? null;
  const usages = extendedKeyUsages(extensions.get(EXT_EXTENDED_KEY_USAGE));
  const isIcpOrganization = (attributes: [string, string][]): boolean =>
    attributes.some(([type, value]) => type === 'O' && value.trim().toUpperCase() === 'ICP-BRASIL');

  return {
    subject: subject.text,
    commonName,
    issuer: issuer.text,
    razaoSocial: cnMatch?.[1]?.trim() || otherNames.get(ICP.companyName)?.trim() || null,
    cnpj,
    responsibleName: otherNames.get(ICP.responsibleName)?.trim() || null,
    responsibleCpf: /^\d{11}$/.test(cpf) && !/^0+$/.test(cpf) ? cpf : null,
    notBefore: readTime(validity[0]),
    notAfter: readTime(validity[1]),
    clientAuth: usages === null || usages.includes(EKU_CLIENT_AUTH) || usages.includes(EKU_ANY),
    serverAuth: usages?.includes(EKU_SERVER_AUTH) ?? false,
    dnsNames: readDnsNames(extensions.get(EXT_SUBJECT_ALT_NAME)),
    icpBrasil:
      isIcpOrganization(subject.attributes) ||
      isIcpOrganization(issuer.attributes) ||
      [...otherNames.keys()].some((type) => type.startsWith(ICP_ARC)) ||
      readPolicies(extensions.get(EXT_CERTIFICATE_POLICIES)).some((policy) => policy.startsWith(ICP_ARC)),
    person: cnpj === null ? readPerson(commonName, otherNames.get(ICP.personData)) : null,
  };
}

/** e-CPF: 2.16.76.1.3.1 = birth date (ddmmaaaa) + CPF (11) + …; the CN is `NOME:CPF`. */
function readPerson(commonName: string, personData: string | undefined): { name: string; cpf: string | null } | null {
  const cn = /^(.*):(\d{11})$/.exec(commonName.trim());
  if (personData === undefined && !cn) return null;
  const fromData = personData?.trim().slice(8, 19) ?? '';
  const cpf = /^\d{11}$/.test(fromData) && !/^0+$/.test(fromData) ? fromData : (cn?.[2] ?? null);
  return { name: (cn?.[1] ?? commonName).trim(), cpf };
}

function normalizeCnpj(value: string | undefined): string | null {
  if (!value) return null;
  const cnpj = value.replace(/[.\-/\s]/g, '').toUpperCase();
  return CNPJ_PATTERN.test(cnpj) && !/^0+$/.test(cnpj) ? cnpj : null;
}

/** RFC 4514 order (most specific first), e.g. "CN=…, OU=…, O=ICP-Brasil, C=BR". */
function readName(name: Node | undefined): { text: string; attributes: [string, string][] } {
  const attributes: [string, string][] = [];
  for (const rdn of children(name, 'nome')) {
    for (const attribute of children(rdn, 'nome')) {
      const type = oid(child(attribute, 0, 'nome'), 'nome');
      attributes.push([ATTRIBUTE_NAMES[type] ?? type, text(child(attribute, 1, 'nome')) ?? '']);
    }
  }
  const escape = (value: string): string => value.replace(/([,+"\\<>;])/g, '\\$1');
  const rendered = [...attributes].reverse().map(([type, value]) => `${type}=${escape(value)}`);
  return { text: rendered.join(', '), attributes };
}

function readTime(node: Node | undefined): Date {
  if (!node || typeof node.value !== 'string') throw new Error('data de validade ilegível');
  if (node.type === Type.UTCTIME) return forge.asn1.utcTimeToDate(node.value);
  if (node.type === Type.GENERALIZEDTIME) return forge.asn1.generalizedTimeToDate(node.value);
  throw new Error('data de validade ilegível');
}

/** otherName values of subjectAltName by type-id; the value is any string type (ICP-Brasil uses OCTET STRING). */
function readOtherNames(extension: Buffer | undefined): Map<string, string> {
  const values = new Map<string, string>();
  if (!extension) return values;
  for (const generalName of children(parseDer(extension), 'subjectAltName')) {
    if (!isContext(generalName, 0) || !Array.isArray(generalName.value)) continue;
    const [typeId, explicit] = generalName.value;
    const value = Array.isArray(explicit?.value) ? text(explicit.value[0]) : null;
    if (typeId && value !== null) values.set(oid(typeId, 'otherName'), value);
  }
  return values;
}

/**
 * The extendedKeyUsage OIDs; null without the extension (no restriction). clientAuth is allowed when there is no
 * extension or it lists clientAuth or anyExtendedKeyUsage.
 */
function extendedKeyUsages(extension: Buffer | undefined): string[] | null {
  if (!extension) return null;
  return children(parseDer(extension), 'extendedKeyUsage')
    .filter((node) => isUniversal(node, Type.OID))
    .map((node) => oid(node, 'extendedKeyUsage'));
}

/** subjectAltName dNSName ([2] IA5String) values. */
function readDnsNames(extension: Buffer | undefined): string[] {
  if (!extension) return [];
  return children(parseDer(extension), 'subjectAltName')
    .filter((name) => isContext(name, 2) && typeof name.value === 'string')
    .map((name) => Buffer.from(name.value as string, 'latin1').toString('latin1'));
}

/** certificatePolicies policy identifiers. */
function readPolicies(extension: Buffer | undefined): string[] {
  if (!extension) return [];
  return children(parseDer(extension), 'certificatePolicies').map((info) => oid(child(info, 0, 'certificatePolicies'), 'certificatePolicies'));
}
