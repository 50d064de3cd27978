/**
 * Builds a TEST certificate shaped like an ICP-Brasil e-CNPJ A1 (CN `RAZÃO SOCIAL:CNPJ`, otherName 2.16.76.1.3.x,
 * clientAuth), issued by a throwaway test CA and packed as PKCS#12 in the encodings seen in the wild. Pure JS
 * (node-forge for X.509 and ASN.1, node:crypto for keys, hashes and ciphers): Windows servers have no openssl.
 *
 * The subject says it is a test certificate; RNDS never accepts it.
 */
import { createCipheriv, createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { bmpPassword, kdfHash, pkcs12Kdf as engineKdf } from '../../module/certificates/pbe.js';
import { hasUnsafeChars } from '../../module/present/index.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

export type TestEncoding = 'aes' | 'legacy' | '3des';

/** What each encoding writes, in pt-BR, for the CLI's help and output. */
export const ENCODING_DESCRIPTION: Record<TestEncoding, string> = {
  aes: 'PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC) na chave e nos certificados, MAC SHA-256 — o padrão do OpenSSL 3',
  legacy: '3DES na chave, RC2-40 nos certificados, MAC SHA-1 — exportações do Windows e ICP-Brasil antigas',
  '3des': '3DES na chave e nos certificados, MAC SHA-1',
};

export const TEST_MARK = 'CERTIFICADO DE TESTE - NAO ACEITO PELA RNDS';

export interface TestCertificateOptions {
  password: string;
  /** 14 characters, digits or the new alphanumeric CNPJ (`[0-9A-Z]{12}[0-9]{2}`), check digits valid. */
  cnpj?: string;
  razaoSocial?: string;
  responsibleName?: string;
  /** 11 digits, check digits valid. */
  responsibleCpf?: string;
  /** ddmmaaaa. */
  responsibleBirthDate?: string;
  /** Days from now to notAfter; zero or negative makes an already expired certificate. */
  days?: number;
  encoding?: TestEncoding;
  /** PBKDF / MAC iteration count (OpenSSL writes 2048). */
  iterations?: number;
  now?: Date;
  /**
   * The CA that signs it: a certificate and its renewals share one, as an AC's do (default: a new CA per certificate).
   * `self`: a self-signed certificate, as anyone can make.
   */
  issuer?: TestIssuer | 'self';
  /** Whether the certificate names its issuer's key (authorityKeyIdentifier); default true. */
  authorityKeyIdentifier?: boolean;
  /** Whether the file carries a MAC; default true (files without one exist, and an attacker may write them). */
  mac?: boolean;
}

/** A test CA that signs certificates (createTestIssuer). */
export interface TestIssuer {
  cert: forge.pki.Certificate;
  key: TestKey;
}

export interface TestCertificate {
  pfx: Buffer;
  commonName: string;
  cnpj: string;
  notBefore: Date;
  notAfter: Date;
  encoding: TestEncoding;
  certPem: string;
  caPem: string;
}

export const DEFAULTS = {
  cnpj: '11222333000181',
  razaoSocial: 'MUNICIPIO DE TESTE',
  responsibleName: 'RESPONSAVEL DE TESTE',
  responsibleCpf: '12345678909',
  responsibleBirthDate: '01011980',
  days: 365,
  encoding: 'aes' as TestEncoding,
  iterations: 2048,
};

const DAY_MS = 24 * 60 * 60 * 1000;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbeSha1And3Des: '1.2.840.113549.1.12.1.3',
  pbeSha1AndRc2_40: '1.2.840.113549.1.12.1.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  icpResponsibleData: '2.16.76.1.3.4',
  icpResponsibleName: '2.16.76.1.3.2',
  icpCnpj: '2.16.76.1.3.3',
  icpCei: '2.16.76.1.3.7',
};

// ---- validation --------------------------------------------------------------------------------------------------

/** The two check digits of the first 12 characters of a CNPJ (numeric or alphanumeric, Receita Federal 2026 rule). */
function cnpjCheckDigits(base12: string): string {
  const values = [...base12].map((c) => c.charCodeAt(0) - 48);
  const digit = (items: number[]) => {
    const weights = items.map((_, i) => 2 + ((items.length - 1 - i) % 8));
    const rest = items.reduce((sum, v, i) => sum + v * weights[i]!, 0) % 11;
    return rest < 2 ? 0 : 11 - rest;
  };
  const first = digit(values);
  const second = digit([...values, first]);
  return `${first}${second}`;
}

/** Normalises a typed CNPJ (drops . / - and spaces, upper case); throws a pt-BR message when it is not valid. */
export function normalizeCnpj(input: string): string {
  const cnpj = input.replace(/[./\-\s]/g, '').toUpperCase();
  if (!/^[0-9A-Z]{12}[0-9]{2}$/.test(cnpj)) {
    throw new Error(`CNPJ inválido (${input}): use 14 caracteres — 12 letras ou números e 2 dígitos verificadores, como 11.222.333/0001-81.`);
  }
  const expected = cnpjCheckDigits(cnpj.slice(0, 12));
  if (cnpj.slice(12) !== expected) {
    throw new Error(`CNPJ inválido (${input}): os dígitos verificadores de ${cnpj.slice(0, 12)} são ${expected}.`);
  }
  return cnpj;
}

/** Normalises a typed CPF; throws a pt-BR message when it is not valid. */
function normalizeCpf(input: string): string {
  const cpf = input.replace(/[.\-\s]/g, '');
  if (!/^\d{11}$/.test(cpf) || /^(\d)\1{10}$/.test(cpf)) throw new Error(`CPF inválido (${input}): use 11 dígitos, como 123.456.789-09.`);
  const digit = (base: string) => {
    const sum = [...base].reduce((s, c, i) => s + Number(c) * (base.length + 1 - i), 0);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  const first = digit(cpf.slice(0, 9));
  const second = digit(cpf.slice(0, 9) + first);
  if (cpf.slice(9) !== `${first}${second}`) throw new Error(`CPF inválido (${input}): os dígitos verificadores de ${cpf.slice(0, 9)} são ${first}${second}.`);
  return cpf;
}

/**
 * A password that follows the e-Gestor AB rule (lowercase, uppercase, digit and symbol, 6 to 8 characters), with
 * symbols that need no quoting in bash, PowerShell or cmd.
 */
export function generatePassword(): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '@#%*+=_'];
  const chars = sets.map((set) => set[randomInt(set.length)]!);
  const all = sets.join('');
  while (chars.length < 8) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

// ---- X.509 -------------------------------------------------------------------------------------------------------

export interface TestKey {
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  pkcs8Der: Buffer;
  /** The same private key as PKCS#8 PEM (what `tls.connect({ key })` takes). */
  keyPem: string;
}

/** A fresh RSA-2048 key for a test certificate or CA. */
export function newRsaKey(): TestKey {
  // node:crypto generates RSA keys in milliseconds; forge's pure-JS keygen takes seconds.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = (privateKey as KeyObject).export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    privateKey: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
    pkcs8Der: privateKey.export({ type: 'pkcs8', format: 'der' }),
    keyPem,
  };
}

/** Positive, non-zero, 16 bytes: what CAs do, and distinct per certificate so caches never mix them up. */
export function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

/** A UTF-8 directory string (forge encodes the JS string itself). */
function utf8Attr(name: string, value: string) {
  return { name, value, valueTagClass: asn1.Type.UTF8 as unknown as forge.asn1.Class };
}

function otherName(oid: string, value: string): Asn1 {
  // ICP-Brasil DOC-ICP-04: each value is an OCTET STRING inside [0] EXPLICIT.
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.encodeUtf8(value))]),
  ]);
}

/** A self-signed test CA: the one CA builder of this script and of the tests' PKI (test/doubles/pki.ts). */
export function buildCa(subject: forge.pki.CertificateField[], validity: { notBefore: Date; notAfter: Date }): { cert: forge.pki.Certificate; key: TestKey } {
  const key = newRsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key.privateKey, forge.md.sha256.create());
  return { cert, key };
}

/**
 * A test CA to share between a certificate and its renewals. `subject`: another CA's name (a CA that only looks like
 * that one: same name, its own key).
 */
export function createTestIssuer(options: { now?: Date; subject?: forge.pki.CertificateField[] } = {}): TestIssuer {
  const now = options.now ?? new Date();
  return createCa(now, new Date(now.getTime() + 3650 * DAY_MS), options.subject);
}

function createCa(now: Date, notAfter: Date, subject?: forge.pki.CertificateField[]): TestIssuer {
  return buildCa(
    subject ?? [
      utf8Attr('countryName', 'BR'),
      utf8Attr('organizationName', 'pec-rnds TESTE'),
      utf8Attr('organizationalUnitName', TEST_MARK),
      utf8Attr('commonName', `AC DE TESTE pec-rnds ${now.toISOString().slice(0, 10)} - NAO CONFIAVEL`),
    ],
    {
      notBefore: new Date(Math.min(now.getTime() - DAY_MS, notAfter.getTime() - 400 * DAY_MS)),
      notAfter: new Date(Math.max(now.getTime() + 3650 * DAY_MS, notAfter.getTime())),
    },
  );
}

// ---- PKCS#12 -----------------------------------------------------------------------------------------------------

const der = (node: Asn1): Buffer => Buffer.from(asn1.toDer(node).getBytes(), 'binary');
const bin = (bytes: Buffer): string => bytes.toString('binary');
const seq = (items: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oidNode = (oid: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes());
const octetString = (bytes: Buffer) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bin(bytes));
const integerNode = (n: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const nullNode = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
const explicit0 = (node: Asn1) => asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [node]);

/** RFC 7292 appendix B.2: the PKCS#12 key derivation — the engine's own, with the password as a BMPString. */
export function pkcs12Kdf(password: string, salt: Buffer, id: 1 | 2 | 3, iterations: number, length: number, hash: 'sha1' | 'sha256'): Buffer {
  return engineKdf(kdfHash(hash), bmpPassword(password), salt, iterations, id, length);
}

interface Encrypted {
  algorithm: Asn1;
  data: Buffer;
}

type Scheme = 'pbes2-aes256' | 'pbe-3des' | 'pbe-rc2-40';

function encrypt(scheme: Scheme, plain: Buffer, password: string, iterations: number): Encrypted {
  const salt = randomBytes(scheme === 'pbes2-aes256' ? 16 : 8);
  if (scheme === 'pbes2-aes256') {
    // PBES2 takes the password as UTF-8 bytes (RFC 8018), unlike the PKCS#12 KDF (BMPString).
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const algorithm = seq([
      oidNode(OID.pbes2),
      seq([
        seq([oidNode(OID.pbkdf2), seq([octetString(salt), integerNode(iterations), seq([oidNode(OID.hmacWithSha256), nullNode()])])]),
        seq([oidNode(OID.aes256Cbc), octetString(iv)]),
      ]),
    ]);
    return { algorithm, data };
  }
  const params = seq([octetString(salt), integerNode(iterations)]);
  if (scheme === 'pbe-3des') {
    const key = pkcs12Kdf(password, salt, 1, iterations, 24, 'sha1');
    const iv = pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1');
    const cipher = createCipheriv('des-ede3-cbc', key, iv);
    return { algorithm: seq([oidNode(OID.pbeSha1And3Des), params]), data: Buffer.concat([cipher.update(plain), cipher.final()]) };
  }
  // RC2 is gone from OpenSSL 3's default provider, so node:crypto may not have it: forge's RC2 it is.
  const key = pkcs12Kdf(password, salt, 1, iterations, 5, 'sha1');
  const iv = pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1');
  const cipher = forge.rc2.createEncryptionCipher(forge.util.createBuffer(bin(key)), 40);
  cipher.start(forge.util.createBuffer(bin(iv)));
  cipher.update(forge.util.createBuffer(bin(plain)));
  if (!cipher.finish()) throw new Error('RC2: falha ao cifrar');
  return { algorithm: seq([oidNode(OID.pbeSha1AndRc2_40), params]), data: Buffer.from(cipher.output.getBytes(), 'binary') };
}

function bagAttributes(friendlyName: string, localKeyId: Buffer): Asn1 {
  return set([
    seq([oidNode(OID.friendlyName), set([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, friendlyName)])]),
    seq([oidNode(OID.localKeyId), set([octetString(localKeyId)])]),
  ]);
}

function dataContentInfo(content: Buffer): Asn1 {
  return seq([oidNode(OID.data), explicit0(octetString(content))]);
}

function encryptedContentInfo(content: Buffer, scheme: Scheme, password: string, iterations: number): Asn1 {
  const { algorithm, data } = encrypt(scheme, content, password, iterations);
  const encryptedContent = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, bin(data)); // [0] IMPLICIT OCTET STRING
  return seq([oidNode(OID.encryptedData), explicit0(seq([integerNode(0), seq([oidNode(OID.data), algorithm, encryptedContent])]))]);
}

/** Packs a PKCS#8 key and its certificates (leaf first) as a password-protected PKCS#12 file (`mac: false`: no MAC). */
export function buildPkcs12(input: { keyPkcs8Der: Buffer; certsDer: Buffer[]; password: string; friendlyName: string; encoding: TestEncoding; iterations: number; mac?: boolean }): Buffer {
  const { password, encoding, iterations } = input;
  const localKeyId = createHash('sha1').update(input.certsDer[0]!).digest();
  const attributes = () => bagAttributes(input.friendlyName, localKeyId);

  const certBags = input.certsDer.map((cert, i) =>
    seq([oidNode(OID.certBag), explicit0(seq([oidNode(OID.x509Certificate), explicit0(octetString(cert))])), ...(i === 0 ? [attributes()] : [])]),
  );
  const certScheme: Scheme = encoding === 'aes' ? 'pbes2-aes256' : encoding === 'legacy' ? 'pbe-rc2-40' : 'pbe-3des';
  const keyScheme: Scheme = encoding === 'aes' ? 'pbes2-aes256' : 'pbe-3des';
  const shrouded = encrypt(keyScheme, input.keyPkcs8Der, password, iterations);
  const keyBag = seq([oidNode(OID.keyBag), explicit0(seq([shrouded.algorithm, octetString(shrouded.data)])), attributes()]);

  const authSafe = der(
    seq([
      encryptedContentInfo(der(seq(certBags)), certScheme, password, iterations),
      dataContentInfo(der(seq([keyBag]))),
    ]),
  );

  if (input.mac === false) return der(seq([integerNode(3), dataContentInfo(authSafe)]));
  const macHash = encoding === 'aes' ? 'sha256' : 'sha1';
  const macSalt = randomBytes(8);
  const macKey = pkcs12Kdf(password, macSalt, 3, iterations, macHash === 'sha1' ? 20 : 32, macHash);
  const mac = createHmac(macHash, macKey).update(authSafe).digest();
  const macData = seq([
    seq([seq([oidNode(macHash === 'sha1' ? OID.sha1 : OID.sha256), nullNode()]), octetString(mac)]),
    octetString(macSalt),
    integerNode(iterations),
  ]);
  return der(seq([integerNode(3), dataContentInfo(authSafe), macData]));
}

/** Creates the test CA, the e-CNPJ-shaped certificate and the PKCS#12 file. */
export function createTestCertificate(options: TestCertificateOptions): TestCertificate {
  // X.509 keeps whole seconds: so do the dates reported back.
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const cnpj = normalizeCnpj(options.cnpj ?? DEFAULTS.cnpj);
  const cpf = normalizeCpf(options.responsibleCpf ?? DEFAULTS.responsibleCpf);
  const razaoSocial = (options.razaoSocial ?? DEFAULTS.razaoSocial).trim().toUpperCase();
  if (razaoSocial === '' || razaoSocial.length > 100 || razaoSocial.includes(':') || hasUnsafeChars(razaoSocial)) {
    throw new Error('Razão social inválida: use até 100 caracteres, sem ":" nem caracteres de controle.');
  }
  const responsibleName = (options.responsibleName ?? DEFAULTS.responsibleName).trim().toUpperCase();
  const birthDate = options.responsibleBirthDate ?? DEFAULTS.responsibleBirthDate;
  if (!/^\d{8}$/.test(birthDate)) throw new Error('Data de nascimento do responsável inválida: use ddmmaaaa.');
  const days = options.days ?? DEFAULTS.days;
  if (!Number.isInteger(days) || Math.abs(days) > 3650) throw new Error('Validade inválida: use um número inteiro de dias entre -3650 e 3650.');
  const encoding = options.encoding ?? DEFAULTS.encoding;
  const iterations = options.iterations ?? DEFAULTS.iterations;

  const notAfter = new Date(now.getTime() + days * DAY_MS);
  // An already expired one was valid for a year before; a valid one starts an hour ago (clock differences).
  const notBefore = days > 0 ? new Date(now.getTime() - 60 * 60 * 1000) : new Date(notAfter.getTime() - 365 * DAY_MS);
  const key = newRsaKey();
  const ca: TestIssuer | null = options.issuer === 'self' ? null : (options.issuer ?? createCa(now, notAfter));
  const cert = forge.pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const commonName = `${razaoSocial}:${cnpj}`;
  cert.setSubject([
    utf8Attr('countryName', 'BR'),
    utf8Attr('organizationName', 'pec-rnds TESTE'),
    utf8Attr('organizationalUnitName', TEST_MARK),
    utf8Attr('organizationalUnitName', 'e-CNPJ A1 simulado'),
    utf8Attr('commonName', commonName),
  ]);
  cert.setIssuer(ca ? ca.cert.subject.attributes : cert.subject.attributes);
  // DOC-ICP-04 2.16.76.1.3.4: birth date (8) + CPF (11) + NIS (11) + RG (15) + issuer and UF (6); zeros when absent.
  const responsibleData = `${birthDate}${cpf}${'0'.repeat(11)}${'0'.repeat(15)}${'0'.repeat(6)}`;
  const san = seq([
    otherName(OID.icpResponsibleData, responsibleData),
    otherName(OID.icpResponsibleName, responsibleName),
    otherName(OID.icpCnpj, cnpj),
    otherName(OID.icpCei, '0'.repeat(12)),
  ]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true, emailProtection: true },
    { id: '2.5.29.17', value: san },
    { name: 'subjectKeyIdentifier' },
    ...(ca && options.authorityKeyIdentifier !== false ? [{ name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() }] : []),
  ]);
  cert.sign(ca ? ca.key.privateKey : key.privateKey, forge.md.sha256.create());

  const certDer = der(forge.pki.certificateToAsn1(cert));
  const caDer = ca ? [der(forge.pki.certificateToAsn1(ca.cert))] : [];
  const pfx = buildPkcs12({
    keyPkcs8Der: key.pkcs8Der,
    certsDer: [certDer, ...caDer],
    password: options.password,
    friendlyName: `${razaoSocial} (TESTE)`,
    encoding,
    iterations,
    mac: options.mac,
  });
  return {
    pfx,
    commonName,
    cnpj,
    notBefore,
    notAfter,
    encoding,
    certPem: forge.pki.certificateToPem(cert),
    caPem: forge.pki.certificateToPem(ca ? ca.cert : cert),
  };
}
