/**
 * Issue 21 §5 in a real browser: the Histórico page reached from the screen, at 1366×768 and 800×600, with and
 * without JavaScript — axe finds nothing, nothing overflows sideways, the period filter is a plain GET form and
 * Exportar CSV downloads PEC's CSV of that period. No password reaches the page or the file.
 */
import fs from 'node:fs';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../module/state/index.js';
import { BASE, CERTS, bearer, encodings } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen } from '../support/browser.js';

const WRONG_PASSWORD = 'Outra#Senha-Errada-987';
const chromium = useChromium();

/** Events of February (in the trail before today's) and today's: a wrong password, an enable, a disable. */
async function journey(s: Screen): Promise<void> {
  const audit = new AuditTrail(s.h.dataDir);
  await audit.append({ action: 'enable', actor: 'joao.souza (10.0.0.5)', file: 'municipio-2025.pfx', identificadorSolicitante: '3167', at: '2026-02-10T13:05:00.000Z' });
  await audit.append({ action: 'disable', actor: 'joao.souza (10.0.0.5)', file: 'municipio-2025.pfx', at: '2026-02-27T18:40:00.000Z' });
  const enable = (password: string) =>
    request(s.h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.legacy.file, password, identificadorSolicitante: '3167', services: ['RNDS'], environment: 'producao' });
  await enable(WRONG_PASSWORD).expect(422);
  await enable(CERTS.legacy.password).expect(200);
  await request(s.h.app).post(`${BASE}/api/disable`).set(bearer).expect(200);
}

const cells = (s: Screen, column: number) => s.page.$$eval(`#historico-tabela tbody tr td:nth-child(${column})`, (tds) => tds.map((td) => td.textContent?.trim() ?? ''));

/** axe and the layout at both window sizes. */
async function checkEverySize(s: Screen, name: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await s.page.setViewportSize(viewport);
    expect(await axeViolations(s.page), `axe at ${viewport.width}×${viewport.height}`).toEqual([]);
    const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `sideways scroll at ${viewport.width}×${viewport.height}`).toBeLessThanOrEqual(0);
    await screenshot(s.page, `preview/${name}${viewport.width === 1366 ? '' : `-${viewport.width}`}.png`);
  }
}

describe('the Histórico page', () => {
  for (const javaScript of [true, false]) {
    it(`when the admin opens it from the screen, filters February and exports the CSV (JavaScript ${javaScript ? 'on' : 'off'}), then the rows, the file and the page are right at both sizes`, async () => {
      const s = await chromium.open({ javaScript, harness: { files: [CERTS.legacy.file] } });
      await journey(s);

      await Promise.all([s.page.waitForURL(/\/historico$/), s.page.click('#link-historico')]);
      expect(await cells(s, 2)).toEqual([
        'RNDS desabilitado',
        'Certificado habilitado',
        'Tentativa de habilitação recusada: senha incorreta',
        'RNDS desabilitado',
        'Certificado habilitado',
      ]);
      expect((await cells(s, 5)).slice(0, 3)).toEqual([expect.stringMatching(/^token \(/), expect.stringMatching(/^token \(/), expect.stringMatching(/^token \(/)]);
      await checkEverySize(s, `historico${javaScript ? '' : '-sem-js'}`);

      await s.page.fill('#historico-de', '2026-02-01');
      await s.page.fill('#historico-ate', '2026-02-28');
      await Promise.all([s.page.waitForURL(/de=2026-02-01&ate=2026-02-28$/), s.page.click('#filtrar')]);
      expect(await cells(s, 1)).toEqual(['27/02/2026 15:40', '10/02/2026 10:05']);
      expect(await s.page.textContent('#historico-resumo')).toContain('de 01/02/2026 até 28/02/2026');
      expect(await s.page.inputValue('#historico-de')).toBe('2026-02-01');
      await checkEverySize(s, `historico-periodo${javaScript ? '' : '-sem-js'}`);

      const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.click('#exportar-csv')]);
      expect(download.suggestedFilename()).toMatch(/^historico-rnds-\d{4}-\d{2}-\d{2}-\d{4}\.csv$/);
      const file = fs.readFileSync((await download.path())!);
      expect([...file.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = file.toString('utf8');
      expect(text).toContain('FILTROS;Período: de 01/02/2026 até 28/02/2026\r\n');
      expect(text).toContain('27/02/2026 15:40;RNDS desabilitado;municipio-2025.pfx;;joao.souza (10.0.0.5)\r\n');
      expect(text).not.toContain(CERTS.legacy.file);
      expect(s.page.url()).toMatch(/\/historico\?de=2026-02-01&ate=2026-02-28$/); // the download left the page as it was

      await Promise.all([s.page.waitForURL(/\/historico$/), s.page.click('#limpar-periodo')]);
      expect(await cells(s, 2)).toHaveLength(5);
      const html = Buffer.from(await s.page.content());
      for (const secret of [CERTS.legacy.password, WRONG_PASSWORD]) for (const encoded of encodings(secret)) expect(html.includes(encoded)).toBe(false);
      await Promise.all([s.page.waitForURL(/\/gestao\/rnds\/$/), s.page.click('#voltar-certificados')]);
      expect(s.problems).toEqual([]);
    });
  }

  it('when a typed date is not a day, then the error shows by its field, axe finds nothing, and nothing is listed', async () => {
    const s = await chromium.open({ javaScript: false });

    await s.page.goto(s.url('/historico?de=31/02/2026'));

    expect(await s.page.isVisible('#erro-de')).toBe(true);
    expect(await s.page.textContent('#erro-de')).toContain('Data inicial inválida');
    expect(await s.page.getAttribute('#historico-de', 'aria-invalid')).toBe('true');
    expect(await s.page.$('#historico-tabela')).toBeNull();
    await checkEverySize(s, 'historico-erro');
    expect(s.problems).toEqual([]);
  });

  it('when nothing was ever recorded, then the page says what will appear there', async () => {
    const s = await chromium.open();

    await s.page.goto(s.url('/historico'));

    expect(await s.page.textContent('#historico-vazio')).toContain('Nenhum evento registrado ainda');
    await checkEverySize(s, 'historico-vazio');
    expect(s.problems).toEqual([]);
  });
});
