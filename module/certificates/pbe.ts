/**
 * The password-based crypto of PKCS#12, on node:crypto: the PKCS#12 KDF (RFC 7292 B.2) for MACs
 * and legacy PBE, PBES2/PBKDF2 (RFC 8018), and the ciphers. Only RC2, which OpenSSL 3 keeps in
 * its legacy provider (absent from Node), runs in node-forge.
 */
import crypto from 'node:crypto';
import forge from 'node-forge';
import { sha1Rehash } from './sha1-rehash.js';
import { type Node, StructureError, child, children, integer, octets, oid, isUniversal, Type } from './asn1.js';

/** A PKCS#12 algorithm this build cannot run; the label names it for the administrator. */
export class UnsupportedAlgorithm extends Error {
  constructor(readonly label: string) {
    super(`algoritmo não suportado: ${label}`);
    this.name = 'UnsupportedAlgorithm';
  }
}

/** Decryption produced garbage: wrong password, or damage inside the protected data. */
export class DecryptFailed extends Error {
  constructor() {
    super('falha ao decifrar');
    this.name = 'DecryptFailed';
  }
}

export interface HashInfo {
  node: string;
  label: string;
  /** Output and block sizes in bytes (u and v of the PKCS#12 KDF). */
  u: number;
  v: number;
}

const HASHES: Record<string, HashInfo> = {
  '1.2.840.113549.2.5': { node: 'md5', label: 'MD5', u: 16, v: 64 },
  '1.3.14.3.2.26': { node: 'sha1', label: 'SHA-1', u: 20, v: 64 },
  '2.16.840.1.101.3.4.2.4': { node: 'sha224', label: 'SHA-224', u: 28, v: 64 },
  '2.16.840.1.101.3.4.2.1': { node: 'sha256', label: 'SHA-256', u: 32, v: 64 },
  '2.16.840.1.101.3.4.2.2': { node: 'sha384', label: 'SHA-384', u: 48, v: 128 },
  '2.16.840.1.101.3.4.2.3': { node: 'sha512', label: 'SHA-512', u: 64, v: 128 },
  '2.16.840.1.101.3.4.2.5': { node: 'sha512-224', label: 'SHA-512/224', u: 28, v: 128 },
  '2.16.840.1.101.3.4.2.6': { node: 'sha512-256', label: 'SHA-512/256', u: 32, v: 128 },
  '2.16.840.1.101.3.4.2.7': { node: 'sha3-224', label: 'SHA3-224', u: 28, v: 144 },
  '2.16.840.1.101.3.4.2.8': { node: 'sha3-256', label: 'SHA3-256', u: 32, v: 136 },
  '2.16.840.1.101.3.4.2.9': { node: 'sha3-384', label: 'SHA3-384', u: 48, v: 104 },
  '2.16.840.1.101.3.4.2.10': { node: 'sha3-512', label: 'SHA3-512', u: 64, v: 72 },
};

/** PBKDF2 PRFs: hmacWithSHA*, hmacWithSHA3-*. */
const PRFS: Record<string, { node: string; label: string }> = {
  '1.2.840.113549.2.7': { node: 'sha1', label: 'SHA1' },
  '1.2.840.113549.2.8': { node: 'sha224', label: 'SHA224' },
  '1.2.840.113549.2.9': { node: 'sha256', label: 'SHA256' },
  '1.2.840.113549.2.10': { node: 'sha384', label: 'SHA384' },
  '1.2.840.113549.2.11': { node: 'sha512', label: 'SHA512' },
  '1.2.840.113549.2.12': { node: 'sha512-224', label: 'SHA512-224' },
  '1.2.840.113549.2.13': { node: 'sha512-256', label: 'SHA512-256' },
  '2.16.840.1.101.3.4.2.13': { node: 'sha3-224', label: 'SHA3-224' },
  '2.16.840.1.101.3.4.2.14': { node: 'sha3-256', label: 'SHA3-256' },
  '2.16.840.1.101.3.4.2.15': { node: 'sha3-384', label: 'SHA3-384' },
  '2.16.840.1.101.3.4.2.16': { node: 'sha3-512', label: 'SHA3-512' },
};

/** PBES2 encryption schemes with a plain IV parameter. */
const PBES2_CIPHERS: Record<string, { node: string; label: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { node: 'aes-128-cbc', label: 'AES-128-CBC', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { node: 'aes-192-cbc', label: 'AES-192-CBC', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { node: 'aes-256-cbc', label: 'AES-256-CBC', keyLength: 32 },
  '1.2.840.113549.3.7': { node: 'des-ede3-cbc', label: '3DES-CBC', keyLength: 24 },
  '1.2.392.200011.61.1.1.1.2': { node: 'camellia-128-cbc', label: 'Camellia-128-CBC', keyLength: 16 },
  '1.2.392.200011.61.1.1.1.3': { node: 'camellia-192-cbc', label: 'Camellia-192-CBC', keyLength: 24 },
  '1.2.392.200011.61.1.1.1.4': { node: 'camellia-256-cbc', label: 'Camellia-256-CBC', keyLength: 32 },
  '1.2.410.200046.1.1.2': { node: 'aria-128-cbc', label: 'ARIA-128-CBC', keyLength: 16 },
  '1.2.410.200046.1.1.7': { node: 'aria-192-cbc', label: 'ARIA-192-CBC', keyLength: 24 },
  '1.2.410.200046.1.1.12': { node: 'aria-256-cbc', label: 'ARIA-256-CBC', keyLength: 32 },
};

/** PKCS#12 PBE (RFC 7292 C): SHA-1 KDF, then the cipher. RC2 runs in forge (bits = effective key bits). */
const PKCS12_PBE: Record<string, { label: string; node?: string; rc2Bits?: number; keyLength: number }> = {
  '1.2.840.113549.1.12.1.3': { label: '3DES', node: 'des-ede3-cbc', keyLength: 24 },
  '1.2.840.113549.1.12.1.4': { label: '3DES (2 chaves)', node: 'des-ede-cbc', keyLength: 16 },
  '1.2.840.113549.1.12.1.5': { label: 'RC2-128', rc2Bits: 128, keyLength: 16 },
  '1.2.840.113549.1.12.1.6': { label: 'RC2-40', rc2Bits: 40, keyLength: 5 },
};

/** Known algorithms we refuse, so the message can name them instead of printing an OID. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'RC4-128 (pbeWithSHAAnd128BitRC4)',
  '1.2.840.113549.1.12.1.2': 'RC4-40 (pbeWithSHAAnd40BitRC4)',
  '1.2.840.113549.1.5.1': 'PBES1 MD2-DES',
  '1.2.840.113549.1.5.3': 'PBES1 MD5-DES',
  '1.2.840.113549.1.5.4': 'PBES1 MD2-RC2',
  '1.2.840.113549.1.5.6': 'PBES1 MD5-RC2',
  '1.2.840.113549.1.5.10': 'PBES1 SHA1-DES',
  '1.2.840.113549.1.5.11': 'PBES1 SHA1-RC2',
  '1.2.840.113549.1.5.14': 'PBMAC1',
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC (PBES2)',
  '1.2.840.113549.2.2': 'MD2',
  '1.2.840.113549.2.4': 'MD4',
  '1.2.643.7.1.1.2.2': 'GOST R 34.11-2012 (256)',
  '1.2.643.7.1.1.2.3': 'GOST R 34.11-2012 (512)',
};

const PBES2 = '1.2.840.113549.1.5.13';
const PBKDF2 = '1.2.840.113549.1.5.12';

function unsupported(algorithm: string): never {
  throw new UnsupportedAlgorithm(KNOWN_UNSUPPORTED[algorithm] ?? `OID ${algorithm}`);
}

/** The password as the PKCS#12 KDF wants it: a big-endian BMPString with a NUL terminator. */
export function bmpPassword(password: string): Buffer {
  return Buffer.from(password + '\0', 'utf16le').swap16();
}

/** The PKCS#12 KDF's parameters for a digest, by Node's name (for writers, such as the test-certificate tool). */
export function kdfHash(name: 'sha1' | 'sha256'): HashInfo {
  return Object.values(HASHES).find((h) => h.node === name)!;
}

/**
 * The password as each KDF wants it. PKCS#12 KDF: BMPString with a NUL terminator; a few old
 * writers differ (an empty password as no bytes at all; OpenSSL 1.x widened each UTF-8 byte), so
 * the MAC check tries these variants. PBKDF2: UTF-8, as OpenSSL and Java do.
 */
export function passwordVariants(password: string): Buffer[] {
  const variants = [bmpPassword(password)];
  if (password === '') variants.push(Buffer.alloc(0));
  const utf8 = Buffer.from(password, 'utf8');
  if (utf8.length !== password.length) {
    const widened = Buffer.alloc(utf8.length * 2 + 2);
    utf8.forEach((byte, i) => (widened[i * 2 + 1] = byte));
    variants.push(widened);
  }
  return variants;
}

const digest: (algorithm: string, data: Buffer) => Buffer =
  typeof crypto.hash === 'function'
    ? (algorithm, data) => crypto.hash(algorithm, data, 'buffer')
    : (algorithm, data) => crypto.createHash(algorithm).update(data).digest();

/** RFC 7292 B.2. `id` 1 = key, 2 = IV, 3 = MAC key. */
export function pkcs12Kdf(
  hash: HashInfo,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: 1 | 2 | 3,
  length: number,
): Buffer {
  const { u, v } = hash;
  const fill = (source: Buffer): Buffer => {
    if (source.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([fill(salt), fill(password)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let a = digest(hash.node, Buffer.concat([diversifier, input]));
    if (hash.node === 'sha1') a = sha1Rehash(a, iterations - 1);
    else for (let round = 1; round < iterations; round++) a = digest(hash.node, a);
    blocks.push(a);
    if (produced + u >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes
    const b = fill(a).subarray(0, v);
    for (let offset = 0; offset < input.length; offset += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[offset + k]! + b[k]! + carry;
        input[offset + k] = sum & 0xff;
        carry = sum >>> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** What a PBE AlgorithmIdentifier asks for, read before any work is done. */
export interface PbeScheme {
  /** Human label, e.g. "AES-256-CBC" or "RC2-40". */
  cipher: string;
  /** "PBKDF2-SHA256" for PBES2; null for PKCS#12 PBE. */
  kdf: string | null;
  iterations: number;
  /** Decrypts with the password (the BMP variant for PKCS#12 PBE, UTF-8 for PBES2). */
  decrypt(ciphertext: Buffer, bmpPassword: Buffer, utf8Password: Buffer): Buffer;
}

/** Reads an encryption AlgorithmIdentifier; throws UnsupportedAlgorithm for what we cannot run. */
export function readPbeScheme(algorithmIdentifier: Node): PbeScheme {
  const algorithm = oid(child(algorithmIdentifier, 0, 'algoritmo'), 'algoritmo');
  const params = children(algorithmIdentifier, 'algoritmo')[1];
  const legacy = PKCS12_PBE[algorithm];
  if (legacy) {
    const salt = octets(child(params, 0, 'salt'), 'salt');
    const iterations = integer(child(params, 1, 'iterações'), 'iterações');
    const sha1 = HASHES['1.3.14.3.2.26']!;
    return {
      cipher: legacy.label,
      kdf: null,
      iterations,
      decrypt(ciphertext, bmpPassword) {
        const key = pkcs12Kdf(sha1, bmpPassword, salt, iterations, 1, legacy.keyLength);
        const iv = pkcs12Kdf(sha1, bmpPassword, salt, iterations, 2, 8);
        if (legacy.node) return nodeDecrypt(legacy.node, key, iv, ciphertext);
        return rc2Decrypt(key, iv, legacy.rc2Bits!, ciphertext);
      },
    };
  }
  if (algorithm !== PBES2) unsupported(algorithm);

  const kdfId = child(params, 0, 'PBES2');
  const schemeId = child(params, 1, 'PBES2');
  const kdfAlgorithm = oid(child(kdfId, 0, 'KDF'), 'KDF');
  if (kdfAlgorithm !== PBKDF2) unsupported(kdfAlgorithm);
  const kdfParams = child(kdfId, 1, 'PBKDF2');
  const salt = octets(child(kdfParams, 0, 'salt'), 'salt');
  const iterations = integer(child(kdfParams, 1, 'iterações'), 'iterações');
  let keyLength: number | null = null;
  let prf = PRFS['1.2.840.113549.2.7']!;
  for (const extra of children(kdfParams, 'PBKDF2').slice(2)) {
    if (isUniversal(extra, Type.INTEGER)) keyLength = integer(extra, 'tamanho da chave');
    else {
      const prfOid = oid(child(extra, 0, 'PRF'), 'PRF');
      prf = PRFS[prfOid] ?? unsupported(prfOid);
    }
  }
  const cipherOid = oid(child(schemeId, 0, 'cifra'), 'cifra');
  const cipher = PBES2_CIPHERS[cipherOid] ?? unsupported(cipherOid);
  const iv = octets(child(schemeId, 1, 'IV'), 'IV');
  if (keyLength !== null && keyLength !== cipher.keyLength) throw new StructureError('tamanho da chave');
  return {
    cipher: cipher.label,
    kdf: `PBKDF2-${prf.label}`,
    iterations,
    decrypt(ciphertext, _bmpPassword, utf8Password) {
      const key = crypto.pbkdf2Sync(utf8Password, salt, iterations, cipher.keyLength, prf.node);
      return nodeDecrypt(cipher.node, key, iv, ciphertext);
    },
  };
}

function nodeDecrypt(algorithm: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  let decipher: crypto.Decipher;
  try {
    decipher = crypto.createDecipheriv(algorithm, key, iv);
  } catch {
    // The cipher is missing from this Node's OpenSSL build.
    throw new UnsupportedAlgorithm(algorithm.toUpperCase());
  }
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new DecryptFailed();
  }
}

function rc2Decrypt(key: Buffer, iv: Buffer, bits: number, ciphertext: Buffer): Buffer {
  const cipher = forge.rc2.createDecryptionCipher(key.toString('latin1'), bits);
  cipher.start(iv.toString('latin1'));
  cipher.update(forge.util.createBuffer(ciphertext.toString('latin1')));
  if (!cipher.finish()) throw new DecryptFailed();
  return Buffer.from(cipher.output.getBytes(), 'latin1');
}

/** The PFX MacData, read before any work is done. */
export interface MacScheme {
  hash: string;
  iterations: number;
  /** True when the password variant opens the MAC. */
  verify(content: Buffer, bmpPassword: Buffer): boolean;
}

export function readMacScheme(macData: Node): MacScheme {
  const digestInfo = child(macData, 0, 'MAC');
  const algorithm = oid(child(child(digestInfo, 0, 'MAC'), 0, 'MAC'), 'MAC');
  const hash = HASHES[algorithm] ?? unsupported(algorithm);
  const expected = octets(child(digestInfo, 1, 'MAC'), 'MAC');
  const salt = octets(child(macData, 1, 'salt do MAC'), 'salt do MAC');
  const iterationsNode = children(macData, 'MAC')[2];
  const iterations = iterationsNode ? integer(iterationsNode, 'iterações do MAC') : 1;
  return {
    hash: hash.label,
    iterations,
    verify(content, bmpPassword) {
      const key = pkcs12Kdf(hash, bmpPassword, salt, iterations, 3, hash.u);
      const actual = crypto.createHmac(hash.node, key).update(content).digest();
      return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
    },
  };
}
