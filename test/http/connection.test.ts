import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRndsModule } from '../../module/index.js';
import { startRndsAuthDouble, type RndsAuthDouble, type RndsAuthScenario } from '../doubles/rnds-auth.js';
import { createRndsTestPki, type RndsTestPki } from '../doubles/pki.js';
import { BASE, CERTS, FIXTURES, bearer, startHarness, type Harness } from '../support/harness.js';
import { runScript } from '../cli/run.js';
import { fakeScheduler, type FakeScheduler } from '../support/fake-scheduler.js';

/** The RNDS auth double trusts the fixtures' test CA, so the engine's PEM output from a .pfx logs in for real. */
let pki: RndsTestPki;
let double: RndsAuthDouble;
let h: Harness;

beforeAll(() => {
  pki = createRndsTestPki();
});
afterEach(async () => {
  await h?.close();
  await double?.close();
});

async function setup(scenario: RndsAuthScenario = 'success', trustDouble = true, connectionCheckMinutes = 0, scheduler?: FakeScheduler): Promise<void> {
  double = await startRndsAuthDouble({ pki, scenario, extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
  h = await startHarness({
    files: [CERTS.legacy.file],
    authUrlProducao: double.url,
    authUrlHomologacao: double.url,
    rndsCa: trustDouble ? double.trustedCa.join('\n') : undefined,
    connectionCheckMinutes,
    ...(scheduler ? { scheduler } : {}),
  });
  await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
}

describe('POST /api/connection-test against a real mutual-TLS server', () => {
  it('when RNDS gives a token to the legacy RC2 certificate, then "Conexão bem-sucedida" is answered, kept and shown in Status', async () => {
    await setup('success');
    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    expect(res.body.connection).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida', environment: 'producao' });
    expect(res.body.connection.detail).toEqual(expect.any(String));
    expect(double.requests).toHaveLength(1);
    expect(double.requests[0]).toMatchObject({ method: 'GET', path: '/api/token' });
    expect(double.requests[0]!.headers.accept).toBe('application/json');
    expect(double.requests[0]!.clientCommonName).toContain('PREFEITURA MUNICIPAL DE TESTE');
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.connection).toEqual(res.body.connection);
  });

  it('when the periodic check is on, then the connection result appears and refreshes without anyone clicking', async () => {
    const scheduler = fakeScheduler();
    await setup('success', true, 360, scheduler);
    const nextResult = () =>
      new Promise<string | undefined>((resolve) => {
        const stop = h.rnds.onChange(() => {
          const connection = h.rnds.status().connection;
          if (connection) {
            stop();
            resolve(connection.status);
          }
        });
      });

    let result = nextResult();
    scheduler.fire();
    expect(await result).toBe('ok');
    double.setScenario('server-error');
    await scheduler.whenScheduled();
    result = nextResult();
    scheduler.fire();
    expect(await result).toBe('no-connection');
    expect(double.requests).toHaveLength(2);
  });

  it('when the module restarts, then the last connection result is still there', async () => {
    await setup('success');
    await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    await h.rnds.close();
    const again = await createRndsModule({ chavesDir: h.chavesDir, dataDir: h.dataDir, accessToken: 'x'.repeat(32) });
    try {
      expect(again.status().connection).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida' });
    } finally {
      await again.close();
    }
  });

  it('when support runs npm run status afterwards, then it shows the enabled certificate and "Conexão bem-sucedida"', async () => {
    await setup('success');
    await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    const env = { RNDS_CHAVES_DIR: h.chavesDir, RNDS_DATA_DIR: h.dataDir };

    const human = await runScript('status', ['--no-server-check'], { env });
    const json = await runScript('status', ['--json', '--no-server-check'], { env });

    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^RNDS OK/);
    expect(human.stdout).toContain('Conexão bem-sucedida');
    expect(JSON.parse(json.stdout)).toMatchObject({ state: 'enabled', connection: { status: 'ok', message: 'Conexão bem-sucedida' } });
  });

  it.each([
    ['the handshake refuses the certificate', 'reject-client-certificate', 'certificate-failure', 'Falha no certificado'],
    ['RNDS answers 401', 'unauthorized', 'certificate-failure', 'Falha no certificado'],
    ['RNDS answers 403', 'forbidden', 'certificate-failure', 'Falha no certificado'],
    ['RNDS answers 503', 'server-error', 'no-connection', 'Sem conexão'],
    ['RNDS answers something that is not JSON', 'non-json', 'no-connection', 'Sem conexão'],
  ] as const)('when %s (double: %s), then the result is %s', async (_what, scenario, status, message) => {
    await setup(scenario);
    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    expect(res.body.connection).toMatchObject({ status, message });
    expect(res.body.connection.detail.length).toBeGreaterThan(20);
  });

  it('when the RNDS server certificate is not trusted, then "Sem conexão" and nothing was sent to it', async () => {
    await setup('success', false);
    const res = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    expect(res.body.connection).toMatchObject({ status: 'no-connection', message: 'Sem conexão' });
    expect(double.requests).toHaveLength(0);
  });
});

describe('GET /api/token (for the host)', () => {
  it('when RNDS is enabled, then the host gets a current token and its expiry, fetched once and reused', async () => {
    await setup('success');
    const first = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(200);
    expect(first.body.accessToken).toEqual(expect.any(String));
    expect(new Date(first.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 25 * 60_000); // expires_in is in ms: 30 min
    const second = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(200);
    expect(second.body.accessToken).toBe(first.body.accessToken);
    expect(double.requests).toHaveLength(1);
    await request(h.app).get(`${BASE}/api/token`).expect(401);
  });

  it('when RNDS refuses the certificate, then the token route says why with a 502', async () => {
    await setup('forbidden');
    const res = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(502);
    expect(res.body.error.code).toBe('RNDS_CERTIFICATE_REJECTED');
  });
});

