/**
 * The module behind a municipal proxy, end to end: a real CONNECT proxy with a Basic login in front of the
 * mutual-TLS RNDS double, the legacy RC2 fixture enabled through the API. Everything that talks to RNDS goes through
 * the proxy, and the proxy's password shows up nowhere: API, screen, metrics, logs, audit trail, data folder and
 * `npm run status` (human, --verbose and --json).
 */
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rndsDoubleForFile } from '../support/mutual-tls.js';
import { createRndsModule } from '../../module/index.js';
import { startConnectProxy, type ConnectProxy } from '../doubles/connect-proxy.js';
import { BASE, CERTS, bearer, encodings, readTree, startHarness, type Harness } from '../support/harness.js';
import { fakeScheduler } from '../support/fake-scheduler.js';
import { runScript } from '../cli/run.js';

const USER = 'ti.saude';
const PASSWORD = 'Px-Segr3do@çã:%';
const BASIC = Buffer.from(`${USER}:${PASSWORD}`, 'utf8').toString('base64');

const rnds = rndsDoubleForFile({ trustFixtures: true });
let proxy: ConnectProxy;
let h: Harness;

beforeAll(async () => {
  proxy = await startConnectProxy({ login: { username: USER, password: PASSWORD } });
});
afterAll(async () => {
  await proxy.close();
});
afterEach(async () => {
  await h?.close();
  proxy.reset();
});

async function setup(services: string[] = ['RNDS'], proxyUrl = proxy.urlWithLogin()): Promise<void> {
  h = await startHarness({
    files: [CERTS.legacy.file],
    authUrlProducao: `https://localhost:${rnds.double.port}`,
    rndsCa: rnds.double.trustedCa.join('\n'),
    proxy: proxyUrl,
  });
  await request(h.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167', services })
    .expect(200);
}

/** The password in every shape a careless implementation might leak it. */
const secrets = (): Buffer[] => [...encodings(PASSWORD), Buffer.from(BASIC), Buffer.from(proxy.urlWithLogin())];

function expectNoSecret(where: string, data: string | Buffer): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  for (const secret of secrets()) {
    expect(bytes.includes(secret), `${where} contains the proxy password (${secret.toString('latin1').slice(0, 12)}…)`).toBe(false);
  }
}

describe('the module behind an HTTP proxy with a login', () => {
  it('when the connection test runs, then it goes through the proxy with the legacy RC2 certificate and says so', async () => {
    await setup();

    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);

    expect(res.body.connection).toMatchObject({ status: 'ok', via: `proxy ${proxy.display}`, services: [{ service: 'RNDS', status: 'ok' }] });
    expect(res.body.connection.steps.map((s: { step: string }) => s.step)).toEqual(['tcp', 'proxy-connect', 'tls', 'client-certificate', 'token']);
    expect(proxy.connects).toEqual([expect.objectContaining({ target: `localhost:${rnds.double.port}`, status: 200 })]);
    expect(rnds.double.requests[0]?.clientCommonName).toBe('PREFEITURA MUNICIPAL DE TESTE:12345678000190');
  });

  it('when the host asks /api/token, then the token comes through the same proxy', async () => {
    await setup();

    const res = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(200);

    expect(res.body.accessToken).toBe(rnds.double.issuedTokens[0]);
    expect(proxy.connects).toHaveLength(1);
    await expect(h.rnds.getToken()).resolves.toMatchObject({ accessToken: res.body.accessToken });
  });

  it('when RNDS and CADSUS are enabled and CADSUS is refused, then the screen shows one line per service and the steps', async () => {
    rnds.double.setCadsusScenario('forbidden');
    await setup(['RNDS', 'CADSUS']);
    await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);

    const page = await request(h.app).get(`${BASE}/`).set(bearer).expect(200);

    expect(page.text).toMatch(/data-service="RNDS" data-connection="ok"/);
    expect(page.text).toMatch(/data-service="CADSUS" data-connection="certificate-failure"/);
    expect(page.text).toContain('a credencial pode não incluir o serviço CADSUS');
    expect(page.text).toContain(`proxy ${proxy.display}`);
    expect(page.text).toMatch(/data-step="proxy-connect"/);
    expect(rnds.double.requests.map((r) => r.path).sort()).toEqual(['/api/osb/token', '/api/token']);
  });

  it('when the proxy password is wrong, then the test says so, and metrics carry the service label', async () => {
    await setup(['RNDS', 'CADSUS'], proxy.urlWithLogin(USER, 'senha-antiga'));

    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    const metrics = await request(h.app).get(`${BASE}/metrics`).set(bearer).expect(200);

    expect(res.body.connection.status).toBe('no-connection');
    expect(res.body.connection.detail).toContain(`recusou o login do usuário ${USER} (HTTP 407)`);
    expect(metrics.text).toContain('pec_rnds_connection_status{service="RNDS",status="no-connection"} 1');
    expect(metrics.text).toContain('pec_rnds_connection_status{service="CADSUS",status="no-connection"} 1');
    expect(metrics.text).toContain('pec_rnds_connection_via_proxy{environment="producao"} 1');
  });

  // Three `npm run status` processes (tsx) on a shared 2-core machine: the same allowance as the other CLI-heavy tests.
  it('when everything has run, then the proxy password appears in no output: API, screen, metrics, logs, audit, data folder, npm run status', async () => {
    await setup(['RNDS', 'CADSUS']);
    await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(200);
    proxy.setMode('deny');
    const denied = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    proxy.setMode('tunnel');
    const env = { RNDS_CHAVES_DIR: h.chavesDir, RNDS_DATA_DIR: h.dataDir, RNDS_PROXY: proxy.urlWithLogin() };

    const outputs: Array<[string, string | Buffer]> = [
      ['connection test', JSON.stringify(denied.body)],
      ['status', JSON.stringify((await request(h.app).get(`${BASE}/api/status`).set(bearer)).body)],
      ['screen', (await request(h.app).get(`${BASE}/`).set(bearer)).text],
      ['metrics', (await request(h.app).get(`${BASE}/metrics`).set(bearer)).text],
      ['logs', h.logs.join('\n')],
      ...readTree(h.dataDir).map((bytes, i): [string, Buffer] => [`data file ${i}`, bytes]),
    ];
    const argSets = [['--no-server-check'], ['--no-server-check', '--verbose'], ['--no-server-check', '--json']];
    const runs = await Promise.all(argSets.map((args) => runScript('status', args, { env })));
    for (const [i, args] of argSets.entries()) {
      const run = runs[i]!;
      outputs.push([`npm run status ${args.join(' ')}`, run.stdout + run.stderr]);
      if (args.includes('--verbose')) {
        expect(run.stdout).toContain(`Proxy (ambiente)`);
        expect(run.stdout).toContain(`proxy ${proxy.display} (RNDS_PROXY)`);
        expect(run.stdout).toMatch(/Etapas do último teste de conexão:\n {2}RNDS:\n {4}✓ Conexão TCP com o proxy 127\.0\.0\.1:\d+ \(\d+ ms\)/);
        expect(run.stdout).toMatch(/✗ Túnel pelo proxy até localhost:\d+ \(CONNECT, login ti\.saude\) \(\d+ ms\) — HTTP 403/);
      }
    }

    expect(denied.body.connection.detail).toContain('recusou o destino');
    for (const [where, data] of outputs) expectNoSecret(where, data);
  });

  it('when NO_PROXY exempts the RNDS host, then the module goes direct', async () => {
    h = await startHarness({
      files: [CERTS.legacy.file],
      authUrlProducao: `https://localhost:${rnds.double.port}`,
      rndsCa: rnds.double.trustedCa.join('\n'),
      proxy: proxy.urlWithLogin(),
      noProxy: 'localhost',
    });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);

    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);

    expect(res.body.connection).toMatchObject({ status: 'ok', via: 'direto' });
    expect(proxy.connections).toBe(0);
  });

  it('when the proxy option is not a valid http:// URL, then the module refuses to start and the message hides the password', async () => {
    const attempt = createRndsModule({ chavesDir: '/tmp/x', dataDir: '/tmp/y', accessToken: 'token-de-teste-0123456789abcdef', proxy: `ftp://${USER}:SEGREDO@proxy:21` });

    await expect(attempt).rejects.toThrow(/proxy: proxy inválido: o esquema ftp:\/\/ não é aceito/);
    await expect(attempt).rejects.not.toThrow(/SEGREDO/);
  });
});

describe('the periodic check, driven by an injected scheduler', () => {
  it('when the scheduled check fires, then its result lands in Status through the proxy like a manual test, announced as a change', async () => {
    const scheduler = fakeScheduler([0]);
    h = await startHarness({
      files: [CERTS.legacy.file],
      authUrlProducao: `https://localhost:${rnds.double.port}`,
      rndsCa: rnds.double.trustedCa.join('\n'),
      proxy: proxy.urlWithLogin(),
      connectionCheckMinutes: 360,
      scheduler,
    });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
    expect(scheduler.delays).toEqual([2 * 60_000]);
    const changed = new Promise<void>((resolve) => {
      const stop = h.rnds.onChange(() => {
        if (h.rnds.status().connection) {
          stop();
          resolve();
        }
      });
    });

    scheduler.fire();
    await changed;

    expect(h.rnds.status().connection).toMatchObject({ status: 'ok', via: `proxy ${proxy.display}` });
    expect(proxy.connects).toHaveLength(1);
  });
});
