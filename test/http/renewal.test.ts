import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { buildPkcs12, createTestCertificate, createTestIssuer, type TestCertificate } from '../../scripts/lib/test-certificate.js';
import { openPkcs12 } from '../../module/certificates/index.js';
import { startRndsAuthDouble, type RndsAuthDouble } from '../doubles/rnds-auth.js';
import { createTestCa, type RndsTestPki } from '../doubles/pki.js';
import { AuditTrail } from '../../module/state/index.js';
import { BASE, CERTS, FIXTURES, bearer, encodings, loggedIn, readTree, startHarness, type Harness } from '../support/harness.js';
import type { Status } from '../../module/types.js';

/**
 * Renewal without downtime: real PKCS#12 files written into a real watched folder, opened in the real worker with the
 * stored (sealed) password, and an optional token request against the real mutual-TLS RNDS double.
 */
// The fixtures' accented password: the fixture of another CNPJ opens with it too.
const PASSWORD = CERTS.aes.password;
const OTHER_PASSWORD = 'OutraSenha#99';

let current: TestCertificate; // expires in 20 days: the renewal reminder is due
let renewed: TestCertificate; // same CNPJ, a year later, same password
let renewedSooner: TestCertificate; // same CNPJ and password, expires before `renewed`: also a renewal
let renewedOtherPassword: Buffer; // the renewed certificate and key, exported with another password
let otherCnpj: Buffer; // a fixture of another CNPJ (12.345.678/0001-90), valid to 2049, same password
let pki: RndsTestPki;
let h: Harness;
let double: RndsAuthDouble | undefined;

// RSA key generation is the slow part on a loaded machine: six keys for the whole file.
beforeAll(() => {
  // One CA, as an AC renews: a renewal must be proven to come from the enabled certificate's CA.
  const ca = createTestIssuer();
  current = createTestCertificate({ password: PASSWORD, days: 20, issuer: ca });
  renewed = createTestCertificate({ password: PASSWORD, days: 380, issuer: ca });
  renewedSooner = createTestCertificate({ password: PASSWORD, days: 200, issuer: ca });
  const opened = openPkcs12(renewed.pfx, PASSWORD);
  renewedOtherPassword = buildPkcs12({
    keyPkcs8Der: createPrivateKey(opened.keyPem).export({ type: 'pkcs8', format: 'der' }),
    certsDer: [renewed.certPem, renewed.caPem].map((pem) => new X509Certificate(pem).raw),
    password: OTHER_PASSWORD,
    friendlyName: 'renovado com outra senha',
    encoding: 'aes',
    iterations: 2048,
  });
  otherCnpj = fs.readFileSync(path.join(FIXTURES, CERTS.aes.file));
  pki = smallPki();
});

/** Just what the RNDS double needs (a server CA and its certificate): two keys instead of the full test PKI's ten. */
function smallPki(): RndsTestPki {
  const serverCa = createTestCa('RNDS Double Server CA');
  const server = serverCa.issue({ commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], usage: 'server' });
  return { serverCa, clientCa: serverCa, untrustedCa: serverCa, server, clients: {} } as unknown as RndsTestPki;
}
afterEach(async () => {
  await h?.close();
  await double?.close();
  double = undefined;
});

/** Resolves when the Status satisfies `predicate`, waiting on the module's own change events (no polling clock). */
function until(harness: Harness, predicate: (s: Status) => boolean): Promise<Status> {
  return new Promise((resolve) => {
    const check = () => {
      const status = harness.rnds.status();
      if (!predicate(status)) return false;
      off();
      resolve(status);
      return true;
    };
    const off = harness.rnds.onChange(() => void check());
    check();
  });
}

/** Writes a file into the chaves folder the way a copy over the network ends: a temp name, then a rename. */
function put(harness: Harness, name: string, bytes: Buffer): void {
  const temp = path.join(harness.root, `${name}.tmp`);
  fs.writeFileSync(temp, bytes);
  fs.renameSync(temp, path.join(harness.chavesDir, name));
}

async function enabledWith(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const harness = await startHarness(options);
  put(harness, 'municipio-2025.pfx', current.pfx);
  await until(harness, (s) => s.certificates.some((e) => e.file === 'municipio-2025.pfx' && e.status === 'ready'));
  await request(harness.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'municipio-2025.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
  return harness;
}

function stateFile(harness: Harness): string {
  return fs.readFileSync(path.join(harness.dataDir, 'state.json'), 'utf8');
}

function expectNoPassword(harness: Harness, ...texts: string[]): void {
  const haystacks = [...readTree(harness.dataDir), ...texts.map((t) => Buffer.from(t)), Buffer.from(harness.logs.join('\n'))];
  for (const hay of haystacks) for (const needle of encodings(PASSWORD)) expect(hay.includes(needle)).toBe(false);
}

describe('renewal without downtime', () => {
  it('when a renewed certificate of the same CNPJ that opens with the stored password lands in the folder, then one click switches to it without typing the password', async () => {
    h = await enabledWith();
    const before = JSON.parse(stateFile(h));
    put(h, 'municipio-2026.pfx', renewed.pfx);
    const offered = await until(h, (s) => !!s.renewal);
    expect(offered.state).toBe('enabled'); // the current one keeps working meanwhile
    expect(offered.renewal).toMatchObject({ file: 'municipio-2026.pfx', sameFile: false, certificate: { cnpj: renewed.cnpj, notAfter: renewed.notAfter.toISOString() } });

    const { agent, page } = await loggedIn(h);
    expect(page.text).toContain('id="usar-renovado"');
    expect(page.text).toContain('municipio-2026.pfx');
    // The offer names the CA the new certificate comes from.
    const issuerCn = /CN=([^,]+)/.exec(new X509Certificate(renewed.certPem).issuer.replace(/\n/g, ','))![1]!;
    expect(page.text).toMatch(new RegExp(`foi emitido por <bdi[^>]*>${issuerCn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</bdi>`));
    expect(page.text).not.toContain('name="password" value'); // nothing to type

    const res = await agent.post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(200);
    expect(res.body.state).toBe('enabled');
    expect(res.body.enabled).toMatchObject({ file: 'municipio-2026.pfx', identificadorSolicitante: '3167', certificate: { sha256: offered.renewal!.sha256 } });
    expect(res.body.renewal).toBeNull();
    const after = JSON.parse(stateFile(h));
    expect(after.enabled.secret).toEqual(before.enabled.secret); // the sealed password was reused, never re-typed
    expect(after.contraChave).toBe(before.contraChave);
    const audit = await new AuditTrail(h.dataDir).read();
    expect(audit.at(-1)).toMatchObject({ action: 'renew', file: 'municipio-2026.pfx', sha256: offered.renewal!.sha256, actor: expect.any(String) });
    expect(audit.at(-1)!.description).toContain('renovado');
    expectNoPassword(h, res.text, page.text);
  });

  it('when the enabled file is overwritten by its renewal, then the problem says so and the form button switches to it (CSRF-protected)', async () => {
    h = await enabledWith();
    put(h, 'municipio-2025.pfx', renewed.pfx);
    const status = await until(h, (s) => !!s.renewal);
    expect(status.state).toBe('degraded');
    const changed = status.problems.find((p) => p.code === 'CERTIFICATE_CHANGED');
    expect(changed?.message).toContain('certificado renovado');
    expect(changed?.message).toContain('Usar o certificado renovado');
    expect(status.renewal).toMatchObject({ file: 'municipio-2025.pfx', sameFile: true });

    const { agent, csrf, page } = await loggedIn(h);
    const sha = /name="sha256" value="([0-9a-f]{64})"/.exec(page.text)?.[1];
    expect(sha).toBe(status.renewal!.sha256);
    // Without the CSRF token the cookie alone changes nothing.
    const saved = stateFile(h);
    await agent.post(`${BASE}/renovar`).type('form').send({ file: 'municipio-2025.pfx', sha256: sha }).expect(403);
    expect(stateFile(h)).toBe(saved);

    const done = await agent.post(`${BASE}/renovar`).type('form').send({ _csrf: csrf, file: 'municipio-2025.pfx', sha256: sha }).expect(303);
    expect(done.headers.location).toBe(`${BASE}/`); // post/redirect/get: the notice waits in the session
    const now = h.rnds.status();
    expect(now.state).toBe('enabled');
    expect(now.problems.map((p) => p.code)).toEqual([]);
    expect(now.enabled?.certificate.sha256).toBe(sha);
    const shown = (await agent.get(`${BASE}/`).expect(200)).text;
    expect(shown).toContain('Certificado renovado em uso');
    // Nobody asked RNDS about the new certificate (and no test was started here): the notice claims nothing more.
    expect(shown).not.toContain('O PEC continua acessando a RNDS');
    expect(shown).toContain('Use &#34;Testar conexão&#34; para confirmar que a RNDS aceita o novo certificado');
  });

  it('when the renewed file has another password, then nothing is offered, the problem asks for the password as today and /api/renew changes nothing', async () => {
    h = await enabledWith();
    put(h, 'municipio-2025.pfx', renewedOtherPassword);
    await until(h, (s) => s.state === 'degraded');
    await h.rnds.settled();
    const status = h.rnds.status();
    expect(status.renewal).toBeNull();
    expect(status.problems.find((p) => p.code === 'CERTIFICATE_CHANGED')?.message).toContain('digitando a senha');
    const saved = stateFile(h);
    const res = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({}).expect(404);
    expect(res.body.error.code).toBe('CERTIFICATE_NOT_FOUND');
    expect(res.body.error.message).toContain('digitando a senha');
    expect(stateFile(h)).toBe(saved);
    // Enabling it the usual way, with its own password, still works.
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'municipio-2025.pfx', password: OTHER_PASSWORD, identificadorSolicitante: '3167' }).expect(200);
  });

  it('when a certificate of another CNPJ opens with the same password, then it is not taken for a renewal', async () => {
    h = await enabledWith();
    put(h, 'outro.pfx', otherCnpj);
    await until(h, (s) => s.certificates.some((e) => e.file === 'outro.pfx' && e.status === 'ready'));
    await h.rnds.settled();
    expect(h.rnds.status().renewal).toBeNull();
    expect((await loggedIn(h)).page.text).not.toContain('id="usar-renovado"');
  });

  it('when RNDS refuses the renewed certificate, then the current one stays enabled and the answer says why; once RNDS accepts it, the switch keeps the successful test', async () => {
    double = await startRndsAuthDouble({ pki, scenario: 'unauthorized', extraClientCaPem: [current.caPem, renewed.caPem] });
    h = await enabledWith({ authUrlProducao: double.url, authUrlHomologacao: double.url, rndsCa: double.trustedCa.join('\n') });
    put(h, 'municipio-2026.pfx', renewed.pfx);
    await until(h, (s) => !!s.renewal);
    const saved = stateFile(h);
    const refused = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: true }).expect(502);
    expect(refused.body.error.code).toBe('RNDS_CERTIFICATE_REJECTED');
    expect(refused.body.error.message).toContain('A RNDS recusou o certificado renovado');
    expect(refused.body.error.message).toContain('O certificado atual continua habilitado');
    expect(stateFile(h)).toBe(saved);
    expect(h.rnds.status().enabled?.file).toBe('municipio-2025.pfx');
    expect(double.requests.at(-1)?.clientCommonName).toContain(renewed.cnpj); // it was the renewed one that asked
    expect((await new AuditTrail(h.dataDir).read()).at(-1)).toMatchObject({ action: 'renew-failed', code: 'RNDS_CERTIFICATE_REJECTED' });

    // The screen's form shows the same reason, with the old certificate still enabled.
    const { agent, csrf } = await loggedIn(h);
    await agent.post(`${BASE}/renovar`).type('form').send({ _csrf: csrf, checkRnds: '1' }).expect(303);
    const page = await agent.get(`${BASE}/`).expect(200);
    expect(page.text).toContain('continua habilitado');
    expect(stateFile(h)).toBe(saved);

    // Once the credential is active, the same click switches and keeps the successful test.
    double.setScenario('success');
    const ok = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: true }).expect(200);
    expect(ok.body.enabled.file).toBe('municipio-2026.pfx');
    expect(ok.body.connection).toMatchObject({ status: 'ok' });
  });

  it('when the screen showed one renewed file and another one replaced it, then the click refuses instead of switching to a file nobody saw', async () => {
    h = await enabledWith();
    put(h, 'municipio-2026.pfx', renewed.pfx);
    const first = await until(h, (s) => !!s.renewal);
    const saved = stateFile(h);
    const res = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ sha256: 'f'.repeat(64) }).expect(404);
    expect(res.body.error.message).toContain('recarregue a tela');
    expect(stateFile(h)).toBe(saved);
    await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ sha256: first.renewal!.sha256, file: 'municipio-2026.pfx', checkRnds: false }).expect(200);
  });

  it('when the offered file leaves the folder, then its offer goes at once and a renewal dropped after it is offered instead', async () => {
    h = await enabledWith();
    expect(renewedSooner.cnpj).toBe(renewed.cnpj);
    put(h, 'municipio-2026.pfx', renewed.pfx);
    await until(h, (s) => s.renewal?.file === 'municipio-2026.pfx');
    put(h, 'municipio-2026-b.pfx', renewedSooner.pfx);
    await until(h, (s) => s.certificates.some((e) => e.file === 'municipio-2026-b.pfx' && e.status === 'ready'));
    await h.rnds.settled();
    expect(h.rnds.status().renewal?.file).toBe('municipio-2026.pfx'); // the later expiry is the one offered

    fs.unlinkSync(path.join(h.chavesDir, 'municipio-2026.pfx'));
    const after = await until(h, (s) => !s.certificates.some((e) => e.file === 'municipio-2026.pfx'));
    expect(after.renewal).toMatchObject({ file: 'municipio-2026-b.pfx', certificate: { notAfter: renewedSooner.notAfter.toISOString() } });
    await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ file: 'municipio-2026.pfx', checkRnds: false }).expect(404);
    const res = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ checkRnds: false }).expect(200);
    expect(res.body.enabled.file).toBe('municipio-2026-b.pfx');
  });

  it('when /api/renew gets a file name that is not text or is too long, then every message is in pt-BR', async () => {
    h = await startHarness();
    for (const file of [123, 'a'.repeat(300)]) {
      const res = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({ file }).expect(400);
      expect(res.body.error.code).toBe('INVALID_INPUT');
      expect(res.body.error.fields.file).toMatch(/arquivo/);
      expect(res.body.error.fields.file).not.toMatch(/Invalid|expected|Too big/i);
    }
  });

  it('when /api/renew is sent without checkRnds, then RNDS checks the new certificate first, through the same call as Testar conexão', async () => {
    double = await startRndsAuthDouble({ pki, scenario: 'unauthorized', extraClientCaPem: [current.caPem, renewed.caPem] });
    h = await enabledWith({ authUrlProducao: double.url, authUrlHomologacao: double.url, rndsCa: double.trustedCa.join('\n') });
    put(h, 'municipio-2026.pfx', renewed.pfx);
    await until(h, (s) => !!s.renewal);
    const saved = stateFile(h);
    const asked = double.requests.length;
    const refused = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({}).expect(502);
    expect(refused.body.error.code).toBe('RNDS_CERTIFICATE_REJECTED');
    expect(stateFile(h)).toBe(saved);
    expect(double.requests.length).toBe(asked + 1);
    expect(double.requests.at(-1)?.clientCommonName).toContain(renewed.cnpj);

    double.setScenario('success');
    const ok = await request(h.app).post(`${BASE}/api/renew`).set(bearer).send({}).expect(200);
    // The same check as Testar conexão: every enabled service is in the result.
    expect(ok.body.connection).toMatchObject({ status: 'ok', services: [{ service: 'RNDS' }] });
  });

  it('when the screen renews without the RNDS check, then the notice says only what is known and a connection test starts, as after Habilitar', async () => {
    double = await startRndsAuthDouble({ pki, scenario: 'success', extraClientCaPem: [current.caPem, renewed.caPem] });
    h = await enabledWith({ authUrlProducao: double.url, authUrlHomologacao: double.url, rndsCa: double.trustedCa.join('\n'), connectionTestAfterEnable: true });
    await h.rnds.settled();
    put(h, 'municipio-2026.pfx', renewed.pfx);
    await until(h, (s) => !!s.renewal);
    const { agent, csrf } = await loggedIn(h);
    await agent.post(`${BASE}/renovar`).type('form').send({ _csrf: csrf }).expect(303);
    const shown = (await agent.get(`${BASE}/`).expect(200)).text;
    expect(shown).not.toContain('O PEC continua acessando a RNDS');
    expect(shown).toContain('O teste de conexão com a RNDS começou');
    const tested = await until(h, (s) => s.enabled?.file === 'municipio-2026.pfx' && s.connection?.status === 'ok');
    expect(tested.connection?.status).toBe('ok');
    expect(double.requests.at(-1)?.clientCommonName).toContain(renewed.cnpj);
  });
});

describe('renewal reminder', () => {
  it('when 30 days or fewer are left, then the screen shows the steps with a link to the guide; with more, it does not', async () => {
    h = await enabledWith();
    const { page } = await loggedIn(h);
    expect(page.text).toContain('Renovação do certificado');
    expect(page.text).toContain('e-Gestor AB');
    expect(page.text).toContain(`href="${BASE}/guia"`);
    await h.close();

    // A year left: no reminder yet.
    h = await startHarness();
    put(h, 'municipio-2025.pfx', renewed.pfx);
    await until(h, (s) => s.certificates.some((e) => e.file === 'municipio-2025.pfx' && e.status === 'ready'));
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'municipio-2025.pfx', password: PASSWORD, identificadorSolicitante: '3167' }).expect(200);
    expect(h.rnds.status().enabled?.certificate.daysLeft).toBeGreaterThan(30);
    expect((await loggedIn(h)).page.text).not.toContain('Renovação do certificado');
  });
});
