/** The pt-BR texts of the certificate engine: each says what happened and what to do next. */
import { RndsError } from '../errors.js';
import { DEFAULT_TIME_ZONE, EXPIRING_DAYS, daysLeftText, formatBytes, formatDate, formatNumber } from '../present/index.js';

const REEXPORT =
  'Exporte o certificado novamente (por exemplo, com o OpenSSL nas opções padrão) e copie o novo arquivo para a pasta chaves.';

/** Builds the engine's RndsErrors; `fileName` only makes the text more specific. */
export class CertificateMessages {
  constructor(
    private readonly fileName?: string,
    /** The installation's time zone, for the dates in the messages. */
    private readonly timeZone: string = DEFAULT_TIME_ZONE,
  ) {}

  private get theCertificate(): string {
    return this.fileName ? `o certificado ${this.fileName}` : 'o certificado';
  }

  private get theFile(): string {
    return this.fileName ? `O arquivo ${this.fileName}` : 'O arquivo';
  }

  wrongPassword(cause?: unknown): RndsError {
    const name = this.fileName ? ` ${this.fileName}` : '';
    return new RndsError(
      'WRONG_PASSWORD',
      `Senha incorreta para o certificado${name} (ou o arquivo está danificado). Digite a senha novamente; se o erro continuar, copie o arquivo .pfx/.p12 de novo para a pasta chaves.`,
      { cause, fields: { password: 'Senha incorreta ou arquivo danificado.' } },
    );
  }

  /** The renewal scan's pre-check failed: no certificate of the file is a proven renewal of the enabled one. */
  notRenewal(): RndsError {
    return new RndsError(
      'CERTIFICATE_NOT_FOUND',
      `${this.theFile} não é uma renovação do certificado habilitado (outro CNPJ, validade menor ou outra autoridade certificadora): habilite-o digitando a senha, se for o caso.`,
    );
  }

  empty(): RndsError {
    return new RndsError(
      'INVALID_CERTIFICATE',
      `${this.theFile} está vazio. Copie novamente o certificado (.pfx ou .p12) para a pasta chaves.`,
    );
  }

  publicCertificateOnly(): RndsError {
    return new RndsError(
      'INVALID_CERTIFICATE',
      `${this.theFile} é um certificado sem a chave privada (.cer ou PEM), não um .pfx/.p12. Você copiou o .cer? Use o .pfx/.p12 com a chave privada, baixado do e-Gestor AB.`,
    );
  }

  truncated(cause?: unknown): RndsError {
    return new RndsError(
      'INVALID_CERTIFICATE',
      `${this.theFile} está incompleto (a cópia pode não ter terminado). Copie o certificado .pfx/.p12 novamente para a pasta chaves.`,
      { cause },
    );
  }

  notPkcs12(cause?: unknown): RndsError {
    return new RndsError(
      'INVALID_CERTIFICATE',
      `${this.theFile} não é um certificado PKCS#12 (.pfx/.p12) válido ou está corrompido. Copie o arquivo .pfx/.p12 original, com a chave privada, para a pasta chaves.`,
      { cause },
    );
  }

  damaged(cause?: unknown): RndsError {
    return new RndsError(
      'INVALID_CERTIFICATE',
      `A senha confere, mas o conteúdo d${this.theCertificate} não pôde ser decifrado: o arquivo está danificado. ${REEXPORT}`,
      { cause },
    );
  }

  unsupported(algorithm: string, cause?: unknown): RndsError {
    return new RndsError(
      'UNSUPPORTED_CERTIFICATE',
      `${capitalize(this.theCertificate)} usa um algoritmo não suportado: ${algorithm}. ${REEXPORT}`,
      { cause },
    );
  }

  unsupportedKey(keyType: string): RndsError {
    return new RndsError(
      'UNSUPPORTED_CERTIFICATE',
      `${capitalize(this.theCertificate)} usa uma chave do tipo ${keyType}, que a RNDS não aceita. Use um certificado com chave RSA ou EC (e-CNPJ A1).`,
    );
  }

  noPrivateKey(): RndsError {
    return new RndsError(
      'NO_PRIVATE_KEY',
      `${this.theFile} não contém a chave privada. Exporte o certificado novamente incluindo a chave privada (.pfx/.p12) e copie-o para a pasta chaves.`,
    );
  }

  keyMismatch(hasCertificates: boolean): RndsError {
    const what = hasCertificates
      ? 'a chave privada não corresponde a nenhum certificado do arquivo'
      : 'há a chave privada, mas não o certificado';
    return new RndsError(
      'KEY_MISMATCH',
      `No arquivo${this.fileName ? ` ${this.fileName}` : ''}, ${what}. Exporte novamente o certificado junto com a sua própria chave privada (.pfx/.p12).`,
    );
  }

  expired(notAfter: Date): RndsError {
    return new RndsError(
      'CERTIFICATE_EXPIRED',
      `${capitalize(this.theCertificate)} expirou em ${formatDate(notAfter, this.timeZone)}. Obtenha um certificado novo no e-Gestor AB e copie-o para a pasta chaves.`,
    );
  }

  notYetValid(notBefore: Date): RndsError {
    return new RndsError(
      'CERTIFICATE_NOT_YET_VALID',
      `${capitalize(this.theCertificate)} só é válido a partir de ${formatDate(notBefore, this.timeZone)}. Confira a data e a hora deste servidor, ou aguarde até essa data.`,
    );
  }

  tooLarge(size: number, limit: number): RndsError {
    return new RndsError(
      'CERTIFICATE_TOO_LARGE',
      `${this.theFile} tem ${sizeOver(size, limit)}, acima do limite de ${formatBytes(limit)} para certificados (um .pfx/.p12 tem poucos KB). Confira se escolheu o arquivo certo.`,
    );
  }

  tooExpensive(iterations: number, limit: number, total: boolean): RndsError {
    const asked = total
      ? `exige ${formatNumber(iterations)} iterações de derivação de chave no total`
      : `exige ${formatNumber(iterations)} iterações de derivação de chave`;
    return new RndsError(
      'TOO_EXPENSIVE',
      `${capitalize(this.theCertificate)} ${asked}, acima do limite de ${formatNumber(limit)}. ${REEXPORT}`,
    );
  }

  timedOut(timeoutMs: number): RndsError {
    return new RndsError(
      'TOO_EXPENSIVE',
      `A abertura d${this.theCertificate} demorou mais de ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${formatNumber(Math.round(timeoutMs / 1000))} s`} e foi interrompida. Tente novamente; se o erro continuar, exporte o certificado novamente com as opções padrão.`,
    );
  }
}

/** Warnings about a certificate that opens but may not work as expected. */
export function certificateWarnings(facts: { clientAuth: boolean; notAfter: Date; daysLeft: number; expired: boolean }, timeZone: string): string[] {
  const warnings: string[] = [];
  if (!facts.clientAuth) {
    warnings.push(
      'O certificado não tem o uso "autenticação de cliente" (clientAuth): a RNDS pode recusá-lo. Use o certificado do município gerado para a RNDS (e-CNPJ A1 ou o gerado no e-Gestor AB).',
    );
  }
  if (facts.expired) {
    warnings.push(`O certificado expirou em ${formatDate(facts.notAfter, timeZone)}. Obtenha um certificado novo no e-Gestor AB.`);
  } else if (facts.daysLeft <= EXPIRING_DAYS) {
    warnings.push(
      `O certificado vence em ${formatDate(facts.notAfter, timeZone)} (${daysLeftText(facts.daysLeft)}). Providencie a renovação no e-Gestor AB.`,
    );
  }
  return warnings;
}

/** The size of a file over `limit`, never written as the limit itself ("mais de 64 KB" for 64 KB and one byte). */
function sizeOver(size: number, limit: number): string {
  const shown = formatBytes(size);
  return shown === formatBytes(limit) ? `mais de ${shown}` : shown;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
