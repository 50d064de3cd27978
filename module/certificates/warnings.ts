/**
 * The wrong *kind* of certificate in chaves: files that open but are not what RNDS or PEC expects. A warning, never a
 * refusal — each says, in pt-BR, what the file is and what to do. Pure data and text (no parser), so the Status and the
 * state schema can use it without loading node-forge.
 */
import { formatCpf } from '../present/index.js';

/** In the order they are shown. */
export const CERTIFICATE_WARNING_CODES = [
  /** An HTTPS server certificate (PEC's keystore.p12 for esus.<município>.gov.br), not the municipality's. */
  'SERVER_CERTIFICATE',
  /** A person's e-CPF instead of the municipality's e-CNPJ. */
  'PERSONAL_CERTIFICATE',
  /** Outside ICP-Brasil: RNDS trusts ICP-Brasil chains (and the certificate e-Gestor AB generates). */
  'OUTSIDE_ICP_BRASIL',
  /** AES/PBES2 (OpenSSL 3's default): PEC before 5.3 runs on Java 8, which may not open it. */
  'AES_FOR_OLD_JAVA',
] as const;
export type CertificateWarningCode = (typeof CERTIFICATE_WARNING_CODES)[number];

export interface CertificateWarning {
  code: CertificateWarningCode;
  /** pt-BR: what the file is and what to do. */
  message: string;
}

/** What the kind checks need to know of an opened file. */
export interface KindFacts {
  commonName: string;
  issuer: string;
  cnpj: string | null;
  clientAuth: boolean;
  serverAuth: boolean;
  dnsNames: string[];
  icpBrasil: boolean;
  person: { name: string; cpf: string | null } | null;
  /** Some bag is encrypted with PBES2 (AES, Camellia…) or the MAC is not SHA-1: what Java 8 before 8u301 cannot read. */
  modernEncryption: boolean;
}

/** A host name such as esus.municipio.gov.br (a server certificate's CN). */
const HOST_NAME = /^(\*\.)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i;

const USE_ECNPJ =
  'Escolha o e-CNPJ A1 do município (o mesmo CNPJ informado no e-Gestor AB) ou o certificado gerado no e-Gestor AB.';

/** The warnings about the kind of an opened certificate, most important first. */
export function kindWarnings(facts: KindFacts): CertificateWarning[] {
  const warnings: CertificateWarning[] = [];
  const host = facts.dnsNames[0] ?? (HOST_NAME.test(facts.commonName.trim()) ? facts.commonName.trim() : null);
  const server = facts.cnpj === null && facts.person === null && (facts.serverAuth || host !== null);
  if (server) {
    warnings.push({
      code: 'SERVER_CERTIFICATE',
      message:
        `Este é um certificado de servidor HTTPS${host ? ` (de ${host})` : ''}, como o keystore.p12 que o PEC usa para o endereço https, ` +
        `não o certificado do município para a RNDS: a RNDS vai recusá-lo. ${USE_ECNPJ} Se o PEC usa este arquivo para o https, deixe-o onde está e não o habilite aqui.`,
    });
  } else if (facts.person) {
    const who = `${facts.person.name}${facts.person.cpf ? `, CPF ${formatCpf(facts.person.cpf)}` : ''}`;
    warnings.push({
      code: 'PERSONAL_CERTIFICATE',
      message:
        `Este é um e-CPF, o certificado de uma pessoa (${who}), não o e-CNPJ do município: a RNDS credencia o município e pode recusá-lo. ${USE_ECNPJ}`,
    });
  } else if (!facts.icpBrasil) {
    warnings.push({
      code: 'OUTSIDE_ICP_BRASIL',
      message:
        `O certificado não é da ICP-Brasil (emitido por ${facts.issuer || 'emissor desconhecido'}): a RNDS só aceita certificados ICP-Brasil e o gerado no e-Gestor AB. ` +
        `Se este não for o gerado no e-Gestor AB, use o e-CNPJ A1 do município, de uma autoridade certificadora da ICP-Brasil.`,
    });
  }
  if (facts.modernEncryption) {
    warnings.push({
      code: 'AES_FOR_OLD_JAVA',
      message:
        'O arquivo usa a cifra AES (o padrão do OpenSSL 3). O pec-rnds o abre, mas o PEC anterior à versão 5.3 roda em Java 8, que pode não abri-lo. ' +
        'Se o PEC desta instalação for anterior à 5.3, exporte o certificado com -legacy: ' +
        '"openssl pkcs12 -in atual.pfx -nodes | openssl pkcs12 -export -legacy -out municipio.pfx" (a senha é pedida duas vezes) e copie o municipio.pfx para a pasta chaves.',
    });
  }
  return warnings;
}

/** Warnings that say RNDS may refuse the certificate (the Java 8 note depends on PEC's version, not on RNDS). */
export function refusedByRnds(warning: CertificateWarning): boolean {
  return warning.code !== 'AES_FOR_OLD_JAVA';
}
