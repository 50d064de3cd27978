/**
 * The sends routes over HTTP (supertest on a real module with a real data folder): POST/GET /api/envios and
 * /api/envios/erros, their errors and limits, and who may call them (reporting token, monitoring token, access token,
 * admin session with CSRF).
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../module/config/options.js';
import { parseEnv } from '../../module/config/env.js';
import { RndsError } from '../../module/errors.js';
import { BASE, CERTS, TOKEN, bearer, loggedIn, readTree, startHarness, type Harness } from '../support/harness.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const MONITORING = 'monitoramento-central-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const asMonitor = { Authorization: `Bearer ${MONITORING}` };

const refused = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660' }] };
const report = {
  envios: [
    { at: '2026-12-03T10:15:00-03:00', model: 'RAC', recordId: '2204681-6f1c0a', httpStatus: 201, rndsId: 'Composition/1' },
    { at: '2026-12-03T10:16:00-03:00', model: 'RIA-R', recordId: '2204681-77ab01', httpStatus: 422, operationOutcome: refused },
    { at: '2026-12-03T10:17:00-03:00', model: 'RPM', recordId: '2204681-0c9d12', failure: 'no-connection', detail: 'ETIMEDOUT' },
  ],
};

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness({ reportingToken: REPORTING, monitoringToken: MONITORING, ...options });
  return harness;
}

describe('POST {base}/api/envios', () => {
  it('when the reporting token reports a batch, then it is stored and GET /api/envios counts it; repeating it answers duplicates', async () => {
    const h = await start();
    const first = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(report);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accepted: 3, duplicates: 0 });
    const again = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(report);
    expect(again.body).toEqual({ accepted: 0, duplicates: 3 });
    const summary = await request(h.app).get(`${BASE}/api/envios`).set(bearer);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual({
      lastSend: null, // nothing enabled
      models: [
        { model: 'RIA', total: 1, sent: 0, notSent: 1 },
        { model: 'RAC', total: 1, sent: 1, notSent: 0 },
        { model: 'RPM', total: 1, sent: 0, notSent: 1 },
      ],
    });
  });

  it('when a send is invalid, then 400 INVALID_INPUT names it (envios[1].model) and nothing of the batch is stored', async () => {
    const h = await start();
    const bad = { envios: [report.envios[0], { ...report.envios[1], model: 'RIA' }, { ...report.envios[2], cnes: '12' }] };
    const res = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(bad);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['envios[1].model', 'envios[2].cnes']);
    expect(res.body.error.message).toMatch(/nada foi guardado/);
    const summary = await request(h.app).get(`${BASE}/api/envios`).set(bearer);
    expect(summary.body.models.map((m: { total: number }) => m.total)).toEqual([0, 0, 0]);
  });

  it('when the body is over 1 MiB or has over 1000 sends, then 413 PAYLOAD_TOO_LARGE; a 600 KiB batch (over the 16 KiB of other routes) is accepted', async () => {
    const h = await start();
    const send = (i: number) => ({ at: '2026-12-03T10:15:00Z', model: 'RAC', recordId: `r${i}`, httpStatus: 422, operationOutcome: { issue: [{ diagnostics: `(EHR-ERR983) ${'x'.repeat(560)}` }] } });
    const big = { envios: Array.from({ length: 1000 }, (_, i) => send(i)) };
    expect(JSON.stringify(big).length).toBeGreaterThan(1024 * 512);
    const ok = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(big);
    expect(ok.status).toBe(200);
    expect(ok.body.accepted).toBe(1000);
    const tooBig = { envios: Array.from({ length: 1000 }, (_, i) => ({ ...send(i), recordId: `big${i}`, detail: undefined, rndsId: 'y'.repeat(500) })) };
    expect(JSON.stringify(tooBig).length).toBeGreaterThan(1024 * 1024);
    const res = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(tooBig);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const many = { envios: Array.from({ length: 1001 }, (_, i) => ({ at: '2026-12-03T10:15:00Z', model: 'RPM', recordId: `m${i}`, httpStatus: 201 })) };
    const res2 = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(many);
    expect(res2.status).toBe(413);
    expect(res2.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const other = await request(h.app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: 'x'.repeat(20 * 1024) });
    expect(other.status).toBe(413);
  });

  it('when the body is not JSON, then 400 INVALID_INPUT', async () => {
    const h = await start();
    const res = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).set('Content-Type', 'application/json').send('{"envios": [');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    const form = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).type('form').send({ envios: 'x' });
    expect(form.status).toBe(400);
  });
});

describe('who may report and read sends', () => {
  it('when the reporting token calls any other route, then 403 FORBIDDEN and nothing changes', async () => {
    const h = await start({ files: [CERTS.aes.file] });
    const before = readTree(h.dataDir).map((b) => b.toString('base64')).sort();
    const paths = ['GET /api/envios', 'GET /api/envios/erros', 'GET /api/status', 'GET /api/certificates', 'GET /metrics', 'GET /api/token', 'POST /api/disable', 'POST /api/enable', 'POST /api/connection-test', 'GET /'];
    const attempts = await Promise.all([
      request(h.app).get(`${BASE}/api/envios`).set(asReporter),
      request(h.app).get(`${BASE}/api/envios/erros?de=2026-12-01&ate=2026-12-03&modelos=RIA`).set(asReporter),
      request(h.app).get(`${BASE}/api/status`).set(asReporter),
      request(h.app).get(`${BASE}/api/certificates`).set(asReporter),
      request(h.app).get(`${BASE}/metrics`).set(asReporter),
      request(h.app).get(`${BASE}/api/token`).set(asReporter),
      request(h.app).post(`${BASE}/api/disable`).set(asReporter),
      request(h.app).post(`${BASE}/api/enable`).set(asReporter).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }),
      request(h.app).post(`${BASE}/api/connection-test`).set(asReporter),
      request(h.app).get(`${BASE}/`).set(asReporter),
    ]);
    for (const [i, res] of attempts.entries()) {
      expect(res.status, paths[i]).toBe(403);
      expect(res.body.error?.code ?? 'FORBIDDEN').toBe('FORBIDDEN');
    }
    expect(readTree(h.dataDir).map((b) => b.toString('base64')).sort()).toEqual(before);
  });

  it('when the monitoring token reads GET /api/envios, then it gets the summary; POST and the error list are 403', async () => {
    const h = await start();
    await request(h.app).post(`${BASE}/api/envios`).set(bearer).send(report).expect(200);
    const summary = await request(h.app).get(`${BASE}/api/envios`).set(asMonitor);
    expect(summary.status).toBe(200);
    expect(summary.text).not.toContain('2204681');
    expect((await request(h.app).post(`${BASE}/api/envios`).set(asMonitor).send(report)).status).toBe(403);
    expect((await request(h.app).get(`${BASE}/api/envios/erros?de=2026-12-01&ate=2026-12-03&modelos=RIA`).set(asMonitor)).status).toBe(403);
  });

  it('when an admin session posts without the CSRF token, then 403; with it, the batch is stored', async () => {
    const h = await start();
    const { agent, csrf } = await loggedIn(h);
    const without = await agent.post(`${BASE}/api/envios`).send(report);
    expect(without.status).toBe(403);
    const withToken = await agent.post(`${BASE}/api/envios`).set('X-CSRF-Token', csrf).send(report);
    expect(withToken.status).toBe(200);
    expect(withToken.body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await agent.get(`${BASE}/api/envios`)).body.models[1].total).toBe(1);
  });

  it('when nobody or a wrong token calls, then 401 UNAUTHENTICATED', async () => {
    const h = await start();
    expect((await request(h.app).post(`${BASE}/api/envios`).send(report)).status).toBe(401);
    expect((await request(h.app).get(`${BASE}/api/envios`).set({ Authorization: 'Bearer errado-0123456789abcdef' })).status).toBe(401);
  });

  it('when the reporting token equals another token or is short, then the options and the environment are refused', () => {
    const base = { chavesDir: '/tmp/c', dataDir: '/tmp/d', accessToken: TOKEN };
    expect(() => parseOptions({ ...base, reportingToken: TOKEN })).toThrow(/token de envios deve ser diferente/);
    expect(() => parseOptions({ ...base, monitoringToken: MONITORING, reportingToken: MONITORING })).toThrow(/token de envios deve ser diferente/);
    expect(() => parseOptions({ ...base, reportingToken: 'curto' })).toThrow(/16 caracteres/);
    expect(() => parseEnv({ RNDS_ACCESS_TOKEN: TOKEN, RNDS_REPORTING_TOKEN: TOKEN })).toThrow(/RNDS_REPORTING_TOKEN/);
    expect(() => parseEnv({ RNDS_SENDS_RETENTION_DAYS: 'zero' })).toThrow(/RNDS_SENDS_RETENTION_DAYS/);
  });
});

describe('GET {base}/api/envios/erros and the embedded recordSends', () => {
  it('when an admin asks for a period, then the records not sent come newest first with the advice; bad queries are 400', async () => {
    const h = await start();
    await h.rnds.recordSends(report);
    const res = await request(h.app).get(`${BASE}/api/envios/erros?de=2026-12-03&ate=2026-12-03&modelos=RIA,RAC,RPM`).set(bearer);
    expect(res.status).toBe(200);
    expect(res.body.erros.map((e: { recordId: string }) => e.recordId)).toEqual(['2204681-0c9d12', '2204681-77ab01']);
    expect(res.body.erros[1]).toMatchObject({ model: 'RIA-R', status: 'DADOS_INVALIDOS', codes: ['EHR-ERR983'], message: refused.issue[0]!.diagnostics });
    for (const query of ['de=2026-12-03&ate=2026-12-01&modelos=RAC', 'de=03/12/2026&ate=2026-12-03&modelos=RAC', 'de=2026-12-01&ate=2026-12-03', 'de=2026-12-01&ate=2026-12-03&modelos=XYZ']) {
      const bad = await request(h.app).get(`${BASE}/api/envios/erros?${query}`).set(bearer);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.code).toBe('INVALID_INPUT');
    }
    const badPeriod = await request(h.app).get(`${BASE}/api/envios?de=2026-12-09&ate=2026-12-01`).set(bearer);
    expect(badPeriod.status).toBe(400);
  });

  it('when the host reports through recordSends an invalid batch, then it rejects with INVALID_INPUT', async () => {
    const h = await start();
    const error = await h.rnds.recordSends({ envios: [{ model: 'RAC' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RndsError);
    expect((error as RndsError).fields).toHaveProperty(['envios[0].at']);
  });

  it('when a certificate is enabled and a direct send was reported, then lastSend says Conexão bem-sucedida', async () => {
    const h = await start({ files: [CERTS.aes.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }).expect(200);
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send({ envios: [report.envios[0]] }).expect(200);
    const summary = await request(h.app).get(`${BASE}/api/envios`).set(asMonitor);
    expect(summary.body.lastSend).toEqual({ at: '2026-12-03T13:15:00.000Z', model: 'RAC', status: 'ok', message: 'Conexão bem-sucedida' });
  });
});
