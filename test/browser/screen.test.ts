import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestCertificate } from '../../scripts/lib/test-certificate.js';
import { BASE, CERTS, FIXTURES, bearer, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen, type ScreenOptions, type Viewport } from '../support/browser.js';
import { HANG_MS } from '../support/wait.js';
import { startRndsAuthDouble } from '../doubles/rnds-auth.js';

const chromium = useChromium({ noProblems: true });
/** The current test's screen (closed after it, its problems checked, by useChromium). */
let screen: Screen | undefined;
let h: Harness;
let page: Page;

/** The module served over plain HTTP under a LAN host name, and a browser logged in with the token link. */
async function open(files: string[] = [], options: HarnessOptions = {}): Promise<void> {
  screen = await chromium.open({ harness: { files, ...options } });
  ({ h, page } = screen);
}

describe('the screen in a real browser', () => {
  it('when the admin clicks Copiar over plain HTTP on a LAN address, then the contra-chave is copied and it says Copiado', async () => {
    await open();
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await page.evaluate(() => typeof navigator.clipboard)).toBe('undefined');
    await page.evaluate(() => {
      document.addEventListener('copy', () => {
        (window as unknown as { copied: string }).copied = String(document.getSelection());
      });
    });
    await page.click('#copiar');
    const copied = await page.evaluate(() => (window as unknown as { copied?: string }).copied);
    expect(copied).toBe(h.rnds.status().contraChave);
    await expect.poll(() => page.textContent('body')).toContain('Copiado');
  });

  it('when an installer drops a file, then it appears in the select without a reload', async () => {
    await open();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    h.drop(CERTS.legacy.file, 'municipio.pfx');
    await page.waitForSelector('#certificado option[value="municipio.pfx"]:not([disabled])', { state: 'attached', timeout: HANG_MS });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('when files with a line separator and NFC/NFD twin names arrive live, then the script shows them escaped and the twins disabled', async () => {
    await open();
    const nfc = 'A\u00e7\u00e3o.pfx';
    const nfd = 'Ac\u0327a\u0303o.pfx';
    h.drop(CERTS.legacy.file, 'linha\u2028nova.pfx');
    h.drop(CERTS.legacy.file, nfc);
    h.drop(CERTS.aes.file, nfd);
    await page.waitForFunction(() => document.querySelectorAll('#certificado option').length === 4, undefined, { timeout: HANG_MS });

    const options = await page.$$eval('#certificado option', (els) => els.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '', disabled: (o as HTMLOptionElement).disabled })));
    const byValue = new Map(options.map((o) => [o.value, o]));
    expect(byValue.get('linha\u2028nova.pfx')).toMatchObject({ label: 'linha\\u{2028}nova.pfx', disabled: false });
    for (const twin of [nfc, nfd]) {
      expect(byValue.get(twin)?.disabled).toBe(true);
      expect(byValue.get(twin)?.label).toContain('outro arquivo tem o mesmo nome aparente');
    }
  });

  it('when the right password is typed, then the enabled panel shows, and Desabilitar asks before it acts', async () => {
    await open([CERTS.legacy.file]);
    await page.selectOption('#certificado', CERTS.legacy.file);
    await page.fill('#senha', CERTS.legacy.password);
    await page.click('#mostrar-senha');
    expect(await page.getAttribute('#senha', 'type')).toBe('text');
    await page.click('#mostrar-senha');
    await page.check('#servico-rnds');
    await page.fill('#identificador', '3167');
    await page.click('#habilitar');
    await page.waitForSelector('#painel-habilitado');
    const panel = await page.textContent('#painel-habilitado');
    expect(panel).toContain('12.345.678/0001-90');
    expect(panel).toContain('3167');
    expect(h.rnds.status().state).toBe('enabled');

    await page.click('#desabilitar');
    const dialog = page.locator('#confirmar-desabilitar');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(h.rnds.status().state).toBe('enabled'); // nothing happens before the confirmation
    await page.click('#confirmar-desabilitar-botao');
    await page.waitForSelector('#painel-habilitado', { state: 'detached' });
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when the enabled file is removed from the folder, then a danger alert says so without a reload', async () => {
    await open([CERTS.legacy.file]);
    await page.selectOption('#certificado', CERTS.legacy.file);
    await page.fill('#senha', CERTS.legacy.password);
    await page.check('#servico-rnds');
    await page.fill('#identificador', '3167');
    await page.click('#habilitar');
    await page.waitForSelector('#painel-habilitado');
    fs.rmSync(path.join(h.chavesDir, CERTS.legacy.file));
    await expect.poll(() => page.textContent('#avisos'), { timeout: HANG_MS }).toContain(`O arquivo ${CERTS.legacy.file} foi removido da pasta chaves`);
  });

  it('when Testar conexão is clicked against the RNDS double, then "Conexão bem-sucedida" shows on the screen', async () => {
    const double = await startRndsAuthDouble({ extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    try {
      await open([CERTS.legacy.file], { authUrlProducao: double.url, rndsCa: double.trustedCa.join('\n') });
      await page.selectOption('#certificado', CERTS.legacy.file);
      await page.fill('#senha', CERTS.legacy.password);
      await page.check('#servico-rnds');
      await page.fill('#identificador', '3167');
      await page.click('#habilitar');
      await page.waitForSelector('#testar-conexao');
      await page.click('#testar-conexao');
      await expect.poll(() => page.textContent('#estado'), { timeout: HANG_MS }).toContain('Conexão bem-sucedida');
      expect(double.requests).toHaveLength(1);
      // The README's picture of the enabled screen: `npm run screenshots` regenerates it.
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'tela-habilitado.png');
      // The credenciamento guide then shows every step done, the connection test included.
      await page.goto(screen!.url('/guia'));
      const steps = await page.$$eval('[data-step]', (all) => Object.fromEntries(all.map((s) => [(s as HTMLElement).dataset.step, (s as HTMLElement).dataset.state])));
      expect(steps).toMatchObject({ 'contra-chave': 'feito', certificado: 'feito', habilitar: 'feito', conexao: 'feito' });
      expect(await page.textContent('[data-step="conexao"]')).toContain('Último teste: Conexão bem-sucedida');
    } finally {
      await double.close();
    }
  });
});

/** Opens the screen at one window size. */
async function openAt(viewport: Viewport, files: string[] = [], harness: HarnessOptions = {}): Promise<Screen> {
  screen = await chromium.open({ viewport, harness: { files, ...harness } });
  ({ h, page } = screen);
  return screen;
}
type HarnessOptions = NonNullable<ScreenOptions['harness']>;

/** The rendered box of an element, relative to the viewport (Playwright's boundingBox: the scroll already counted). */
const box = async (selector: string) => {
  const b = await page.locator(selector).boundingBox();
  if (!b) throw new Error(`${selector} is not rendered`);
  return b;
};

/** The hue (0–360°) of a computed CSS colour "rgb(r, g, b)". */
function hueOf(css: string): number {
  const [r, g, b] = (css.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

describe('what the administrator meets (issue 12 §2), at 1366×768 and 800×600', () => {
  for (const viewport of VIEWPORTS) {
    const size = `${viewport.width}×${viewport.height}`;

    it(`§2.1 at ${size}: when the password is wrong, then the form answers in place: the error by the field, focus on it, the password kept`, async () => {
      await openAt(viewport, [CERTS.legacy.file]);
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await page.check('#servico-rnds');
      await page.selectOption('#certificado', CERTS.legacy.file);
      await page.fill('#senha', 'senha-errada');
      await page.fill('#identificador', '3167');
      await page.click('#habilitar');
      await page.waitForSelector('#erro-password:not([hidden])');
      expect(await page.textContent('#erro-password')).toMatch(/[Ss]enha incorreta/);
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // no page load
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('senha');
      expect(await page.inputValue('#senha')).toBe('senha-errada');
      expect(await page.getAttribute('#senha', 'aria-invalid')).toBe('true');
      expect((await page.getAttribute('#senha', 'aria-describedby'))?.split(' ')).toContain('erro-password');
      // What was chosen and typed stays: the file, the services, the identificador.
      expect(await page.inputValue('#certificado')).toBe(CERTS.legacy.file);
      expect(await page.isChecked('#servico-rnds')).toBe(true);
      expect(await page.inputValue('#identificador')).toBe('3167');
      // The message is on screen, not below the fold.
      const error = await box('#erro-password');
      expect(error.y).toBeGreaterThanOrEqual(0);
      expect(error.y + error.height).toBeLessThanOrEqual(viewport.height);
      expect(await axeViolations(page)).toEqual([]);
      if (viewport.width === 800) await screenshot(page, 'preview/erro-no-lugar-800.png');
      expect(h.rnds.status().state).toBe('disabled');
      expect(screen!.posts).toEqual(['/habilitar']);
    });

    it(`§2.5 at ${size}: when Habilitar is clicked with required fields empty, then our own messages show by each field, focus on the first, nothing is sent`, async () => {
      await openAt(viewport, [CERTS.legacy.file]);
      expect(await page.evaluate(() => (document.getElementById('form-habilitar') as HTMLFormElement).noValidate)).toBe(true);
      await page.click('#habilitar');
      await page.waitForSelector('#erro-services:not([hidden])');
      expect(await page.textContent('#erro-services')).toBe('Escolha ao menos um serviço.');
      expect(await page.textContent('#erro-file')).toBe('Escolha o certificado.');
      expect(await page.textContent('#erro-password')).toBe('Digite a senha do certificado.');
      expect(await page.isVisible('#identificador')).toBe(false); // RNDS unticked: no identificador to ask for
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('servico-rnds');
      for (const [field, error] of [['#certificado', 'erro-file'], ['#senha', 'erro-password'], ['#servico-rnds', 'erro-services']] as const) {
        expect(await page.getAttribute(field, 'aria-invalid'), field).toBe('true');
        const describedBy = (await page.getAttribute(field, 'aria-describedby')) ?? (await page.getAttribute('#servicos', 'aria-describedby'));
        expect(describedBy?.split(' '), field).toContain(error);
      }
      // Same look as the server's errors: the same element, class and colour.
      const look = (selector: string) => page.$eval(selector, (e) => [e.className, getComputedStyle(e).color].join(' '));
      expect(await look('#erro-file')).toBe('field__error rgb(208, 30, 41)');
      expect(await axeViolations(page)).toEqual([]);
      if (viewport.width === 1366) await screenshot(page, 'preview/campos-obrigatorios.png');
      expect(screen!.posts).toEqual([]);

      // RNDS ticked: the identificador shows and is asked for too; filling a field takes its message away.
      await page.check('#servico-rnds');
      await page.selectOption('#certificado', CERTS.legacy.file);
      await page.click('#habilitar');
      await page.waitForSelector('#erro-identificadorSolicitante:not([hidden])');
      expect(await page.textContent('#erro-identificadorSolicitante')).toContain('Informe o identificador solicitante');
      expect(await page.isHidden('#erro-services')).toBe(true);
      expect(await page.isHidden('#erro-file')).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('senha');
      expect(screen!.posts).toEqual([]);
    });

    it(`§2.7 at ${size}: when a warning and an error show together, then the warning is orange with a triangle and the error red with a circle`, async () => {
      const cert = createTestCertificate({ password: 'Senha@123', days: 12 });
      await openAt(viewport);
      fs.writeFileSync(path.join(h.chavesDir, 'vence-logo.pfx'), cert.pfx);
      await h.waitFor(() => h.rnds.status().certificates.some((e) => e.file === 'vence-logo.pfx' && e.status === 'ready'), 'ready');
      await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: 'vence-logo.pfx', password: 'Senha@123', services: ['CADSUS'] }).expect(200);
      fs.rmSync(path.join(h.chavesDir, 'vence-logo.pfx'));
      await page.waitForSelector('[data-problem="CERTIFICATE_MISSING"]');
      await page.waitForSelector('[data-problem="CERTIFICATE_EXPIRING"]');
      const look = (code: string) =>
        page.$eval(`[data-problem="${code}"]`, (e) => ({
          border: getComputedStyle(e).borderTopColor,
          text: getComputedStyle(e.querySelector('.alert__content')!).color,
          background: getComputedStyle(e).backgroundColor,
          icon: e.querySelector('svg')!.getAttribute('class'),
        }));
      const warning = await look('CERTIFICATE_EXPIRING');
      const error = await look('CERTIFICATE_MISSING');
      expect(warning).toMatchObject({ border: 'rgb(173, 80, 0)', text: 'rgb(173, 80, 0)', icon: 'icon icon--alert' });
      expect(error).toMatchObject({ border: 'rgb(208, 30, 41)', text: 'rgb(208, 30, 41)', icon: 'icon icon--danger' });
      // Orange against red: the border and text hues are far apart, whatever the backgrounds.
      for (const key of ['border', 'text'] as const) {
        expect(hueOf(warning[key])).toBeGreaterThan(20);
        expect(hueOf(warning[key])).toBeLessThan(45);
        expect(Math.min(hueOf(error[key]), 360 - hueOf(error[key]))).toBeLessThan(10);
      }
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preview/aviso-e-erro${viewport.width === 1366 ? '' : '-800'}.png`);
    });

    it(`§2.8 at ${size}: when the screen opens, then it looks as PEC: e-Gestor AB links, the (i) of Serviços, nothing ticked, no identificador until RNDS`, async () => {
      await openAt(viewport, [CERTS.legacy.file]);
      const links = await page.$$eval('#form-habilitar a[href^="https://egestorab.saude.gov.br"]', (all) => all.map((a) => [a.textContent?.trim(), a.getAttribute('target'), a.getAttribute('rel')]));
      expect(links).toEqual([
        ['e-Gestor AB', '_blank', 'noopener noreferrer'],
        ['e-Gestor AB', '_blank', 'noopener noreferrer'],
      ]);
      expect(await page.isChecked('#servico-rnds')).toBe(false);
      expect(await page.isChecked('#servico-cadsus')).toBe(false);
      expect(await page.isVisible('#identificador')).toBe(false);
      // The (i): its text shows on keyboard focus and is the description of the button and of the group.
      expect(await page.isVisible('#servicos-dica')).toBe(false);
      await page.focus('.info-tip');
      expect(await page.isVisible('#servicos-dica')).toBe(true);
      expect(await page.textContent('#servicos-dica')).toContain('Um só certificado serve à RNDS e ao CADSUS');
      expect(await page.getAttribute('.info-tip', 'aria-describedby')).toBe('servicos-dica');
      expect(await axeViolations(page)).toEqual([]);
      await page.check('#servico-rnds');
      expect(await page.isVisible('#identificador')).toBe(true);
      await page.uncheck('#servico-rnds');
      expect(await page.isVisible('#identificador')).toBe(false);
      // Nothing wider than the window: no sideways scrolling.
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    });
  }

  it('§2.8: when the window is 1024 to 1366 px wide, then Certificado, Senha, Identificador and Habilitar share one line and Ambiente waits in Avançado', async () => {
    await openAt(VIEWPORTS[0], [CERTS.legacy.file]);
    await page.check('#servico-rnds');
    for (const width of [1024, 1100, 1280, 1366]) {
      await page.setViewportSize({ width, height: 768 });
      const row = await Promise.all(['#certificado', '#senha', '#identificador', '#habilitar'].map(box));
      const top = row[0]!.y;
      for (const b of row) expect(Math.abs(b.y + b.height / 2 - (top + row[0]!.height / 2)), `${width}px`).toBeLessThan(row[0]!.height / 2);
      for (let i = 1; i < row.length; i++) expect(row[i]!.x, `${width}px`).toBeGreaterThan(row[i - 1]!.x + row[i - 1]!.width);
      expect(await page.isVisible('#ambiente'), `${width}px`).toBe(false);
    }
    await page.click('#avancado summary');
    expect(await page.isVisible('#ambiente')).toBe(true);
    expect((await box('#ambiente')).y).toBeGreaterThan((await box('#habilitar')).y);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('§2.8: when JavaScript is off, then nothing is ticked and the identificador still hides with RNDS unticked (CSS alone)', async () => {
    screen = await chromium.open({ javaScript: false, harness: { files: [CERTS.legacy.file] } });
    ({ h, page } = screen);
    expect(await page.isChecked('#servico-rnds')).toBe(false);
    expect(await page.isVisible('#identificador')).toBe(false);
    await page.check('#servico-rnds');
    expect(await page.isVisible('#identificador')).toBe(true);
  });
});

describe('§2.2 the server goes away and comes back', () => {
  for (const viewport of VIEWPORTS) {
    it(`at ${viewport.width}×${viewport.height}: when the service stops, then "Reconectando…" shows; when it restarts on the same port, the screen refreshes itself, still logged in, and what was typed stays`, async () => {
      const s = await openAt(viewport, [CERTS.legacy.file]);
      await page.waitForFunction(() => document.querySelector('#certificado') !== null);
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await page.check('#servico-rnds');
      await page.selectOption('#certificado', CERTS.legacy.file);
      await page.fill('#senha', 'S3nh@');
      expect(await page.isVisible('#reconectando')).toBe(false);

      // A real stop: the listening socket and every open connection (the event stream among them) closed.
      s.server.closeAllConnections();
      await new Promise((resolve) => s.server.close(resolve));
      await page.waitForSelector('#reconectando', { state: 'visible' });
      expect(await page.textContent('#reconectando')).toContain('Reconectando…');
      expect(await page.$eval('#reconectando', (e) => e.parentElement?.getAttribute('aria-live'))).toBe('polite');
      expect(await axeViolations(page)).toEqual([]);
      if (viewport.width === 1366) await screenshot(page, 'preview/reconectando.png');

      // Meanwhile an installer drops a certificate, and the service restarts: a new module instance on the same
      // folders (nothing kept in memory survives; the session lives in its signed cookie), on the same port.
      h.drop(CERTS.aes.file);
      await h.restart();
      await h.waitFor(() => h.rnds.status().certificates.length === 2, 'two files');
      s.server.listen(s.port, '127.0.0.1');
      await new Promise((resolve) => s.server.once('listening', resolve));

      await page.waitForSelector('#reconectando', { state: 'hidden' });
      await page.waitForSelector(`#certificado option[value="${CERTS.aes.file}"]:not([disabled])`, { state: 'attached' });
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // refreshed in place
      expect(new URL(page.url()).pathname).toBe(`${BASE}/`);
      expect(await page.inputValue('#senha')).toBe('S3nh@');
      expect(await page.inputValue('#certificado')).toBe(CERTS.legacy.file);
      // The page's own requests while the server was away failed by design; nothing else went wrong.
      screen!.problems.splice(0, screen!.problems.length, ...screen!.problems.filter((p) => !/ERR_CONNECTION_REFUSED|api\/events/.test(p)));
    });
  }
});
