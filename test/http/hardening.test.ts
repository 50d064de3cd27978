/**
 * Attacks from the outside review (issue 11): anonymous traffic evicting sessions, DNS rebinding, CSRF on logout,
 * login guessing, prototype keys, cached failure pages, the RNDS token for cookie sessions, and a lockout by mistakes
 * that are not wrong passwords. Every request goes over real HTTP to the module mounted in a host app.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await h?.close();
});

/** The harness's host app on a real loopback port (one server for many requests). */
async function listen(harness: Harness): Promise<string> {
  server = http.createServer({ keepAliveTimeout: 60_000 }, harness.app).listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

async function loggedIn(target: Parameters<typeof request.agent>[0]) {
  const agent = request.agent(target);
  await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
  const page = await agent.get(`${BASE}/`).expect(200);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error('no CSRF token on the page');
  return { agent, csrf };
}

const wrongPasswordForm = (csrf: string) => ({
  _csrf: csrf,
  file: CERTS.legacy.file,
  password: 'errada',
  identificadorSolicitante: '3167',
  services: 'RNDS',
});

describe('anonymous visitors (item 1)', () => {
  it('when 1 100 anonymous visitors open the login page, then the logged-in admin stays logged in', async () => {
    h = await startHarness();
    const origin = await listen(h);
    const admin = await loggedIn(origin);
    // One connection, many anonymous visitors: each request without a cookie is a new visitor.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      for (let batch = 0; batch < 1100 / 50; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            fetchStatus(`${origin}${BASE}/entrar`, agent).then((status) => expect(status).toBe(200)),
          ),
        );
      }
    } finally {
      agent.destroy();
    }
    await admin.agent.get(`${BASE}/api/status`).expect(200);
    await admin.agent.post(`${BASE}/api/disable`).set('X-CSRF-Token', admin.csrf).expect(200);
  });

  it('when the login form is used, then its CSRF token is bound to the visitor cookie, not stored on the server', async () => {
    h = await startHarness();
    const visitor = request.agent(h.app);
    const form = await visitor.get(`${BASE}/entrar`).expect(200);
    expect(String(form.headers['set-cookie'])).not.toContain('pec_rnds_sessao'); // no session for an anonymous visitor
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    // Another visitor's token does not open this visitor's form, and a missing one is refused.
    const other = await request.agent(h.app).get(`${BASE}/entrar`).expect(200);
    const otherCsrf = /name="_csrf" value="([^"]+)"/.exec(other.text)![1]!;
    expect(otherCsrf).not.toBe(csrf);
    await visitor.post(`${BASE}/entrar`).type('form').send({ token: TOKEN, _csrf: otherCsrf }).expect(403);
    await visitor.post(`${BASE}/entrar`).type('form').send({ token: TOKEN }).expect(403);
    await visitor.post(`${BASE}/entrar`).type('form').send({ token: TOKEN, _csrf: csrf }).expect(303);
    await visitor.get(`${BASE}/api/status`).expect(200);
  });
});

function fetchStatus(url: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('Host allow-list (item 6)', () => {
  it('when a request names a host that is not allowed (DNS rebinding), then it gets 421 and nothing else', async () => {
    h = await startHarness({ allowedHosts: ['pec.municipio.gov.br'] });
    for (const host of ['evil.example', 'evil.example:8787', 'pec.municipio.gov.br.evil.example']) {
      const res = await request(h.app).get(`${BASE}/api/status`).set(bearer).set('Host', host).expect(421);
      expect(res.body.error.code).toBe('HOST_NOT_ALLOWED');
      expect(res.body.error.message).toContain('RNDS_ALLOWED_HOSTS');
      expect(res.text).not.toContain(h.rnds.status().contraChave);
    }
    // The login page is not served either: a rebinding page could read its form.
    await request(h.app).get(`${BASE}/entrar`).set('Host', 'evil.example').expect(421);
  });

  it('when a request names a configured or a loopback host, then it is answered', async () => {
    h = await startHarness({ allowedHosts: ['PEC.municipio.gov.br'] });
    for (const host of ['pec.municipio.gov.br', 'pec.municipio.gov.br:443', 'Pec.Municipio.Gov.Br.', 'localhost:8787', '127.0.0.1', '[::1]:8787']) {
      await request(h.app).get(`${BASE}/api/status`).set(bearer).set('Host', host).expect(200);
    }
  });

  it('when RNDS_TRUST_PROXY is set, then X-Forwarded-Host neither widens the allow-list nor satisfies the Origin check', async () => {
    h = await startHarness({ allowedHosts: ['pec.municipio.gov.br'], trustProxy: true });
    await request(h.app).get(`${BASE}/api/status`).set(bearer).set('Host', 'evil.example').set('X-Forwarded-Host', 'pec.municipio.gov.br').expect(421);
    await request(h.app).get(`${BASE}/entrar`).set('Host', 'evil.example').set('X-Forwarded-Host', 'localhost').expect(421);
    const agent = request.agent(h.app);
    await agent.get(`${BASE}/entrar?token=${TOKEN}`).set('Host', 'pec.municipio.gov.br').expect(303);
    await agent
      .post(`${BASE}/api/disable`)
      .set('Host', 'pec.municipio.gov.br')
      .set('Origin', 'https://evil.example')
      .set('X-Forwarded-Host', 'evil.example')
      .expect(403);
  });

  it('when no allow-list is given (embedded default), then the host application owns the Host check', async () => {
    h = await startHarness();
    await request(h.app).get(`${BASE}/api/status`).set(bearer).set('Host', 'qualquer.example').expect(200);
  });
});

describe('logout and login (item 7)', () => {
  it('when a cross-site form posts /sair without the token, then the admin stays logged in', async () => {
    h = await startHarness();
    const { agent, csrf } = await loggedIn(h.app);
    await agent.post(`${BASE}/sair`).type('form').send({}).expect(403);
    await agent.post(`${BASE}/sair`).type('form').send({ _csrf: 'outro' }).expect(403);
    await agent.post(`${BASE}/sair`).type('form').set('Sec-Fetch-Site', 'cross-site').send({ _csrf: csrf }).expect(403);
    await agent.get(`${BASE}/api/status`).expect(200);
    await agent.post(`${BASE}/sair`).type('form').send({ _csrf: csrf }).expect(303);
    await agent.get(`${BASE}/api/status`).expect(401);
  });

  it('when wrong tokens are tried over and over, then /entrar answers 429 with Retry-After and refuses even the right one', async () => {
    h = await startHarness();
    for (let i = 0; i < 10; i++) await request(h.app).get(`${BASE}/entrar?token=errado${i}`).expect(401);
    const blocked = await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).set('Accept', 'text/html').expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.text).toContain('Muitas tentativas de entrar com token inválido: aguarde 15 minutos');
    expect(String(blocked.headers['set-cookie'])).not.toContain('pec_rnds_sessao');
    const api = await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).set('Accept', 'application/json').expect(429);
    expect(api.body.error.code).toBe('TOO_MANY_LOGINS');
  });

  it('when the login page is only opened, then that does not count as an attempt', async () => {
    h = await startHarness();
    for (let i = 0; i < 15; i++) await request(h.app).get(`${BASE}/entrar`).expect(200);
    await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
  });
});

describe('item 12', () => {
  it('when the body has an unknown key named __proto__, then the error names it', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const res = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .set('Content-Type', 'application/json')
      .send(`{"file":"${CERTS.legacy.file}","password":"x","identificadorSolicitante":"3167","__proto__":{"admin":true}}`)
      .expect(400);
    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(Object.keys(res.body.error.fields)).toEqual(['__proto__']);
    expect(res.text).toContain('"__proto__":"Campo desconhecido');
  });

  it('when the enable form fails, then neither the redirect nor the page it leads to (with what was typed) is cached', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h.app);
    for (const form of [wrongPasswordForm(csrf), { ...wrongPasswordForm(csrf), services: [] }]) {
      const res = await agent.post(`${BASE}/habilitar`).type('form').send(form).expect(303);
      expect(res.headers['cache-control']).toBe('no-store');
      const page = await agent.get(`${BASE}/`).expect(200);
      expect(page.text).toContain('value="3167"');
      expect(page.headers['cache-control']).toBe('no-store');
    }
  });

  it('when a browser session asks /api/token, then it is refused; a Bearer client still gets to the token', async () => {
    h = await startHarness();
    const { agent } = await loggedIn(h.app);
    const res = await agent.get(`${BASE}/api/token`).expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(res.body.error.message).toContain('Authorization: Bearer');
    // Bearer passes the gate and reaches the token logic (nothing enabled here).
    const viaBearer = await request(h.app).get(`${BASE}/api/token`).set(bearer).expect(409);
    expect(viaBearer.body.error.code).toBe('NOT_ENABLED');
  });
});

describe('the attempt limit counts only wrong passwords (item 13)', () => {
  it('when the admin makes 8 mistakes that are not the password on the form and the API, then the right password still enables', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h.app);
    for (let i = 0; i < 3; i++) {
      await agent.post(`${BASE}/habilitar`).type('form').send({ ...wrongPasswordForm(csrf), password: CERTS.legacy.password, services: [] }).expect(303); // no service ticked
      await agent.post(`${BASE}/habilitar`).type('form').send({ ...wrongPasswordForm(csrf), file: 'nao-existe.pfx' }).expect(303);
    }
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: 'abc' }).expect(400);
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file }).expect(400);
    for (let i = 0; i < 4; i++) await agent.post(`${BASE}/habilitar`).type('form').send(wrongPasswordForm(csrf)).expect(303);
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
    expect(h.rnds.status().state).toBe('enabled');
  });

  it('when wrong passwords are spread over the form and the API, then together they reach the limit, and the message says only they count', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h.app);
    for (let i = 0; i < 3; i++) await agent.post(`${BASE}/habilitar`).type('form').send(wrongPasswordForm(csrf)).expect(303);
    for (let i = 0; i < 2; i++) {
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: 'errada', identificadorSolicitante: '3167' }).expect(422);
    }
    const res = await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(429);
    expect(res.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(res.body.error.message).toContain('Só senhas incorretas contam para este limite.');
    expect(res.body.error.message).toMatch(/aguarde \d+ minutos?/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await agent.post(`${BASE}/habilitar`).type('form').send(wrongPasswordForm(csrf)).expect(303);
    expect((await agent.get(`${BASE}/`).expect(200)).text).toContain('Só senhas incorretas contam para este limite.');
    expect(h.rnds.status().state).toBe('disabled');
  });
});
