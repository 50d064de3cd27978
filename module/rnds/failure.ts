/**
 * Why a token request failed, in the terms PEC shows (one of its four connection messages) plus a
 * pt-BR detail that names the cause and what to do. Network outcomes never escape as raw Node errors.
 */
import type { ConnectionStatus, ConnectionStep } from '../types.js';
import type { ProxyConfig } from './proxy-settings.js';

export type FailureStatus = Exclude<ConnectionStatus, 'ok'>;

export type FailureReason =
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'local-certificate'
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'connect-timeout'
  | 'timeout'
  | 'network'
  | 'untrusted-server'
  | 'not-tls'
  | 'handshake-rejected'
  | 'http-unauthorized'
  | 'http-forbidden'
  | 'http-certificate-refused'
  | 'http-server-error'
  | 'http-unexpected'
  | 'invalid-response'
  | 'proxy-dns'
  | 'proxy-refused'
  | 'proxy-unreachable'
  | 'proxy-timeout'
  | 'proxy-closed'
  | 'proxy-not-http'
  | 'proxy-auth-required'
  | 'proxy-auth-rejected'
  | 'proxy-auth-unsupported'
  | 'proxy-denied'
  | 'proxy-upstream'
  | 'proxy-inspecting';

/** Every reason, for documentation checks (INSTALL.md has a row per proxy reason). */
export const PROXY_FAILURE_REASONS: readonly FailureReason[] = [
  'proxy-dns',
  'proxy-refused',
  'proxy-unreachable',
  'proxy-timeout',
  'proxy-closed',
  'proxy-not-http',
  'proxy-auth-required',
  'proxy-auth-rejected',
  'proxy-auth-unsupported',
  'proxy-denied',
  'proxy-upstream',
  'proxy-inspecting',
];

/** A failed RNDS token request. `message` is the pt-BR detail; it never carries a secret. */
export class TokenRequestError extends Error {
  readonly status: FailureStatus;
  readonly reason: FailureReason;
  /** HTTP status of the answer, when there was one. */
  readonly httpStatus?: number;
  /** Node/OpenSSL error code behind it, for logs and support. */
  readonly errorCode?: string;
  /** The steps the request went through, the failed one last (set by the token client). */
  steps?: ConnectionStep[];

  constructor(
    status: FailureStatus,
    reason: FailureReason,
    detail: string,
    extra: { httpStatus?: number; errorCode?: string; cause?: unknown } = {},
  ) {
    super(detail, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'TokenRequestError';
    this.status = status;
    this.reason = reason;
    this.httpStatus = extra.httpStatus;
    this.errorCode = extra.errorCode;
  }
}

export function isTokenRequestError(error: unknown): error is TokenRequestError {
  return error instanceof TokenRequestError;
}

/** How far a request got when it failed; decides what a reset means. */
export type RequestPhase =
  /** DNS and TCP connect. */
  | 'connecting'
  /** TCP up, TLS handshake under way. */
  | 'handshake'
  /** Handshake done on our side, request sent, no answer yet. */
  | 'awaiting-response'
  /** Answer headers received. */
  | 'response';

const ACTIVE_CREDENTIAL = 'verifique se a credencial está ATIVA no e-Gestor AB e se este é o certificado gerado para a contra-chave desta instalação';

/** Node's codes for a server certificate that does not verify (chain, dates, name). */
export const UNTRUSTED_SERVER_CODES: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'cadeia com certificado autoassinado',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificado autoassinado',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'emissor desconhecido',
  UNABLE_TO_GET_ISSUER_CERT: 'emissor desconhecido',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'emissor desconhecido',
  CERT_UNTRUSTED: 'certificado não confiável',
  CERT_SIGNATURE_FAILURE: 'assinatura inválida',
  CERT_HAS_EXPIRED: 'certificado do servidor expirado',
  CERT_NOT_YET_VALID: 'certificado do servidor ainda não válido',
  CERT_REVOKED: 'certificado do servidor revogado',
  CERT_REJECTED: 'certificado recusado',
  INVALID_CA: 'autoridade certificadora inválida',
  INVALID_PURPOSE: 'certificado sem uso para servidor',
  PATH_LENGTH_EXCEEDED: 'cadeia longa demais',
  CERT_CHAIN_TOO_LONG: 'cadeia longa demais',
  HOSTNAME_MISMATCH: 'nome do servidor não confere',
  ERR_TLS_CERT_ALTNAME_INVALID: 'nome do servidor não confere com o certificado',
};

/**
 * TLS alerts a server sends when it refuses the client certificate. Measured against
 * `openssl s_server -Verify -verify_return_error`: TLS 1.3 surfaces them as
 * `ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED`, `ERR_SSL_TLSV1_ALERT_UNKNOWN_CA`…; TLS 1.2 as `EPROTO`
 * with the alert only in the message ("sslv3 alert bad certificate"), so both are read.
 */
const CERTIFICATE_ALERTS: Record<string, string> = {
  'unknown ca': 'emissor do certificado desconhecido pela RNDS',
  'bad certificate': 'certificado inválido para a RNDS',
  'certificate required': 'a RNDS exige um certificado',
  'certificate unknown': 'certificado desconhecido pela RNDS',
  'unsupported certificate': 'certificado não suportado pela RNDS',
  'certificate revoked': 'certificado revogado',
  'certificate expired': 'a RNDS considera o certificado expirado',
  'access denied': 'acesso negado ao certificado',
  // TLS 1.2 servers send a bare handshake_failure when no acceptable certificate arrives.
  'handshake failure': 'negociação TLS recusada',
  'decrypt error': 'assinatura do certificado recusada',
};

function certificateAlertOf(error: NodeJS.ErrnoException & { reason?: string }): string | null {
  const text = `${error.reason ?? ''} ${error.message ?? ''}`.toLowerCase();
  return Object.keys(CERTIFICATE_ALERTS).find((alert) => text.includes(`alert ${alert}`)) ?? null;
}

/**
 * Turns a Node/OpenSSL error from the token request into PEC's terms. `host` is what the detail
 * names (host[:port] of the auth URL).
 */
export function classifyRequestError(error: unknown, host: string, phase: RequestPhase, proxy: ProxyConfig | null = null): TokenRequestError {
  const err = (error ?? {}) as NodeJS.ErrnoException & { reason?: string };
  const code = typeof err.code === 'string' ? err.code : undefined;
  const extra = { errorCode: code, cause: error };
  const cannotConnect = `Não foi possível conectar a ${host}`;
  const checkNetwork = proxy ? `Verifique a rede do servidor e o proxy ${proxy.display}.` : 'Verifique a rede do servidor e o proxy.';

  if (code && code in UNTRUSTED_SERVER_CODES) {
    return untrustedServer(host, UNTRUSTED_SERVER_CODES[code]!, proxy, extra);
  }

  const alert = certificateAlertOf(err);
  if (alert) {
    const why = CERTIFICATE_ALERTS[alert];
    const clock = alert === 'certificate expired' ? ' Confira também a data e a hora deste servidor.' : '';
    return new TokenRequestError(
      'certificate-failure',
      'handshake-rejected',
      `O servidor da RNDS recusou o certificado (${why}): ${ACTIVE_CREDENTIAL}.${clock}`,
      extra,
    );
  }

  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
    case 'EAI_NONAME':
      return new TokenRequestError('no-connection', 'dns', `${cannotConnect}: o nome não foi encontrado (DNS). ${checkNetwork}`, extra);
    case 'ECONNREFUSED':
      return new TokenRequestError('no-connection', 'refused', `${cannotConnect}: conexão recusada. ${checkNetwork}`, extra);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return new TokenRequestError('no-connection', 'unreachable', `${cannotConnect}: rede inacessível. ${checkNetwork}`, extra);
    case 'ETIMEDOUT':
      return new TokenRequestError('no-connection', 'connect-timeout', `${cannotConnect}: o servidor não respondeu a tempo. ${checkNetwork}`, extra);
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return notTls(host, extra);
    case 'ECONNRESET':
    case 'EPIPE':
      // Measured: a Node server that refuses the client certificate (unknown CA, expired) just drops
      // the socket — the client sees ECONNRESET "socket hang up" (TLS 1.3, after its own handshake
      // finished) or "Client network socket disconnected before secure TLS connection" (TLS 1.2).
      // A server that has not answered yet and drops us right after the handshake is refusing us.
      if (phase === 'handshake' || phase === 'awaiting-response') {
        return new TokenRequestError(
          'certificate-failure',
          'handshake-rejected',
          `O servidor da RNDS recusou o certificado (encerrou a conexão durante a negociação TLS): ${ACTIVE_CREDENTIAL}.`,
          extra,
        );
      }
      return new TokenRequestError('no-connection', 'network', `${cannotConnect}: a conexão foi interrompida. ${checkNetwork}`, extra);
  }

  if (code === 'EPROTO' && /wrong version number|packet length too long|unknown protocol/i.test(err.message ?? '')) {
    return notTls(host, extra);
  }
  if (code?.startsWith('ERR_SSL_') || code === 'EPROTO') {
    return new TokenRequestError(
      'no-connection',
      'network',
      `${cannotConnect}: a negociação TLS falhou (${code}). ${checkNetwork}`,
      extra,
    );
  }
  return new TokenRequestError(
    'no-connection',
    'network',
    `${cannotConnect}: ${code ? `erro de rede (${code})` : 'erro de rede'}. ${checkNetwork}`,
    extra,
  );
}

/**
 * The RNDS server's certificate does not verify. Through a proxy that is almost always a proxy that opens HTTPS to
 * inspect it: mutual TLS cannot survive that (the proxy does not hold our key), so trusting its CA would not help —
 * only exempting the RNDS hosts from inspection does.
 */
export function untrustedServer(host: string, why: string, proxy: ProxyConfig | null, extra: { errorCode?: string; cause?: unknown } = {}): TokenRequestError {
  if (proxy) {
    return new TokenRequestError(
      'no-connection',
      'proxy-inspecting',
      `O certificado recebido de ${host} pelo proxy ${proxy.display} não é confiável (${why}); nada foi enviado. ` +
        'Muito provavelmente o proxy inspeciona HTTPS: peça à equipe de rede para isentar *.saude.gov.br da inspeção ' +
        '(a autenticação da RNDS por certificado não passa por um proxy que inspeciona; RNDS_CA_FILE não resolve isso).',
      extra,
    );
  }
  return new TokenRequestError(
    'no-connection',
    'untrusted-server',
    `O certificado do servidor da RNDS (${host}) não é confiável (${why}); nada foi enviado. ` +
      'Confira a data e a hora deste servidor. Se a rede inspeciona HTTPS, peça à equipe de rede para isentar *.saude.gov.br da inspeção ' +
      '(a autenticação por certificado não passa por inspeção); RNDS_CA_FILE serve só para uma autoridade certificadora que a RNDS use e o sistema não conheça.',
    extra,
  );
}

/** The proxy could not be reached, or dropped us, before the tunnel was up. */
export function classifyProxyError(error: unknown, proxy: ProxyConfig, stage: 'dns' | 'tcp' | 'connect'): TokenRequestError {
  const err = (error ?? {}) as NodeJS.ErrnoException;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const extra = { errorCode: code, cause: error };
  const fix = `confira o endereço e a porta em ${proxy.source} e se o proxy está no ar`;
  const cannot = `Não foi possível usar o proxy ${proxy.display}`;
  if (stage === 'dns' || (code && /^(ENOTFOUND|EAI_)/.test(code))) {
    return new TokenRequestError('no-connection', 'proxy-dns', `${cannot}: o nome ${proxy.host} não foi encontrado (DNS). Confira o nome do proxy em ${proxy.source}.`, extra);
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new TokenRequestError('no-connection', 'proxy-refused', `${cannot}: o proxy recusou a conexão. ${capitalize(fix)}.`, extra);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return new TokenRequestError('no-connection', 'proxy-unreachable', `${cannot}: rede inacessível até o proxy. Verifique a rede deste servidor e ${fix}.`, extra);
    case 'ETIMEDOUT':
      return new TokenRequestError('no-connection', 'proxy-timeout', `${cannot}: o proxy não respondeu a tempo. ${capitalize(fix)}.`, extra);
  }
  if (code?.startsWith('HPE_')) {
    return new TokenRequestError('no-connection', 'proxy-not-http', `${cannot}: o que responde em ${proxy.display} não é um proxy HTTP. ${capitalize(fix)}.`, extra);
  }
  return new TokenRequestError(
    'no-connection',
    'proxy-closed',
    `${cannot}: o proxy encerrou a conexão${stage === 'connect' ? ' antes de abrir o túnel' : ''}${code ? ` (${code})` : ''}. ${capitalize(fix)}.`,
    extra,
  );
}

/** The proxy answered our CONNECT with something other than 2xx. */
export function classifyConnectStatus(status: number, proxyAuthenticate: string | undefined, proxy: ProxyConfig, target: string): TokenRequestError {
  const extra = { httpStatus: status };
  if (status === 407) {
    const scheme = (proxyAuthenticate ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    if (scheme !== '' && scheme !== 'basic' && !/\bbasic\b/i.test(proxyAuthenticate ?? '')) {
      return new TokenRequestError(
        'no-connection',
        'proxy-auth-unsupported',
        `O proxy ${proxy.display} pede login pelo método ${scheme.toUpperCase()} (HTTP 407), e o pec-rnds só faz login Basic: peça à equipe de rede um usuário com login Basic ou uma exceção sem login para *.saude.gov.br.`,
        extra,
      );
    }
    if (proxy.authorization) {
      return new TokenRequestError(
        'no-connection',
        'proxy-auth-rejected',
        `O proxy ${proxy.display} recusou o login do usuário ${proxy.username ?? ''} (HTTP 407): confira o usuário e a senha em ${proxy.source} (senha expirada ou trocada?). Caracteres como @ : % na senha devem ir codificados (%40 %3A %25).`,
        extra,
      );
    }
    return new TokenRequestError(
      'no-connection',
      'proxy-auth-required',
      `O proxy ${proxy.display} pede login (HTTP 407): informe usuário e senha em ${proxy.source}, no formato http://usuario:senha@${proxy.display}.`,
      extra,
    );
  }
  if (status === 502 || status === 503 || status === 504) {
    return new TokenRequestError(
      'no-connection',
      'proxy-upstream',
      `O proxy ${proxy.display} não conseguiu alcançar ${target} (HTTP ${status}): o proxy está sem acesso à internet ou a RNDS está fora do ar. Tente de novo mais tarde; se persistir, fale com a equipe de rede.`,
      extra,
    );
  }
  return new TokenRequestError(
    'no-connection',
    'proxy-denied',
    `O proxy ${proxy.display} recusou o destino ${target} (HTTP ${status}): peça à equipe de rede para liberar *.saude.gov.br na porta 443 (HTTPS pelo método CONNECT).`,
    extra,
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notTls(host: string, extra: { errorCode?: string; cause?: unknown }): TokenRequestError {
  return new TokenRequestError(
    'no-connection',
    'not-tls',
    `${host} não respondeu com HTTPS: confira o endereço de autenticação configurado e se um proxy está interceptando a conexão.`,
    extra,
  );
}

/**
 * Answers in which a server (or the proxy or load balancer in front of it) refuses the client certificate over HTTP
 * instead of with a TLS alert. nginx (and what is built on it: ingress-nginx, Azure Application Gateway, Cloudflare)
 * with `ssl_verify_client on` finishes the handshake and answers `400` with its page for 495/496 (measured, nginx
 * 1.22); a server may also send 495/496 themselves. Apache httpd (per-directory SSLVerifyClient), IIS (403.7, 403.16),
 * Tomcat/Spring Security and API gateways answer 401/403, read as a refusal already.
 */
const CERTIFICATE_PAGES: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  { pattern: /The SSL certificate error|SSL certificate error|client certificate (is )?(invalid|untrusted|not trusted)/i, why: 'certificado não aceito: emissor desconhecido, cadeia incompleta ou certificado inválido' },
  { pattern: /No required SSL certificate was sent|client certificate (is )?required|no client certificate/i, why: 'o servidor não recebeu o certificado' },
];

/** HTTP statuses whose body may say the client certificate was refused (read, at most a few KB, before classifying). */
export const CERTIFICATE_REFUSAL_STATUSES: ReadonlySet<number> = new Set([400, 495, 496]);

/** Why an HTTP answer refuses the client certificate, or null when it does not say so. */
function certificatePageReason(status: number, body: string): string | null {
  const found = CERTIFICATE_PAGES.find((page) => page.pattern.test(body));
  if (found) return found.why;
  if (status === 495) return 'certificado não aceito: emissor desconhecido, cadeia incompleta ou certificado inválido';
  if (status === 496) return 'o servidor não recebeu o certificado';
  return null;
}

/**
 * Maps an HTTP status other than 2xx. `body` is the start of the answer, read for 400/495/496 (see
 * CERTIFICATE_REFUSAL_STATUSES): the page that says the client certificate was refused.
 */
export function classifyHttpStatus(status: number, host: string, body = ''): TokenRequestError {
  const refused = CERTIFICATE_REFUSAL_STATUSES.has(status) ? certificatePageReason(status, body) : null;
  if (refused) {
    return new TokenRequestError(
      'certificate-failure',
      'http-certificate-refused',
      `O servidor da RNDS recusou o certificado (HTTP ${status}, ${refused}): ${ACTIVE_CREDENTIAL}. ` +
        'Se o arquivo .pfx/.p12 não traz a cadeia (as autoridades certificadoras acima do certificado), exporte-o de novo com a cadeia completa e habilite-o.',
      { httpStatus: status },
    );
  }
  if (status === 401 || status === 403) {
    return new TokenRequestError(
      'certificate-failure',
      status === 401 ? 'http-unauthorized' : 'http-forbidden',
      `O servidor da RNDS recusou o certificado (HTTP ${status}): ${ACTIVE_CREDENTIAL}.`,
      { httpStatus: status },
    );
  }
  if (status >= 500) {
    return new TokenRequestError(
      'no-connection',
      'http-server-error',
      `O servidor da RNDS (${host}) está indisponível (HTTP ${status}). Tente novamente mais tarde; se persistir, consulte o suporte da RNDS.`,
      { httpStatus: status },
    );
  }
  return new TokenRequestError(
    'no-connection',
    'http-unexpected',
    `${host} respondeu HTTP ${status} ao pedido de token: confira o endereço de autenticação configurado (RNDS_AUTH_URL_HOMOLOGACAO / RNDS_AUTH_URL_PRODUCAO).`,
    { httpStatus: status },
  );
}
