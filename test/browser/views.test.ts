/**
 * The screen in every state, in a real browser against the real module (its router, its CSP, its watcher), at
 * 1366×768 and 800×600: no console error, CSP violation, script error, native dialog or request leaving the server,
 * and axe-core finds nothing. Then the behaviours the browser script adds (Copiar, the eye, live updates, the
 * Desabilitar dialog) and what is left without JavaScript. `npm run screenshots` writes docs/preview/ from here.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';
import { BASE, CERTS, FIXTURES, bearer, tempDir, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen, type ScreenOptions } from '../support/browser.js';
import { REFERENCE_DIR, pngSize, sideBySide } from '../support/side-by-side.js';
import { HANG_MS } from '../support/wait.js';
import { startRndsAuthDouble } from '../doubles/rnds-auth.js';

const chromium = useChromium();

const open = (options: ScreenOptions = {}): Promise<Screen> => chromium.open(options);

/** Enables a file through the public API, as another admin (or a script) would. */
async function enable(h: Harness, file: string, password: string, services = ['RNDS', 'CADSUS']): Promise<void> {
  await request(h.app)
    .post(`${BASE}/api/enable`)
    .set(bearer)
    .send({ file, password, identificadorSolicitante: '3167', services, environment: 'producao' })
    .expect(200);
}

/** A DER file cut in half: what the folder holds while a copy is still running. */
function dropHalf(h: Harness, fixture: string, as: string): void {
  const bytes = fs.readFileSync(path.join(FIXTURES, fixture));
  fs.writeFileSync(path.join(h.chavesDir, as), bytes.subarray(0, bytes.length >> 1));
}

const reload = async (s: Screen): Promise<void> => {
  await s.page.goto(s.url('/'));
  await s.page.evaluate(() => document.fonts.ready);
};

/** Checks the page as it is at each window size: nothing went wrong in the browser, axe finds nothing. */
async function checkEverySize(s: Screen, name: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await s.page.setViewportSize(viewport);
    expect(await axeViolations(s.page), `axe at ${viewport.width}×${viewport.height}`).toEqual([]);
    await screenshot(s.page, `preview/${name}${viewport.width === 1366 ? '' : `-${viewport.width}`}.png`);
  }
  expect(s.problems).toEqual([]);
}

describe('the screen in every state, at 1366×768 and 800×600', () => {
  it('when nothing is enabled and the folder holds two certificates and one being copied, then the form is the screen', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file, CERTS.aes.file] } });
    dropHalf(s.h, CERTS.legacy.file, 'novo-certificado-2027.pfx');
    await s.page.waitForSelector('#certificado option[value="novo-certificado-2027.pfx"][disabled]', { state: 'attached' });
    expect(await s.page.isVisible('#habilitar')).toBe(true);
    await checkEverySize(s, 'desabilitado');
  });

  it('when nothing is enabled and the folder holds a certificate, then the screen is pictured beside PEC’s Certificados tab', async () => {
    // The state of docs/reference/pec-certificados-tab.png: nothing enabled, the form is the screen.
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await s.page.setViewportSize(VIEWPORTS[0]);
    const composed = await sideBySide(s.page, 'pec-certificados-tab.png', 'preview/lado-a-lado-certificados.png');
    // Both at their natural size, side by side: nothing was scaled to make them look alike.
    expect(composed.shown.ours.width).toBe(VIEWPORTS[0].width);
    expect(composed.shown.reference).toEqual(pngSize(fs.readFileSync(path.join(REFERENCE_DIR, 'pec-certificados-tab.png'))));
    expect(pngSize(composed.png).width).toBeGreaterThan(composed.shown.ours.width + composed.shown.reference.width);
    expect(s.problems).toEqual([]);
  });

  it('when the folder is empty, then an info box says where to copy the certificate', async () => {
    const s = await open();
    expect(await s.page.textContent('#pasta-aviso')).toContain('Nenhum certificado na pasta');
    expect(await s.page.textContent('#certificado option')).toBe('Nenhum certificado disponível');
    await checkEverySize(s, 'pasta-vazia');
  });

  it('when the folder does not exist, then a warning says who must create it', async () => {
    const root = tempDir();
    chromium.defer(() => fs.rmSync(root, { recursive: true, force: true }));
    const s = await open({ harness: { chavesDir: path.join(root, 'chaves') } });
    expect(await s.page.textContent('#pasta-aviso')).toContain('não existe');
    await checkEverySize(s, 'pasta-inexistente');
  });

  it('when the password is wrong, then the form shows the error by the field', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await s.page.selectOption('#certificado', CERTS.legacy.file);
    await s.page.fill('#senha', 'senha-errada');
    await s.page.check('#servico-rnds');
    await s.page.fill('#identificador', '3167');
    await s.page.click('#habilitar');
    await s.page.waitForSelector('#erro-password');
    await checkEverySize(s, 'erros-no-formulario');
  });

  it('when a certificate is enabled and the connection test passed, then the enabled panel shows it', async () => {
    const double = await startRndsAuthDouble({ extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    chromium.defer(() => double.close());
    const s = await open({ harness: { files: [CERTS.legacy.file], authUrlProducao: double.url, rndsCa: double.trustedCa.join('\n') } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await s.h.rnds.testConnection();
    await reload(s);
    expect(await s.page.textContent('#painel-habilitado')).toContain('Conexão bem-sucedida');
    await checkEverySize(s, 'habilitado');
  });

  it('when the enabled file leaves the folder and RNDS cannot be reached, then a danger alert and the failed test show', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file, CERTS.aes.file], authUrlProducao: 'https://127.0.0.1:9/' } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await s.h.rnds.testConnection();
    fs.rmSync(path.join(s.h.chavesDir, CERTS.legacy.file));
    await s.h.waitFor(() => s.h.rnds.status().state === 'degraded', 'degraded');
    await reload(s);
    expect(await s.page.locator('[data-problem="CERTIFICATE_MISSING"]').count()).toBe(1);
    await checkEverySize(s, 'degradado');
  });

  it('when the enabled certificate expires in 12 days, then a warning says so', async () => {
    const cert = createTestCertificate({ password: 'Senha@123', days: 12 });
    const s = await open();
    fs.writeFileSync(path.join(s.h.chavesDir, 'vence-logo.pfx'), cert.pfx);
    await s.h.waitFor(() => s.h.rnds.status().certificates.some((e) => e.file === 'vence-logo.pfx' && e.status === 'ready'), 'ready');
    await enable(s.h, 'vence-logo.pfx', 'Senha@123', ['RNDS']);
    await reload(s);
    expect(await s.page.locator('[data-problem="CERTIFICATE_EXPIRING"]').count()).toBe(1);
    await checkEverySize(s, 'vencendo');
  });

  it('when file names carry HTML, control and bidi characters, then the screen shows them as text', async () => {
    const s = await open();
    for (const name of HOSTILE) s.h.drop(CERTS.legacy.file, name);
    fs.mkdirSync(path.join(s.h.chavesDir, '"><svg onload=alert(2)>.p12'));
    await s.page.waitForFunction((n) => document.querySelectorAll('#certificado option').length === n, HOSTILE.length + 2);
    await checkEverySize(s, 'nomes-hostis');
    // A native dropdown cannot be photographed; a list box shows the same option texts.
    if (process.env.UPDATE_SCREENSHOTS) {
      await s.page.setViewportSize(VIEWPORTS[0]);
      await s.page.$eval('#certificado', (select) => ((select as HTMLSelectElement).size = 7));
      await s.page.locator('.field-row').screenshot({ path: path.join(import.meta.dirname, '../../docs/preview/nomes-hostis-opcoes.png') });
    }
  });

  it('when someone opens the screen without a session, then the login page asks for the token', async () => {
    const s = await open({ login: false });
    await s.page.goto(s.url('/entrar'));
    expect(await s.page.isVisible('input[name=token]')).toBe(true);
    await checkEverySize(s, 'entrar');
  });

  it('when the token link is wrong, then the login page says so', async () => {
    const s = await open({ login: false });
    await s.page.goto(s.url('/entrar?token=errado'));
    expect(await s.page.textContent('body')).toContain('Token de acesso inválido');
    // The 401 of the wrong token is the page's own answer, not a problem of the page.
    s.problems.splice(0, s.problems.length, ...s.problems.filter((p) => !/401/.test(p)));
    await checkEverySize(s, 'entrar-erro');
  });
});

const HOSTILE = ['<img src=x onerror=alert(1)>.pfx', 'linha\nquebrada.pfx', '\u001b[31mvermelho.p12', 'fatura\u202excod.pfx'];

describe('names from the folder in the select', () => {
  const optionsOf = async (s: Screen) =>
    s.page.$$eval('#certificado option', (all) => all.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));

  it('when file names carry HTML, then no element is created from them and the option shows the name as text', async () => {
    const s = await open();
    for (const name of HOSTILE) s.h.drop(CERTS.legacy.file, name);
    await s.page.waitForFunction((n) => document.querySelectorAll('#certificado option').length === n, HOSTILE.length + 1);
    // Both ways names reach the page: live (the event after each drop), then rendered by the server.
    for (const way of ['live', 'rendered']) {
      if (way === 'rendered') await reload(s);
      expect(await s.page.locator('img, svg, b').evaluateAll((all) => all.filter((e) => !e.closest('.icon') && !e.matches('.icon')).length), way).toBe(0);
      expect((await optionsOf(s)).map((o) => o.label), way).toContain('<img src=x onerror=alert(1)>.pfx');
    }
  });

  it('when names carry U+202E, a newline or an ANSI escape, then the options show them as \\u{…} escapes', async () => {
    const s = await open();
    for (const name of HOSTILE) s.h.drop(CERTS.legacy.file, name);
    await s.page.waitForFunction((n) => document.querySelectorAll('#certificado option').length === n, HOSTILE.length + 1);
    const labels = (await optionsOf(s)).map((o) => o.label);
    expect(labels).toContain('fatura\\u{202E}xcod.pfx');
    expect(labels).toContain('linha\\u{000A}quebrada.pfx');
    expect(labels).toContain('\\u{001B}[31mvermelho.p12');
  });

  it('when a name has a newline, then the option value is still the exact file name', async () => {
    const s = await open();
    s.h.drop(CERTS.legacy.file, 'linha\nquebrada.pfx');
    await s.page.waitForSelector('#certificado option:not([value=""])', { state: 'attached' });
    expect((await optionsOf(s)).map((o) => o.value)).toContain('linha\nquebrada.pfx');
  });
});

describe('what the browser script adds', () => {
  // Plain HTTP on a LAN name has no navigator.clipboard; the page falls back to selecting and execCommand('copy').
  const recordCopies = `
    window.copied = [];
    document.addEventListener('copy', () => window.copied.push(String(document.getSelection() || (document.activeElement && document.activeElement.value.slice(document.activeElement.selectionStart, document.activeElement.selectionEnd)))));
  `;

  it('when Copiar is clicked without navigator.clipboard, then the contra-chave is copied', async () => {
    const s = await open({ initScript: recordCopies });
    expect(await s.page.evaluate(() => typeof navigator.clipboard)).toBe('undefined');
    await s.page.click('#copiar');
    expect(await s.page.evaluate(() => (window as unknown as { copied: string[] }).copied)).toEqual([s.h.rnds.status().contraChave]);
  });

  it('when Copiar is clicked, then the button says "Copiado" and the live region says the contra-chave was copied', async () => {
    const s = await open();
    await s.page.click('#copiar');
    expect((await s.page.textContent('#copiar'))?.trim()).toBe('Copiado');
    expect(await s.page.textContent('#copiar-status')).toBe('Contra-chave copiada.');
  });

  it('when the eye is clicked, then the password shows and the button says "Ocultar senha"; clicked again, it hides', async () => {
    const s = await open();
    await s.page.fill('#senha', 'S3nh@');
    await s.page.click('#mostrar-senha');
    expect(await s.page.getAttribute('#senha', 'type')).toBe('text');
    expect(await s.page.getAttribute('#mostrar-senha', 'aria-label')).toBe('Ocultar senha');
    expect(await axeViolations(s.page)).toEqual([]);
    await screenshot(s.page, 'preview/senha-visivel.png');
    await s.page.click('#mostrar-senha');
    expect(await s.page.getAttribute('#senha', 'type')).toBe('password');
    expect(await s.page.getAttribute('#mostrar-senha', 'aria-label')).toBe('Mostrar senha');
  });

  it('when a file still being copied is complete, then its option becomes selectable without a reload', async () => {
    const s = await open();
    dropHalf(s.h, CERTS.legacy.file, 'copiando.pfx');
    await s.page.waitForSelector('#certificado option[value="copiando.pfx"][disabled]', { state: 'attached' });
    s.h.drop(CERTS.legacy.file, 'copiando.pfx');
    await s.page.waitForSelector('#certificado option[value="copiando.pfx"]:not([disabled])', { state: 'attached' });
  });

  it('when a certificate is enabled elsewhere, then the screen shows it live and the typed password stays', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file, CERTS.aes.file] } });
    await s.page.fill('#senha', 'S3nh@');
    await s.page.selectOption('#certificado', CERTS.aes.file);
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await s.page.waitForSelector('#painel-habilitado');
    expect(await s.page.getAttribute('#certificados', 'data-state')).toBe('enabled');
    expect(await s.page.inputValue('#senha')).toBe('S3nh@');
    expect(await s.page.inputValue('#certificado')).toBe(CERTS.aes.file);
    expect(await axeViolations(s.page)).toEqual([]);
    await screenshot(s.page, 'preview/ao-vivo-habilitado.png');
    expect(s.problems).toEqual([]);
  });

  it('when the chosen file leaves the folder, then the selection is cleared and the screen says so', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file, CERTS.aes.file] } });
    await s.page.selectOption('#certificado', CERTS.aes.file);
    fs.rmSync(path.join(s.h.chavesDir, CERTS.aes.file));
    await s.page.waitForSelector(`#certificado option[value="${CERTS.aes.file}"]`, { state: 'detached' });
    expect(await s.page.inputValue('#certificado')).toBe('');
    await expect.poll(() => s.page.textContent('#anuncio'), { timeout: HANG_MS }).toContain('não está mais disponível');
  });

  it('when the certificate is disabled elsewhere, then the enable form opens again', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await reload(s);
    expect(await s.page.$eval('#substituir', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    await request(s.h.app).post(`${BASE}/api/disable`).set(bearer).expect(200);
    await s.page.waitForSelector('#painel-habilitado', { state: 'detached' });
    expect(await s.page.$eval('#substituir', (d) => (d as HTMLDetailsElement).open)).toBe(true);
  });

  it('when the Desabilitar dialog is cancelled, then nothing is posted and the certificate stays enabled', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await reload(s);
    await s.page.click('#desabilitar');
    await s.page.waitForSelector('#confirmar-desabilitar[open]');
    for (const viewport of VIEWPORTS) {
      await s.page.setViewportSize(viewport);
      expect(await axeViolations(s.page), `axe at ${viewport.width}`).toEqual([]);
    }
    await s.page.setViewportSize(VIEWPORTS[0]);
    await screenshot(s.page, 'preview/confirmar-desabilitar.png');
    await s.page.click('#confirmar-desabilitar button[value=cancelar]');
    await s.page.waitForSelector('#confirmar-desabilitar', { state: 'hidden' });
    expect(s.posts).toEqual([]);
    expect(s.h.rnds.status().state).toBe('enabled');
  });

  it('when Desabilitar is confirmed, then the form posts once and the certificate is disabled', async () => {
    const s = await open({ harness: { files: [CERTS.legacy.file] } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await reload(s);
    await s.page.click('#desabilitar');
    await s.page.waitForSelector('#confirmar-desabilitar[open]');
    await Promise.all([s.page.waitForURL(/aviso=desabilitado|\/$/), s.page.click('#confirmar-desabilitar-botao')]);
    await s.page.waitForSelector('#painel-habilitado', { state: 'detached' });
    expect(s.posts).toEqual(['/desabilitar']);
    expect(s.h.rnds.status().state).toBe('disabled');
  });
});

describe('without JavaScript', () => {
  it('when JavaScript is off, then Copiar and the eye are not shown (no dead control) and axe finds nothing', async () => {
    const s = await open({ javaScript: false });
    expect(await s.page.isVisible('#copiar')).toBe(false);
    expect(await s.page.isVisible('#mostrar-senha')).toBe(false);
    expect(await s.page.isVisible('#senha')).toBe(true);
    expect(await axeViolations(s.page)).toEqual([]);
  });

  it('when JavaScript is off, then Desabilitar still works through plain forms', async () => {
    const s = await open({ javaScript: false, harness: { files: [CERTS.legacy.file] } });
    await enable(s.h, CERTS.legacy.file, CERTS.legacy.password);
    await reload(s);
    await Promise.all([s.page.waitForEvent('load'), s.page.click('#desabilitar')]);
    // Either it disables at once or a confirmation page asks first (its button posts the form).
    if (s.h.rnds.status().state !== 'disabled') {
      await Promise.all([s.page.waitForEvent('load'), s.page.click('form[action$="/desabilitar"] button[type=submit]')]);
    }
    expect(s.h.rnds.status().state).toBe('disabled');
    expect(s.posts.every((p) => p.startsWith('/desabilitar'))).toBe(true);
  });
});
