/**
 * The classifier on errors a real OpenSSL server produces (shapes measured against
 * `openssl s_server -Verify 2 -verify_return_error`, Node 20 / OpenSSL 3.0) and on network errors
 * a loopback test cannot produce (DNS, host name mismatch).
 */
import { describe, expect, it } from 'vitest';
import { classifyHttpStatus, classifyRequestError } from '../../../module/rnds/index.js';

function tlsError(code: string, message: string, reason?: string): Error {
  return Object.assign(new Error(message), { code, ...(reason ? { reason } : {}) });
}

const HOST = 'ehr-auth.saude.gov.br';

describe('classifyRequestError', () => {
  it.each([
    ['TLS 1.3 unknown CA', tlsError('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48', 'tlsv1 alert unknown ca')],
    ['TLS 1.3 bad certificate', tlsError('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:rec_layer_s3.c:1601:SSL alert number 42', 'sslv3 alert bad certificate')],
    ['TLS 1.3 certificate required', tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:rec_layer_s3.c:1601:SSL alert number 116', 'tlsv13 alert certificate required')],
    ['TLS 1.2 unknown CA (EPROTO)', tlsError('EPROTO', 'write EPROTO 80CC21A7F87F0000:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 48')],
    ['TLS 1.2 no certificate (handshake failure)', tlsError('EPROTO', 'write EPROTO 80AC21E68D7F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:rec_layer_s3.c:1601:SSL alert number 40')],
  ])('when the server sends a certificate alert (%s), then it is a certificate failure', (_name, error) => {
    const failure = classifyRequestError(error, HOST, 'handshake');

    expect(failure.status).toBe('certificate-failure');
    expect(failure.message).toMatch(/^O servidor da RNDS recusou o certificado .*ATIVA no e-Gestor AB/);
  });

  it('when the server says the certificate expired although the local dates passed, then the detail points to the clock', () => {
    const error = tlsError('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'sslv3 alert certificate expired', 'sslv3 alert certificate expired');

    const failure = classifyRequestError(error, HOST, 'awaiting-response');

    expect(failure.status).toBe('certificate-failure');
    expect(failure.message).toContain('data e a hora deste servidor');
  });

  it('when the name does not resolve, then it is "Sem conexão" naming DNS and the host', () => {
    const failure = classifyRequestError(tlsError('ENOTFOUND', `getaddrinfo ENOTFOUND ${HOST}`), HOST, 'connecting');

    expect(failure.status).toBe('no-connection');
    expect(failure.message).toBe(`Não foi possível conectar a ${HOST}: o nome não foi encontrado (DNS). Verifique a rede do servidor e o proxy.`);
  });

  it('when the server certificate does not match the host name, then it is an untrusted server and nothing was sent', () => {
    const failure = classifyRequestError(tlsError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), HOST, 'handshake');

    expect(failure.status).toBe('no-connection');
    expect(failure.reason).toBe('untrusted-server');
    expect(failure.message).toContain('nada foi enviado');
  });

  it('when the connection resets after the answer started, then it is a network problem, not a certificate one', () => {
    const reset = tlsError('ECONNRESET', 'aborted');

    expect(classifyRequestError(reset, HOST, 'response').status).toBe('no-connection');
    expect(classifyRequestError(reset, HOST, 'awaiting-response').status).toBe('certificate-failure');
  });
});

describe('classifyHttpStatus', () => {
  it('when the auth URL answers 404, then it is "Sem conexão" pointing to the configured URL', () => {
    const failure = classifyHttpStatus(404, HOST);

    expect(failure.status).toBe('no-connection');
    expect(failure.message).toContain('RNDS_AUTH_URL_PRODUCAO');
  });
});

describe('classifyHttpStatus on answers that refuse the client certificate', () => {
  const NGINX_400 = '<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';
  const NGINX_NO_CERT = '<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';

  it.each([
    ['nginx, untrusted or chain-less certificate', 400, NGINX_400, /certificado não aceito/],
    ['nginx, no certificate received', 400, NGINX_NO_CERT, /não recebeu o certificado/],
    ['a server sending nginx\'s 495 itself', 495, '', /certificado não aceito/],
    ['a server sending nginx\'s 496 itself', 496, '', /não recebeu o certificado/],
  ])('when the answer is %s, then it is "Falha no certificado" naming the chain', (_name, status, body, why) => {
    const failure = classifyHttpStatus(status, HOST, body);

    expect(failure).toMatchObject({ status: 'certificate-failure', reason: 'http-certificate-refused', httpStatus: status });
    expect(failure.message).toMatch(why);
    expect(failure.message).toContain('ATIVA no e-Gestor AB');
    expect(failure.message).toContain('cadeia completa');
  });

  it('when a 400 page says nothing about a certificate, or another status carries those words, then it stays "Sem conexão" pointing to the URL', () => {
    const plain = classifyHttpStatus(400, HOST, '<h1>400 Bad Request</h1>');
    const notFound = classifyHttpStatus(404, HOST, NGINX_400);

    expect(plain).toMatchObject({ status: 'no-connection', reason: 'http-unexpected' });
    expect(notFound).toMatchObject({ status: 'no-connection', reason: 'http-unexpected' });
  });
});
