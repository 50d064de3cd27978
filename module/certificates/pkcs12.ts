/**
 * Walks a PKCS#12 (PFX) file: checks the cost of every key derivation before doing any, verifies
 * the MAC, decrypts the bags and returns the raw private keys and certificates.
 */
import {
  type Node,
  StructureError,
  Type,
  bytesOf,
  child,
  children,
  integer,
  isContext,
  octets,
  oid,
  parseDer,
  text,
  toDer,
} from './asn1.js';
import {
  DecryptFailed,
  type MacScheme,
  type PbeScheme,
  UnsupportedAlgorithm,
  passwordVariants,
  readMacScheme,
  readPbeScheme,
} from './pbe.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
} as const;

/** The MAC does not verify (or, without a MAC, nothing decrypts): wrong password or damage. */
export class WrongPassword extends Error {
  constructor() {
    super('senha incorreta ou arquivo danificado');
    this.name = 'WrongPassword';
  }
}

/** The MAC verified but a bag does not decrypt: the file is damaged or written oddly. */
export class DamagedContent extends Error {
  constructor() {
    super('conteúdo danificado');
    this.name = 'DamagedContent';
  }
}

/** A key derivation asks for more iterations than allowed. */
export class TooExpensive extends Error {
  constructor(
    readonly iterations: number,
    readonly limit: number,
    readonly total: boolean,
  ) {
    super(`iterações acima do limite: ${iterations} > ${limit}`);
    this.name = 'TooExpensive';
  }
}

export interface Pkcs12Item {
  der: Buffer;
  friendlyName: string | null;
}

export interface DecodedPkcs12 {
  /** PKCS#8 PrivateKeyInfo DER of every key in the file. */
  keys: Pkcs12Item[];
  /** X.509 DER of every certificate, in bag order. */
  certs: Pkcs12Item[];
  /** Short human description of the protection, e.g. "legado (RC2-40 + 3DES, MAC SHA-1)". */
  encoding: string;
  /**
   * Some bag uses PBES2 (AES, Camellia…) or the MAC a hash other than SHA-1: OpenSSL 3's default, which Java 8 before
   * 8u301 (PEC before 5.3) cannot read. Legacy and 3DES exports with a SHA-1 MAC are false.
   */
  modern: boolean;
}

/** How many derivations a file may ask for in total, as a multiple of the per-derivation cap. */
const TOTAL_BUDGET_FACTOR = 4;

interface Pending {
  scheme: PbeScheme;
  ciphertext: Buffer;
}

/**
 * Decodes `bytes` (already known to be within the size cap). Throws the error classes above. `beforeKeys` sees every
 * certificate before any private key is decrypted, and may throw to stop there (the renewal scan's proof: a file that
 * fails it costs about the same whether the password opened its certificates or not).
 */
export function decodePkcs12(bytes: Buffer, password: string, maxIterations: number, beforeKeys?: (certs: readonly Pkcs12Item[]) => void): DecodedPkcs12 {
  const pfx = parseDer(bytes);
  const version = integer(child(pfx, 0, 'versão'), 'versão');
  if (version !== 3) throw new StructureError('versão');
  const authSafe = child(pfx, 1, 'authSafe');
  const authSafeType = oid(child(authSafe, 0, 'authSafe'), 'authSafe');
  if (authSafeType === OID.signedData) throw new UnsupportedAlgorithm('integridade por chave pública (signedData)');
  if (authSafeType !== OID.data) throw new StructureError('authSafe');
  const authSafeContent = octets(child(child(authSafe, 1, 'authSafe'), 0, 'authSafe'), 'authSafe');
  const macNode = children(pfx, 'PFX')[2];
  const mac: MacScheme | null = macNode ? readMacScheme(macNode) : null;

  // Read every visible algorithm first so cost and support are known before any derivation.
  let spent = 0;
  const charge = (iterations: number): void => {
    if (iterations > maxIterations) throw new TooExpensive(iterations, maxIterations, false);
    spent += iterations;
    if (spent > maxIterations * TOTAL_BUDGET_FACTOR) {
      throw new TooExpensive(spent, maxIterations * TOTAL_BUDGET_FACTOR, true);
    }
  };
  if (mac) charge(mac.iterations);

  type Content = { kind: 'plain'; safeContents: Node } | ({ kind: 'encrypted' } & Pending);
  const contents: Content[] = children(parseDer(authSafeContent), 'AuthenticatedSafe').map((info) => {
    const type = oid(child(info, 0, 'ContentInfo'), 'ContentInfo');
    const explicit = child(info, 1, 'ContentInfo');
    if (type === OID.data) return { kind: 'plain', safeContents: parseDer(octets(child(explicit, 0, 'data'), 'data')) };
    if (type === OID.envelopedData) throw new UnsupportedAlgorithm('envelopedData (cifra por chave pública)');
    if (type !== OID.encryptedData) throw new StructureError('ContentInfo');
    const encryptedContentInfo = child(child(explicit, 0, 'EncryptedData'), 1, 'EncryptedData');
    const scheme = readPbeScheme(child(encryptedContentInfo, 1, 'EncryptedContentInfo'));
    const ciphertext = children(encryptedContentInfo, 'EncryptedContentInfo')[2];
    if (!isContext(ciphertext, 0)) throw new StructureError('EncryptedContentInfo');
    charge(scheme.iterations);
    return { kind: 'encrypted', scheme, ciphertext: bytesOf(ciphertext, 'EncryptedContentInfo') };
  });
  const preScanned = new Set<Node>();
  for (const content of contents) {
    if (content.kind !== 'plain') continue;
    for (const bag of shroudedBags(content.safeContents)) {
      charge(readPbeScheme(child(child(child(bag, 1, 'SafeBag'), 0, 'SafeBag'), 0, 'SafeBag')).iterations);
      preScanned.add(bag);
    }
  }

  // The MAC tells which password encoding the writer used; without one, decryption has to.
  let candidates = passwordVariants(password);
  if (mac) {
    const match = candidates.find((candidate) => mac.verify(authSafeContent, candidate));
    if (!match) throw new WrongPassword();
    candidates = [match];
  }
  const utf8Password = Buffer.from(password, 'utf8');
  const decrypt = <T>(pending: Pending, check: (plain: Buffer) => T): T => {
    const tries = pending.scheme.kdf ? candidates.slice(0, 1) : candidates;
    for (const candidate of tries) {
      try {
        const result = check(pending.scheme.decrypt(pending.ciphertext, candidate, utf8Password));
        if (!mac) candidates = [candidate];
        return result;
      } catch (error) {
        if (!(error instanceof DecryptFailed) && !(error instanceof StructureError) && !isForgeError(error)) {
          throw error;
        }
      }
    }
    throw mac ? new DamagedContent() : new WrongPassword();
  };

  const keys: Pkcs12Item[] = [];
  const certs: Pkcs12Item[] = [];
  const keyProtection: (string | null)[] = [];
  const certProtection: (string | null)[] = [];
  const kdfs: string[] = [];
  const note = (scheme: PbeScheme): string => {
    if (scheme.kdf) kdfs.push(scheme.kdf);
    return scheme.cipher;
  };

  // Shrouded keys are decrypted after every certificate is known (beforeKeys), each in its place in `keys`.
  const deferred: (() => void)[] = [];
  const walk = (safeContents: Node, container: string | null): void => {
    for (const bag of children(safeContents, 'SafeContents')) {
      const bagType = oid(child(bag, 0, 'SafeBag'), 'SafeBag');
      const value = child(child(bag, 1, 'SafeBag'), 0, 'SafeBag');
      const friendlyName = readFriendlyName(children(bag, 'SafeBag')[2]);
      if (bagType === OID.keyBag) {
        keys.push({ der: toDer(value), friendlyName });
        keyProtection.push(container);
      } else if (bagType === OID.shroudedKeyBag) {
        const scheme = readPbeScheme(child(value, 0, 'EncryptedPrivateKeyInfo'));
        if (!preScanned.has(bag)) charge(scheme.iterations);
        const ciphertext = octets(child(value, 1, 'EncryptedPrivateKeyInfo'), 'EncryptedPrivateKeyInfo');
        const slot = keys.length;
        keys.push({ der: Buffer.alloc(0), friendlyName });
        keyProtection.push(note(scheme));
        deferred.push(() => {
          keys[slot] = { der: decrypt({ scheme, ciphertext }, (plain) => (parsePrivateKeyInfo(plain), plain)), friendlyName };
        });
      } else if (bagType === OID.certBag) {
        if (oid(child(value, 0, 'CertBag'), 'CertBag') !== OID.x509Certificate) continue;
        certs.push({ der: octets(child(child(value, 1, 'CertBag'), 0, 'CertBag'), 'CertBag'), friendlyName });
        certProtection.push(container);
      } else if (bagType === OID.safeContentsBag) {
        walk(value, container);
      }
    }
  };

  for (const content of contents) {
    if (content.kind === 'plain') walk(content.safeContents, null);
    else walk(decrypt(content, parseDer), note(content.scheme));
  }
  beforeKeys?.(certs);
  for (const decryptKey of deferred) decryptKey();

  return {
    keys,
    certs,
    encoding: describeEncoding(certProtection, keyProtection, kdfs, mac),
    modern: kdfs.length > 0 || (mac !== null && mac.hash !== 'SHA-1'),
  };
}

function shroudedBags(safeContents: Node): Node[] {
  return children(safeContents, 'SafeContents').filter(
    (bag) => oid(child(bag, 0, 'SafeBag'), 'SafeBag') === OID.shroudedKeyBag,
  );
}

function parsePrivateKeyInfo(plain: Buffer): Node {
  const info = parseDer(plain);
  integer(child(info, 0, 'PrivateKeyInfo'), 'PrivateKeyInfo');
  oid(child(child(info, 1, 'PrivateKeyInfo'), 0, 'PrivateKeyInfo'), 'PrivateKeyInfo');
  return info;
}

function readFriendlyName(attributes: Node | undefined): string | null {
  if (!attributes || !Array.isArray(attributes.value)) return null;
  for (const attribute of attributes.value) {
    if (oid(child(attribute, 0, 'atributo'), 'atributo') !== OID.friendlyName) continue;
    const value = children(child(attribute, 1, 'atributo'), 'atributo')[0];
    if (value && value.type === Type.BMPSTRING) return text(value);
  }
  return null;
}

/** forge throws plain Errors on malformed DER; they mean "not what we expected". */
function isForgeError(error: unknown): boolean {
  return error instanceof Error && error.constructor === Error;
}

function describeEncoding(
  certProtection: (string | null)[],
  keyProtection: (string | null)[],
  kdfs: string[],
  mac: MacScheme | null,
): string {
  const unique = <T>(items: T[]): T[] => [...new Set(items)];
  const labels = unique([...certProtection, ...keyProtection].filter((label): label is string => label !== null));
  const details: string[] = unique(kdfs);
  if (labels.length > 0 && certProtection.includes(null)) details.push('certificados sem cifra');
  if (labels.length > 0 && keyProtection.includes(null)) details.push('chave sem cifra');
  details.push(mac ? `MAC ${mac.hash}` : 'sem MAC');
  if (labels.length === 0) return `sem cifra (${details.join(', ')})`;
  const legacy = labels.some((label) => label.startsWith('RC2'));
  return legacy ? `legado (${labels.join(' + ')}, ${details.join(', ')})` : `${labels.join(' + ')} (${details.join(', ')})`;
}
