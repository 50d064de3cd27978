import { describe, expect, it } from 'vitest';
import { rndsDoubleForFile } from '../../support/mutual-tls.js';
import { buildTrustedCa, testConnection, type ConnectionTestInput } from '../../../module/rnds/index.js';
import { DEFAULT_TIME_ZONE, formatDate } from '../../../module/present/index.js';
import { closedPort, startSilentServer } from '../../doubles/net.js';
import { createTestCa } from '../../doubles/pki.js';
import { startRndsAuthDouble } from '../../doubles/rnds-auth.js';

const DAY_MS = 24 * 60 * 60 * 1000;

const rnds = rndsDoubleForFile();

function input(overrides: Partial<ConnectionTestInput> = {}): ConnectionTestInput {
  return {
    certificate: rnds.pki.clients.good,
    environment: 'homologacao',
    authUrl: rnds.double.url,
    ca: rnds.double.trustedCa,
    timeoutMs: 2_000,
    connectTimeoutMs: 2_000,
    ...overrides,
  };
}

describe('testConnection against the RNDS auth double', () => {
  it('when RNDS hands back a token, then the answer is "Conexão bem-sucedida" for the enabled environment', async () => {
    const connection = await testConnection(input({ environment: 'producao' }));

    expect(connection).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida', environment: 'producao' });
    expect(connection.detail).toMatch(/emitiu um token de acesso.*30 min/);
    expect(new Date(connection.checkedAt).toISOString()).toBe(connection.checkedAt);
  });

  it('when the test runs, then RNDS receives GET /api/token asking for JSON, with the client certificate', async () => {
    await testConnection(input());

    expect(rnds.double.requests).toHaveLength(1);
    expect(rnds.double.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/token',
      headers: expect.objectContaining({ accept: 'application/json' }),
      clientCommonName: rnds.pki.clients.good.commonName,
    });
  });

  it('when configured for POST, then the token is asked with POST', async () => {
    const connection = await testConnection(input({ method: 'POST' }));

    expect(connection.status).toBe('ok');
    expect(rnds.double.requests[0]?.method).toBe('POST');
  });

  it('when RNDS answers 401, then the answer is "Falha no certificado" pointing to the credential in e-Gestor AB', async () => {
    rnds.double.setScenario('unauthorized');

    const connection = await testConnection(input());

    expect(connection).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(connection.detail).toMatch(/recusou o certificado \(HTTP 401\).*ATIVA no e-Gestor AB/);
  });

  it('when RNDS answers 403, then the answer is "Falha no certificado"', async () => {
    rnds.double.setScenario('forbidden');

    const connection = await testConnection(input());

    expect(connection.status).toBe('certificate-failure');
    expect(connection.detail).toContain('HTTP 403');
  });

  it('when the server refuses the client certificate in the handshake, then the answer is "Falha no certificado" and no request got through', async () => {
    rnds.double.setScenario('reject-client-certificate');

    const connection = await testConnection(input());

    expect(connection).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(connection.detail).toMatch(/recusou o certificado.*e-Gestor AB/);
    expect(rnds.double.connections).toBe(1);
    expect(rnds.double.requests).toHaveLength(0);
  });

  it('when the certificate comes from a CA RNDS does not know, then the answer is "Falha no certificado"', async () => {
    const connection = await testConnection(input({ certificate: rnds.pki.clients.untrusted }));

    expect(connection.status).toBe('certificate-failure');
    expect(rnds.double.requests).toHaveLength(0);
  });

  it('when the server speaks TLS 1.2 and refuses the certificate, then the answer is still "Falha no certificado"', async () => {
    const tls12 = await startRndsAuthDouble({ pki: rnds.pki, maxVersion: 'TLSv1.2' });
    try {
      const refused = await testConnection(input({ authUrl: tls12.url, certificate: rnds.pki.clients.untrusted }));
      const accepted = await testConnection(input({ authUrl: tls12.url }));

      expect(refused.status).toBe('certificate-failure');
      expect(accepted.status).toBe('ok');
    } finally {
      await tls12.close();
    }
  });

  it('when the double is told to trust an extra client CA, then certificates from that CA get a token', async () => {
    const engineCa = createTestCa('Engine Fixture CA');
    const certificate = engineCa.issue({ commonName: 'MUNICIPIO DA FIXTURE:11222333000181' });
    const trusting = await startRndsAuthDouble({ pki: rnds.pki, extraClientCaPem: engineCa.certPem });
    try {
      const connection = await testConnection(input({ authUrl: trusting.url, certificate }));

      expect(connection.status).toBe('ok');
      expect(trusting.requests[0]?.clientCommonName).toBe('MUNICIPIO DA FIXTURE:11222333000181');
    } finally {
      await trusting.close();
    }
  });

  it('when the client certificate is expired, then the answer is "Certificado expirado" with the date and no connection is made', async () => {
    const connection = await testConnection(input({ certificate: rnds.pki.clients.expired }));

    expect(connection).toMatchObject({ status: 'certificate-expired', message: 'Certificado expirado' });
    expect(connection.detail).toContain(`expirou em ${formatDate(rnds.pki.clients.expired.notAfter, DEFAULT_TIME_ZONE)}`);
    expect(connection.detail).toMatch(/\d{2}\/\d{2}\/\d{4}: gere um novo certificado no e-Gestor AB/);
    expect(rnds.double.connections).toBe(0);
  });

  it('when the client certificate is not valid yet, then the answer is "Certificado expirado" saying from when it is valid', async () => {
    const connection = await testConnection(input({ certificate: rnds.pki.clients.notYetValid }));

    expect(connection.status).toBe('certificate-expired');
    expect(connection.detail).toContain(`ainda não é válido: só vale a partir de ${formatDate(rnds.pki.clients.notYetValid.notBefore, DEFAULT_TIME_ZONE)}`);
    expect(rnds.double.connections).toBe(0);
  });

  it('when the engine gives no dates, then they are read from the certificate itself', async () => {
    const { keyPem, certPem, chainPem } = rnds.pki.clients.expired;

    const connection = await testConnection(input({ certificate: { keyPem, certPem, chainPem } }));

    expect(connection.status).toBe('certificate-expired');
    expect(rnds.double.connections).toBe(0);
  });

  it('when this server\'s clock thinks an expired certificate is still valid, then RNDS refusing it shows as "Falha no certificado"', async () => {
    const skewedNow = new Date(rnds.pki.clients.expired.notAfter.getTime() - 2 * DAY_MS);

    const connection = await testConnection(input({ certificate: rnds.pki.clients.expired, now: skewedNow }));

    expect(connection.status).toBe('certificate-failure');
    expect(connection.checkedAt).toBe(skewedNow.toISOString());
    expect(rnds.double.connections).toBe(1);
  });

  it('when the key does not match the certificate, then the answer is "Falha no certificado" without connecting', async () => {
    const certificate = { ...rnds.pki.clients.good, keyPem: rnds.pki.clients.untrusted.keyPem };

    const connection = await testConnection(input({ certificate }));

    expect(connection.status).toBe('certificate-failure');
    expect(connection.detail).toContain('chave privada não corresponde');
    expect(rnds.double.connections).toBe(0);
  });

  it('when RNDS never answers, then the test gives up with "Sem conexão" instead of hanging', async () => {
    rnds.double.setScenario('timeout');

    const connection = await testConnection(input({ timeoutMs: 500 }));

    expect(connection).toMatchObject({ status: 'no-connection', message: 'Sem conexão' });
    expect(connection.detail).toMatch(/não respondeu em \d+ m?s.*rede do servidor e o proxy/);
    expect(rnds.double.requests).toHaveLength(1);
  });

  it('when RNDS answers 5xx, then the answer is "Sem conexão" suggesting to try later', async () => {
    rnds.double.setScenario('server-error');

    const connection = await testConnection(input());

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toMatch(/indisponível \(HTTP 503\)\. Tente novamente mais tarde/);
  });

  it('when RNDS answers something that is not JSON, then the answer is "Sem conexão" pointing to the URL or a proxy', async () => {
    rnds.double.setScenario('non-json');

    const connection = await testConnection(input());

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toMatch(/não é um token da RNDS \(não é JSON\).*proxy/);
  });

  it('when nothing listens on the port, then the answer is "Sem conexão: conexão recusada"', async () => {
    const port = await closedPort();

    const connection = await testConnection(input({ authUrl: `https://127.0.0.1:${port}` }));

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toBe(
      `Não foi possível conectar a 127.0.0.1:${port}: conexão recusada. Verifique a rede do servidor e o proxy.`,
    );
  });

  it('when the server accepts TCP but never completes the handshake, then the connect timeout gives "Sem conexão"', async () => {
    const silent = await startSilentServer();
    try {
      const connection = await testConnection(input({ authUrl: silent.url, connectTimeoutMs: 300, timeoutMs: 5_000 }));

      expect(connection.status).toBe('no-connection');
      expect(connection.detail).toMatch(/^Não foi possível conectar a 127\.0\.0\.1:\d+: sem resposta em \d+ m?s/);
      expect(silent.connections).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('when the address answers plain HTTP instead of TLS, then the answer is "Sem conexão"', async () => {
    const plain = await startSilentServer({ reply: 'HTTP/1.1 400 Bad Request\r\n\r\n' });
    try {
      const connection = await testConnection(input({ authUrl: plain.url }));

      expect(connection.status).toBe('no-connection');
      expect(connection.detail).toContain('não respondeu com HTTPS');
    } finally {
      await plain.close();
    }
  });

  it('when the RNDS server certificate is not trusted (system CAs only), then the answer is "Sem conexão" and no request reached it', async () => {
    const connection = await testConnection(input({ ca: undefined }));

    expect(connection).toMatchObject({ status: 'no-connection', message: 'Sem conexão' });
    expect(connection.detail).toMatch(/^O certificado do servidor da RNDS \(127\.0\.0\.1:\d+\) não é confiável \(.+\); nada foi enviado\./);
    expect(rnds.double.requests).toHaveLength(0);
  });

  it('when an extra CA that did not sign the server is configured, then the server is still not trusted', async () => {
    const connection = await testConnection(input({ ca: buildTrustedCa(rnds.pki.untrustedCa.certPem) }));

    expect(connection.status).toBe('no-connection');
    expect(rnds.double.requests).toHaveLength(0);
  });

  it('when the server CA is configured as an extra CA, then it adds to the system CAs and the test succeeds', async () => {
    const connection = await testConnection(input({ ca: buildTrustedCa(rnds.pki.serverCa.certPem) }));

    expect(connection.status).toBe('ok');
  });
});
