import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rndsDoubleForFile } from '../../support/mutual-tls.js';
import { openPkcs12, type OpenedCertificate } from '../../../module/certificates/index.js';
import {
  TokenClient,
  bypassesProxy,
  classifyProxyError,
  parseProxyUrl,
  testConnection,
  type ConnectionTestInput,
} from '../../../module/rnds/index.js';
import { closedPort } from '../../doubles/net.js';
import { createTestCa } from '../../doubles/pki.js';
import { startConnectProxy, type ConnectProxy } from '../../doubles/connect-proxy.js';
import { standardLegacy } from '../../support/fixtures.js';

const USER = 'maria.ti';
// Characters that must be percent-encoded in the URL, an accent, and something easy to grep for.
const PASSWORD = 'Pr0xy@Senh%:çã-SEGREDO';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64')}`;

// The double trusts the fixtures' CA: the engine's output of a legacy RC2 .pfx logs in for real.
const rnds = rndsDoubleForFile({ trustFixtures: true });
let proxy: ConnectProxy;
let legacy: OpenedCertificate;

beforeAll(async () => {
  proxy = await startConnectProxy({ login: { username: USER, password: PASSWORD }, inspectionCa: createTestCa('Proxy Inspecionador CA') });
  const { bytes, password } = standardLegacy();
  legacy = openPkcs12(bytes, password);
});
afterAll(async () => {
  await proxy.close();
});
afterEach(() => {
  proxy.setMode('tunnel');
  proxy.reset();
});

/** The double by name (`localhost`), so SNI and name verification are exercised through the tunnel. */
const authUrl = (): string => `https://localhost:${rnds.double.port}`;

function input(proxyUrl: string | null, overrides: Partial<ConnectionTestInput> = {}): ConnectionTestInput {
  return {
    certificate: legacy,
    environment: 'homologacao',
    authUrl: authUrl(),
    ca: rnds.double.trustedCa,
    timeoutMs: 10_000,
    connectTimeoutMs: 10_000,
    proxy: { proxy: proxyUrl === null ? null : parseProxyUrl(proxyUrl) },
    ...overrides,
  };
}

describe('parseProxyUrl', () => {
  it('when the URL carries a percent-encoded login, then the Basic header holds the decoded login and the display only host:port', () => {
    const parsed = parseProxyUrl(`http://${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}@proxy.prefeitura.local:3128`);

    expect(parsed).toMatchObject({ host: 'proxy.prefeitura.local', port: 3128, display: 'proxy.prefeitura.local:3128', username: USER, authorization: BASIC, source: 'RNDS_PROXY' });
  });

  it('when only host:port is given, then http:// and no login are assumed', () => {
    expect(parseProxyUrl('10.0.0.1:8080', 'HTTPS_PROXY')).toMatchObject({ host: '10.0.0.1', port: 8080, authorization: null, username: null, source: 'HTTPS_PROXY' });
  });

  it('when the scheme is not http, then the message names the variable and never repeats the password', () => {
    const attempt = () => parseProxyUrl(`socks5://${USER}:SEGREDO@proxy:1080`);

    expect(attempt).toThrow(/RNDS_PROXY inválido: o esquema socks5:\/\/ não é aceito, use http:\/\//);
    expect(() => parseProxyUrl('http://proxy:3128/caminho')).toThrow(/não leva caminho/);
    try {
      attempt();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('SEGREDO');
    }
  });
});

describe('NO_PROXY', () => {
  it.each([
    ['*', 'ehr-auth.saude.gov.br', 443, true],
    ['saude.gov.br', 'ehr-auth.saude.gov.br', 443, true],
    ['.saude.gov.br', 'ehr-auth.saude.gov.br', 443, true],
    ['*.saude.gov.br', 'ehr-auth.saude.gov.br', 443, true],
    ['saude.gov.br', 'naosaude.gov.br', 443, false],
    ['intranet, SAUDE.GOV.BR', 'ehr-auth.saude.gov.br', 443, true],
    ['saude.gov.br:8443', 'ehr-auth.saude.gov.br', 443, false],
    ['saude.gov.br:443', 'ehr-auth.saude.gov.br', 443, true],
    ['127.0.0.1', '127.0.0.1', 443, true],
    ['127.0.0.1', '127.0.0.10', 443, false],
    ['[::1]:443', '::1', 443, true],
    ['', 'ehr-auth.saude.gov.br', 443, false],
  ] as const)('when NO_PROXY is "%s", then %s:%d bypasses the proxy: %s', (noProxy, host, port, expected) => {
    expect(bypassesProxy(noProxy, host, port)).toBe(expected);
  });
});

describe('the connection test through a real CONNECT proxy', () => {
  it('when the proxy takes our login, then a legacy RC2 certificate reaches RNDS through the tunnel and gets a token', async () => {
    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida', via: `proxy ${proxy.display}` });
    expect(proxy.connects).toEqual([{ target: `localhost:${rnds.double.port}`, proxyAuthorization: BASIC, status: 200 }]);
    // The client certificate went through the tunnel untouched: the double saw it.
    expect(rnds.double.requests).toHaveLength(1);
    expect(rnds.double.requests[0]).toMatchObject({ path: '/api/token', clientCommonName: 'PREFEITURA MUNICIPAL DE TESTE:12345678000190' });
  });

  it('when the test succeeds through the proxy, then the steps are listed in order with timings', async () => {
    const named = proxy.urlWithLogin().replace('127.0.0.1', 'localhost');

    const connection = await testConnection(input(named));

    expect(connection.steps?.map((s) => s.step)).toEqual(['dns', 'tcp', 'proxy-connect', 'tls', 'client-certificate', 'token']);
    expect(connection.steps?.every((s) => s.ok && Number.isInteger(s.ms) && s.ms >= 0)).toBe(true);
    expect(connection.steps?.find((s) => s.step === 'tls')?.detail).toMatch(/^emitido por RNDS Double Server CA, válido até \d{2}\/\d{2}\/\d{4}; confiável$/);
    expect(connection.steps?.find((s) => s.step === 'proxy-connect')?.label).toContain(`CONNECT, login ${USER}`);
    expect(connection.via).toBe(`proxy localhost:${proxy.port}`);
  });

  it('when no login is configured and the proxy asks for one, then the detail says to put user and password in RNDS_PROXY', async () => {
    const connection = await testConnection(input(proxy.url));

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toBe(`O proxy ${proxy.display} pede login (HTTP 407): informe usuário e senha em RNDS_PROXY, no formato http://usuario:senha@${proxy.display}.`);
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'proxy-connect', ok: false, detail: 'HTTP 407' });
    expect(rnds.double.connections).toBe(0);
  });

  it('when the proxy refuses our login, then the detail names the user, not the password', async () => {
    const connection = await testConnection(input(proxy.urlWithLogin(USER, 'SEGREDO-ERRADO')));

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toMatch(new RegExp(`recusou o login do usuário ${USER.replace('.', '\\.')} \\(HTTP 407\\): confira o usuário e a senha em RNDS_PROXY`));
    expect(JSON.stringify(connection)).not.toContain('SEGREDO');
    expect(proxy.connects[0]?.status).toBe(407);
  });

  it('when the proxy asks for NTLM, then the detail says only Basic is supported and what to ask the network team', async () => {
    const ntlm = await startConnectProxy({ login: { username: USER, password: PASSWORD }, challenge: 'NTLM' });
    try {
      const connection = await testConnection(input(ntlm.url));

      expect(connection.detail).toContain('pede login pelo método NTLM (HTTP 407), e o pec-rnds só faz login Basic');
    } finally {
      await ntlm.close();
    }
  });

  it('when the proxy refuses the destination (403), then the detail asks to allow *.saude.gov.br on 443', async () => {
    proxy.setMode('deny');

    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection.status).toBe('no-connection');
    expect(connection.detail).toBe(`O proxy ${proxy.display} recusou o destino localhost:${rnds.double.port} (HTTP 403): peça à equipe de rede para liberar *.saude.gov.br na porta 443 (HTTPS pelo método CONNECT).`);
    expect(rnds.double.connections).toBe(0);
  });

  it('when the proxy cannot reach RNDS (502), then the detail says so', async () => {
    proxy.setMode('bad-gateway');

    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection.detail).toMatch(/não conseguiu alcançar localhost:\d+ \(HTTP 502\)/);
  });

  it('when the proxy inspects TLS with its own CA, then the detail points to exempting *.saude.gov.br and nothing was sent', async () => {
    proxy.setMode('inspect');

    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection).toMatchObject({ status: 'no-connection', message: 'Sem conexão' });
    expect(connection.detail).toMatch(/pelo proxy .* não é confiável \(.+\); nada foi enviado\. Muito provavelmente o proxy inspeciona HTTPS: peça à equipe de rede para isentar \*\.saude\.gov\.br/);
    expect(connection.detail).toContain('RNDS_CA_FILE não resolve isso');
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'tls', ok: false });
    expect(connection.steps?.at(-1)?.detail).toMatch(/^emitido por Proxy Inspecionador CA, .*não confiável/);
    expect(proxy.inspected).toHaveLength(0);
    expect(rnds.double.requests).toHaveLength(0);
  });

  it('when the inspecting proxy\'s CA is trusted anyway, then mutual TLS still fails: the client certificate never reaches RNDS', async () => {
    const inspectionCa = createTestCa('Outro Proxy Inspecionador CA');
    const inspecting = await startConnectProxy({ mode: 'inspect', inspectionCa });
    try {
      const connection = await testConnection(input(inspecting.url, { ca: [...rnds.double.trustedCa, inspectionCa.certPem] }));

      expect(connection.status).not.toBe('ok');
      expect(inspecting.inspected).toHaveLength(1);
      // RNDS refused the proxy's own handshake: no certificate, no request.
      expect(rnds.double.requests).toHaveLength(0);
    } finally {
      await inspecting.close();
    }
  });

  it('when nothing listens at the proxy address, then the detail says the proxy refused the connection', async () => {
    const port = await closedPort();

    const connection = await testConnection(input(`http://127.0.0.1:${port}`));

    expect(connection.detail).toBe(`Não foi possível usar o proxy 127.0.0.1:${port}: o proxy recusou a conexão. Confira o endereço e a porta em RNDS_PROXY e se o proxy está no ar.`);
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'tcp', ok: false });
  });

  it('when the proxy accepts TCP and never answers the CONNECT, then the detail says the proxy did not answer', async () => {
    proxy.setMode('silent');

    const connection = await testConnection(input(proxy.urlWithLogin(), { connectTimeoutMs: 300 }));

    expect(connection.detail).toMatch(new RegExp(`^Não foi possível usar o proxy ${proxy.display}: sem resposta em 300 ms ao pedido de túnel \\(CONNECT\\)`));
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'proxy-connect', ok: false });
  });

  it('when the proxy name does not resolve, then the detail names the proxy and DNS', () => {
    const failure = classifyProxyError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), parseProxyUrl('http://proxy.prefeitura.local:3128'), 'dns');

    expect(failure).toMatchObject({ status: 'no-connection', reason: 'proxy-dns' });
    expect(failure.message).toBe('Não foi possível usar o proxy proxy.prefeitura.local:3128: o nome proxy.prefeitura.local não foi encontrado (DNS). Confira o nome do proxy em RNDS_PROXY.');
  });

  it('when NO_PROXY lists the RNDS host, then the request goes direct and the proxy sees nothing', async () => {
    const connection = await testConnection({ ...input(proxy.urlWithLogin()), proxy: { proxy: parseProxyUrl(proxy.urlWithLogin()), noProxy: 'intranet.local, localhost' } });

    expect(connection).toMatchObject({ status: 'ok', via: 'direto' });
    expect(proxy.connections).toBe(0);
    expect(rnds.double.requests).toHaveLength(1);
  });

  it('when RNDS refuses the certificate behind the proxy, then TLS passed and "our certificate accepted" is the failed step', async () => {
    rnds.double.setScenario('reject-client-certificate');

    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection.status).toBe('certificate-failure');
    const steps = connection.steps ?? [];
    expect(steps.find((s) => s.step === 'tls')?.ok).toBe(true);
    expect(steps.at(-1)).toMatchObject({ step: 'client-certificate', ok: false });
  });

  it('when RNDS answers 401 through the proxy, then the failed step is our certificate, with the HTTP status', async () => {
    rnds.double.setScenario('unauthorized');

    const connection = await testConnection(input(proxy.urlWithLogin()));

    expect(connection.status).toBe('certificate-failure');
    expect(connection.steps?.at(-1)).toMatchObject({ step: 'client-certificate', ok: false, detail: 'HTTP 401' });
  });

  it('when the token client is used by the host through the proxy, then the token comes back and every failure log leaves the password out', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const client = new TokenClient({ ...legacy, authUrl: authUrl(), ca: rnds.double.trustedCa, logger, proxy: { proxy: parseProxyUrl(proxy.urlWithLogin()) } });

    const token = await client.getToken();
    const refused = new TokenClient({ ...legacy, authUrl: authUrl(), ca: rnds.double.trustedCa, logger, proxy: { proxy: parseProxyUrl(proxy.urlWithLogin(USER, `${PASSWORD}x`)) } });
    await expect(refused.getToken()).rejects.toMatchObject({ reason: 'proxy-auth-rejected' });

    expect(token.accessToken).toBe(rnds.double.issuedTokens[0]);
    expect(client.via).toBe(`proxy ${proxy.display}`);
    const text = lines.join('\n');
    expect(text).toContain('recusou o login');
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), BASIC.slice(6)]) expect(text).not.toContain(secret);
  });
});

describe('CADSUS', () => {
  it('when RNDS and CADSUS are enabled and both answer, then each service has its own line and both tokens were asked', async () => {
    const connection = await testConnection(input(proxy.urlWithLogin(), { services: ['RNDS', 'CADSUS'] }));

    expect(connection.status).toBe('ok');
    expect(connection.services?.map((s) => [s.service, s.status])).toEqual([['RNDS', 'ok'], ['CADSUS', 'ok']]);
    expect(connection.services?.[1]?.detail).toMatch(/^O CADSUS \(localhost:\d+\) emitiu um token/);
    expect(rnds.double.requests.map((r) => r.path).sort()).toEqual(['/api/osb/token', '/api/token']);
    expect(rnds.double.requests.every((r) => r.clientCommonName === 'PREFEITURA MUNICIPAL DE TESTE:12345678000190')).toBe(true);
  });

  it('when CADSUS refuses the credential while RNDS accepts it, then RNDS is ok and CADSUS says to request it in e-Gestor AB', async () => {
    rnds.double.setCadsusScenario('forbidden');

    const connection = await testConnection(input(null, { services: ['RNDS', 'CADSUS'] }));

    expect(connection).toMatchObject({ status: 'ok', via: 'direto' });
    expect(connection.services?.[1]).toMatchObject({ service: 'CADSUS', status: 'certificate-failure', message: 'Falha no certificado' });
    expect(connection.services?.[1]?.detail).toContain('a credencial pode não incluir o serviço CADSUS — solicite-o no e-Gestor AB');
  });

  it('when only CADSUS is enabled, then only its token is asked and the top-level result is CADSUS\'s', async () => {
    rnds.double.setCadsusScenario('unauthorized');

    const connection = await testConnection(input(null, { services: ['CADSUS'] }));

    expect(connection.status).toBe('certificate-failure');
    expect(connection.services?.map((s) => s.service)).toEqual(['CADSUS']);
    expect(rnds.double.requests.map((r) => r.path)).toEqual(['/api/osb/token']);
  });

  it('when only RNDS is enabled, then CADSUS is never asked', async () => {
    const connection = await testConnection(input(null));

    expect(connection.services?.map((s) => s.service)).toEqual(['RNDS']);
    expect(rnds.double.requests.map((r) => r.path)).toEqual(['/api/token']);
  });
});
