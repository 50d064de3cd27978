/**
 * The screen's live regions (GET {base}/fragmentos) and the Habilitar form posted in place by app.js
 * (Accept: application/json): what the browser script receives instead of building markup itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, enableForm, loggedIn, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Fragments {
  state: string;
  stateText: string;
  fragments: Record<string, { version: string; html: string }>;
}

describe('the live regions of the screen', () => {
  it('when the screen asks for its regions, then each comes rendered by the server with the version the page shows for it', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    h.drop(CERTS.legacy.file, '<i>negrito.pfx');
    await h.waitFor(() => h!.rnds.status().certificates.length === 2, 'two files');
    const { agent } = await loggedIn(h);
    const page = (await agent.get(`${BASE}/`).expect(200)).text;
    const res = await agent.get(`${BASE}/fragmentos`).set('Accept', 'application/json').expect(200).expect('Content-Type', /json/);
    const body = res.body as Fragments;
    expect(Object.keys(body.fragments).sort()).toEqual(['avisos', 'certificados', 'contra-chave', 'estado', 'motivos', 'pasta']);
    expect(body).toMatchObject({ state: 'disabled', stateText: 'Situação atualizada: nenhum certificado habilitado.' });
    for (const [name, fragment] of Object.entries(body.fragments)) {
      expect(page, name).toContain(`data-fragment="${name}" data-version="${fragment.version}"`);
    }
    expect(body.fragments.certificados!.html).toContain(`<option value="${CERTS.legacy.file}"`);
    expect(body.fragments.certificados!.html).toContain('&lt;i&gt;negrito.pfx');
    expect(body.fragments.certificados!.html).not.toContain('<i>');
  });

  it('when the folder changes, then only the regions that show it get a new version', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent } = await loggedIn(h);
    const before = (await agent.get(`${BASE}/fragmentos`).set('Accept', 'application/json').expect(200)).body as Fragments;
    h.drop(CERTS.aes.file);
    await h.waitFor(() => h!.rnds.status().certificates.length === 2, 'two files');
    const after = (await agent.get(`${BASE}/fragmentos`).set('Accept', 'application/json').expect(200)).body as Fragments;
    const changed = Object.keys(after.fragments).filter((name) => after.fragments[name]!.version !== before.fragments[name]!.version);
    expect(changed).toEqual(['certificados']);
  });

  it('when the session has ended, then the regions are not given (the script reloads into the login page)', async () => {
    h = await startHarness();
    const { agent, csrf } = await loggedIn(h);
    await agent.post(`${BASE}/sair`).type('form').send({ _csrf: csrf }).expect(303);
    const res = await agent.get(`${BASE}/fragmentos`).set('Accept', 'application/json');
    expect(res.type).not.toMatch(/json/);
    expect(res.text).not.toContain('data-fragment');
  });
});

describe('the Habilitar form posted in place', () => {
  it('when the password is wrong, then the answer is the Error with its field and the page to take the form from, without the password', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const res = await agent.post(`${BASE}/habilitar`).set('Accept', 'application/json').type('form').send(enableForm(csrf, 'S3nha-Errada!')).expect(422);
    expect(res.body.error).toMatchObject({ code: 'WRONG_PASSWORD', fields: { password: expect.stringMatching(/[Ss]enha incorreta/) } });
    expect(res.body.html).toContain('id="form-habilitar"');
    expect(res.body.html).toMatch(/id="erro-password">[^<]*[Ss]enha incorreta/);
    expect(res.text).not.toContain('S3nha-Errada!');
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when no service is ticked, then the services field says so, in the same words app.js shows before sending', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf, page } = await loggedIn(h);
    const { services: _none, ...withoutServices } = enableForm(csrf, CERTS.legacy.password);
    const res = await agent.post(`${BASE}/habilitar`).set('Accept', 'application/json').type('form').send(withoutServices).expect(400);
    expect(res.body.error.fields).toEqual({ services: 'Escolha ao menos um serviço.' });
    expect(page.text).toContain('data-required-message="Escolha ao menos um serviço."');
  });

  it('when the certificate opens, then the answer says where to go next (no redirect for fetch to follow)', async () => {
    h = await startHarness({ files: [CERTS.legacy.file] });
    const { agent, csrf } = await loggedIn(h);
    const res = await agent.post(`${BASE}/habilitar`).set('Accept', 'application/json').type('form').send(enableForm(csrf, CERTS.legacy.password)).expect(200);
    expect(res.body).toEqual({ redirect: expect.stringMatching(new RegExp(`^${BASE}/`)) });
    expect(h.rnds.status().state).toBe('enabled');
  });
});
