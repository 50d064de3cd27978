import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, TOKEN, followToScreen, loggedIn, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('the screen', () => {
  it('when opened, then the server-rendered HTML already holds the contra-chave, the entries and the state', async () => {
    h = await startHarness({ files: [CERTS.legacy.file, CERTS.aes.file] });
    const { page } = await loggedIn(h);
    expect(page.text).toContain('Gestão municipal');
    expect(page.text).toContain('Certificados');
    expect(page.text).toContain(h.rnds.status().contraChave);
    expect(page.text).toContain(CERTS.legacy.file);
    expect(page.text).toContain(CERTS.aes.file);
    expect(page.text).toContain('/opt/e-SUS/webserver/chaves');
    expect(page.text).toMatch(/data-state="disabled"/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('when the admin clicks Sair, then the session ends and the screen asks for the token again', async () => {
    h = await startHarness();
    const { agent, csrf, page } = await loggedIn(h);
    expect(page.text).toContain('id="sair"');
    await agent.post(`${BASE}/sair`).type('form').send({ _csrf: csrf }).expect(303);
    await agent.get(`${BASE}/api/status`).expect(401);
    expect((await agent.get(`${BASE}/`).expect(200)).text).toContain('Token de acesso');
  });

  it('when a file name carries HTML, bidi overrides or escapes, then the screen shows it inert', async () => {
    const hostile = '<img src=x onerror=alert(1)>\u202Egpj.pfx';
    h = await startHarness();
    h.drop(CERTS.aes.file, hostile);
    await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === hostile), 'hostile file');
    const { page } = await loggedIn(h);
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // Only the option's value keeps the exact name (it is what gets submitted); nothing displayed holds the override.
    expect(page.text.replace(/value="[^"]*"/g, '')).not.toContain('\u202E');
    expect(page.text).toContain('\\u{202E}');
  });

  it('when the form is posted with a wrong password, then the screen it redirects to has the error by the field, once, and the password is not echoed', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const wrong = 'MinhaSenhaErrada#77';
    const res = await agent
      .post(`${BASE}/habilitar`)
      .type('form')
      .send({ _csrf: csrf, file: CERTS.legacy.file, password: wrong, identificadorSolicitante: '3167', services: 'RNDS', environment: 'producao' })
      .expect(303);
    const page = await followToScreen(agent, res);
    expect(page.text).toContain('role="alert"');
    expect(page.text).toMatch(/[Ss]enha incorreta/);
    expect(page.text).not.toContain(wrong);
    expect(page.text).toContain('value="3167"'); // what the admin typed stays, except the password
    // F5 repeats the GET, not the POST: the error was shown once and nothing is posted again.
    const again = await agent.get(`${BASE}/`).expect(200);
    expect(again.text).not.toMatch(/[Ss]enha incorreta/);
    expect(again.text).not.toContain('value="3167"');
  });

  it('when the form fails too often, then the screen itself says how long to wait', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const post = () =>
      agent.post(`${BASE}/habilitar`).type('form').send({ _csrf: csrf, file: CERTS.legacy.file, password: 'errada', identificadorSolicitante: '3167', services: 'RNDS' });
    for (let i = 0; i < 5; i++) await post().expect(303);
    const res = await post().expect(303);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    const page = await followToScreen(agent, res);
    expect(page.text).toContain('Muitas senhas incorretas (5 em 15 minutos): aguarde 15 minutos');
    expect(page.text).toContain('Só senhas incorretas contam para este limite.');
    expect(page.text).toContain('id="contra-chave"');
    expect(page.text).toContain('value="3167"');
  });

  it('when the form is posted right without JavaScript, then post/redirect/get shows the enabled panel and says the certificate was accepted', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const res = await agent
      .post(`${BASE}/habilitar`)
      .type('form')
      .send({ _csrf: csrf, file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167', services: ['RNDS', 'CADSUS'] })
      .expect(303);
    const page = await followToScreen(agent, res);
    expect(page.text).toContain('Certificado aceito e habilitado');
    expect(page.text).not.toContain('já pode acessar a RNDS'); // nothing was asked of RNDS yet
    expect(page.text).toMatch(/data-state="enabled"/);
    expect(page.text).toContain('12.345.678/0001-90');
    expect(page.text).toContain('Desabilitar certificado');
    // The banner shows once: the next visit (or F5) does not repeat it.
    expect((await agent.get(`${BASE}/`).expect(200)).text).not.toContain('Certificado aceito');

    const off = await agent.post(`${BASE}/desabilitar`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await followToScreen(agent, off)).text).toContain('Certificado desabilitado');
    expect(h.rnds.status().state).toBe('disabled');
    // An old bookmark with ?aviso= shows nothing: no message travels in the URL.
    expect((await agent.get(`${BASE}/?aviso=habilitado`).expect(200)).text).not.toContain('Certificado aceito');
  });
});

describe('CSRF', () => {
  it('when a cookie request carries no token, then it is refused with 403 and nothing changes', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent } = await loggedIn(h);
    const res = await agent.post(`${BASE}/api/enable`).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '1' }).expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when Origin is null and no token is sent, then it is refused (a null origin is not a pass)', async () => {
    h = await startHarness();
    const { agent } = await loggedIn(h);
    await agent.post(`${BASE}/api/disable`).set('Origin', 'null').expect(403);
  });

  it('when the token is right but the Origin is foreign or Sec-Fetch-Site is cross-site, then it is refused', async () => {
    h = await startHarness();
    const { agent, csrf } = await loggedIn(h);
    await agent.post(`${BASE}/api/disable`).set('X-CSRF-Token', csrf).set('Origin', 'http://evil.example').expect(403);
    await agent.post(`${BASE}/api/disable`).set('X-CSRF-Token', csrf).set('Sec-Fetch-Site', 'cross-site').expect(403);
  });

  it('when the token comes from another session, then it is refused', async () => {
    h = await startHarness();
    const mine = await loggedIn(h);
    const theirs = await loggedIn(h);
    await mine.agent.post(`${BASE}/api/disable`).set('X-CSRF-Token', theirs.csrf).expect(403);
  });

  it('when the token and the origin are right, then the change goes through', async () => {
    h = await startHarness();
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const agent = request.agent(origin);
      await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
      const page = await agent.get(`${BASE}/`).expect(200);
      const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
      await agent.post(`${BASE}/api/disable`).set('X-CSRF-Token', csrf).set('Origin', origin).set('Sec-Fetch-Site', 'same-origin').expect(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('when an embedding host uses Basic auth (resent by browsers cross-site), then a post without the token is still refused', async () => {
    h = await startHarness({ authorize: (req) => (req.headers.authorization === 'Basic YWRtaW46YWRtaW4=' ? 'admin' : false) });
    await request(h.app).post(`${BASE}/api/disable`).set('Authorization', 'Basic YWRtaW46YWRtaW4=').expect(403);
    await request(h.app).get(`${BASE}/api/status`).set('Authorization', 'Basic YWRtaW46YWRtaW4=').expect(200);
  });

  it('when a Bearer client posts without a CSRF token, then it is accepted (not cookie-based)', async () => {
    h = await startHarness();
    await request(h.app).post(`${BASE}/api/disable`).set('Authorization', `Bearer ${TOKEN}`).expect(200);
  });
});

describe('GET /api/events', () => {
  it('when a file is dropped, then a status event with the new entry arrives on the stream', async () => {
    h = await startHarness();
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const events: string[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: `${BASE}/api/events`, headers: { Authorization: `Bearer ${TOKEN}` } });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => req.once('response', resolve));
      expect(res.headers['content-type']).toContain('text/event-stream');
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          events.push(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
        }
      });
      await h.waitFor(() => events.some((e) => e.startsWith('event: status')), 'first event');
      h.drop(CERTS.aes.file, 'chegou.p12');
      await h.waitFor(() => events.some((e) => e.includes('"file":"chegou.p12"') && e.includes('"status":"ready"')), 'event with chegou.p12');
      const last = events.filter((e) => e.startsWith('event: status')).at(-1)!;
      const status = JSON.parse(last.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
      expect(status.certificates[0]).toMatchObject({ file: 'chegou.p12', status: 'ready' });
    } finally {
      req.destroy();
      await h.rnds.close();
      server.close();
    }
  });
});
