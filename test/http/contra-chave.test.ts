/**
 * The installation's contra-chave (issue 9 §1): every source (host option, API, screen form), normalisation, bad
 * shapes, the lock while enabled, a change at start while enabled (degraded), and the audit records.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createRndsModule, type RndsModule, type RndsModuleOptions } from '../../module/index.js';
import { AuditTrail, FILE_NAMES } from '../../module/state/index.js';
import { BASE, CERTS, FIXTURES, TOKEN, bearer, tempDir } from '../support/harness.js';

// Several restarts and enables per test: on a loaded shared machine each enable (a worker thread opening a PKCS#12)
// can take seconds. The limit only turns a hang into a failure.

const INSTALACAO = '0916-0409-8915-9622-2161-0480-1336-1227';
const OUTRA = 'AbCd-0123-4567-89Ef-cdef-0000-1111-2222';

const open: RndsModule[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function folders(): { chavesDir: string; dataDir: string } {
  const root = tempDir();
  dirs.push(root);
  const chavesDir = path.join(root, 'chaves');
  fs.mkdirSync(chavesDir);
  fs.copyFileSync(path.join(FIXTURES, CERTS.aes.file), path.join(chavesDir, CERTS.aes.file));
  return { chavesDir, dataDir: path.join(root, 'data') };
}

async function start(where: { chavesDir: string; dataDir: string }, options: Partial<RndsModuleOptions> = {}) {
  const rnds = await createRndsModule({ ...where, accessToken: TOKEN, ...options });
  open.push(rnds);
  const app = express();
  app.use(BASE, rnds.router);
  // The fixture was copied before start, so the first listing has it.
  return { rnds, app };
}

async function stop(rnds: RndsModule): Promise<void> {
  open.splice(open.indexOf(rnds), 1);
  await rnds.close();
}

async function enable(app: express.Express): Promise<void> {
  await request(app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' })
    .expect(200);
}

const stateFile = (dataDir: string) => path.join(dataDir, FILE_NAMES.state);
const audit = (dataDir: string) => new AuditTrail(dataDir).read(100);

describe('the contra-chave comes from the installation', () => {
  it('when none was given, then a test value is generated and flagged: origin "gerada" and the warning CONTRA_CHAVE_NOT_CONFIGURED', async () => {
    const { rnds } = await start(folders());

    const status = rnds.status();

    expect(status.contraChave).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){7}$/);
    expect(status.contraChaveOrigin).toBe('gerada');
    expect(status.problems).toEqual([
      expect.objectContaining({ code: 'CONTRA_CHAVE_NOT_CONFIGURED', severity: 'warning', message: expect.stringMatching(/Gestão municipal › Certificados/) }),
    ]);
    expect(status.state).toBe('disabled');
  });

  it('when a certificate is enabled with the generated value, then the warning stays but the state is enabled, not degraded', async () => {
    const { rnds, app } = await start(folders());

    await enable(app);

    expect(rnds.status().state).toBe('enabled');
    expect(rnds.status().problems.map((p) => [p.code, p.severity])).toEqual([['CONTRA_CHAVE_NOT_CONFIGURED', 'warning']]);
  });

  it('when the host passes the contraChave option typed with spaces, then it is stored and shown as 8 groups of 4 with its letter case', async () => {
    const where = folders();
    const { rnds, app } = await start(where, { contraChave: ' abCD 0123 4567 89ef cdef 0000 1111 2222 ' });

    const status = await request(app).get(`${BASE}/api/status`).set(bearer).expect(200);
    const metrics = await request(app).get(`${BASE}/metrics`).set(bearer).expect(200);

    expect(rnds.status().contraChave).toBe('abCD-0123-4567-89ef-cdef-0000-1111-2222');
    expect(status.body).toMatchObject({ contraChave: 'abCD-0123-4567-89ef-cdef-0000-1111-2222', contraChaveOrigin: 'instalacao', problems: [] });
    expect(metrics.text).toMatch(/pec_rnds_info\{[^}]*contra_chave="abCD-0123-4567-89ef-cdef-0000-1111-2222"[^}]*contra_chave_origin="instalacao"[^}]*\} 1/);
    expect(JSON.parse(fs.readFileSync(stateFile(where.dataDir), 'utf8'))).toMatchObject({ contraChave: 'abCD-0123-4567-89ef-cdef-0000-1111-2222', contraChaveOrigin: 'instalacao' });
  });

  it('when the host option has the wrong shape, then the start fails naming the field and the expected shape, and nothing is written', async () => {
    const where = folders();

    await expect(start(where, { contraChave: '0916-0409-8915' })).rejects.toThrow(/contraChave: a contra-chave deve ter o formato xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx/);
    expect(fs.existsSync(stateFile(where.dataDir))).toBe(false);
  });
});

describe('POST /api/contra-chave', () => {
  it.each([
    ['with dashes', INSTALACAO, INSTALACAO],
    ['with spaces', '0916 0409 8915 9622 2161 0480 1336 1227', INSTALACAO],
    ['without dashes', '09160409891596222161048013361227', INSTALACAO],
    ['in mixed case, pasted with an en dash and a trailing newline', 'AbCd–0123-4567-89Ef-cdef-0000-1111-2222\n', OUTRA],
  ])('when it is sent %s, then the Status shows it normalised and the change is audited with the old and new value', async (_label, typed, stored) => {
    const where = folders();
    const { rnds, app } = await start(where);
    const generated = rnds.status().contraChave;

    const res = await request(app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: typed }).expect(200);

    expect(res.body).toMatchObject({ contraChave: stored, contraChaveOrigin: 'instalacao', problems: [] });
    expect(rnds.status().contraChave).toBe(stored);
    expect(await audit(where.dataDir)).toEqual([
      expect.objectContaining({ action: 'contra-chave', actor: expect.any(String), previousContraChave: generated, contraChave: stored, source: 'api', description: 'Alterar a contra-chave da instalação' }),
    ]);
  });

  it.each([
    ['too short', { contraChave: '0916-0409-8915-9622' }],
    ['one character too many', { contraChave: `${INSTALACAO}9` }],
    ['a letter outside ASCII', { contraChave: 'ç916-0409-8915-9622-2161-0480-1336-1227' }],
    ['a symbol', { contraChave: '0916-0409-8915-9622-2161-0480-1336-12#7' }],
    ['a number instead of text', { contraChave: 916 }],
    ['an array', { contraChave: [INSTALACAO] }],
    ['no field at all', {}],
  ])('when the body has %s, then 400 INVALID_INPUT shows the expected shape and nothing changes', async (_label, body) => {
    const where = folders();
    const { rnds, app } = await start(where);
    const before = fs.readFileSync(stateFile(where.dataDir));

    const res = await request(app).post(`${BASE}/api/contra-chave`).set(bearer).send(body).expect(400);

    expect(res.body.error.code).toBe('INVALID_INPUT');
    expect(res.body.error.message).toContain('xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx');
    expect(res.body.error.fields.contraChave).toMatch(/xxxx-xxxx/);
    expect(fs.readFileSync(stateFile(where.dataDir))).toEqual(before);
    expect(rnds.status().contraChaveOrigin).toBe('gerada');
    expect(await audit(where.dataDir)).toEqual([]);
  });

  it('when the body has an unknown field, then 400 names that field and nothing changes', async () => {
    const where = folders();
    const { app } = await start(where);

    const res = await request(app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: INSTALACAO, chave: 'x' }).expect(400);

    expect(res.body.error.fields).toHaveProperty('chave');
    expect(await audit(where.dataDir)).toEqual([]);
  });

  it('when a certificate is enabled, then 409 CONTRA_CHAVE_LOCKED says to disable first, and the contra-chave and the state file stay', async () => {
    const where = folders();
    const { rnds, app } = await start(where, { contraChave: INSTALACAO });
    await enable(app);
    const before = fs.readFileSync(stateFile(where.dataDir));

    const res = await request(app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: OUTRA }).expect(409);

    expect(res.body.error.code).toBe('CONTRA_CHAVE_LOCKED');
    expect(res.body.error.message).toMatch(/desabilite o certificado primeiro/);
    expect(rnds.status()).toMatchObject({ contraChave: INSTALACAO, state: 'enabled' });
    expect(fs.readFileSync(stateFile(where.dataDir))).toEqual(before);
    expect((await audit(where.dataDir)).filter((r) => r.action === 'contra-chave')).toEqual([]);
  });

  it('when the same value is sent again, then nothing is written or audited', async () => {
    const where = folders();
    const { app } = await start(where, { contraChave: INSTALACAO });
    const before = fs.readFileSync(stateFile(where.dataDir));

    await request(app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: INSTALACAO.replaceAll('-', ' ') }).expect(200);

    expect(fs.readFileSync(stateFile(where.dataDir))).toEqual(before);
    expect(await audit(where.dataDir)).toEqual([]);
  });

  it('when a restart, an enable and a disable happen, then the contra-chave never changes', async () => {
    const where = folders();
    const first = await start(where);
    await request(first.app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: OUTRA }).expect(200);
    await enable(first.app);
    await request(first.app).post(`${BASE}/api/disable`).set(bearer).expect(200);
    await stop(first.rnds);

    const second = await start(where);

    expect(second.rnds.status()).toMatchObject({ contraChave: OUTRA, contraChaveOrigin: 'instalacao' });
  });
});

describe('a configured contra-chave that differs at start', () => {
  it('when nothing is enabled, then the configured value is adopted and audited, with no problem', async () => {
    const where = folders();
    const first = await start(where);
    const generated = first.rnds.status().contraChave;
    await stop(first.rnds);

    const { rnds } = await start(where, { contraChave: INSTALACAO, contraChaveSource: 'RNDS_CONTRA_CHAVE' });

    expect(rnds.status()).toMatchObject({ contraChave: INSTALACAO, contraChaveOrigin: 'instalacao', problems: [], state: 'disabled' });
    expect(await audit(where.dataDir)).toEqual([
      expect.objectContaining({ action: 'contra-chave', actor: 'sistema', previousContraChave: generated, contraChave: INSTALACAO, source: 'RNDS_CONTRA_CHAVE' }),
    ]);
  });

  it('when a certificate is enabled, then it is adopted, audited and the state is degraded with CONTRA_CHAVE_CHANGED until the next enable', async () => {
    const where = folders();
    const first = await start(where, { contraChave: INSTALACAO });
    await enable(first.app);
    await stop(first.rnds);

    const { rnds, app } = await start(where, { contraChave: OUTRA });
    const degraded = rnds.status();
    const health = await request(app).get(`${BASE}/health`).expect(200);
    await enable(app);

    expect(degraded.state).toBe('degraded');
    expect(degraded.contraChave).toBe(OUTRA);
    expect(degraded.enabled).not.toBeNull();
    expect(degraded.problems).toEqual([
      expect.objectContaining({ code: 'CONTRA_CHAVE_CHANGED', severity: 'critical', message: expect.stringContaining(`era ${INSTALACAO}, agora é ${OUTRA}`) }),
    ]);
    expect(health.body.rnds).toBe('degraded');
    expect((await audit(where.dataDir)).filter((r) => r.action === 'contra-chave')).toEqual([
      expect.objectContaining({ previousContraChave: INSTALACAO, contraChave: OUTRA, source: 'opcao' }),
    ]);
    expect(rnds.status()).toMatchObject({ state: 'enabled', problems: [] });
  });

  it('when the configured value goes back to the one the credential was issued for, then CONTRA_CHAVE_CHANGED clears', async () => {
    const where = folders();
    const first = await start(where, { contraChave: INSTALACAO });
    await enable(first.app);
    await stop(first.rnds);
    const second = await start(where, { contraChave: OUTRA });
    expect(second.rnds.status().state).toBe('degraded');
    await stop(second.rnds);

    const { rnds } = await start(where, { contraChave: INSTALACAO });

    expect(rnds.status()).toMatchObject({ state: 'enabled', contraChave: INSTALACAO, problems: [] });
  });

  it('when the configured value differs only in letter case, then nothing changes and nothing is audited', async () => {
    const where = folders();
    const first = await start(where, { contraChave: OUTRA });
    await enable(first.app);
    await stop(first.rnds);

    const { rnds } = await start(where, { contraChave: OUTRA.toLowerCase() });

    expect(rnds.status()).toMatchObject({ state: 'enabled', contraChave: OUTRA });
    expect((await audit(where.dataDir)).filter((r) => r.action === 'contra-chave')).toEqual([]);
  });
});

describe('the screen form "Informe a contra-chave desta instalação" (without JavaScript)', () => {
  async function loggedIn(app: express.Express) {
    const agent = request.agent(app);
    await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);
    const page = await agent.get(`${BASE}/`).expect(200);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1] ?? '';
    return { agent, csrf, page };
  }

  it('when none was given, then the screen shows the form, says where to find the value in PEC, and flags the shown value as a test value', async () => {
    const { rnds, app } = await start(folders());

    const { page } = await loggedIn(app);

    expect(page.text).toContain('Informe a contra-chave desta instalação');
    expect(page.text).toMatch(/<form method="post" action="\/gestao\/rnds\/contra-chave"/);
    expect(page.text).toContain('Gestão municipal › Certificados');
    expect(page.text).toContain(`value="${rnds.status().contraChave}"`);
    expect(page.text).toMatch(/id="contra-chave-origem" data-origin="gerada">Gerada para teste/);
    expect(page.text).toMatch(/data-problem="CONTRA_CHAVE_NOT_CONFIGURED"/);
  });

  it('when the form is posted with spaces, then post/redirect/get shows the saved value, the success notice and no form', async () => {
    const where = folders();
    const { rnds, app } = await start(where);
    const { agent, csrf } = await loggedIn(app);

    const post = await agent.post(`${BASE}/contra-chave`).type('form').send({ _csrf: csrf, contraChave: INSTALACAO.replaceAll('-', ' ') }).expect(303);
    const page = await agent.get(post.headers.location!).expect(200);

    expect(post.headers.location).toBe(`${BASE}/`); // post/redirect/get: the notice is in the session, not the URL
    expect(rnds.status().contraChave).toBe(INSTALACAO);
    expect(page.text).toContain(`value="${INSTALACAO}"`);
    expect(page.text).toContain('Contra-chave desta instalação salva');
    expect(page.text).not.toContain('id="form-contra-chave"');
    expect(page.text).not.toContain('CONTRA_CHAVE_NOT_CONFIGURED');
    expect(await audit(where.dataDir)).toEqual([expect.objectContaining({ action: 'contra-chave', source: 'tela', contraChave: INSTALACAO })]);
  });

  it('when the form is posted with a bad shape, then the screen it redirects to has the error by the field, the typed value kept, and nothing saved', async () => {
    const where = folders();
    const { rnds, app } = await start(where);
    const generated = rnds.status().contraChave;
    const { agent, csrf } = await loggedIn(app);

    const post = await agent.post(`${BASE}/contra-chave`).type('form').send({ _csrf: csrf, contraChave: '0916-0409-<b>x</b>' }).expect(303);
    expect(post.headers.location).toBe(`${BASE}/`);
    const res = await agent.get(`${BASE}/`).expect(200);

    expect(res.text).toMatch(/<div class="field__error" role="alert" id="erro-contraChave">Use o formato xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx/);
    expect(res.text).toContain('value="0916-0409-&lt;b&gt;x&lt;/b&gt;"');
    expect(res.text).toMatch(/id="contra-chave-nova"[^>]*aria-invalid="true"/);
    expect(rnds.status().contraChave).toBe(generated);
  });

  it('when the form is posted without the CSRF token, then it is refused with 403 and nothing changes', async () => {
    const { rnds, app } = await start(folders());
    const generated = rnds.status().contraChave;
    const { agent } = await loggedIn(app);

    await agent.post(`${BASE}/contra-chave`).type('form').send({ contraChave: INSTALACAO }).expect(403);

    expect(rnds.status().contraChave).toBe(generated);
  });

  it('when a certificate is enabled and the form is posted, then the screen says to disable first and nothing changes', async () => {
    const { rnds, app } = await start(folders());
    await enable(app);
    const generated = rnds.status().contraChave;
    const { agent, csrf } = await loggedIn(app);

    await agent.post(`${BASE}/contra-chave`).type('form').send({ _csrf: csrf, contraChave: INSTALACAO }).expect(303);
    const res = await agent.get(`${BASE}/`).expect(200);

    expect(res.text).toContain('Desabilite o certificado antes de trocar a contra-chave.');
    expect(rnds.status().contraChave).toBe(generated);
  });
});
