/**
 * Real answers of the module, checked against the schemas docs/openapi.json and docs/CONTRACT.md are generated from
 * (module/contract/schemas.ts): disabled, enabled, degraded, a connection test through the mutual-TLS RNDS double with
 * both services, the RNDS token, alerts that failed, and the errors. The schemas are strict, so a field the code
 * sends but the contract does not name fails here too.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CertificatesAnswerSchema,
  ConnectionAnswerSchema,
  ErrorSchema,
  HealthSchema,
  StatusSchema,
  TokenAnswerSchema,
} from '../../module/contract/schemas.js';
import { ERROR_STATUS, type ErrorCode } from '../../module/errors.js';
import type { Status } from '../../module/types.js';
import { createTestCertificate, createTestIssuer } from '../../scripts/lib/test-certificate.js';
import { startRndsAuthDouble, type RndsAuthDouble } from '../doubles/rnds-auth.js';
import { createRndsTestPki, type RndsTestPki } from '../doubles/pki.js';
import { BASE, CERTS, FIXTURES, bearer, startHarness, type Harness } from '../support/harness.js';

let pki: RndsTestPki;
let double: RndsAuthDouble | undefined;
let hook: http.Server | undefined;
let h: Harness | undefined;

beforeAll(() => {
  pki = createRndsTestPki();
});
afterEach(async () => {
  await h?.close();
  await double?.close();
  if (hook) await new Promise((resolve) => hook!.close(resolve));
  h = double = hook = undefined;
});

/** The body, parsed by `schema`: the zod issues (with their paths) are the failure message when it does not match. */
function conforms<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new Error(`answer does not match the contract:\n${JSON.stringify(parsed.error.issues, null, 2)}\n${JSON.stringify(body, null, 2)}`);
  return parsed.data;
}

/** An error answer: the contract's Error shape, with the HTTP status its code is documented with. */
function conformsError(res: request.Response, code: ErrorCode): void {
  const body = conforms(ErrorSchema, res.body);
  expect(body.error.code).toBe(code);
  expect(res.status).toBe(ERROR_STATUS[code]);
}

describe('the answers match the contract schemas', () => {
  it('when nothing is enabled, then /health, /api/status and /api/certificates match, with ready and unusable entries', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    fs.writeFileSync(path.join(h.chavesDir, 'municipio.cer'), 'só o certificado público');
    await h.waitFor(() => h!.rnds.status().certificates.some((e) => e.file === 'municipio.cer' && e.status === 'unusable'), 'the .cer listed');

    const health = conforms(HealthSchema, (await request(h.app).get(`${BASE}/health`).expect(200)).body);
    const status = conforms(StatusSchema, (await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body);
    const list = conforms(CertificatesAnswerSchema, (await request(h.app).get(`${BASE}/api/certificates`).set(bearer).expect(200)).body);

    expect(health.rnds).toBe('disabled');
    expect(status).toMatchObject({ state: 'disabled', enabled: null, connection: null });
    expect(list.certificates.map((e) => [e.file, e.status, e.sha256 !== undefined, e.reason !== undefined]).sort()).toEqual([
      [CERTS.legacy.file, 'ready', true, false],
      ['municipio.cer', 'unusable', false, true],
    ]);
  });

  it('when a certificate is enabled for RNDS and CADSUS and tested against the RNDS double, then Status, Connection and the token match', async () => {
    double = await startRndsAuthDouble({ pki, extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    h = await startHarness({ files: [CERTS.legacy.file], authUrlProducao: double.url, authUrlHomologacao: double.url, rndsCa: double.trustedCa.join('\n') });
    const enabled = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167', services: ['RNDS', 'CADSUS'], environment: 'producao' })
      .expect(200);
    const tested = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(200);
    const token = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(200);
    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);

    expect(conforms(StatusSchema, enabled.body)).toMatchObject({ state: 'enabled', enabled: { services: ['RNDS', 'CADSUS'] } });
    const { connection } = conforms(ConnectionAnswerSchema, tested.body);
    expect(connection).toMatchObject({ status: 'ok', via: 'direto' });
    expect(connection.services?.map((s) => [s.service, s.status])).toEqual([['RNDS', 'ok'], ['CADSUS', 'ok']]);
    expect(connection.steps?.length).toBeGreaterThan(0);
    conforms(TokenAnswerSchema, token.body);
    expect(conforms(StatusSchema, status.body).connection).toEqual(connection);
  });

  it('when the enabled file leaves the folder and the webhook refuses the alert, then the degraded Status with its alerts matches', async () => {
    hook = http.createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => hook!.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alertas`;
    h = await startHarness({ files: [CERTS.legacy.file], alerts: { webhookUrl, attempts: 1, retryDelayMs: 0 } });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);

    fs.rmSync(path.join(h.chavesDir, CERTS.legacy.file));
    await h.waitFor(() => h!.rnds.status().alerts?.lastFailure != null, 'the failed delivery of the degraded alert');
    const status = conforms(StatusSchema, (await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body);

    expect(status.state).toBe('degraded');
    expect(status.problems.map((p) => [p.code, p.severity])).toContainEqual(['CERTIFICATE_MISSING', 'critical']);
    expect(status.alerts).toMatchObject({ channels: ['webhook'], failed: { email: 0, webhook: 1 }, lastFailure: { channel: 'webhook' } });
  });

  it('when a renewed certificate of the same CA and CNPJ is dropped, then the Status with its renewal offer and the renew answer match', async () => {
    const password = CERTS.aes.password;
    const issuer = createTestIssuer();
    h = await startHarness();
    fs.writeFileSync(path.join(h.chavesDir, 'atual.pfx'), createTestCertificate({ password, days: 20, issuer }).pfx);
    await h.waitFor(() => h!.rnds.status().certificates.some((e) => e.file === 'atual.pfx' && e.status === 'ready'), 'atual.pfx ready');
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'atual.pfx', password, identificadorSolicitante: '3167' }).expect(200);

    const offered = new Promise<Status>((resolve) => {
      const off = h!.rnds.onChange(() => {
        const status = h!.rnds.status();
        if (!status.renewal) return;
        off();
        resolve(status);
      });
    });
    const temp = path.join(h.root, 'renovado.tmp');
    fs.writeFileSync(temp, createTestCertificate({ password, days: 380, issuer }).pfx);
    fs.renameSync(temp, path.join(h.chavesDir, 'renovado.pfx'));
    await offered;
    const status = conforms(StatusSchema, (await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200)).body);
    const renewedStatus = conforms(StatusSchema, (await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(200)).body);

    expect(status.renewal).toMatchObject({ file: 'renovado.pfx', sameFile: false });
    expect(renewedStatus.enabled?.file).toBe('renovado.pfx');
  });

  it('when requests are refused, then each answer is the Error shape with the HTTP status its code is documented with', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const app = request(h.app);

    conformsError(await app.get(`${BASE}/api/status`), 'UNAUTHENTICATED');
    conformsError(await app.post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: ['x'] }), 'INVALID_INPUT');
    conformsError(await app.post(`${BASE}/api/enable`).set(bearer).send({ file: 'nao-existe.pfx', password: 'x', identificadorSolicitante: '1' }), 'CERTIFICATE_NOT_FOUND');
    conformsError(await app.post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: 'errada', identificadorSolicitante: '1' }), 'WRONG_PASSWORD');
    conformsError(await app.post(`${BASE}/api/connection-test`).set(bearer), 'NOT_ENABLED');
    conformsError(await app.get(`${BASE}/api/nada`).set(bearer), 'NOT_FOUND');
    conformsError(await app.post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: 'curta' }), 'INVALID_INPUT');
    await app.post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
    conformsError(await app.post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: 'abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd' }), 'CONTRA_CHAVE_LOCKED');
    conforms(StatusSchema, (await app.post(`${BASE}/api/disable`).set(bearer).expect(200)).body);
    conforms(StatusSchema, (await app.post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: 'abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd' }).expect(200)).body);
  });
});
