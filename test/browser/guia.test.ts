/**
 * Issue 9 in a real browser: the screen's contra-chave form (with and without JavaScript), the credenciamento guide in
 * each state, without JavaScript, and in print media.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, TOKEN, bearer, startHarness, type Harness } from '../support/harness.js';
import { useChromium } from '../support/browser.js';
import { HANG_MS } from '../support/wait.js';
import request from 'supertest';

/** Every text item of every page of a PDF, in reading order, joined by spaces (pdf.js, as a PDF reader extracts it). */
async function pdfText(pdf: Buffer): Promise<string> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const document = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  const parts: string[] = [];
  for (let n = 1; n <= document.numPages; n++) {
    const content = await (await document.getPage(n)).getTextContent();
    for (const item of content.items) if ('str' in item) parts.push(item.str, item.hasEOL ? '\n' : '');
  }
  await document.destroy();
  return parts.join(' ');
}

const HOST = 'pec.municipio.lan';
const INSTALACAO = '0916-0409-8915-9622-2161-0480-1336-1227';
const chromium = useChromium({ hostAlias: HOST });
let h: Harness;
let server: http.Server;
let context: BrowserContext | undefined;
let page: Page;
let origin: string;

afterEach(async () => {
  await context?.close();
  context = undefined;
  server?.closeAllConnections();
  server?.close();
  await h?.close();
});

async function open(options: Parameters<typeof startHarness>[0] & { javaScript?: boolean } = {}): Promise<void> {
  const { javaScript = true, ...harness } = options;
  h = await startHarness(harness);
  server = http.createServer(h.app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  origin = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  context = await chromium.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'pt-BR', javaScriptEnabled: javaScript });
  page = await context.newPage();
  await page.goto(`${origin}${BASE}/entrar?token=${TOKEN}`);
  await page.waitForSelector('#contra-chave');
}

const stepStates = () =>
  page.$$eval('[data-step]', (steps) => Object.fromEntries(steps.map((s) => [(s as HTMLElement).dataset.step, (s as HTMLElement).dataset.state])));

describe('the contra-chave form on the screen', () => {
  for (const javaScript of [true, false]) {
    it(`when the admin types the contra-chave with spaces and saves (JavaScript ${javaScript ? 'on' : 'off'}), then the screen shows it formatted and the form goes away`, async () => {
      await open({ javaScript, contraChave: undefined });
      expect(await page.getAttribute('#contra-chave-origem', 'data-origin')).toBe('gerada');

      await page.fill('#contra-chave-nova', INSTALACAO.replaceAll('-', ' ').toUpperCase());
      await Promise.all([page.waitForSelector('#aviso'), page.click('#salvar-contra-chave')]);
      expect(new URL(page.url()).search).toBe(''); // post/redirect/get: no message in the URL

      expect(await page.inputValue('#contra-chave')).toBe(INSTALACAO.toUpperCase());
      expect(await page.textContent('#aviso')).toContain('Contra-chave desta instalação salva');
      expect(await page.$('#form-contra-chave')).toBeNull();
      expect(await page.$('[data-problem="CONTRA_CHAVE_NOT_CONFIGURED"]')).toBeNull();
      expect(h.rnds.status()).toMatchObject({ contraChave: INSTALACAO.toUpperCase(), contraChaveOrigin: 'instalacao' });
    });
  }

  it('when the shape is wrong, then the error shows by the field with the expected shape and the value typed stays', async () => {
    await open({ javaScript: false, contraChave: undefined });

    await page.fill('#contra-chave-nova', '0916-0409');
    await page.click('#salvar-contra-chave');

    await page.waitForSelector('#erro-contraChave');
    expect(await page.textContent('#erro-contraChave')).toContain('xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx');
    expect(await page.inputValue('#contra-chave-nova')).toBe('0916-0409');
    expect(h.rnds.status().contraChaveOrigin).toBe('gerada');
  });

  it('when the contra-chave is set through the API while the screen is open, then the screen shows it without a reload', async () => {
    await open({ contraChave: undefined });
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));

    await request(h.app).post(`${BASE}/api/contra-chave`).set(bearer).send({ contraChave: INSTALACAO }).expect(200);

    await expect.poll(() => page.inputValue('#contra-chave'), { timeout: HANG_MS }).toBe(INSTALACAO);
    await expect.poll(() => page.getAttribute('#contra-chave-origem', 'data-origin'), { timeout: HANG_MS }).toBe('instalacao');
    expect(await page.isHidden('#contra-chave-instalacao')).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);
  });
});

describe('the credenciamento guide (GET {base}/guia)', () => {
  it('when nothing is done yet and JavaScript is off, then the link from the screen opens the guide with every step pending and the whole journey', async () => {
    await open({ javaScript: false, contraChave: undefined });

    await Promise.all([page.waitForURL(/\/guia$/), page.click('#link-guia')]);

    expect(await stepStates()).toMatchObject({ 'contra-chave': 'pendente', certificado: 'pendente', habilitar: 'pendente', conexao: 'pendente' });
    const text = (await page.textContent('#guia')) ?? '';
    for (const expected of [
      'Gestor municipal',
      'Fundo Municipal de Saúde',
      'CPF',
      '23:59',
      'mesmo CPF',
      'Certificado A1 (.pfx)',
      'Gerar Certificado',
      'Nunca envie o arquivo .cer',
      'CNES',
      'CNPJ',
      'UBSs',
      'faixa de IP público',
      'ID SOLICITAÇÃO',
      'ATIVO',
      'Identificador Solicitante',
      'Nº Solicitação',
      'Testar conexão',
      'Problemas comuns e o que fazer',
    ]) {
      expect(text, expected).toContain(expected);
    }
    expect(await page.$('#copiar')).toBeNull(); // no contra-chave of the installation yet: nothing to copy
  });

  it('when the contra-chave is configured and a certificate is in the folder, then those steps show done, with the value and Copiar', async () => {
    await open({ contraChave: INSTALACAO, files: [CERTS.aes.file] });

    await page.goto(`${origin}${BASE}/guia`);

    expect(await stepStates()).toMatchObject({ 'contra-chave': 'feito', certificado: 'feito', habilitar: 'pendente', conexao: 'pendente' });
    expect(await page.inputValue('#contra-chave')).toBe(INSTALACAO);
    expect(await page.isVisible('#copiar')).toBe(true);
    await page.evaluate(() => {
      document.addEventListener('copy', () => {
        (window as unknown as { copied: string }).copied = String(document.getSelection());
      });
    });
    await page.click('#copiar');
    expect(await page.evaluate(() => (window as unknown as { copied?: string }).copied)).toBe(INSTALACAO);
  });

  it('when a certificate is enabled, then the Habilitar step shows done with the file and the identificador', async () => {
    await open({ contraChave: INSTALACAO, files: [CERTS.aes.file] });
    await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '4507' })
      .expect(200);

    await page.goto(`${origin}${BASE}/guia`);

    expect(await stepStates()).toMatchObject({ 'contra-chave': 'feito', certificado: 'feito', habilitar: 'feito', conexao: 'pendente' });
    expect(await page.textContent('[data-step="habilitar"]')).toMatch(new RegExp(`${CERTS.aes.file.replace('.', '\\.')}, identificador 4507`));
  });

  it('when printed, then navigation and buttons are hidden, steps do not split across pages, and e-Gestor links print their address', async () => {
    await open({ contraChave: INSTALACAO });
    await page.goto(`${origin}${BASE}/guia`);

    await page.emulateMedia({ media: 'print' });

    expect(await page.$eval('.tabs', (e) => getComputedStyle(e).display)).toBe('none');
    expect(await page.$eval('#copiar', (e) => getComputedStyle(e).display)).toBe('none');
    expect(await page.$eval('.guia__passo', (e) => getComputedStyle(e).breakInside)).toBe('avoid');
    expect(await page.$eval('.guia a[href^="http"]', (e) => getComputedStyle(e, '::after').content)).toContain('egestorab.saude.gov.br');
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await page.emulateMedia({ media: 'screen' });
    expect(await page.$eval('.tabs', (e) => getComputedStyle(e).display)).not.toBe('none');
  });

  for (const format of ['A4', 'Letter'] as const) {
    it(`when the guide is printed to PDF on ${format}, then the whole contra-chave is in the PDF's text`, async () => {
      // Letters and digits of every width: a value cut anywhere loses a group.
      const contraChave = 'c0ff-ee12-3456-789a-bcde-f012-3456-789a';
      await open({ contraChave });
      await page.goto(`${origin}${BASE}/guia`);

      const pdf = await page.pdf({ format });

      const text = await pdfText(pdf);
      // Only whitespace may come between the characters (a line break after a group's dash).
      expect(text.replace(/\s+/g, '').toLowerCase()).toContain(contraChave);
      // On screen the value is still one copyable field.
      expect((await page.inputValue('#contra-chave')).toLowerCase()).toBe(contraChave);
    });
  }
});
