import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BASE, CERTS, TOKEN, bearer, encodings, readTree, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const enableBody = (over: Record<string, unknown> = {}) => ({
  file: CERTS.legacy.file,
  password: CERTS.legacy.password,
  identificadorSolicitante: '3167',
  ...over,
});

describe('GET /health', () => {
  it('when nobody is logged in, then it answers ok and the RNDS state, and nothing secret', async () => {
    h = await startHarness();
    const res = await request(h.app).get(`${BASE}/health`).expect(200);
    expect(res.body).toEqual({ status: 'ok', rnds: 'disabled' });
    expect(res.text).not.toContain(h.rnds.status().contraChave);
  });
});

describe('access', () => {
  it('when /api/* is called without a token, then it answers 401 UNAUTHENTICATED', async () => {
    h = await startHarness();
    for (const route of ['/api/status', '/api/certificates', '/api/events', '/api/token']) {
      const res = await request(h.app).get(`${BASE}${route}`).expect(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    const res = await request(h.app).post(`${BASE}/api/disable`).set('Authorization', 'Bearer errado').expect(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the screen is opened without a session, then the login page is shown instead', async () => {
    h = await startHarness();
    const res = await request(h.app).get(`${BASE}/`).expect(200);
    expect(res.text).toContain('Token de acesso');
    expect(res.text).not.toContain(h.rnds.status().contraChave);
  });

  it('when the login link carries the right token, then a strict HttpOnly cookie opens the screen', async () => {
    h = await startHarness();
    const agent = request.agent(h.app);
    const login = await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    expect(login.headers.location).toBe(`${BASE}/`);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toContain(`Path=${BASE}`);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP on a LAN: a Secure cookie would never come back
    const page = await agent.get(`${BASE}/`).expect(200);
    expect(page.text).toContain(h.rnds.status().contraChave);
  });

  it('when the login form gets a wrong token, then it says so and sets no session', async () => {
    h = await startHarness();
    const agent = request.agent(h.app);
    const form = await agent.get(`${BASE}/entrar`).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    const res = await agent.post(`${BASE}/entrar`).type('form').send({ token: 'errado', _csrf: csrf }).expect(401);
    expect(res.text).toContain('Token de acesso inválido');
    await agent.get(`${BASE}/api/status`).expect(401);
    await agent.post(`${BASE}/entrar`).type('form').send({ token: TOKEN, _csrf: csrf }).expect(303);
    await agent.get(`${BASE}/api/status`).expect(200);
  });

  it('when the host hook denies the request, then the API answers 401 and the hook decides the actor', async () => {
    let allow: string | false = false;
    h = await startHarness({ authorize: () => allow });
    await request(h.app).get(`${BASE}/api/status`).expect(401);
    allow = 'maria.admin';
    await request(h.app).get(`${BASE}/api/status`).expect(200);
  });
});

describe('GET /api/status and /api/certificates', () => {
  it('when the folder holds certificates, then both list them with size, date and sha256', async () => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.aes.file] });
    const certs = await request(h.app).get(`${BASE}/api/certificates`).set(bearer).expect(200);
    expect(certs.body.certificates.map((e: { file: string }) => e.file)).toEqual([CERTS.aes.file, CERTS.legacy.file]);
    const entry = certs.body.certificates[1];
    expect(entry).toMatchObject({ file: CERTS.legacy.file, status: 'ready', size: fs.statSync(path.join(h.chavesDir, CERTS.legacy.file)).size });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(entry.modifiedAt).toISOString()).toBe(entry.modifiedAt);

    const status = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(status.body).toMatchObject({
      state: 'disabled',
      chavesDir: { path: h.chavesDir, exists: true, readable: true },
      enabled: null,
      connection: null,
      problems: [],
    });
    expect(status.body.contraChave).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/);
    expect(status.body.certificates).toEqual(certs.body.certificates);
  });

  it('when an installer drops a file while the server runs, then the API lists it without a restart', async () => {
    h = await startHarness();
    h.drop(CERTS.aes.file, 'novo.pfx');
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === 'novo.pfx' && e.status === 'ready'), 'novo.pfx');
    const res = await request(h.app).get(`${BASE}/api/certificates`).set(bearer).expect(200);
    expect(res.body.certificates).toHaveLength(1);
  });
});

describe('POST /api/enable', () => {
  it('when the legacy certificate, its password and the identificador are right, then RNDS is enabled', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ services: ['RNDS', 'CADSUS'], environment: 'homologacao' })).expect(200);
    expect(res.body.state).toBe('enabled');
    expect(res.body.enabled).toMatchObject({
      file: CERTS.legacy.file,
      identificadorSolicitante: '3167',
      services: ['RNDS', 'CADSUS'],
      environment: 'homologacao',
      certificate: { cnpj: '12345678000190' },
    });
    expect(res.body.enabled.certificate.sha256).toBe(h.rnds.status().certificates[0]!.sha256);
    expect(res.body.enabled.certificate.daysLeft).toBeGreaterThan(30);
    expect(JSON.stringify(res.body)).not.toContain(CERTS.legacy.password);
    await request(h.app).get(`${BASE}/health`).expect(200, { status: 'ok', rnds: 'enabled' });
  });

  it('when services and environment are left out, then RNDS and the configured environment are used', async () => {
    h = await startHarness({ files: [CERTS.aes.file], defaultEnvironment: 'homologacao' });
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: ' 0042 ' }).expect(200);
    expect(res.body.enabled).toMatchObject({ services: ['RNDS'], environment: 'homologacao', identificadorSolicitante: '0042' });
  });

  it('when only CADSUS is chosen, then the identificador is not required', async () => {
    h = await startHarness({ files: [CERTS.aes.file] });
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, services: ['CADSUS'] }).expect(200);
    expect(res.body.enabled.services).toEqual(['CADSUS']);
  });

  it.each([
    ['a wrong password', enableBody({ password: 'errada' }), 422, 'WRONG_PASSWORD', 'password'],
    ['an expired certificate', enableBody({ file: CERTS.expired.file, password: CERTS.expired.password }), 422, 'CERTIFICATE_EXPIRED', 'file'],
    ['a file without private key', enableBody({ file: CERTS.certOnly.file, password: CERTS.certOnly.password }), 422, 'NO_PRIVATE_KEY', 'file'],
    ['a file that is not PKCS#12', enableBody({ file: 'texto.pfx' }), 422, 'INVALID_CERTIFICATE', 'file'],
    ['a path instead of a listed file', enableBody({ file: '../data/state.json' }), 404, 'CERTIFICATE_NOT_FOUND', 'file'],
    ['a file that is not listed', enableBody({ file: 'outro.pfx' }), 404, 'CERTIFICATE_NOT_FOUND', 'file'],
    ['an unknown field', enableBody({ admin: true }), 400, 'INVALID_INPUT', 'admin'],
    ['an array as password', enableBody({ password: ['a'] }), 400, 'INVALID_INPUT', 'password'],
    ['letters in the identificador', enableBody({ identificadorSolicitante: '31a7' }), 400, 'INVALID_INPUT', 'identificadorSolicitante'],
    ['13 digits in the identificador', enableBody({ identificadorSolicitante: '1234567890123' }), 400, 'INVALID_INPUT', 'identificadorSolicitante'],
    ['no identificador with RNDS', enableBody({ identificadorSolicitante: undefined }), 400, 'INVALID_INPUT', 'identificadorSolicitante'],
    ['an unknown service', enableBody({ services: ['SISAB'] }), 400, 'INVALID_INPUT', 'services'],
    ['an unknown environment', enableBody({ environment: 'teste' }), 400, 'INVALID_INPUT', 'environment'],
  ])('when the request has %s, then it fails with the right code and field, and nothing changes', async (_what, body, httpStatus, code, field) => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.expired.file, CERTS.certOnly.file, CERTS.aes.file] });
    // Starts as a PFX does (so the folder offers it: a PEM named .pfx is unusable), but is not one inside.
    const inner = Buffer.concat([Buffer.from('020103300b06092a864886f70d010701', 'hex'), Buffer.alloc(40, 0x78)]);
    fs.writeFileSync(path.join(h.chavesDir, 'texto.pfx'), Buffer.concat([Buffer.from([0x30, inner.length]), inner]));
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === 'texto.pfx' && e.status === 'ready'), 'texto.pfx');
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '4507' }).expect(200);
    const stateFile = path.join(h.dataDir, 'state.json');
    const before = fs.readFileSync(stateFile);

    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(body).expect(httpStatus);

    expect(res.body.error.code).toBe(code);
    expect(res.body.error.fields?.[field]).toEqual(expect.any(String));
    expect(res.body.error.message).not.toMatch(/undefined|\[object/);
    expect(fs.readFileSync(stateFile).equals(before)).toBe(true);
    expect(h.rnds.status().enabled).toMatchObject({ file: CERTS.aes.file, identificadorSolicitante: '4507' });
  });

  it('when a listed file has a bidi override in its name, then it cannot be enabled and the message says to rename it', async () => {
    h = await startHarness();
    const tricky = 'fatura\u202Egpj.pfx';
    h.drop(CERTS.aes.file, tricky);
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === tricky && e.status === 'ready'), 'tricky name');
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ file: tricky, password: CERTS.aes.password })).expect(404);
    expect(res.body.error.message).toContain('renomeie');
    expect(res.body.error.message).not.toContain('\u202E');
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when the certificate is expired, then the message gives the date as dd/mm/aaaa', async () => {
    h = await startHarness({ files: [CERTS.expired.file] });
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ file: CERTS.expired.file, password: CERTS.expired.password })).expect(422);
    expect(res.body.error.message).toMatch(/\d{2}\/\d{2}\/\d{4}/);
  });

  it('when the body is not JSON or too large, then it answers 400 INVALID_INPUT or 413 PAYLOAD_TOO_LARGE, never 500', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const broken = await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('Content-Type', 'application/json').send('{"file":').expect(400);
    expect(broken.body.error.code).toBe('INVALID_INPUT');
    const huge = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ password: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.body.error.message).toContain('16 KB');
  });

  it('when a certificate is enabled while another is, then the new one replaces it', async () => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.aes.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ file: CERTS.aes.file, password: CERTS.aes.password })).expect(200);
    expect(res.body.enabled.file).toBe(CERTS.aes.file);
  });
});

describe('rate limiting', () => {
  it('when RNDS_TRUST_PROXY is set and each wrong password comes from a new X-Forwarded-For, then the limit per file answers 429', async () => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.aes.file], trustProxy: true });
    for (let i = 0; i < 5; i++) {
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', `10.0.1.${i}`).send(enableBody({ password: `errada${i}` })).expect(422);
    }
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', '10.0.1.99').send(enableBody()).expect(429);
    expect(res.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(h.rnds.status().state).toBe('disabled');
    // Another file is not locked by the guesses at this one (from yet another address).
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', '10.0.2.1').send(enableBody({ file: CERTS.aes.file, password: CERTS.aes.password })).expect(200);
  });

  it('when one address fails 5 times, then the 6th attempt gets 429 with Retry-After, whatever X-Forwarded-For says', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    for (let i = 0; i < 5; i++) {
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', `10.0.0.${i}`).send(enableBody({ password: `errada${i}` })).expect(422);
    }
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).set('X-Forwarded-For', '10.0.0.99').send(enableBody()).expect(429);
    expect(res.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when the password is sent empty for a certificate that has one, then it is a blank field (400 INVALID_INPUT by the field), never a wrong password, and it does not count', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    for (let i = 0; i < 7; i++) {
      const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ password: '' })).expect(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_INPUT', fields: { password: 'Digite a senha do certificado.' } });
    }
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
  });

  it('when a certificate really has no password, then a blank password enables it', async () => {
    h = await startHarness({ files: ['empty-password-aes.p12'] });
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ file: 'empty-password-aes.p12', password: '' })).expect(200);
    expect(res.body.state).toBe('enabled');
  });

  it('when attempts succeed, then they do not count against the limit', async () => {
    h = await startHarness({ files: [CERTS.aes.file] });
    for (let i = 0; i < 7; i++) {
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ file: CERTS.aes.file, password: CERTS.aes.password })).expect(200);
    }
  });
});

describe('POST /api/disable and /api/connection-test', () => {
  it('when RNDS is disabled, then the state is disabled and the contra-chave is the same', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const contraChave = h.rnds.status().contraChave;
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
    const res = await request(h.app).post(`${BASE}/api/disable`).set(bearer).expect(200);
    expect(res.body).toMatchObject({ state: 'disabled', enabled: null, contraChave });
  });

  it('when nothing is enabled, then the connection test and the token answer 409 NOT_ENABLED', async () => {
    h = await startHarness();
    const test = await request(h.app).post(`${BASE}/api/connection-test`).set(bearer).expect(409);
    expect(test.body.error.code).toBe('NOT_ENABLED');
    const token = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(409);
    expect(token.body.error.code).toBe('NOT_ENABLED');
  });
});

describe('degraded', () => {
  it('when the enabled file is removed, then the state is degraded at once and back to enabled when it returns', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
    const original = path.join(h.chavesDir, CERTS.legacy.file);
    const saved = fs.readFileSync(original);
    fs.rmSync(original);
    await h.waitFor(() => h.rnds.status().state === 'degraded', 'degraded');
    const res = await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(res.body.problems).toEqual([expect.objectContaining({ code: 'CERTIFICATE_MISSING', message: expect.stringContaining(`O arquivo ${CERTS.legacy.file} foi removido da pasta chaves`) })]);
    expect(res.body.enabled.file).toBe(CERTS.legacy.file);
    await request(h.app).get(`${BASE}/health`).expect(200, { status: 'ok', rnds: 'degraded' });

    fs.writeFileSync(original, saved);
    await h.waitFor(() => h.rnds.status().state === 'enabled', 'enabled again');
  });

  it('when the enabled file is replaced by other content under the same name, then CERTIFICATE_CHANGED', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
    h.drop(CERTS.aes.file, CERTS.legacy.file);
    await h.waitFor(() => h.rnds.status().problems.some((p) => p.code === 'CERTIFICATE_CHANGED'), 'changed');
    expect(h.rnds.status().state).toBe('degraded');
  });
});

describe('the clock', () => {
  it('when the enabled certificate expires while the server runs, then the state turns degraded and the change is announced', async () => {
    let now = new Date();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      h = await startHarness({ files: [CERTS.legacy.file], now: () => now });
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
      let changes = 0;
      h.rnds.onChange(() => changes++);

      now = new Date(Date.parse(h.rnds.status().enabled!.certificate.notAfter) + 60_000);
      vi.advanceTimersByTime(61_000);

      expect(changes).toBeGreaterThan(0);
      expect(h.rnds.status().state).toBe('degraded');
      expect(h.rnds.status().problems.map((p) => p.code)).toContain('CERTIFICATE_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the password stays secret', () => {
  it('when enabling succeeds and fails, then no file, response or log line holds the password in any encoding', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const wrong = 'Errada@çã9';
    const responses: string[] = [];
    responses.push((await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ password: wrong }))).text);
    responses.push((await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody())).text);
    responses.push((await request(h.app).get(`${BASE}/api/status`).set(bearer)).text);
    const files = readTree(h.dataDir);
    expect(files.length).toBeGreaterThanOrEqual(3); // state, key, audit trail
    for (const secret of [wrong, CERTS.legacy.password]) {
      for (const needle of encodings(secret)) {
        for (const bytes of [...files, ...responses.map((r) => Buffer.from(r)), Buffer.from(h.logs.join('\n'))]) {
          expect(bytes.includes(needle)).toBe(false);
        }
      }
    }
  });
});

describe('security headers', () => {
  it('when any page or API answers, then CSP forbids inline script and nothing is cached or fingerprinted', async () => {
    h = await startHarness();
    for (const route of ['/', '/api/status']) {
      const res = await request(h.app).get(`${BASE}${route}`).set(bearer);
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('two instances', () => {
  it('when two modules run in one host, then each keeps its own contra-chave, folder and access', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const other = await startHarness({ accessToken: 'outro-token-0123456789abcdef' });
    try {
      expect(other.rnds.status().contraChave).not.toBe(h.rnds.status().contraChave);
      expect(other.rnds.status().certificates).toEqual([]);
      await request(other.app).get(`${BASE}/api/status`).set(bearer).expect(401);
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);
      expect(other.rnds.status().state).toBe('disabled');
    } finally {
      await other.close();
    }
  });
});

describe('GET /metrics', () => {
  it('when scraped with the token, then Prometheus text shows the state, the files and the failed attempts by code', async () => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.aes.file] });
    await request(h.app).get(`${BASE}/metrics`).expect(401);
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody({ password: 'errada' })).expect(422);
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send(enableBody()).expect(200);

    const res = await request(h.app).get(`${BASE}/metrics`).set(bearer).expect(200);

    expect(res.headers['content-type']).toContain('text/plain');
    const value = (name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(res.text)?.[1]);
    expect(value('pec_rnds_enabled')).toBe(1);
    expect(value('pec_rnds_degraded')).toBe(0);
    expect(value('pec_rnds_chaves_files{status="ready"}')).toBe(2);
    expect(value('pec_rnds_enable_failures_total{code="WRONG_PASSWORD"}')).toBe(1);
    expect(value('pec_rnds_certificate_expiry_timestamp_seconds{environment="producao"}')).toBe(Math.floor(Date.parse(h.rnds.status().enabled!.certificate.notAfter) / 1000));
  });
});
