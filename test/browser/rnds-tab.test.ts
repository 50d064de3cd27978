import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, launchChromium, openScreen, screenshot, type Screen } from '../support/browser.js';
import { sideBySide } from '../support/side-by-side.js';

let chromium: { browser: Browser; close: () => Promise<void> };
let screen: Screen | undefined;

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

async function open(options: { viewport: (typeof VIEWPORTS)[number]; javaScript?: boolean; enabled?: boolean }): Promise<{ page: Page; h: Harness; s: Screen }> {
  const s = await openScreen(chromium.browser, { viewport: options.viewport, javaScript: options.javaScript ?? true, harness: { files: [CERTS.aes.file] } });
  screen = s;
  if (options.enabled) {
    const enable = await request(s.h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
    expect(enable.status).toBe(200);
  }
  return { page: s.page, h: s.h, s };
}

/** The element that has the focus, by id. */
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

for (const viewport of VIEWPORTS) {
  const size = `${viewport.width}×${viewport.height}`;
  const suffix = viewport.width === 1366 ? '' : `-${viewport.width}`;

  describe(`the RNDS tab at ${size}`, () => {
    it('when nothing is enabled, then the tab shows PEC\'s text, the tabs lead both ways with aria-current, and axe finds nothing', async () => {
      const { page, s } = await open({ viewport });

      await Promise.all([page.waitForURL(/\/rnds$/), page.click('#aba-rnds')]);
      expect(await page.textContent('#rnds-vazio')).toBe('Certificado não configurado. Não há registros a serem exibidos.');
      expect(await page.getAttribute('#aba-rnds', 'aria-current')).toBe('page');
      expect(await page.getAttribute('#aba-certificados', 'aria-current')).toBeNull();
      expect(await page.$('#gerar-relatorio')).toBeNull();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preview/rnds-vazio${suffix}.png`);
      if (suffix === '') {
        // The state of docs/reference/pec-rnds-tab-empty.png: nothing enabled.
        const composed = await sideBySide(page, 'pec-rnds-tab-empty.png', 'preview/lado-a-lado-rnds.png');
        expect(composed.shown.ours.width).toBe(viewport.width);
      }

      await Promise.all([page.waitForURL(s.url('/')), page.click('#aba-certificados')]);
      expect(await page.getAttribute('#aba-certificados', 'aria-current')).toBe('page');
      expect(await page.$('#certificados')).not.toBeNull();
    });

    it('when a certificate is enabled, then the accordions are collapsed and open on click, and axe finds nothing', async () => {
      const { page, s } = await open({ viewport, enabled: true });
      await page.goto(s.url('/rnds'));

      expect(await page.textContent('#rnds-status-palavras')).toContain('Nenhum envio registrado');
      expect(await page.$$eval('details.rnds-modelo', (els) => els.map((d) => (d as HTMLDetailsElement).open))).toEqual([false, false, false]);
      await page.click('#modelo-rac summary');
      expect(await page.isVisible('#modelo-rac .rnds-modelo__linhas')).toBe(true);
      expect(await page.textContent('#modelo-rac .rnds-modelo__linhas')).toContain('Total de não enviados');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preview/rnds-habilitado${suffix}.png`);
    });

    it('when the admin opens Gerar relatório de erros, then the dialog takes the focus, CSV stays disabled until a model is ticked, Marcar todos ticks all, Cancelar and Escape close it and the focus returns', async () => {
      const { page, s } = await open({ viewport, enabled: true });
      await page.goto(s.url('/rnds'));

      await page.click('#gerar-relatorio');
      await page.waitForSelector('#dialogo-relatorio[open]');
      expect(await focusedId(page)).toBe('relatorio-de');
      expect(await page.textContent('#dialogo-relatorio')).toContain('Selecione o período e os registros que deseja gerar como relatório.');
      expect(await page.isDisabled('#gerar-csv')).toBe(true);
      expect(await page.isVisible('#relatorio-modelos-dica')).toBe(true);
      expect(await page.textContent('#relatorio-modelos-dica')).toBe('Deverá ser marcado pelo menos um modelo de informação');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preview/rnds-relatorio${suffix}.png`);

      await page.check('#relatorio-rac');
      expect(await page.isDisabled('#gerar-csv')).toBe(false);
      expect(await page.isVisible('#relatorio-modelos-dica')).toBe(false);
      await page.uncheck('#relatorio-rac');
      expect(await page.isDisabled('#gerar-csv')).toBe(true);

      await page.check('#relatorio-todos');
      expect(await page.$$eval('input[name="modelos"]', (els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([true, true, true]);
      expect(await page.isDisabled('#gerar-csv')).toBe(false);

      await page.click('#relatorio-cancelar');
      await page.waitForSelector('#dialogo-relatorio:not([open])', { state: 'attached' });
      expect(await focusedId(page)).toBe('gerar-relatorio');

      await page.click('#gerar-relatorio');
      await page.waitForSelector('#dialogo-relatorio[open]');
      await page.keyboard.press('Escape');
      await page.waitForSelector('#dialogo-relatorio:not([open])', { state: 'attached' });
      expect(await focusedId(page)).toBe('gerar-relatorio');
    });

    it('when the dates change, then the counts per model are asked again; Gerar relatório CSV leads to the CSV with aaaa-mm-dd dates and modelos joined by commas', async () => {
      const { page, s } = await open({ viewport, enabled: true });
      await page.goto(s.url('/rnds'));
      await page.click('#gerar-relatorio');
      await page.waitForSelector('#dialogo-relatorio[open]');

      const counts = page.waitForResponse((r) => r.url().includes('/rnds/contagens?de=01%2F11%2F2026&ate=30%2F11%2F2026'));
      await page.fill('#relatorio-de', '01/11/2026');
      await page.fill('#relatorio-ate', '30/11/2026');
      expect((await counts).status()).toBe(200);
      expect(await page.textContent('#relatorio-rpm-contagem')).toBe('0 registro neste período');

      await page.check('#relatorio-ria');
      await page.check('#relatorio-rpm');
      await page.check('#relatorio-mascarar');
      // The CSV route belongs to the sends store: the request itself is what the dialog is responsible for.
      const csv = page.waitForRequest((r) => r.url().includes('/api/envios/relatorio-erros.csv'));
      await page.click('#gerar-csv');
      expect(new URL((await csv).url()).search).toBe('?de=2026-11-01&ate=2026-11-30&modelos=RIA,RPM&mascarar=1');
    });

    it('without JavaScript: the filter form and the report form work as plain GET forms', async () => {
      const { page, s } = await open({ viewport, enabled: true, javaScript: false });
      await page.goto(s.url('/rnds'));

      await page.selectOption('#filtro-modelo', 'RAC');
      await page.selectOption('#filtro-status', 'SEM_CONEXAO');
      await Promise.all([page.waitForURL(/modelo=RAC&status=SEM_CONEXAO/), page.click('#filtrar')]);
      expect(await page.inputValue('#filtro-modelo')).toBe('RAC');
      expect(await page.textContent('#recusas-vazio')).toContain('Nenhum registro não enviado com este filtro.');
      expect(await axeViolations(page)).toEqual([]);

      await Promise.all([page.waitForURL(/\/rnds\/relatorio\??#relatorio$/), page.click('#gerar-relatorio')]);
      expect(await page.isVisible('#form-relatorio')).toBe(true);
      // The form sits below the tab's lists: the page opens scrolled to it.
      const top = await page.evaluate(() => document.getElementById('relatorio')!.getBoundingClientRect().top / window.innerHeight);
      expect(top).toBeGreaterThanOrEqual(0);
      expect(top).toBeLessThan(0.5);
      await Promise.all([page.waitForURL(/\/rnds\/relatorio\?de=/), page.click('#gerar-csv')]);
      expect(await page.textContent('#relatorio-modelos-dica')).toBe('Deverá ser marcado pelo menos um modelo de informação');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preview/rnds-relatorio-sem-javascript${suffix}.png`);

      await page.check('#relatorio-todos');
      const csv = page.waitForRequest((r) => r.url().includes('/api/envios/relatorio-erros.csv'));
      await page.click('#gerar-csv');
      expect(new URL((await csv).url()).searchParams.get('modelos')).toBe('RIA,RAC,RPM');
    });
  });
}

describe('the RNDS tab, live', () => {
  it('when a certificate is enabled while the tab is open, then the tab follows without the admin reloading it', async () => {
    const { page, h, s } = await open({ viewport: VIEWPORTS[0] });
    // The page listens once its event stream has answered (its first event is the state it was rendered with).
    const streamOpen = page.waitForResponse((r) => r.url().endsWith('/api/events'));
    await page.goto(s.url('/rnds'));
    expect(await page.$('#rnds-vazio')).not.toBeNull();
    await streamOpen;

    const enable = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
    expect(enable.status).toBe(200);

    await page.waitForSelector('#rnds-status-palavras');
    expect(await page.textContent('#rnds-status-palavras')).toContain('Nenhum envio registrado');
    expect(await page.$('#rnds-vazio')).toBeNull();
  });
});
