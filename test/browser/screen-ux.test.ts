/**
 * Issue 21 §2 as a person meets it on Gestão municipal › Certificados, in a real browser (Chromium) against the real
 * module at 1366×768 and 800×600, axe-core checked in every state shown: the server down while Habilitar is clicked
 * (§2.6), the file error next to its field and the reasons under the whole form row (§2.7), focus on the notice after
 * Habilitar and Desabilitar (§2.8), the installation's contra-chave form and the generated value's Copiar (§2.9),
 * the expiry said once (§2.10) and "Você saiu" after Sair (§2.11).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';
import { daysLeftText } from '../../module/present/index.js';
import { generateContraChave } from '../../module/state/index.js';
import { BASE, CERTS, bearer } from '../support/harness.js';
import { VIEWPORTS, axeViolations, useChromium, type Screen, type ScreenOptions } from '../support/browser.js';

const chromium = useChromium({ noProblems: true });

const open = (options: ScreenOptions): Promise<Screen> => chromium.open(options);

const axe = async (page: Page, what: string) => expect(await axeViolations(page), `axe: ${what}`).toEqual([]);

/** Runs `action` (a click that submits a form or follows a link) and waits for the page it leads to. */
async function navigate(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** Fills the Habilitar form as an admin does: the file, the password, RNDS ticked and the identificador. */
async function fillEnableForm(page: Page, password: string, file: string = CERTS.legacy.file): Promise<void> {
  if (file) await page.selectOption('#certificado', file);
  await page.fill('#senha', password);
  await page.check('#servico-rnds');
  await page.fill('#identificador', '3167');
}

/** Where the screen is: its own address, not the address a form posted to (nor the browser's error page). */
const address = (page: Page) => {
  const url = new URL(page.url());
  return `${url.protocol === 'http:' ? '' : url.protocol}${url.pathname}${url.search}`;
};

type Box = { top: number; bottom: number; left: number; right: number; width: number; height: number };
/** The element's box as the window shows it now. */
const box = (page: Page, selector: string): Promise<Box> =>
  page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
  });

const inViewport = async (page: Page, selector: string, viewport: { width: number; height: number }) => {
  const b = await box(page, selector);
  return b.height > 0 && b.top >= 0 && b.bottom <= viewport.height && b.left >= 0 && b.right <= viewport.width;
};

/** The id of the focused element once it is `id` (focus can move after the load event). */
const focusedOn = (page: Page, id: string) => page.waitForFunction((wanted) => document.activeElement?.id === wanted, id);

/** The page's own requests while the server was away fail by design; nothing else may go wrong. */
function forgiveServerAway(s: Screen): void {
  s.problems.splice(0, s.problems.length, ...s.problems.filter((p) => !/ERR_CONNECTION_REFUSED|api\/events|fragmentos/.test(p)));
}

for (const viewport of VIEWPORTS) {
  const size = `${viewport.width}×${viewport.height}`;

  describe(`at ${size}`, () => {
    it('§2.6/§2.8 with JavaScript: when the server is down and Habilitar is clicked, then the screen stays, says "Sem contato com o servidor" and keeps the form; when it is back, Habilitar enables and the notice has the focus', async () => {
      const s = await open({ viewport, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      await fillEnableForm(page, CERTS.legacy.password);

      // The server goes away: the listening socket and every connection closed.
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
      await page.click('#habilitar');
      await page.waitForSelector('#sem-contato', { state: 'visible' });
      expect(address(page)).toBe(`${BASE}/`); // not the browser's "This site can't be reached"
      expect(await page.textContent('#sem-contato')).toContain('Sem contato com o servidor — tente de novo em instantes');
      expect(await page.getAttribute('#sem-contato', 'role')).toBe('alert');
      expect(await inViewport(page, '#sem-contato', viewport)).toBe(true);
      // The form as filled, the button ready to be clicked again.
      expect(await page.inputValue('#certificado')).toBe(CERTS.legacy.file);
      expect(await page.inputValue('#senha')).toBe(CERTS.legacy.password);
      expect(await page.isChecked('#servico-rnds')).toBe(true);
      expect(await page.inputValue('#identificador')).toBe('3167');
      await page.waitForFunction(() => document.getElementById('habilitar')?.textContent === 'Habilitar');
      expect(await page.getAttribute('#habilitar', 'aria-disabled')).toBeNull();
      expect(await page.isVisible('#reconectando')).toBe(false); // one message, not two
      await axe(page, 'no contact with the server');

      // The server is back on the same port: the message goes once the screen hears from it, and Habilitar works.
      s.server.listen(s.port, '127.0.0.1');
      await new Promise((resolve) => s.server.once('listening', resolve));
      await page.waitForSelector('#sem-contato', { state: 'hidden' });
      await page.click('#habilitar');
      await page.waitForSelector('#painel-habilitado');
      expect(h.rnds.status()).toMatchObject({ state: 'enabled', enabled: { file: CERTS.legacy.file, identificadorSolicitante: '3167' } });
      // §2.8: the new page's notice has the focus, so a screen reader reads it.
      await focusedOn(page, 'aviso');
      expect(await page.textContent('#aviso')).toContain('Certificado aceito e habilitado');
      await axe(page, 'enabled after the server came back');
      forgiveServerAway(s);

      // §2.8: Desabilitar through its dialog: the notice has the focus again.
      await page.click('#desabilitar');
      await page.waitForSelector('#confirmar-desabilitar[open]');
      await navigate(page, () => page.click('#confirmar-desabilitar-botao'));
      await focusedOn(page, 'aviso');
      expect(h.rnds.status().state).toBe('disabled');
      await axe(page, 'disabled, the notice focused');
    });

    it('§2.6 with JavaScript: when the event stream is down, then Desabilitar keeps the admin on the screen with "Sem contato com o servidor" and disables nothing', async () => {
      const s = await open({ viewport, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      await request(h.app)
        .post(`${BASE}/api/enable`)
        .set(bearer)
        .send({ file: CERTS.legacy.file, password: CERTS.legacy.password, identificadorSolicitante: '3167', services: ['RNDS'], environment: 'producao' })
        .expect(200);
      await page.waitForSelector('#painel-habilitado');
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
      await page.waitForSelector('#reconectando', { state: 'visible' });
      await page.click('#desabilitar');
      await page.waitForSelector('#confirmar-desabilitar[open]');
      await page.click('#confirmar-desabilitar-botao');
      await page.waitForSelector('#sem-contato', { state: 'visible' });
      expect(await page.$('#confirmar-desabilitar[open]')).toBeNull();
      expect(address(page)).toBe(`${BASE}/`);
      expect(await page.isVisible('#painel-habilitado')).toBe(true);
      expect(h.rnds.status().state).toBe('enabled');
      await axe(page, 'Desabilitar without contact');
      s.server.listen(s.port, '127.0.0.1');
      await new Promise((resolve) => s.server.once('listening', resolve));
      await page.waitForSelector('#sem-contato', { state: 'hidden' });
      forgiveServerAway(s);
    });

    it('§2.7: when the folder also holds unusable files and the file is missing, then its error is right under the select, on screen, and the reasons span the form row', async () => {
      const s = await open({ viewport, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      const unusable = ['certificado.cer', 'aleatorio.pfx', 'municipio.zip', 'truncado.pfx', 'vazio.pfx', 'cadeia.p7b'];
      for (const name of unusable) h.drop(path.join('not-pkcs12', name), name);
      await h.waitFor(() => unusable.every((name) => h.rnds.status().certificates.some((e) => e.file === name && e.status !== 'ready')), 'the unusable files listed');
      await page.reload();
      expect(await page.locator('#arquivos-motivos li').count()).toBe(unusable.length);

      await fillEnableForm(page, 'qualquer', '');
      await page.click('#habilitar');
      await page.waitForSelector('#erro-file:not([hidden])');
      await focusedOn(page, 'certificado');
      expect(await inViewport(page, '#certificado', viewport)).toBe(true);
      expect(await inViewport(page, '#erro-file', viewport)).toBe(true);
      const select = await box(page, '#certificado');
      const error = await box(page, '#erro-file');
      expect(error.top - select.bottom).toBeGreaterThanOrEqual(0);
      expect(error.top - select.bottom).toBeLessThanOrEqual(8); // next to its field, nothing in between
      // The reasons: under the whole row, as wide as it, not squeezed into the Certificado column.
      const row = await box(page, '.field-row');
      const reasons = await box(page, '#arquivos-motivos');
      expect(reasons.top).toBeGreaterThanOrEqual(row.bottom);
      expect(Math.abs(reasons.left - row.left)).toBeLessThanOrEqual(1);
      expect(reasons.width).toBeGreaterThanOrEqual(row.width - 1);
      expect(s.posts).toEqual([]);
      await axe(page, 'the file error with unusable files listed');
    });

    it('§2.8 without JavaScript: when Habilitar and then Desabilitar succeed, then each time the notice has the focus', async () => {
      const s = await open({ viewport, javaScript: false, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      await fillEnableForm(page, CERTS.legacy.password);
      await navigate(page, () => page.click('#habilitar'));
      await focusedOn(page, 'aviso');
      expect(await page.textContent('#aviso')).toContain('Certificado aceito e habilitado');
      await axe(page, 'enabled, the notice focused');

      await navigate(page, () => page.click('#desabilitar'));
      await navigate(page, () => page.click('#confirmar-desabilitar-pagina'));
      await focusedOn(page, 'aviso');
      expect(h.rnds.status().state).toBe('disabled');
      await axe(page, 'disabled, the notice focused');
    });

    it('§2.9: when the contra-chave is a generated one, then its form keeps the panel\'s padding and Copiar is disabled with the reason shown; once the installation\'s is saved, Copiar works', async () => {
      const s = await open({ viewport, harness: { contraChave: undefined } });
      const { page } = s;
      const panel = await box(page, '#contra-chave-instalacao');
      const label = await box(page, '#form-contra-chave .label');
      const textStart = await page.$eval('#contra-chave-instalacao > p', (e) => e.getBoundingClientRect().left + parseFloat(getComputedStyle(e).paddingLeft));
      expect(label.left - panel.left).toBeGreaterThanOrEqual(16);
      expect(label.left).toBe(textStart); // lined up with the text above it

      expect(await page.isVisible('#copiar')).toBe(true);
      expect(await page.isDisabled('#copiar')).toBe(true);
      expect(await page.getAttribute('#copiar', 'aria-describedby')).toBe('contra-chave-origem');
      expect(await page.isVisible('#contra-chave-origem')).toBe(true);
      expect(await page.textContent('#contra-chave-origem')).toContain('não pode ser usada no e-Gestor AB, por isso Copiar está desativado');
      await axe(page, 'a generated contra-chave');

      await page.fill('#contra-chave-nova', generateContraChave());
      await navigate(page, () => page.click('#salvar-contra-chave'));
      await focusedOn(page, 'aviso');
      expect(await page.isEnabled('#copiar')).toBe(true);
      expect(await page.getAttribute('#copiar', 'aria-describedby')).toBeNull();
      await axe(page, "the installation's contra-chave");
    });

    it('§2.10: when 10 days are left, then the expiry date and the days left are said once, in the alert, with the renewal steps; the panel points there', async () => {
      const cert = createTestCertificate({ password: 'Senha@123', days: 10 });
      const s = await open({ viewport });
      const { page, h } = s;
      fs.writeFileSync(path.join(h.chavesDir, 'municipio.pfx'), cert.pfx);
      await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === 'municipio.pfx' && e.status === 'ready'), 'ready');
      await request(h.app)
        .post(`${BASE}/api/enable`)
        .set(bearer)
        .send({ file: 'municipio.pfx', password: 'Senha@123', identificadorSolicitante: '3167', services: ['RNDS'], environment: 'producao' })
        .expect(200);
      await page.reload();
      await page.waitForSelector('#painel-habilitado');
      const daysLeft = h.rnds.status().enabled!.certificate.daysLeft;
      expect(daysLeft).toBe(10);

      const alert = (await page.textContent('[data-problem="CERTIFICATE_EXPIRING"]')) ?? '';
      const date = /vence em (\d\d\/\d\d\/\d{4})/.exec(alert)?.[1];
      expect(date).toBeDefined();
      const text = await page.evaluate(() => document.body.innerText);
      const count = (needle: string) => text.split(needle).length - 1;
      expect(count(date!)).toBe(1);
      expect(count(daysLeftText(daysLeft))).toBe(1);
      expect(text.match(/vence/gi), text).toHaveLength(1); // the file is named without the word
      // The alert says it with what to do: the steps and the guide.
      expect(alert).toContain(daysLeftText(daysLeft));
      expect(await page.locator('[data-problem="CERTIFICATE_EXPIRING"] ol li').count()).toBeGreaterThanOrEqual(3);
      expect(await page.getAttribute('[data-problem="CERTIFICATE_EXPIRING"] #guia-renovacao', 'href')).toBe(`${BASE}/guia`);
      expect(await page.locator('.renewal-reminder').count()).toBe(1);
      // The panel's "Válido até" leads to the alert.
      await page.click('#painel-habilitado a[href="#lembrete-renovacao"]');
      expect(await inViewport(page, '#lembrete-renovacao-titulo', viewport)).toBe(true);
      await axe(page, 'the expiry said once');
    });

    it('§2.11: when the admin clicks Sair, then the login page says "Você saiu" once', async () => {
      const s = await open({ viewport });
      const { page } = s;
      await Promise.all([page.waitForURL(/\/entrar$/), page.click('#sair')]);
      await page.waitForSelector('#saiu');
      expect(await page.textContent('#saiu')).toContain('Você saiu.');
      expect(await page.getAttribute('#saiu', 'role')).toBe('status');
      expect(await page.isVisible('#form-entrar')).toBe(true);
      await axe(page, 'the login page after Sair');
      await page.reload();
      expect(await page.isVisible('#form-entrar')).toBe(true);
      expect(await page.$('#saiu')).toBeNull();
    });
  });
}
