/**
 * RNDS hosts per environment, and the CA bundle used to trust them. The URLs are configurable
 * because RNDS moves hosts and tests point them at a local double.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { RndsError } from '../errors.js';
import type { Environment } from '../types.js';

/** DATASUS's published hosts (integration manual v1.2 and the public Postman collection). */
const RNDS_DEFAULT_URLS = {
  homologacao: {
    authUrl: 'https://ehr-auth-hmg.saude.gov.br',
    servicesUrl: 'https://ehr-services.hmg.saude.gov.br/api',
  },
  producao: {
    authUrl: 'https://ehr-auth.saude.gov.br',
    /** `{uf}` is the installation's state, lowercase: a credential belongs to one state. */
    servicesUrl: 'https://{uf}-ehr-services.saude.gov.br/api',
  },
} as const;

/** The 27 federative units. */
export const UFS = [
  'AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA', 'PB', 'PE', 'PI', 'PR',
  'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO',
] as const;

export interface EnvironmentUrls {
  /** Base of the auth server; the token is at `{authUrl}/api/token`. */
  authUrl: string;
  /** Base of the FHIR services; null in produção while the installation's UF is unknown. */
  servicesUrl: string | null;
}

export interface EnvironmentOverrides {
  /** Installation's state (two letters, any case). */
  uf?: string | null;
  authUrlHomologacao?: string | null;
  authUrlProducao?: string | null;
  servicesUrlHomologacao?: string | null;
  /** May contain `{uf}`. */
  servicesUrlProducao?: string | null;
}

function httpsBase(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RndsError('INVALID_INPUT', `Endereço inválido em ${field}: informe uma URL https://.`, {
      fields: { [field]: 'informe uma URL https:// válida' },
    });
  }
  if (url.protocol !== 'https:') {
    throw new RndsError('INVALID_INPUT', `O endereço em ${field} deve começar com https://: a RNDS só aceita TLS.`, {
      fields: { [field]: 'deve ser uma URL https://' },
    });
  }
  return value.trim().replace(/\/+$/, '');
}

/** Resolves both environments' URLs from the defaults, the UF and any overrides. */
export function resolveEnvironments(overrides: EnvironmentOverrides = {}): Record<Environment, EnvironmentUrls> {
  let uf: string | null = null;
  if (overrides.uf) {
    const upper = overrides.uf.trim().toUpperCase();
    if (!(UFS as readonly string[]).includes(upper)) {
      throw new RndsError('INVALID_INPUT', `UF inválida: "${overrides.uf}". Informe a sigla do estado da instalação, como MG.`, {
        fields: { uf: 'informe a sigla de um estado, como MG' },
      });
    }
    uf = upper.toLowerCase();
  }

  let producaoServicesTemplate: string = RNDS_DEFAULT_URLS.producao.servicesUrl;
  if (overrides.servicesUrlProducao) {
    // Validated with a stand-in state: braces are not valid in a host name.
    httpsBase(overrides.servicesUrlProducao.replaceAll('{uf}', 'mg'), 'servicesUrlProducao');
    producaoServicesTemplate = overrides.servicesUrlProducao.trim().replace(/\/+$/, '');
  }
  const needsUf = producaoServicesTemplate.includes('{uf}');

  return {
    homologacao: {
      authUrl: overrides.authUrlHomologacao
        ? httpsBase(overrides.authUrlHomologacao, 'authUrlHomologacao')
        : RNDS_DEFAULT_URLS.homologacao.authUrl,
      servicesUrl: overrides.servicesUrlHomologacao
        ? httpsBase(overrides.servicesUrlHomologacao, 'servicesUrlHomologacao')
        : RNDS_DEFAULT_URLS.homologacao.servicesUrl,
    },
    producao: {
      authUrl: overrides.authUrlProducao ? httpsBase(overrides.authUrlProducao, 'authUrlProducao') : RNDS_DEFAULT_URLS.producao.authUrl,
      servicesUrl: !needsUf ? producaoServicesTemplate : uf ? producaoServicesTemplate.replaceAll('{uf}', uf) : null,
    },
  };
}

/** The token endpoint under an auth base URL (which may carry a path prefix). */
export function tokenUrl(authUrl: string): string {
  return `${authUrl.replace(/\/+$/, '')}/api/token`;
}

/** `host[:port]` of a URL, as the pt-BR messages name it. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits PEM text into certificates, rejecting text that holds none or a broken one. */
export function parseCaPem(pemText: string, source = 'RNDS_CA_FILE'): string[] {
  const blocks = pemText.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new RndsError('INVALID_INPUT', `${source} não contém nenhum certificado PEM (-----BEGIN CERTIFICATE-----): use o arquivo .pem/.crt da autoridade certificadora.`, {
      fields: { [source]: 'nenhum certificado PEM encontrado' },
    });
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new RndsError('INVALID_INPUT', `O certificado nº ${index + 1} de ${source} está corrompido: substitua o arquivo.`, {
        fields: { [source]: 'certificado PEM corrompido' },
        cause,
      });
    }
  });
  return blocks.map((block) => `${block}\n`);
}

/** Reads an extra CA file (PEM, one or more certificates). */
export async function readCaFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new RndsError('INVALID_INPUT', `Não foi possível ler ${file} (RNDS_CA_FILE): confira o caminho e a permissão de leitura.`, {
      fields: { RNDS_CA_FILE: 'arquivo ilegível' },
      cause,
    });
  }
  return parseCaPem(text);
}

/**
 * The CAs to trust for the RNDS servers. Without extras: undefined, i.e. Node's defaults (the system
 * store, plus NODE_EXTRA_CA_CERTS). With extras they are added to `tls.rootCertificates`, since a
 * `ca` option replaces the defaults instead of extending them.
 */
export function buildTrustedCa(extraPem?: string | readonly string[] | null): string[] | undefined {
  if (extraPem === undefined || extraPem === null) return undefined;
  const extras = (typeof extraPem === 'string' ? [extraPem] : [...extraPem]).flatMap((text) => parseCaPem(text, 'rndsCa'));
  if (extras.length === 0) return undefined;
  return [...tls.rootCertificates, ...extras];
}
