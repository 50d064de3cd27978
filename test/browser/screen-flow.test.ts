/**
 * Issue 12 §2 as a person meets it, in a real browser (Chromium) against the real module at 1366×768 and 800×600,
 * axe-core checked in every state shown: the error summary without JavaScript (§2.1), the session across a service
 * restart and Sair after one (§2.2), flash messages with post/redirect/get (§2.3), the success wording and the
 * connection test right after enabling (§2.4), the Desabilitar confirmation page without JavaScript (§2.6) and the
 * favicon (§2.8). The same behaviours over plain HTTP are in test/http/screen-flow.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { BASE, CERTS, FIXTURES, encodings, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen, type ScreenOptions } from '../support/browser.js';
import { startRndsAuthDouble } from '../doubles/rnds-auth.js';

const chromium = useChromium({ noProblems: true });

const open = (options: ScreenOptions): Promise<Screen> => chromium.open(options);

const axe = async (page: Page, what: string) => expect(await axeViolations(page), `axe: ${what}`).toEqual([]);

/** Runs `action` (a click that submits a form or follows a link) and waits for the page it leads to. */
async function navigate(page: Page, action: () => Promise<unknown>): Promise<void> {
  await Promise.all([page.waitForEvent('load'), action()]);
}

/** The enable attempts the module recorded in its audit trail (<dataDir>/audit.jsonl), by outcome. */
function enableAttempts(h: Harness): { enabled: number; refused: number } {
  const file = path.join(h.dataDir, 'audit.jsonl');
  const records = fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { action: string })
    : [];
  return { enabled: records.filter((r) => r.action === 'enable').length, refused: records.filter((r) => r.action === 'enable-failed').length };
}

/** Fills the Habilitar form as an admin does: the file, the password, RNDS ticked and the identificador. */
async function fillEnableForm(page: Page, password: string, identificador = '3167'): Promise<void> {
  await page.selectOption('#certificado', CERTS.legacy.file);
  await page.fill('#senha', password);
  await page.check('#servico-rnds');
  await page.fill('#identificador', identificador);
}

/** Where the screen is: its own address, no message in the query, not the address a form posted to. */
const address = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
};

/** The element's box lies wholly inside the window as it is scrolled now. */
const inViewport = (page: Page, selector: string) =>
  page.$eval(selector, (e) => {
    const r = e.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  });

/** Every HTML document the page received (the bodies as sent), for scanning for secrets. */
function collectDocuments(page: Page): Promise<Buffer>[] {
  const bodies: Promise<Buffer>[] = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document' && response.status() < 300) bodies.push(response.body());
  });
  return bodies;
}

for (const viewport of VIEWPORTS) {
  const size = `${viewport.width}×${viewport.height}`;
  const suffix = viewport.width === 1366 ? '' : `-${viewport.width}`; // the pictures' names, as in views.test.ts

  describe(`at ${size}`, () => {
    it('§2.1/§2.3 without JavaScript: when Habilitar is refused, then an error summary at the top takes focus, its links lead to the fields, the password is never sent back, and F5 does not post again', async () => {
      const s = await open({ viewport, javaScript: false, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      const documents = collectDocuments(page);
      const wrong = 'Errada#Senha-7';

      // A wrong password.
      await fillEnableForm(page, wrong);
      await navigate(page, () => page.click('#habilitar'));
      expect(address(page)).toBe(`${BASE}/`); // post/redirect/get: not /habilitar, no message in the URL
      await page.waitForFunction(() => document.activeElement?.id === 'resumo-erros');
      expect(await page.textContent('#resumo-erros-titulo')).toBe('O certificado não foi habilitado');
      expect(await page.getAttribute('#resumo-erros', 'role')).toBe('alert');
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      expect(await inViewport(page, '#resumo-erros')).toBe(true);
      const links = await page.$$eval('#resumo-erros a', (all) => all.map((a) => [a.getAttribute('href'), a.textContent?.trim()]));
      expect(links).toEqual([['#senha', expect.stringMatching(/[Ss]enha incorreta/)]]);
      // The same message by the field, which says it is invalid; what was chosen and typed stays, the password not.
      expect(await page.textContent('#erro-password')).toBe(links[0]![1]);
      expect(await page.getAttribute('#senha', 'aria-invalid')).toBe('true');
      expect(await page.inputValue('#senha')).toBe('');
      expect(await page.inputValue('#certificado')).toBe(CERTS.legacy.file);
      expect(await page.inputValue('#identificador')).toBe('3167');
      await axe(page, 'the summary after a wrong password');
      await screenshot(page, `preview/resumo-erros${suffix}.png`);

      // Its link leads to the field: focused and on screen (at 800×600 the form is below the summary).
      await page.click('#resumo-erros a[href="#senha"]');
      await page.waitForFunction(() => document.activeElement?.id === 'senha');
      expect(await inViewport(page, '#senha')).toBe(true);
      expect(enableAttempts(h)).toEqual({ enabled: 0, refused: 1 });

      // F5: the screen again, without posting the form again and without the summary (shown once).
      await page.reload();
      expect(address(page)).toBe(`${BASE}/`);
      expect(await page.$('#resumo-erros')).toBeNull();
      expect(await page.getAttribute('#senha', 'aria-invalid')).toBeNull();
      expect(await page.isVisible('#copiar')).toBe(false); // still a page without JavaScript after axe ran on it
      expect(enableAttempts(h)).toEqual({ enabled: 0, refused: 1 });
      expect(s.posts).toEqual(['/habilitar']);
      await axe(page, 'the screen after F5');

      // The right password with an identificador that is not a number: the summary now leads to the identificador.
      await fillEnableForm(page, CERTS.legacy.password, '31a7');
      await navigate(page, () => page.click('#habilitar'));
      await page.waitForFunction(() => document.activeElement?.id === 'resumo-erros');
      const second = await page.$$eval('#resumo-erros a', (all) => all.map((a) => a.getAttribute('href')));
      expect(second).toEqual(['#identificador']);
      await page.click('#resumo-erros a[href="#identificador"]');
      await page.waitForFunction(() => document.activeElement?.id === 'identificador');
      expect(await inViewport(page, '#identificador')).toBe(true);
      expect(await page.inputValue('#identificador')).toBe('31a7');
      await axe(page, 'the summary for the identificador');
      expect(enableAttempts(h)).toEqual({ enabled: 0, refused: 2 });
      expect(h.rnds.status().state).toBe('disabled');

      // Neither password came back in any page the browser received.
      const html = await Promise.all(documents);
      expect(html.length).toBe(3); // the screen after each refusal, and after F5
      for (const body of html) {
        for (const secret of [wrong, CERTS.legacy.password]) {
          for (const encoded of encodings(secret)) expect(body.includes(encoded)).toBe(false);
        }
      }
    });

    it('§2.2: when the service restarts while the admin is typing, then Habilitar still goes through with what was typed, not to Entrar', async () => {
      const s = await open({ viewport, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      await fillEnableForm(page, CERTS.legacy.password, '4210');

      // A real restart: the listening socket and every connection closed, a new module instance on the same data
      // folder (nothing kept in memory survives), listening again on the same port.
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
      await page.waitForSelector('#reconectando', { state: 'visible' });
      await h.restart();
      s.server.listen(s.port, '127.0.0.1');
      await new Promise((resolve) => s.server.once('listening', resolve));
      await page.waitForSelector('#reconectando', { state: 'hidden' });
      expect(await page.inputValue('#senha')).toBe(CERTS.legacy.password);

      await page.click('#habilitar');
      await page.waitForSelector('#painel-habilitado');
      expect(await page.$('#form-entrar')).toBeNull();
      expect(address(page)).toBe(`${BASE}/`);
      const panel = (await page.textContent('#painel-habilitado')) ?? '';
      expect(panel).toContain('4210');
      expect(panel).toContain(CERTS.legacy.file);
      expect(h.rnds.status()).toMatchObject({ state: 'enabled', enabled: { file: CERTS.legacy.file, identificadorSolicitante: '4210', services: ['RNDS'] } });
      expect(enableAttempts(h)).toEqual({ enabled: 1, refused: 0 });
      await axe(page, 'enabled after the restart');
      // The page's own requests while the server was away failed by design; nothing else went wrong.
      s.problems.splice(0, s.problems.length, ...s.problems.filter((p) => !/ERR_CONNECTION_REFUSED|api\/events/.test(p)));
    });

    it('§2.2: when the admin clicks Sair and the service restarts, then the old cookie opens only the login page', async () => {
      const s = await open({ viewport });
      const before = await s.context.cookies();
      await Promise.all([s.page.waitForURL(/\/entrar$/), s.page.click('#sair')]);
      await s.h.restart();
      await s.context.addCookies(before); // as if the cookie had been copied before Sair
      await s.page.goto(s.url('/'));
      expect(await s.page.isVisible('#form-entrar')).toBe(true);
      expect(await s.page.$('#certificados')).toBeNull();
      await axe(s.page, 'login after Sair');
    });

    it('§2.3/§2.4 with JavaScript: when the form enables, then the screen keeps its own address, says the certificate was accepted, and RNDS\'s answer to the connection test appears when it arrives; the banner shows once', async () => {
      const double = await startRndsAuthDouble({ extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
      chromium.defer(() => double.close());
      const release = double.hold(); // RNDS has not answered yet
      const s = await open({
        viewport,
        harness: { files: [CERTS.legacy.file], authUrlProducao: double.url, rndsCa: double.trustedCa.join('\n'), connectionTestAfterEnable: true },
      });
      const { page, h } = s;
      await fillEnableForm(page, CERTS.legacy.password);
      await page.click('#habilitar');
      await page.waitForSelector('#aviso');
      expect(address(page)).toBe(`${BASE}/`);
      const notice = (await page.textContent('#aviso'))?.trim();
      expect(notice).toBe('Certificado aceito e habilitado. O teste de conexão com a RNDS começou: o resultado aparece em "Status da conexão" assim que chegar.');
      expect(await page.textContent('body')).not.toContain('já pode acessar');
      // The test started by itself: RNDS was asked once, and the screen says it is waiting for the answer.
      await h.waitFor(() => double.requests.length === 1, 'the token request');
      expect(await page.isVisible('#conexao-testando')).toBe(true);
      expect(await page.$('#estado [data-connection]')).toBeNull();
      await axe(page, 'enabled, the connection test running');
      await screenshot(page, `preview/conexao-testando${suffix}.png`);

      // RNDS answers: the result shows on this page, without a reload (the marker survives).
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      release();
      await page.waitForSelector('#estado .connection__result[data-connection="ok"]');
      expect(await page.textContent('#estado .connection__result')).toContain('Conexão bem-sucedida');
      expect(await page.$('#conexao-testando')).toBeNull();
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      expect(double.requests).toHaveLength(1);
      expect(h.rnds.status().connection).toMatchObject({ status: 'ok' });
      await axe(page, 'the connection test result');

      // Shown once: after a reload the banner is gone, the result stays.
      await page.reload();
      await page.waitForSelector('#painel-habilitado');
      expect(await page.$('#aviso')).toBeNull();
      expect(await page.isVisible('#estado .connection__result[data-connection="ok"]')).toBe(true);
      expect(enableAttempts(h)).toEqual({ enabled: 1, refused: 0 });
      expect(s.posts).toEqual(['/habilitar']);
      await axe(page, 'after the reload');
    });

    it('§2.2/§2.3/§2.6 without JavaScript: when the service restarts while the form is filled, then it still enables; the banner shows once at the screen\'s own address; Desabilitar asks on a page of its own; Cancelar keeps it, confirming disables', async () => {
      const s = await open({ viewport, javaScript: false, harness: { files: [CERTS.legacy.file] } });
      const { page, h } = s;
      await fillEnableForm(page, CERTS.legacy.password);
      // The service restarts before the admin clicks (a new module instance on the same data folder): the page's
      // cookie and CSRF token still hold, so the form goes through instead of landing on Entrar.
      await h.restart();
      await navigate(page, () => page.click('#habilitar'));
      expect(await page.$('#form-entrar')).toBeNull();
      expect(address(page)).toBe(`${BASE}/`);
      expect((await page.textContent('#aviso'))?.trim()).toBe('Certificado aceito e habilitado. Use "Testar conexão" para confirmar que a RNDS aceita este certificado.');
      expect(await page.isVisible('#painel-habilitado')).toBe(true);
      await axe(page, 'enabled, with the banner');
      await page.reload();
      expect(await page.$('#aviso')).toBeNull();
      expect(await page.isVisible('#painel-habilitado')).toBe(true);
      expect(enableAttempts(h)).toEqual({ enabled: 1, refused: 0 });

      // Desabilitar opens a confirmation page; nothing changes by opening it.
      await navigate(page, () => page.click('#desabilitar'));
      expect(address(page)).toBe(`${BASE}/desabilitar`);
      expect(await page.textContent('h2')).toBe('Desabilitar certificado?');
      expect(await page.textContent('#confirmar-texto')).toContain(CERTS.legacy.file);
      expect(h.rnds.status().state).toBe('enabled');
      await axe(page, 'the confirmation page');
      await screenshot(page, `preview/desabilitar-sem-javascript${suffix}.png`);

      // Cancelar: back to the screen, still enabled, nothing posted.
      await navigate(page, () => page.click('#cancelar'));
      expect(address(page)).toBe(`${BASE}/`);
      expect(await page.isVisible('#painel-habilitado')).toBe(true);
      expect(h.rnds.status().state).toBe('enabled');
      expect(s.posts).toEqual(['/habilitar']);

      // Confirmed: disabled, said once at the screen's own address.
      await navigate(page, () => page.click('#desabilitar'));
      await navigate(page, () => page.click('#confirmar-desabilitar-pagina'));
      expect(address(page)).toBe(`${BASE}/`);
      expect(h.rnds.status().state).toBe('disabled');
      expect(await page.$('#painel-habilitado')).toBeNull();
      expect((await page.textContent('#aviso'))?.trim()).toBe('Certificado desabilitado. O PEC não acessa mais a RNDS.');
      await axe(page, 'disabled, with the banner');
      await page.reload();
      expect(await page.$('#aviso')).toBeNull();
      expect(s.posts).toEqual(['/habilitar', '/desabilitar']);
    });

    it('§2.8: when a browser that never logged in loads the icons the pages name, then they are images (the .ico too), not the login page', async () => {
      const s = await open({ viewport, login: false });
      const { page } = s;
      await page.goto(s.url('/entrar'));
      await page.waitForSelector('#form-entrar');
      const icons = await page.$$eval('link[rel="icon"]', (links) => links.map((l) => (l as HTMLLinkElement).href));
      expect(icons.map((href) => new URL(href).pathname)).toEqual([`${BASE}/assets/favicon.svg`, `${BASE}/favicon.ico`]);
      // Decoded by the browser as images, under the page's own CSP.
      for (const href of icons) {
        const size = await page.evaluate(async (src) => {
          const image = new Image();
          image.src = src;
          await image.decode();
          return [image.naturalWidth, image.naturalHeight];
        }, href);
        expect(size[0], href).toBeGreaterThan(0);
        expect(size[1], href).toBeGreaterThan(0);
      }
      // Asked for by this browser that never logged in: an icon, not a page.
      const ico = await page.evaluate(async (src) => {
        const response = await fetch(src);
        return { status: response.status, type: response.headers.get('content-type'), head: [...new Uint8Array(await response.arrayBuffer()).subarray(0, 4)] };
      }, s.url('/favicon.ico'));
      expect(ico).toEqual({ status: 200, type: 'image/x-icon', head: [0, 0, 1, 0] }); // ICONDIR: an icon resource
      expect(await page.isVisible('#form-entrar')).toBe(true); // and the login page still asks for the token
    });
  });
}
