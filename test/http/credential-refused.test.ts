/**
 * RNDS_CREDENTIAL_REFUSED over HTTP (supertest on a real module with a real certificate enabled and a real sends
 * store): a direct send refused for the credential since the enable degrades the Status, /health and the events; the
 * next accepted send or a new enable clears it.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const ERR881 = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden', diagnostics: '(EHR-ERR881) Identificador solicitante não autorizado: BRRNDS-3167' }] };
const DUPLICATE = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'duplicate', diagnostics: '(EDS-MSG010) Identificador duplicado' }] };

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function enabled(): Promise<Harness> {
  harness = await startHarness({ reportingToken: REPORTING, files: [CERTS.aes.file] });
  await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }).expect(200);
  return harness;
}

let seq = 0;
/** A direct send dated `at` (default: now, after the enable). */
function send(fields: Record<string, unknown>, at = new Date()) {
  seq += 1;
  return { envios: [{ at: at.toISOString(), model: 'RAC', recordId: `2204681-${seq}`, ...fields }] };
}

const codes = (body: { problems: Array<{ code: string }> }) => body.problems.map((p) => p.code);

describe('RNDS_CREDENTIAL_REFUSED', () => {
  it('when a direct send is refused with EHR-ERR881 after the enable, then the Status is degraded with the identificador and its fix, /health says degraded, and a later accepted send clears it', async () => {
    const h = await enabled();
    let changes = 0;
    h.rnds.onChange(() => changes++);
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 422, operationOutcome: ERR881 })).expect(200);
    expect(changes).toBeGreaterThan(0);

    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.state).toBe('degraded');
    const problem = status.body.problems.find((p: { code: string }) => p.code === 'RNDS_CREDENTIAL_REFUSED');
    expect(problem).toMatchObject({ severity: 'critical' });
    expect(problem.message).toContain('EHR-ERR881');
    expect(problem.message).toContain('identificador solicitante 3167');
    expect(problem.message).toContain('e-Gestor AB › Credenciais geradas');
    await request(h.app).get(`${BASE}/health`).expect(200, { status: 'ok', rnds: 'degraded' });

    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 201, rndsId: 'Composition/9' }, new Date(Date.now() + 1000))).expect(200);
    const after = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(codes(after.body)).not.toContain('RNDS_CREDENTIAL_REFUSED');
    expect(after.body.state).toBe('enabled');
    await request(h.app).get(`${BASE}/health`).expect(200, { status: 'ok', rnds: 'enabled' });
  });

  it('when a 401 without a code is reported, then the Status carries a credential message naming the identificador', async () => {
    const h = await enabled();
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 401 })).expect(200);
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body.state).toBe('degraded');
    const problem = status.body.problems.find((p: { code: string }) => p.code === 'RNDS_CREDENTIAL_REFUSED');
    expect(problem.message).toMatch(/recusou a credencial/);
    expect(problem.message).toContain('3167');
  });

  it('when the refused send is dated before the enable, then the Status stays enabled', async () => {
    const h = await enabled();
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 422, operationOutcome: ERR881 }, new Date('2026-01-05T10:00:00Z'))).expect(200);
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(codes(status.body)).not.toContain('RNDS_CREDENTIAL_REFUSED');
    expect(status.body.state).toBe('enabled');
  });

  it('when the send is a duplicate-code 422, then it counts as delivered and the Status stays enabled', async () => {
    const h = await enabled();
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 422, operationOutcome: DUPLICATE })).expect(200);
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(codes(status.body)).not.toContain('RNDS_CREDENTIAL_REFUSED');
    expect(status.body.state).toBe('enabled');
  });

  it('when the module restarts after a refusal, then the Status still carries it (read from the sends store at start); enabling again clears it', async () => {
    const h = await enabled();
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(send({ httpStatus: 403 })).expect(200);
    await h.restart();
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(codes(status.body)).toContain('RNDS_CREDENTIAL_REFUSED');
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === CERTS.aes.file && e.status === 'ready'), 'certificate ready');
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3168' }).expect(200);
    const again = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(codes(again.body)).not.toContain('RNDS_CREDENTIAL_REFUSED');
  });

  it('when nothing was ever reported, then the module starts without opening the sends store', async () => {
    const h = await enabled();
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    await request(h.app).get(`${BASE}/health`).expect(200, { status: 'ok', rnds: 'enabled' });
    // Opening the store creates the file: its absence shows nothing loaded SQLite.
    expect(fs.existsSync(path.join(h.dataDir, 'sends.sqlite'))).toBe(false);
  });
});
