import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CERTS, FIXTURES, type Harness } from '../support/harness.js';
import { axeViolations, launchChromium, openScreen, screenshot, type Screen } from '../support/browser.js';
import { HANG_MS } from '../support/wait.js';
import { startRndsAuthDouble } from '../doubles/rnds-auth.js';

let chromium: { browser: Browser; close: () => Promise<void> };
let screen: Screen | undefined;
let h: Harness;
let page: Page;

beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
});
afterEach(async () => {
  expect(screen?.problems ?? []).toEqual([]);
  await screen?.close();
  screen = undefined;
});

/** The module served over plain HTTP under a LAN host name, and a browser logged in with the token link. */
async function open(files: string[] = [], options: NonNullable<Parameters<typeof openScreen>[1]>['harness'] = {}): Promise<void> {
  screen = await openScreen(chromium.browser, { harness: { files, ...options } });
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

  it('when the password is wrong, then the message appears by the password field and the field is empty', async () => {
    await open([CERTS.legacy.file]);
    await page.selectOption('#certificado', CERTS.legacy.file);
    await page.fill('#senha', 'senha-errada');
    await page.fill('#identificador', '3167');
    await page.click('#habilitar');
    const error = page.locator('#erro-password');
    await expect.poll(() => error.textContent()).toMatch(/[Ss]enha incorreta/);
    expect(await page.getAttribute('#senha', 'aria-invalid')).toBe('true');
    expect(await page.inputValue('#senha')).toBe('');
    expect(h.rnds.status().state).toBe('disabled');
  });

  it('when the right password is typed, then the enabled panel shows, and Desabilitar asks before it acts', async () => {
    await open([CERTS.legacy.file]);
    await page.selectOption('#certificado', CERTS.legacy.file);
    await page.fill('#senha', CERTS.legacy.password);
    await page.click('#mostrar-senha');
    expect(await page.getAttribute('#senha', 'type')).toBe('text');
    await page.click('#mostrar-senha');
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
    await page.fill('#identificador', '3167');
    await page.click('#habilitar');
    await page.waitForSelector('#painel-habilitado');
    fs.rmSync(path.join(h.chavesDir, CERTS.legacy.file));
    await expect.poll(() => page.textContent('#estado'), { timeout: HANG_MS }).toContain(`O arquivo ${CERTS.legacy.file} foi removido da pasta chaves`);
  });

  it('when Testar conexão is clicked against the RNDS double, then "Conexão bem-sucedida" shows on the screen', async () => {
    const double = await startRndsAuthDouble({ extraClientCaPem: fs.readFileSync(path.join(FIXTURES, 'ca/root.pem'), 'utf8') });
    try {
      await open([CERTS.legacy.file], { authUrlProducao: double.url, rndsCa: double.trustedCa.join('\n') });
      await page.selectOption('#certificado', CERTS.legacy.file);
      await page.fill('#senha', CERTS.legacy.password);
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
