/**
 * Thin helpers over node-forge's ASN.1 reader. Forge keeps byte values as "binary" strings; these
 * helpers hand out Buffers so the crypto can run on node:crypto.
 */
import forge from 'node-forge';

export type Node = forge.asn1.Asn1;

const { Class, Type } = forge.asn1;

/** Thrown when the bytes are not the structure we expect; callers map it to INVALID_CERTIFICATE. */
export class StructureError extends Error {
  constructor(what: string) {
    super(`estrutura inesperada: ${what}`);
    this.name = 'StructureError';
  }
}

/** Parses DER (BER tolerated: indefinite lengths, constructed strings) and refuses trailing bytes. */
export function parseDer(bytes: Buffer): Node {
  const options = { strict: true, parseAllBytes: true, decodeBitStrings: false };
  return (forge.asn1.fromDer as unknown as (b: string, o: typeof options) => Node)(
    bytes.toString('latin1'),
    options,
  );
}

export function children(node: Node | undefined, what: string): Node[] {
  if (!node || !Array.isArray(node.value)) throw new StructureError(what);
  return node.value;
}

export function child(node: Node | undefined, index: number, what: string): Node {
  const found = children(node, what)[index];
  if (!found) throw new StructureError(what);
  return found;
}

export function isUniversal(node: Node | undefined, type: number): boolean {
  return !!node && node.tagClass === Class.UNIVERSAL && node.type === type;
}

export function isContext(node: Node | undefined, tag: number): boolean {
  return !!node && node.tagClass === Class.CONTEXT_SPECIFIC && node.type === tag;
}

export function oid(node: Node | undefined, what: string): string {
  if (!isUniversal(node, Type.OID) || typeof node!.value !== 'string') throw new StructureError(what);
  return forge.asn1.derToOid(node!.value);
}

/** The content bytes of a primitive or constructed (BER) string. */
export function bytesOf(node: Node | undefined, what: string): Buffer {
  if (!node) throw new StructureError(what);
  if (typeof node.value === 'string') return Buffer.from(node.value, 'latin1');
  return Buffer.concat(node.value.map((part) => bytesOf(part, what)));
}

export function octets(node: Node | undefined, what: string): Buffer {
  if (!isUniversal(node, Type.OCTETSTRING)) throw new StructureError(what);
  return bytesOf(node, what);
}

export function integer(node: Node | undefined, what: string): number {
  if (!isUniversal(node, Type.INTEGER)) throw new StructureError(what);
  const bytes = bytesOf(node, what);
  if (bytes.length === 0 || bytes.length > 6 || (bytes[0]! & 0x80) !== 0) throw new StructureError(what);
  return bytes.readUIntBE(0, bytes.length);
}

export function toDer(node: Node): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'latin1');
}

/** Decodes the ASN.1 string types found in names and ICP-Brasil otherName values. */
export function text(node: Node | undefined): string | null {
  if (!node || node.tagClass !== Class.UNIVERSAL) return null;
  // forge already decodes BMPString values into JS strings.
  if (node.type === Type.BMPSTRING && typeof node.value === 'string') return node.value.replace(/\0+$/, '');
  const bytes = bytesOf(node, 'texto');
  switch (node.type as number) {
    case Type.UTF8:
      return bytes.toString('utf8');
    case Type.BMPSTRING:
      return utf16be(bytes);
    case 28: // UniversalString (UTF-32BE)
      return Array.from({ length: bytes.length >> 2 }, (_, i) =>
        String.fromCodePoint(bytes.readUInt32BE(i * 4)),
      ).join('');
    case Type.OCTETSTRING:
      return utf8OrLatin1(bytes);
    case Type.PRINTABLESTRING:
    case Type.IA5STRING:
    case 20: // TeletexString: treated as Latin-1, as most tools do
    case 26: // VisibleString
      return utf8OrLatin1(bytes);
    default:
      return null;
  }
}

export function utf16be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes.subarray(0, bytes.length & ~1));
  swapped.swap16();
  return swapped.toString('utf16le').replace(/\0+$/, '');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8OrLatin1(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

export { Class, Type };
