import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const listed = (harness: Harness, file: string, status: string) => () =>
  harness.rnds.status().certificates.some((e) => e.file === file && e.status === status);

describe('files in chaves that cannot be enabled, over HTTP', () => {
  it('when the installer drops the .cer, then /api/certificates lists it unusable with the reason, and enabling it says the same', async () => {
    h = await startHarness();
    h.drop('not-pkcs12/certificado.cer', 'municipio.cer');
    await h.waitFor(listed(h, 'municipio.cer', 'unusable'), 'municipio.cer listed');

    const list = await request(h.app).get(`${BASE}/api/certificates`).set(bearer).expect(200);
    const enable = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: 'municipio.cer', password: 'x', identificadorSolicitante: '3167' })
      .expect(404);

    expect(list.body.certificates).toEqual([
      expect.objectContaining({ file: 'municipio.cer', status: 'unusable', reason: expect.stringMatching(/^Arquivo \.cer: é só o certificado público, sem a chave privada\./) }),
    ]);
    expect(list.body.certificates[0]).not.toHaveProperty('sha256');
    expect(enable.body.error.code).toBe('CERTIFICATE_NOT_FOUND');
    expect(enable.body.error.message).toMatch(/não pode ser habilitado\. Arquivo \.cer: é só o certificado público/);
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when a .cer was renamed to .pfx and a text file named .p12, then the screen offers neither: each is a disabled option with its reason, and enabling says the same', async () => {
    h = await startHarness();
    h.drop('not-pkcs12/certificado.cer', 'cer-renomeado.pfx');
    fs.writeFileSync(path.join(h.chavesDir, 'anotacao.p12'), 'senha do certificado: 12345\n');
    await h.waitFor(() => listed(h, 'cer-renomeado.pfx', 'unusable')() && listed(h, 'anotacao.p12', 'unusable')(), 'both unusable');
    const agent = request.agent(h.app);
    await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);

    const page = await agent.get(`${BASE}/`).expect(200);
    const enable = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: 'cer-renomeado.pfx', password: 'x', identificadorSolicitante: '3167' })
      .expect(404);

    expect(page.text).toMatch(/<option value="cer-renomeado\.pfx" disabled>cer-renomeado\.pfx — não pode ser usado<\/option>/);
    const reasons = /<ul class="file-reasons" id="arquivos-motivos">([\s\S]*?)<\/ul>/.exec(page.text)?.[1] ?? '';
    expect(reasons).toContain('Arquivo com nome .pfx, mas é só o certificado público (um .cer renomeado)');
    expect(page.text).toMatch(/<option value="anotacao\.p12" disabled>/);
    expect(reasons).toContain('Arquivo com nome .p12, mas é um texto, não um certificado');
    expect(page.text).toContain('Nenhum certificado disponível');
    expect(enable.body.error.code).toBe('CERTIFICATE_NOT_FOUND');
    expect(enable.body.error.message).toMatch(/não pode ser habilitado\. Arquivo com nome \.pfx, mas é só o certificado público/);
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when the screen is opened without JavaScript, then each file that cannot be chosen is a disabled option with its reason written next to it', async () => {
    h = await startHarness();
    h.drop('not-pkcs12/chave-e-certificado.pem', 'municipio.pem');
    h.drop('not-pkcs12/municipio.zip', 'download.zip');
    await h.waitFor(() => h.rnds.status().certificates.filter((e) => e.status === 'unusable').length === 2, 'two unusable');
    const agent = request.agent(h.app);
    await agent.get(`${BASE}/entrar?token=${TOKEN}`).expect(303);

    const page = await agent.get(`${BASE}/`).expect(200);

    expect(page.text).toMatch(/<option value="municipio\.pem" disabled>municipio\.pem — não pode ser usado<\/option>/);
    expect(page.text).toMatch(/<option value="download\.zip" disabled>/);
    const reasons = /<ul class="file-reasons" id="arquivos-motivos">([\s\S]*?)<\/ul>/.exec(page.text)?.[1] ?? '';
    expect(reasons).toContain('openssl pkcs12 -export -in municipio.pem -out municipio.pfx');
    expect(reasons).toContain('Arquivo compactado (.zip): extraia o .pfx ou .p12');
    expect(page.text).toMatch(/id="certificado"[^>]*aria-describedby="[^"]*\barquivos-motivos\b[^"]*"/);
    expect(page.text).toContain('Nenhum certificado disponível');
  });
});
