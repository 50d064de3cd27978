import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../module/config/options.js';
import { parseEnv } from '../../module/config/env.js';
import { BASE, CERTS, TOKEN, bearer, readTree, startHarness, type Harness } from '../support/harness.js';

const MONITORING = 'monitoramento-central-0123456789abcdef';
const asMonitor = { Authorization: `Bearer ${MONITORING}` };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A module with the standard fixture enabled through the API, and a monitoring token. */
async function enabledWithMonitoring(): Promise<Harness> {
  harness = await startHarness({ files: [CERTS.aes.file], monitoringToken: MONITORING });
  const enable = await request(harness.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
  expect(enable.status).toBe(200);
  return harness;
}

describe('RNDS_MONITORING_TOKEN: the read-only token for a central Prometheus or Zabbix', () => {
  it('when the monitoring token reads /api/status, /api/certificates and /metrics, then it gets the same facts as the access token', async () => {
    const h = await enabledWithMonitoring();

    const status = await request(h.app).get(`${BASE}/api/status`).set(asMonitor);
    const certificates = await request(h.app).get(`${BASE}/api/certificates`).set(asMonitor);
    const metrics = await request(h.app).get(`${BASE}/metrics`).set(asMonitor);

    expect(status.status).toBe(200);
    expect(status.body.state).toBe('enabled');
    expect(status.body.enabled.file).toBe(CERTS.aes.file);
    expect(certificates.status).toBe(200);
    expect(certificates.body.certificates.map((e: { file: string }) => e.file)).toEqual([CERTS.aes.file]);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^pec_rnds_state\{state="enabled"\} 1$/m);
    for (const secret of [CERTS.aes.password, MONITORING, TOKEN]) {
      for (const body of [status.text, certificates.text, metrics.text]) expect(body).not.toContain(secret);
    }
  });

  it('when the monitoring token tries to disable RNDS, fetch an RNDS token, test the connection or enable, then every attempt is 403 and the state file is untouched', async () => {
    const h = await enabledWithMonitoring();
    const stateBefore = readTree(h.dataDir).map((b) => b.toString('base64')).sort();

    const attempts = await Promise.all([
      request(h.app).post(`${BASE}/api/disable`).set(asMonitor),
      request(h.app).get(`${BASE}/api/token`).set(asMonitor),
      request(h.app).post(`${BASE}/api/connection-test`).set(asMonitor),
      request(h.app)
        .post(`${BASE}/api/enable`)
        .set(asMonitor)
        .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '9999' }),
      request(h.app).post(`${BASE}/api/contra-chave`).set(asMonitor).send({ contraChave: 'abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd' }),
      request(h.app).post(`${BASE}/desabilitar`).set(asMonitor),
      request(h.app).get(`${BASE}/api/events`).set(asMonitor),
      request(h.app).get(`${BASE}/`).set(asMonitor),
    ]);

    for (const [i, response] of attempts.entries()) {
      expect(response.status, `tentativa ${i}`).toBe(403);
    }
    expect(attempts[0]!.body.error.code).toBe('FORBIDDEN');
    expect(attempts[0]!.body.error.message).toContain('use o token de acesso');
    expect(JSON.stringify(attempts[1]!.body)).not.toMatch(/accessToken/);
    expect(h.rnds.status().state).toBe('enabled');
    expect(h.rnds.status().enabled?.identificadorSolicitante).toBe('3167');
    expect(readTree(h.dataDir).map((b) => b.toString('base64')).sort()).toEqual(stateBefore);
  });

  it('when the monitoring token is used as a login link, then it opens no session', async () => {
    harness = await startHarness({ monitoringToken: MONITORING });

    const login = await request(harness.app).get(`${BASE}/entrar`).query({ token: MONITORING });

    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);
    const withCookie = await request(harness.app).get(`${BASE}/api/status`).set('Cookie', cookies.join('; '));

    expect(login.status).toBe(401);
    expect(login.headers.location).toBeUndefined();
    expect(withCookie.status).toBe(401);
  });

  it('when the module is embedded (host authorization hook), then the monitoring token still reads /metrics and nothing else, and the hook still decides for everyone else', async () => {
    harness = await startHarness({ authorize: (req) => (req.headers['x-admin'] === 'sim' ? 'admin' : false), monitoringToken: MONITORING });

    const metrics = await request(harness.app).get(`${BASE}/metrics`).set(asMonitor);
    const disable = await request(harness.app).post(`${BASE}/api/disable`).set(asMonitor);
    const stranger = await request(harness.app).get(`${BASE}/metrics`);
    const admin = await request(harness.app).get(`${BASE}/api/status`).set('x-admin', 'sim');

    expect(metrics.status).toBe(200);
    expect(disable.status).toBe(403);
    expect(stranger.status).toBe(401);
    expect(admin.status).toBe(200);
  });

  it('when no monitoring token is configured, then a Bearer that is not the access token is refused (401) and the access token keeps full access', async () => {
    harness = await startHarness({});

    const other = await request(harness.app).get(`${BASE}/metrics`).set(asMonitor);
    const owner = await request(harness.app).post(`${BASE}/api/disable`).set(bearer);

    expect(other.status).toBe(401);
    expect(owner.status).toBe(200);
  });

  it('when the monitoring token equals the access token, or is short, then the start is refused with a message saying what to do', () => {
    expect(() => parseOptions({ chavesDir: '/tmp/c', dataDir: '/tmp/d', accessToken: TOKEN, monitoringToken: TOKEN })).toThrow(
      /monitoringToken: o token de monitoramento deve ser diferente do token de acesso/,
    );
    expect(() => parseEnv({ RNDS_ACCESS_TOKEN: TOKEN, RNDS_MONITORING_TOKEN: TOKEN, RNDS_CHAVES_DIR: '/tmp/c' })).toThrow(
      /RNDS_MONITORING_TOKEN: deve ser diferente de RNDS_ACCESS_TOKEN/,
    );
    expect(() => parseEnv({ RNDS_MONITORING_TOKEN: 'curto', RNDS_CHAVES_DIR: '/tmp/c' })).toThrow(/RNDS_MONITORING_TOKEN: deve ter ao menos 16 caracteres/);
  });

  it('when the monitoring token is used, then it never appears in the data folder or the logs', async () => {
    const h = await enabledWithMonitoring();
    await request(h.app).get(`${BASE}/metrics`).set(asMonitor);
    await request(h.app).post(`${BASE}/api/disable`).set(asMonitor);

    const stored = readTree(h.dataDir);
    expect(stored.some((b) => b.includes(Buffer.from(MONITORING)))).toBe(false);
    expect(h.logs.join('\n')).not.toContain(MONITORING);
  });
});
