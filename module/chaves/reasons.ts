/**
 * Why a listed file cannot be chosen, in pt-BR, with what to do. The most common installer mistakes (a `.cer`, a PEM,
 * a zip, a Java keystore) get an answer instead of a folder that looks empty. The content, when it can be read, is
 * sniffed first: a PKCS#12 named `.cer` is told to be renamed, a PEM with both the key and the certificate gets the
 * one `openssl` line that fits it.
 */
import type { EntryStatus } from '../types.js';
import { formatBytes } from '../present/index.js';

/** Extensions listed as `unusable` (docs/CONTRACT.md): certificate-related files that cannot be enabled. */
const UNUSABLE_EXTENSIONS = ['cer', 'crt', 'der', 'pem', 'key', 'csr', 'p7b', 'p7c', 'jks', 'keystore', 'zip', 'rar', '7z'] as const;
export type UnusableExtension = (typeof UNUSABLE_EXTENSIONS)[number];

const UNUSABLE_NAME = new RegExp(`\\.(${UNUSABLE_EXTENSIONS.join('|')})$`, 'i');

/** The unusable extension of `name` (lowercase), or null when the name is not one of them. */
export function unusableExtensionOf(name: string): UnusableExtension | null {
  const match = UNUSABLE_NAME.exec(name);
  return match ? (match[1]!.toLowerCase() as UnusableExtension) : null;
}

const TAKE_PFX = 'Copie para a pasta o .pfx ou .p12 baixado do e-Gestor AB (o arquivo com a chave privada) e escolha-o aqui.';

/** A file name safe to paste into a shell command as is; anything else gets a placeholder. */
function inCommand(name: string, placeholder: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && name.length <= 80 ? name : placeholder;
}

type Sniffed = 'pkcs12' | 'x509' | 'pkcs7' | 'pem' | 'zip' | 'rar' | '7z' | 'jks' | 'text' | 'unknown';

const OID_TAG = 0x06;
const PKCS7_DATA = Buffer.from('2a864886f70d010701', 'hex'); // 1.2.840.113549.1.7.1
const PKCS7_SIGNED_DATA = Buffer.from('2a864886f70d010702', 'hex'); // 1.2.840.113549.1.7.2

/** One BER header at `at`: its tag, where its content starts and its length (null: indefinite); 'short' when cut. */
function header(bytes: Buffer, at: number): { tag: number; start: number; length: number | null } | 'short' | 'bad' {
  if (at + 2 > bytes.length) return 'short';
  const tag = bytes[at]!;
  const first = bytes[at + 1]!;
  if (first < 0x80) return { tag, start: at + 2, length: first };
  if (first === 0x80) return (tag & 0x20) === 0 ? 'bad' : { tag, start: at + 2, length: null };
  const octets = first & 0x7f;
  if (octets > 4) return 'bad';
  if (at + 2 + octets > bytes.length) return 'short';
  return { tag, start: at + 2 + octets, length: bytes.readUIntBE(at + 2, octets) };
}

/**
 * Whether the first bytes have the shape of a PKCS#12 file: PFX ::= SEQUENCE { version INTEGER (3), authSafe
 * ContentInfo { contentType (pkcs7-data or signedData) … } … }, in DER or BER (indefinite lengths, as Windows and Java
 * write it). Only the headers are walked, no parsing of the rest. 'short' when the bytes end before it can tell.
 */
function pkcs12Shape(bytes: Buffer): 'yes' | 'no' | 'short' {
  const pfx = header(bytes, 0);
  if (pfx === 'short' || pfx === 'bad') return pfx === 'short' ? 'short' : 'no';
  if (pfx.tag !== 0x30) return 'no';
  const version = header(bytes, pfx.start);
  if (version === 'short' || version === 'bad') return version === 'short' ? 'short' : 'no';
  if (version.tag !== 0x02 || version.length === null || version.length < 1 || version.length > 4) return 'no';
  if (version.start + version.length > bytes.length) return 'short';
  if (bytes.readUIntBE(version.start, version.length) !== 3) return 'no';
  const authSafe = header(bytes, version.start + version.length);
  if (authSafe === 'short' || authSafe === 'bad') return authSafe === 'short' ? 'short' : 'no';
  if (authSafe.tag !== 0x30) return 'no';
  const contentType = header(bytes, authSafe.start);
  if (contentType === 'short' || contentType === 'bad') return contentType === 'short' ? 'short' : 'no';
  if (contentType.tag !== OID_TAG || contentType.length !== PKCS7_DATA.length) return 'no';
  if (contentType.start + contentType.length > bytes.length) return 'short';
  const oid = bytes.subarray(contentType.start, contentType.start + contentType.length);
  return oid.equals(PKCS7_DATA) || oid.equals(PKCS7_SIGNED_DATA) ? 'yes' : 'no';
}

/** A PKCS#7 chain (.p7b): ContentInfo ::= SEQUENCE { contentType signedData, [0] … }. */
function isPkcs7(bytes: Buffer): boolean {
  const info = header(bytes, 0);
  if (typeof info === 'string' || info.tag !== 0x30) return false;
  const type = header(bytes, info.start);
  if (typeof type === 'string' || type.tag !== OID_TAG || type.length !== PKCS7_SIGNED_DATA.length) return false;
  return bytes.subarray(type.start, type.start + type.length).equals(PKCS7_SIGNED_DATA);
}

/** Printable text (UTF-8 or Latin-1, with line breaks and tabs), nothing binary. */
function isText(bytes: Buffer): boolean {
  for (const byte of bytes.subarray(0, 4096)) if (byte === 0x7f || (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) return false;
  return true;
}

/** What the first bytes say the file is. */
function sniff(bytes: Buffer): Sniffed {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0xfeedfeed) return 'jks';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'zip';
  if (bytes.subarray(0, 4).toString('latin1') === 'Rar!') return 'rar';
  if (bytes.length >= 6 && bytes.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (bytes.subarray(0, 4096).toString('latin1').includes('-----BEGIN ')) return 'pem';
  if (pkcs12Shape(bytes) === 'yes') return 'pkcs12';
  if (isPkcs7(bytes)) return 'pkcs7';
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version … } … }
  if (bytes[0] === 0x30 && bytes.subarray(0, 32).indexOf(Buffer.from([0xa0, 0x03, 0x02, 0x01])) >= 0) return 'x509';
  if (bytes.length > 0 && isText(bytes)) return 'text';
  return 'unknown';
}

function pemLabels(bytes: Buffer): Set<string> {
  const labels = new Set<string>();
  for (const match of bytes.toString('latin1').matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)) labels.add(match[1]!);
  return labels;
}

function pemReason(name: string, ext: string, bytes: Buffer | null, renamed = false): string {
  // A .pfx that holds PEM is named like what the module wants but is not it: say both.
  const lead = renamed ? `Arquivo com nome .${ext}, mas` : `Arquivo .${ext}`;
  const labels = bytes ? pemLabels(bytes) : new Set<string>();
  const hasKey = [...labels].some((label) => label.endsWith('PRIVATE KEY'));
  const hasCert = labels.has('CERTIFICATE');
  const file = inCommand(name, `arquivo.${ext}`);
  if (labels.has('CERTIFICATE REQUEST') || labels.has('NEW CERTIFICATE REQUEST')) return csrReason(ext);
  if (hasKey && hasCert) {
    return (
      `${lead} no formato PEM, com o certificado e a chave privada: o módulo usa .pfx/.p12. ` +
      `Gere o .pfx no servidor com "openssl pkcs12 -export -in ${file} -out municipio.pfx" (defina uma senha quando pedir) e copie o municipio.pfx para a pasta.`
    );
  }
  if (hasKey) {
    return (
      `${lead} no formato PEM, só com a chave privada. Junte-a ao certificado num .pfx: ` +
      `"openssl pkcs12 -export -inkey ${file} -in certificado.cer -out municipio.pfx" (defina uma senha quando pedir) e copie o municipio.pfx para a pasta.`
    );
  }
  if (hasCert) {
    return (
      `${lead} no formato PEM, só com o certificado público, sem a chave privada. ${TAKE_PFX} ` +
      `Se tiver a chave privada em outro arquivo, gere o .pfx com "openssl pkcs12 -export -inkey chave.key -in ${file} -out municipio.pfx".`
    );
  }
  return (
    `Arquivo .${ext} (formato PEM): o módulo usa .pfx/.p12. Com o certificado e a chave privada em PEM, gere o .pfx com ` +
    `"openssl pkcs12 -export -inkey chave.key -in certificado.pem -out municipio.pfx" e copie o municipio.pfx para a pasta.`
  );
}

function csrReason(ext: string): string {
  return `Arquivo .${ext}: é um pedido de certificado (CSR), não um certificado. ${TAKE_PFX}`;
}

/**
 * The reason a file with an unusable extension cannot be enabled. `bytes` is its content when it could be read
 * (null when it is too large to read): content beats the name.
 */
export function unusableReason(name: string, ext: UnusableExtension, bytes: Buffer | null): string {
  const kind = bytes && bytes.length > 0 ? sniff(bytes) : 'unknown';
  if (kind === 'pkcs12') {
    return `Este arquivo é um certificado .pfx/.p12 salvo com a extensão .${ext}: renomeie-o na pasta chaves para terminar em .pfx (por exemplo, municipio.pfx) e ele aparecerá para ser escolhido.`;
  }
  if (kind === 'pem') return pemReason(name, ext, bytes);
  const archive = kind === 'zip' || kind === 'rar' || kind === '7z' ? kind : ext === 'zip' || ext === 'rar' || ext === '7z' ? ext : null;
  if (archive) {
    return `Arquivo compactado (.${archive}): extraia o .pfx ou .p12 que está dentro dele e copie o arquivo extraído para a pasta chaves.`;
  }
  if (kind === 'jks' || ext === 'jks' || ext === 'keystore') {
    const file = inCommand(name, `arquivo.${ext}`);
    return (
      `Arquivo .${ext}: é um keystore Java, que o módulo não lê. Converta-o para .pfx com ` +
      `"keytool -importkeystore -srckeystore ${file} -destkeystore municipio.pfx -deststoretype PKCS12" e copie o municipio.pfx para a pasta.`
    );
  }
  if (kind === 'x509') return `Arquivo .${ext}: é só o certificado público, sem a chave privada. ${TAKE_PFX}`;
  if (kind === 'pkcs7') return `Arquivo .${ext}: é uma cadeia de certificados (PKCS#7), sem a chave privada. ${TAKE_PFX}`;
  switch (ext) {
    case 'cer':
    case 'crt':
    case 'der':
      return `Arquivo .${ext}: é só o certificado público, sem a chave privada. ${TAKE_PFX}`;
    case 'pem':
    case 'key':
      return pemReason(name, ext, null);
    case 'csr':
      return csrReason(ext);
    case 'p7b':
    case 'p7c':
      return `Arquivo .${ext}: é uma cadeia de certificados (PKCS#7), sem a chave privada. ${TAKE_PFX}`;
  }
  return TAKE_PFX;
}

/**
 * Why a file named `.pfx`/`.p12` cannot be enabled although its name says it can: its content is not a PKCS#12
 * structure (a renamed `.cer`, a PEM, a zip, a Java keystore, text…). Null when the content has the PKCS#12 shape, or
 * when the bytes end before the shape can tell and the file may still be being written (`whole` false).
 * Content beats the name, as for the unusable extensions.
 */
export function renamedReason(name: string, bytes: Buffer, whole = true): string | null {
  const shape = pkcs12Shape(bytes);
  if (bytes.length === 0 || shape === 'yes' || (shape === 'short' && !whole)) return null;
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase() ?? 'pfx';
  const named = `Arquivo com nome .${ext}, mas`;
  const kind = sniff(bytes);
  switch (kind) {
    case 'x509':
      return `${named} é só o certificado público (um .cer renomeado), sem a chave privada: renomear não basta. ${TAKE_PFX}`;
    case 'pem':
      return pemReason(name, ext, bytes, true);
    case 'pkcs7':
      return `${named} é uma cadeia de certificados (PKCS#7, .p7b), sem a chave privada. ${TAKE_PFX}`;
    case 'zip':
    case 'rar':
    case '7z':
      return `${named} compactado (.${kind}): extraia o .pfx ou .p12 que está dentro dele e copie o arquivo extraído para a pasta chaves.`;
    case 'jks': {
      const file = inCommand(name, `arquivo.${ext}`);
      return (
        `${named} é um keystore Java (JKS), que o módulo não lê. Converta-o com ` +
        `"keytool -importkeystore -srckeystore ${file} -srcstoretype JKS -destkeystore municipio.pfx -deststoretype PKCS12" e copie o municipio.pfx para a pasta.`
      );
    }
    case 'text':
      return `${named} é um texto, não um certificado. Se for uma anotação (a senha, por exemplo), tire-o da pasta chaves. ${TAKE_PFX}`;
    default:
      return `${named} o conteúdo não é de um certificado .pfx/.p12 (PKCS#12): o arquivo está corrompido ou é outro arquivo renomeado. ${TAKE_PFX}`;
  }
}

/**
 * What the module says about a file from its name and content, before any password (`npm run inspect`, the screen,
 * the guide and `npm run status` say the same): the reason it cannot be enabled, or null when it can be tried.
 */
export function contentReason(name: string, bytes: Buffer): string | null {
  const ext = unusableExtensionOf(name);
  if (ext) return pkcs12Shape(bytes) === 'yes' ? null : unusableReason(name, ext, bytes);
  return renamedReason(name, bytes);
}

/** The reason for the other non-ready statuses. */
export function statusReason(status: Exclude<EntryStatus, 'ready' | 'unusable'>, size: number, maxFileSize: number): string {
  switch (status) {
    case 'incomplete':
      return 'O arquivo ainda está sendo copiado para a pasta: aguarde a cópia terminar e ele ficará disponível sozinho. Se não ficar, copie-o de novo.';
    case 'unreadable':
      return 'O módulo não tem permissão para ler este arquivo: dê permissão de leitura ao usuário do serviço pec-rnds (Linux: sudo setfacl -m u:pec-rnds:r seguido do caminho do arquivo; Windows: Propriedades › Segurança).';
    case 'too-large':
      return `O arquivo tem ${formatBytes(size)}, mais do que cabe num certificado (até ${formatBytes(maxFileSize)}): confira se copiou o arquivo certo, o .pfx ou .p12 baixado do e-Gestor AB.`;
    case 'not-a-file':
      return 'Não é um arquivo comum (atalho, link, pasta ou dispositivo): copie para a pasta o próprio arquivo .pfx ou .p12, não um atalho para ele.';
  }
}
