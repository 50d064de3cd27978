/**
 * Issue 12 §2, the server side: sessions that survive a restart (and stay revoked after Sair), flash messages with
 * post/redirect/get, the error summary without JavaScript, the success wording and the connection test started right
 * after enabling, the Desabilitar confirmation page, and the favicon. Real HTTP to the module in a host app.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, FIXTURES, TOKEN, bearer, enableForm, followToScreen, loggedIn, startHarness, type Harness } from '../support/harness.js';
import { startRndsAuthDouble, type RndsAuthDouble } from '../doubles/rnds-auth.js';
import { SESSION_COOKIE } from '../../module/http/sessions.js';

let h: Harness | undefined;
let double: RndsAuthDouble | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  await h?.close();
  h = undefined;
  await double?.close();
  double = undefined;
});

/** The session cookie (name=value) an agent holds. */
function sessionCookie(res: { headers: Record<string, unknown> }): string {
  const cookies = [res.headers['set-cookie']].flat().map(String);
  const cookie = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0]!;
}

describe('sessions that survive a restart (§2.2)', () => {
  it('when the service restarts between loading the screen and submitting it, then the submit goes through and what was typed comes back', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const keyFile = path.join(h.dataDir, 'session.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(keyFile, 'utf8');

    await h.restart();

    // The page loaded before the restart: its CSRF token and cookie still work; a refusal keeps the typed data.
    const refused = await agent.post(`${BASE}/habilitar`).type('form').send(enableForm(csrf, 'errada')).expect(303);
    const page = await followToScreen(agent, refused);
    expect(page.text).toMatch(/[Ss]enha incorreta/);
    expect(page.text).toContain('value="3167"');
    expect(page.text).toMatch(new RegExp(`<option value="${CERTS.legacy.file}"[^>]* selected`));
    expect(page.text).not.toContain('Token de acesso'); // not the login page

    await h.restart();
    const done = await agent.post(`${BASE}/habilitar`).type('form').send(enableForm(csrf)).expect(303);
    expect((await followToScreen(agent, done)).text).toContain('Certificado aceito e habilitado');
    expect(h.rnds.status().state).toBe('enabled');
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(key); // the same key across restarts
  });

  it('when the admin clicks Sair, then the old cookie is refused, and still refused after a restart', async () => {
    h = await startHarness();
    const login = await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    const cookie = sessionCookie(login);
    const page = await request(h.app).get(`${BASE}/`).set('Cookie', cookie).expect(200);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(200);

    await request(h.app).post(`${BASE}/sair`).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303);
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
    const screen = await request(h.app).get(`${BASE}/`).set('Cookie', cookie).expect(200);
    expect(screen.text).toContain('Token de acesso'); // the login page
    // The revocation list holds a hash, never the session id itself.
    const revoked = fs.readFileSync(path.join(h.dataDir, 'sessions-revoked.json'), 'utf8');
    expect(revoked).not.toContain(cookie.split('=')[1]!.split('.')[0]!);
  });

  it('when a session idles past 12 hours, then it is refused, also by a restarted service', async () => {
    let clock = Date.parse('2026-12-01T08:00:00Z');
    h = await startHarness({ now: () => new Date(clock) });
    const login = await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    const cookie = sessionCookie(login);
    clock += 11 * 60 * 60 * 1000;
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(200); // 11 h idle: still in
    const refreshed = await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(200);
    const renewed = sessionCookie(refreshed); // signed again with the time it was seen
    clock += 12 * 60 * 60 * 1000 + 60_000;
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', renewed).expect(401);
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
  });

  it('when sessions-revoked.json is damaged, then after a restart every session is refused and a pt-BR line says what to do', async () => {
    h = await startHarness();
    const kept = sessionCookie(await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303));
    const login = await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    const cookie = sessionCookie(login);
    const page = await request(h.app).get(`${BASE}/`).set('Cookie', cookie).expect(200);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)![1]!;
    await request(h.app).post(`${BASE}/sair`).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303);
    const file = path.join(h.dataDir, 'sessions-revoked.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 20));

    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', kept).expect(401);
    await request(h.app).get(`${BASE}/api/status`).set(bearer).expect(200);
    expect(h.logs.join('\n')).toMatch(/A lista de sessões encerradas em .*sessions-revoked\.json está danificada: .*Apague o arquivo e reinicie o serviço/);

    fs.rmSync(file);
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', kept).expect(200);
  });

  it('when a busy session reaches 12 hours since its login, then it is refused, also by a restarted service', async () => {
    let clock = Date.parse('2026-12-01T08:00:00Z');
    h = await startHarness({ now: () => new Date(clock) });
    let cookie = sessionCookie(await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303));
    const first = cookie;
    for (let hour = 1; hour < 12; hour++) {
      clock += 60 * 60 * 1000;
      cookie = sessionCookie(await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(200)); // never idle
    }
    clock += 60 * 60 * 1000 + 1000;
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', first).expect(401);
  });

  it('when a cookie is altered (logged-in flag, last-seen time, id) or signed with another installation key, then it is refused', async () => {
    h = await startHarness();
    const cookie = sessionCookie(await request(h.app).get(`${BASE}/entrar?token=${TOKEN}`).expect(303));
    const [name, value] = cookie.split('=') as [string, string];
    const [id, flag, seen, born, mac] = value.split('.') as [string, string, string, string, string];
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(200);
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    for (const forged of [
      `${id}.${flag === '1' ? '0' : '1'}.${seen}.${born}.${mac}`,
      `${id}.${flag}.${Number(seen) + 3600}.${born}.${mac}`,
      `${id}.${flag}.${seen}.${Number(born) + 3600}.${mac}`,
      `${flip(id)}.${flag}.${seen}.${born}.${mac}`,
      `${id}.${flag}.${seen}.${born}.${flip(mac)}`,
      `${id}`,
    ]) {
      await request(h.app).get(`${BASE}/api/status`).set('Cookie', `${name}=${forged}`).expect(401);
    }
    // Another installation's key (the file replaced): every cookie signed before is refused.
    fs.writeFileSync(path.join(h.dataDir, 'session.key'), `${Buffer.alloc(32, 7).toString('base64url')}\n`, { mode: 0o600 });
    await h.restart();
    await request(h.app).get(`${BASE}/api/status`).set('Cookie', cookie).expect(401);
  });

  it('when anonymous visitors open the login page, then nothing about them is written to the data folder', async () => {
    h = await startHarness();
    const before = fs.readdirSync(h.dataDir).sort();
    for (let i = 0; i < 20; i++) {
      const res = await request(h.app).get(`${BASE}/entrar`).expect(200);
      expect(String(res.headers['set-cookie'])).not.toContain(SESSION_COOKIE);
    }
    expect(fs.readdirSync(h.dataDir).sort()).toEqual(before);
  });
});

describe('post/redirect/get everywhere (§2.3)', () => {
  it('when a POST-only address is opened (F5 on an old page, a bookmark), then it leads to the screen instead of a 404', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent } = await loggedIn(h);
    for (const route of ['habilitar', 'renovar', 'testar-conexao', 'contra-chave', 'sair', 'desabilitar']) {
      const res = await agent.get(`${BASE}/${route}`).expect(303);
      expect(res.headers.location, route).toBe(`${BASE}/`);
    }
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when each form of the screen is posted, then the answer is a 303 to the screen with no message in the URL', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const posts: Array<[string, Record<string, unknown>]> = [
      ['habilitar', enableForm(csrf, 'errada')],
      ['habilitar', enableForm(csrf)],
      ['testar-conexao', { _csrf: csrf }],
      ['renovar', { _csrf: csrf }],
      ['desabilitar', { _csrf: csrf }],
      ['contra-chave', { _csrf: csrf, contraChave: 'curta' }],
    ];
    for (const [route, body] of posts) {
      const res = await agent.post(`${BASE}/${route}`).type('form').send(body);
      expect(res.status, route).toBe(303);
      expect(res.headers.location, route).toBe(`${BASE}/`);
    }
  });
});

describe('the error summary without JavaScript (§2.1)', () => {
  it('when Habilitar is refused with field errors, then the screen opens with a focusable summary linking each error to its field', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const res = await agent
      .post(`${BASE}/habilitar`)
      .type('form')
      .send({ _csrf: csrf, file: CERTS.legacy.file, password: 'x', identificadorSolicitante: 'abc', services: ['RNDS'] });
    const page = await followToScreen(agent, res);
    const summary = /<div class="alert alert--danger error-summary"[^>]*>[\s\S]*?<\/ul>/.exec(page.text)?.[0] ?? '';
    expect(summary).toMatch(/role="alert"/);
    expect(summary).toMatch(/tabindex="-1"/);
    expect(summary).toMatch(/autofocus/);
    expect(summary).toMatch(/<h3 [^>]*>O certificado não foi habilitado<\/h3>/);
    const links = [...summary.matchAll(/<a href="#([^"]+)" data-field="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ id: m[1], field: m[2], text: m[3] }));
    expect(links).toEqual([{ id: 'identificador', field: 'identificadorSolicitante', text: expect.stringMatching(/\S/) }]);
    // The link leads to the field itself, and the same message is also by the field.
    expect(page.text).toMatch(/<input class="input" id="identificador"[^>]*aria-invalid="true"/);
    expect(page.text).toContain(`id="erro-identificadorSolicitante">${links[0]!.text}`);
    // The summary comes before the form in the page.
    expect(page.text.indexOf('id="resumo-erros"')).toBeLessThan(page.text.indexOf('id="form-habilitar"'));
  });

  it('when Habilitar is sent without JavaScript with the password left blank, then the summary asks for it by the field, and blank sends never count as wrong passwords', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    for (let i = 0; i < 6; i++) {
      const res = await agent.post(`${BASE}/habilitar`).type('form').send(enableForm(csrf, ''));
      const page = await followToScreen(agent, res);
      expect(page.text).toMatch(/<a href="#senha" data-field="password">Digite a senha do certificado\.<\/a>/);
      expect(page.text).not.toContain('Senha incorreta');
    }
    // Six blank sends later, the right password is still let through (the limit counts wrong passwords only).
    const res = await agent.post(`${BASE}/habilitar`).type('form').send(enableForm(csrf));
    await followToScreen(agent, res);
    expect(h.rnds.status().state).toBe('enabled');
  });

  it('when Habilitar is refused for a file that left the folder, then the summary links to the select, and the password is never in the page', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const secret = 'SenhaQueNaoVolta#9';
    const res = await agent.post(`${BASE}/habilitar`).type('form').send({ ...enableForm(csrf, secret), file: 'sumiu.pfx' });
    const page = await followToScreen(agent, res);
    expect(page.text).toMatch(/id="resumo-erros"[^>]*role="alert"/);
    expect(page.text).toMatch(/<a href="#certificado" data-field="file">[^<]+<\/a>/);
    expect(page.text).toMatch(/<select class="input" id="certificado"[^>]*aria-invalid="true"/);
    expect(page.text).not.toContain(secret);
  });
});

describe('after enabling, the connection test starts by itself (§2.4)', () => {
  async function withDouble(scenario: 'success' | 'timeout') {
    double = await startRndsAuthDouble({ scenario, extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    h = await startHarness({
      files: [CERTS.legacy.file],
      authUrlProducao: double.url,
      rndsCa: double.trustedCa.join('\n'),
      connectionTestAfterEnable: true,
    });
    server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Reads `/api/events` until a status event satisfies `until`. */
  async function streamUntil(origin: string, until: (status: { connection: { status: string } | null }) => boolean) {
    const res = await fetch(`${origin}${BASE}/api/events`, { headers: bearer });
    const reader = res.body!.getReader();
    let text = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        text += new TextDecoder().decode(value);
        const frames = text.split('\n\n');
        text = frames.pop()!;
        for (const frame of frames) {
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (frame.startsWith('event: status') && data && until(JSON.parse(data.slice(6)))) return JSON.parse(data.slice(6));
        }
      }
    } finally {
      await reader.cancel();
    }
  }

  it('when the API enables and RNDS has not answered yet, then the answer does not wait for it; the result arrives on the event stream', async () => {
    const origin = await withDouble('timeout');
    const enabled = await request(origin)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' })
      .expect(200);
    expect(enabled.body).toMatchObject({ state: 'enabled', connection: null });
    // RNDS was asked (the double holds the request unanswered) while the enable answer had already come back.
    await h!.waitFor(() => double!.requests.length === 1, 'the token request');
    expect(h!.rnds.status().connection).toBeNull();
    const result = streamUntil(origin, (s) => s.connection !== null);
    await double!.close(); // RNDS drops the held request: the test ends, and its (failed) result is announced
    const { connection } = await result;
    expect(connection.status).not.toBe('ok');
    expect(h!.rnds.status().connection).toEqual(connection);
  });

  it('when the form enables and RNDS accepts the certificate, then the notice says the test is running and "Conexão bem-sucedida" arrives without a click', async () => {
    const origin = await withDouble('success');
    const { agent, csrf } = await loggedIn({ app: origin } as unknown as Harness);
    const result = streamUntil(origin, (s) => s.connection?.status === 'ok');
    const res = await agent.post(`${BASE}/habilitar`).type('form').send(enableForm(csrf)).expect(303);
    const page = await followToScreen(agent, res);
    expect(page.text).toContain('Certificado aceito e habilitado. O teste de conexão com a RNDS começou');
    expect(page.text).not.toContain('já pode acessar');
    expect((await result).connection).toMatchObject({ status: 'ok', message: 'Conexão bem-sucedida' });
    expect(double!.requests).toHaveLength(1);
    const after = await agent.get(`${BASE}/`).expect(200);
    expect(after.text).toContain('data-connection="ok"');
    expect(after.text).not.toContain('id="conexao-testando"');
  });
});

describe('Desabilitar without JavaScript (§2.6)', () => {
  it('when Desabilitar certificado is followed without JavaScript, then a confirmation page asks first; only its POST disables', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167' }).expect(200);
    const { agent, page: screen } = await loggedIn(h);
    expect(screen.text).toMatch(/<form method="get" action="\/gestao\/rnds\/desabilitar"[^>]*id="form-desabilitar"/);

    const confirm = await agent.get(`${BASE}/desabilitar`).expect(200);
    expect(h.rnds.status().state).toBe('enabled'); // opening the page changes nothing
    expect(confirm.text).toContain('Desabilitar certificado?');
    expect(confirm.text).toContain(`O PEC deixará de acessar a RNDS com o certificado <bdi class="filename">${CERTS.legacy.file}</bdi>`);
    expect(confirm.text).toMatch(/<a class="btn btn--default" href="\/gestao\/rnds\/" id="cancelar">Cancelar<\/a>/);
    expect(confirm.text).toMatch(/<form method="post" action="\/gestao\/rnds\/desabilitar"/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(confirm.text)![1]!;

    await agent.post(`${BASE}/desabilitar`).type('form').send({}).expect(403); // still CSRF-protected
    expect(h.rnds.status().state).toBe('enabled');
    const done = await agent.post(`${BASE}/desabilitar`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await followToScreen(agent, done)).text).toContain('Certificado desabilitado');
    expect(h.rnds.status().state).toBe('disabled');
    // With nothing enabled, the page is not offered: the screen says so.
    const nothing = await agent.get(`${BASE}/desabilitar`).expect(303);
    expect((await followToScreen(agent, nothing)).text).toContain('Nenhum certificado está habilitado');
  });
});

describe('favicon', () => {
  it('when a browser asks /favicon.ico without logging in, then it gets a cached icon, not the login page; the pages link the SVG', async () => {
    h = await startHarness();
    const ico = await request(h.app).get(`${BASE}/favicon.ico`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect(ico.headers['content-type']).toBe('image/x-icon');
    expect(ico.headers['cache-control']).toMatch(/max-age=[1-9]/);
    expect(ico.headers['cache-control']).not.toContain('no-store');
    const body = ico.body as Buffer;
    expect([...body.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // ICONDIR: an icon resource
    expect(body.readUInt16LE(4)).toBeGreaterThan(0);
    const svg = await request(h.app).get(`${BASE}/assets/favicon.svg`).expect(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    for (const page of [(await request(h.app).get(`${BASE}/entrar`)).text, (await loggedIn(h)).page.text]) {
      expect(page).toContain(`<link rel="icon" href="${BASE}/assets/favicon.svg" type="image/svg+xml">`);
    }
  });
});
