/**
 * The RNDS tab in a real browser (Chromium) against the real module, at 1366×768 and 800×600 with axe: empty, enabled
 * without sends, and with sends the host really reported through POST /api/envios (refusals of several codes and
 * models, a duplicate, a record delivered later by the centralizador) — PEC's texts and singular/plural, Status do
 * último envio, the refusals with the dictionary's advice, the filter, each code's count, the *Gerar relatório de
 * erros* dialog by mouse and by keyboard and the CSV it downloads (read by csv-parse), nothing cut or overlapping; then
 * the tab live while reports arrive, keeping what the admin opened, chose and focused, and showing the refused
 * credential's alert as it comes and goes.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../../module/present/dates.js';
import { GROUP_LABELS, explain } from '../../module/rnds/dictionary.js';
import { BASE, CERTS, bearer, type Harness } from '../support/harness.js';
import { VIEWPORTS, axeViolations, screenshot, useChromium, type Screen, type ScreenOptions } from '../support/browser.js';
import { fakeScheduler } from '../support/fake-scheduler.js';
import { sideBySide } from '../support/side-by-side.js';

const chromium = useChromium({ noProblems: true });

const REPORTING = 'envios-do-pec-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const TZ = 'America/Sao_Paulo';

async function open(options: { viewport: (typeof VIEWPORTS)[number]; javaScript?: boolean; enabled?: boolean; harness?: ScreenOptions['harness']; initScript?: string }): Promise<{ page: Page; h: Harness; s: Screen }> {
  const s = await chromium.open({
    viewport: options.viewport,
    javaScript: options.javaScript ?? true,
    harness: { files: [CERTS.aes.file], reportingToken: REPORTING, timeZone: TZ, ...options.harness },
    ...(options.initScript ? { initScript: options.initScript } : {}),
  });
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
const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ').trim();
const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()));
/** An accordion's lines as read aloud: the term, then its value. */
const lines = (page: Page, selector: string) =>
  page.$$eval(`${selector} .rnds-modelo__linha`, (els) => els.map((e) => `${e.querySelector('dt')?.textContent?.trim()} ${e.querySelector('dd')?.textContent?.trim()}`));

// ---------- what the host reports ----------

const CNS_A = '701234567890123';
const CNS_B = '709876543210987';
const outcome = (diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics }] });
const DIAG = {
  patientA: `(EHR-ERR983) Paciente não encontrado: Patient/${CNS_A}`,
  patientB: `(EHR-ERR983) Paciente não encontrado: Patient/${CNS_B}`,
  duplicate: '(EDS-MSG010) Identifier duplicado.',
  practitioner: '(EHR-ERR832) PractitionerRole não encontrado',
  identificador: '(EHR-ERR881) O solicitante não possui autorização para utilizar esse sistema de origem: BRRNDS-3167',
  profile: '(VAL-PROFILE) Unable to find matching profile for Bundle',
};

/** Minutes before a fixed instant of this run (whole minutes: the tab and the CSV show hh:mm). */
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const ago = (minutes: number) => new Date(T0 - minutes * 60_000).toISOString();

/** The day's sends: one batch as PEC's backend reports them, newest last. */
const DAY = {
  envios: [
    { at: ago(60), model: 'RIA-R', recordId: 'vacina-0001', httpStatus: 201, rndsId: 'Immunization/1' },
    { at: ago(55), model: 'RIA-C', recordId: 'vacina-0002', httpStatus: 422, operationOutcome: outcome(DIAG.patientA) },
    { at: ago(50), model: 'RIA-R', recordId: 'vacina-0003', httpStatus: 422, operationOutcome: outcome(DIAG.patientB) },
    { at: ago(45), model: 'RIA-R', recordId: 'vacina-0004', httpStatus: 422, operationOutcome: outcome(DIAG.duplicate) },
    { at: ago(40), model: 'RAC', recordId: 'atendimento-0001', httpStatus: 201 },
    { at: ago(35), model: 'RAC', recordId: 'atendimento-0002', httpStatus: 422, operationOutcome: outcome(DIAG.practitioner) },
    { at: ago(30), model: 'RAC', recordId: 'atendimento-0003', httpStatus: 403, operationOutcome: outcome(DIAG.identificador) },
    { at: ago(25), model: 'RAC', recordId: 'atendimento-0004', failure: 'no-connection', detail: 'ETIMEDOUT' },
    { at: ago(20), model: 'RPM', recordId: 'prescricao-0001', httpStatus: 422, operationOutcome: outcome(DIAG.profile) },
    { at: ago(10), model: 'RPM', recordId: 'prescricao-0002', httpStatus: 201 },
  ],
};
/** Later: the centralizador delivered the RAC that had no connection, and PEC sent part of the day again. */
const LATER = {
  envios: [{ at: ago(5), model: 'RAC', recordId: 'atendimento-0004', delivery: 'ENVIADO_CENTRALIZADOR' }, DAY.envios[1], DAY.envios[5], DAY.envios[9]],
};

async function report(h: Harness, batch: { envios: unknown[] }, expected: { accepted: number; duplicates: number }): Promise<void> {
  const res = await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(batch);
  expect(res.status).toBe(200);
  expect(res.body).toEqual(expected);
}

async function reportTheDay(h: Harness): Promise<void> {
  await report(h, DAY, { accepted: 10, duplicates: 0 });
  await report(h, LATER, { accepted: 1, duplicates: 3 });
}

/** What the dictionary says for a code: the tab's and the CSV's advice. */
const advice = (code: string) => ({ action: explain(code).action, group: explain(code).groupLabel });
const at = (minutes: number) => formatDateTime(ago(minutes), TZ);

// The records not sent, newest first: what the CSV of every model holds.
const NOT_SENT = [
  { minutes: 20, model: 'RPM', id: 'prescricao-0001', status: 'DADOS_INVALIDOS', message: DIAG.profile, code: 'VAL-PROFILE' },
  { minutes: 30, model: 'RAC', id: 'atendimento-0003', status: 'FALHA_CREDENCIAL', message: DIAG.identificador, code: 'EHR-ERR881' },
  { minutes: 35, model: 'RAC', id: 'atendimento-0002', status: 'DADOS_INVALIDOS', message: DIAG.practitioner, code: 'EHR-ERR832' },
  { minutes: 50, model: 'RIA-R', id: 'vacina-0003', status: 'DADOS_INVALIDOS', message: DIAG.patientB, code: 'EHR-ERR983' },
  { minutes: 55, model: 'RIA-C', id: 'vacina-0002', status: 'DADOS_INVALIDOS', message: DIAG.patientA, code: 'EHR-ERR983' },
] as const;
const COLUMNS = ['Data do envio', 'Tipo de registro', 'Id do registro', 'Status do envio', 'Erro retornado pela RNDS', 'O que fazer', 'Quem resolve'];
const csvRow = (r: (typeof NOT_SENT)[number]) => [at(r.minutes), r.model, r.id, r.status, r.message, advice(r.code).action, advice(r.code).group];
/** Every digit but the last 4 of each run of digits, as `mascarar` writes it. */
const masked = (value: string) => value.replace(/\d+/g, (run) => (run.length <= 4 ? run : '*'.repeat(run.length - 4) + run.slice(-4)));

/** The downloaded CSV's rows below its header row (the header row checked). */
function csvData(file: string): string[][] {
  const rows: string[][] = parse(fs.readFileSync(file), { bom: true, delimiter: ';', relax_column_count: true, skip_empty_lines: true });
  expect(rows.slice(0, 2)).toEqual([['e-SUS - Atenção Primária'], ['MINISTÉRIO DA SAÚDE']]);
  const header = rows.findIndex((r) => r[0] === 'Data do envio');
  expect(rows[header]).toEqual(COLUMNS);
  return rows.slice(header + 1);
}

/** Clicks (or presses) what submits the report form and returns the path of the CSV the browser saved. */
async function download(page: Page, action: () => Promise<unknown>): Promise<{ file: string; url: string }> {
  const [saved] = await Promise.all([page.waitForEvent('download'), action()]);
  expect(saved.suggestedFilename()).toMatch(/^relatorio-erros-rnds-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  return { file: await saved.path(), url: saved.url() };
}

/**
 * What a person would see cut or on top of something else, in `root` as laid out now: the page scrolling sideways, a
 * visible text outside the window's width or clipped by its box, and two visible texts whose boxes cross (neither
 * inside the other).
 */
async function layoutProblems(page: Page, root: string): Promise<string[]> {
  return page.$eval(root, (container) => {
    const problems: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) problems.push(`the page scrolls sideways by ${doc.scrollWidth - doc.clientWidth}px`);
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ')[0]}` : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
    const shown = (e: Element) => {
      if (!(e as HTMLElement).checkVisibility?.({ checkOpacity: true, checkVisibilityCSS: true })) return false;
      const r = e.getBoundingClientRect();
      return r.width > 1 && r.height > 1;
    };
    // Elements that carry text themselves (a text node of their own): their boxes are what a person reads.
    const textual = [...container.querySelectorAll('*')].filter(
      (e) => shown(e) && [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '') && !e.closest('.visually-hidden, svg'),
    );
    for (const e of textual) {
      const r = e.getBoundingClientRect();
      if (r.left < -0.5 || r.right > window.innerWidth + 0.5) problems.push(`${name(e)} outside the window (${Math.round(r.left)}–${Math.round(r.right)})`);
      const style = getComputedStyle(e);
      const clips = (v: string) => v !== 'visible';
      if ((clips(style.overflowX) && e.scrollWidth > e.clientWidth + 1) || (clips(style.overflowY) && e.scrollHeight > e.clientHeight + 1 && style.overflowY !== 'auto' && style.overflowY !== 'scroll')) {
        problems.push(`${name(e)} cut (${e.scrollWidth}×${e.scrollHeight} in ${e.clientWidth}×${e.clientHeight})`);
      }
    }
    const rects = textual.map((e) => ({ e, boxes: [...e.getClientRects()].filter((b) => b.width > 1 && b.height > 1) }));
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const a = rects[i]!;
        const b = rects[j]!;
        if (a.e.contains(b.e) || b.e.contains(a.e)) continue;
        const crossing = a.boxes.some((x) => b.boxes.some((y) => Math.min(x.right, y.right) - Math.max(x.left, y.left) > 1 && Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top) > 1));
        if (crossing) problems.push(`${name(a.e)} overlaps ${name(b.e)}`);
      }
    }
    return problems;
  });
}

/** Waits until the tab's event stream has answered (its first events are the state the page was rendered with). */
async function gotoLive(page: Page, url: string): Promise<void> {
  const stream = page.waitForResponse((r) => r.url().endsWith('/api/events'));
  await page.goto(url);
  await stream;
}

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
      const { url } = await download(page, () => page.click('#gerar-csv'));
      expect(new URL(url).search).toBe('?de=2026-11-01&ate=2026-11-30&modelos=RIA,RPM&mascarar=1');
    });

    it('when the host has reported refusals of several codes and models, duplicates and a delivery by the centralizador, then the tab shows them in PEC\'s words, with advice, per code, filtered; axe finds nothing and nothing is cut or overlapping', async () => {
      const { page, h, s } = await open({ viewport, enabled: true });
      await reportTheDay(h);
      await page.goto(s.url('/rnds'));

      // Status do último envio: the latest direct send (the centralizador's delivery is not one) was accepted.
      expect(await text(page, '#rnds-status-rotulo')).toBe('Status do último envio');
      expect(await text(page, '#rnds-status-palavras')).toBe('Conexão bem-sucedida');
      expect(await text(page, '#rnds-status-detalhe')).toBe(`Último envio em ${at(10)} (RPM)`);
      expect(await page.$('#rnds-sem-envio')).toBeNull();

      // One accordion per model, PEC 5.3's names, collapsed, "N registros"; the duplicate and the centralizador's
      // delivery count as sent; PEC's singular for 1.
      expect(await texts(page, '.rnds-modelo__nome')).toEqual([
        'Registro de Imunobiológico Administrado em: Campanha (RIA-C) ou Rotina (RIA-R)',
        'Registro de Atendimento Clínico (RAC)',
        'Registro de Prescrição de Medicamentos (RPM)',
      ]);
      expect(await texts(page, '.rnds-modelo__total')).toEqual(['4 registros', '4 registros', '2 registros']);
      expect(await page.$$eval('details.rnds-modelo', (els) => els.map((d) => (d as HTMLDetailsElement).open))).toEqual([false, false, false]);
      for (const id of ['modelo-ria', 'modelo-rac', 'modelo-rpm']) await page.click(`#${id} summary`);
      expect(await lines(page, 'details.rnds-modelo')).toEqual([
        'Total de enviados 2 registros | 50.0%',
        'Total de não enviados 2 registros',
        'Total de enviados 2 registros | 50.0%',
        'Total de não enviados 2 registros',
        'Total de enviados 1 registro | 50.0%',
        'Total de não enviados 1 registro',
      ]);

      // The refusals, newest first: each send refused, with RNDS's text, what to do and who resolves it.
      const rows = await page.$$eval('#rnds-recusas-lista li.rnds-recusa', (items) =>
        items.map((li) => ({
          head: (li.querySelector('.rnds-recusa__cabecalho')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
          message: li.querySelector('.rnds-recusa__mensagem')?.textContent?.trim(),
          advice: [...li.querySelectorAll('.rnds-recusa__conselho dd')].map((dd) => dd.textContent?.trim()),
        })),
      );
      const noConnection = { action: expect.stringContaining('Testar conexão'), group: GROUP_LABELS['rnds-fora'] };
      expect(rows).toEqual([
        { head: `${at(20)} · RPM · Id prescricao-0001 Dados recusados`, message: DIAG.profile, advice: Object.values(advice('VAL-PROFILE')) },
        { head: `${at(25)} · RAC · Id atendimento-0004 Sem conexão`, message: 'ETIMEDOUT', advice: [noConnection.action, noConnection.group] },
        { head: `${at(30)} · RAC · Id atendimento-0003 Falha na credencial`, message: DIAG.identificador, advice: Object.values(advice('EHR-ERR881')) },
        { head: `${at(35)} · RAC · Id atendimento-0002 Dados recusados`, message: DIAG.practitioner, advice: Object.values(advice('EHR-ERR832')) },
        { head: `${at(50)} · RIA-R · Id vacina-0003 Dados recusados`, message: DIAG.patientB, advice: Object.values(advice('EHR-ERR983')) },
        { head: `${at(55)} · RIA-C · Id vacina-0002 Dados recusados`, message: DIAG.patientA, advice: Object.values(advice('EHR-ERR983')) },
      ]);
      expect(advice('EHR-ERR983').group).toBe('Cadastro do cidadão (UBS, CADSUS)');

      // Each code's count in the last 30 days, most frequent first; the duplicate's code is counted too.
      expect(await texts(page, '#codigos li.rnds-codigo p:first-child')).toEqual([
        `EHR-ERR983 · 2 registros · ${advice('EHR-ERR983').group}`,
        `EDS-MSG010 · 1 registro · ${advice('EDS-MSG010').group}`,
        `EHR-ERR832 · 1 registro · ${advice('EHR-ERR832').group}`,
        `EHR-ERR881 · 1 registro · ${advice('EHR-ERR881').group}`,
        `VAL-PROFILE · 1 registro · ${advice('VAL-PROFILE').group}`,
      ]);
      expect(await axeViolations(page)).toEqual([]);
      expect(await layoutProblems(page, '#rnds')).toEqual([]);
      await screenshot(page, `preview/rnds-envios${suffix}.png`);
      if (suffix === '') {
        // The check sees what it is for: a text squeezed into a box too narrow, a line pushed onto another.
        await page.evaluate(() => {
          Object.assign(document.getElementById('rnds-status-rotulo')!.style, { width: '40px', whiteSpace: 'nowrap', overflow: 'hidden' });
          document.getElementById('rnds-status-detalhe')!.style.marginLeft = '-120px';
        });
        const seen = await layoutProblems(page, '#rnds');
        expect(seen).toContainEqual(expect.stringMatching(/^h3#rnds-status-rotulo.* cut /));
        expect(seen).toContainEqual(expect.stringMatching(/^span#rnds-status-palavras.* overlaps span#rnds-status-detalhe/));
        await page.reload();
      }

      // The filter: a plain GET form, kept in the address.
      await page.selectOption('#filtro-modelo', 'RAC');
      await Promise.all([page.waitForURL(/\/rnds\?modelo=RAC&status=#recusas$/), page.click('#filtrar')]);
      expect(await texts(page, '#rnds-recusas-lista .rnds-recusa__cabecalho')).toEqual([
        `${at(25)} · RAC · Id atendimento-0004 Sem conexão`,
        `${at(30)} · RAC · Id atendimento-0003 Falha na credencial`,
        `${at(35)} · RAC · Id atendimento-0002 Dados recusados`,
      ]);
      await page.selectOption('#filtro-status', 'FALHA_CREDENCIAL');
      await Promise.all([page.waitForURL(/modelo=RAC&status=FALHA_CREDENCIAL/), page.click('#filtrar')]);
      expect(await texts(page, '#rnds-recusas-lista .rnds-recusa__cabecalho')).toEqual([`${at(30)} · RAC · Id atendimento-0003 Falha na credencial`]);
      expect(await page.inputValue('#filtro-modelo')).toBe('RAC');
      expect(await page.inputValue('#filtro-status')).toBe('FALHA_CREDENCIAL');
      await page.selectOption('#filtro-modelo', 'RIA');
      await page.selectOption('#filtro-status', 'SEM_CONEXAO');
      await Promise.all([page.waitForURL(/modelo=RIA&status=SEM_CONEXAO/), page.click('#filtrar')]);
      expect(await text(page, '#recusas-vazio')).toBe('Nenhum registro não enviado com este filtro. Escolha outro modelo ou status, ou limpe o filtro.');
      expect(await axeViolations(page)).toEqual([]);
      await Promise.all([page.waitForURL(/\/rnds#recusas$/), page.click('#limpar-filtro')]);
      expect(await page.$$('#rnds-recusas-lista li.rnds-recusa')).toHaveLength(6);
      expect(await layoutProblems(page, '#rnds')).toEqual([]);
    });

    it('when the admin asks for the report of errors with the keyboard alone, then the counts per model are there, Marcar todos and each model tick with Space, CSV waits for a model, Cancelar and Escape give the focus back, and the CSV downloaded holds exactly the records not sent', async () => {
      const { page, h, s } = await open({ viewport, enabled: true });
      await reportTheDay(h);
      await page.goto(s.url('/rnds'));

      await page.focus('#gerar-relatorio');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#dialogo-relatorio[open]');
      expect(await focusedId(page)).toBe('relatorio-de');
      // The records not sent per model in the last 30 days (the duplicate and the centralizador's are sent).
      await page.waitForFunction(() => document.getElementById('relatorio-rpm-contagem')?.textContent === '1 registro neste período');
      expect(await texts(page, '[data-count-for]')).toEqual(['2 registros neste período', '2 registros neste período', '1 registro neste período']);
      expect(await page.isDisabled('#gerar-csv')).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
      expect(await layoutProblems(page, '#dialogo-relatorio')).toEqual([]);
      const dialogBox = await page.locator('#dialogo-relatorio').boundingBox();
      expect(dialogBox!.x).toBeGreaterThanOrEqual(0);
      expect(dialogBox!.x + dialogBox!.width).toBeLessThanOrEqual(viewport.width);
      await screenshot(page, `preview/rnds-relatorio-envios${suffix}.png`);

      // Tab through the period to Marcar todos: Space ticks every model, again unticks them.
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-ate');
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-todos');
      await page.keyboard.press('Space');
      expect(await page.$$eval('input[name="modelos"]', (els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([true, true, true]);
      expect(await page.isDisabled('#gerar-csv')).toBe(false);
      await page.keyboard.press('Space');
      expect(await page.$$eval('input[name="modelos"]', (els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([false, false, false]);
      expect(await page.isDisabled('#gerar-csv')).toBe(true);
      expect(await page.isVisible('#relatorio-modelos-dica')).toBe(true);

      // RAC alone, masked: Tab to RAC, Space; Tab to Mascarar, Space; Tab past Cancelar to Gerar relatório CSV, Enter.
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-ria');
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-rac');
      await page.keyboard.press('Space');
      expect(await page.isDisabled('#gerar-csv')).toBe(false);
      expect(await page.evaluate(() => (document.getElementById('relatorio-todos') as HTMLInputElement).indeterminate)).toBe(true);
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-mascarar');
      await page.keyboard.press('Space');
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('relatorio-cancelar');
      await page.keyboard.press('Tab');
      expect(await focusedId(page)).toBe('gerar-csv');
      const racMasked = await download(page, () => page.keyboard.press('Enter'));
      await page.waitForSelector('#dialogo-relatorio:not([open])', { state: 'attached' });
      expect(await focusedId(page)).toBe('gerar-relatorio');
      expect(new URL(racMasked.url).searchParams.get('modelos')).toBe('RAC');
      const rac = NOT_SENT.filter((r) => r.model === 'RAC');
      expect(csvData(racMasked.file)).toEqual(rac.map((r) => csvRow(r).map((cell, i) => (i === 2 || i === 4 ? masked(cell) : cell))));
      expect(fs.readFileSync(racMasked.file, 'utf8')).not.toContain(CNS_A.slice(0, 8));

      // Cancelar by keyboard: nothing downloaded, the focus back on the button.
      await page.keyboard.press('Enter');
      await page.waitForSelector('#dialogo-relatorio[open]');
      await page.focus('#relatorio-cancelar');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#dialogo-relatorio:not([open])', { state: 'attached' });
      expect(await focusedId(page)).toBe('gerar-relatorio');

      // Every model, not masked: exactly the records not sent, newest first, as reported.
      await page.keyboard.press('Enter');
      await page.waitForSelector('#dialogo-relatorio[open]');
      await page.check('#relatorio-todos');
      if (await page.isChecked('#relatorio-mascarar')) await page.uncheck('#relatorio-mascarar');
      const all = await download(page, () => page.click('#gerar-csv'));
      expect(new URL(all.url).searchParams.get('modelos')).toBe('RIA,RAC,RPM');
      expect(csvData(all.file)).toEqual(NOT_SENT.map(csvRow));
      const bytes = fs.readFileSync(all.file, 'utf8');
      for (const sent of ['vacina-0001', 'vacina-0004', 'atendimento-0001', 'atendimento-0004', 'prescricao-0002']) expect(bytes).not.toContain(sent);
      expect(await focusedId(page)).toBe('gerar-relatorio');
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
      const { url } = await download(page, () => page.click('#gerar-csv'));
      expect(new URL(url).searchParams.get('modelos')).toBe('RIA,RAC,RPM');
    });
  });
}

describe('the RNDS tab, live', () => {
  it('when a certificate is enabled while the tab is open, then the tab follows without the admin reloading it', async () => {
    const { page, h, s } = await open({ viewport: VIEWPORTS[0] });
    await gotoLive(page, s.url('/rnds'));
    expect(await page.$('#rnds-vazio')).not.toBeNull();

    const enable = await request(h.app)
      .post(`${BASE}/api/enable`)
      .set(bearer)
      .send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' });
    expect(enable.status).toBe(200);

    await page.waitForSelector('#rnds-status-palavras');
    expect(await page.textContent('#rnds-status-palavras')).toContain('Nenhum envio registrado');
    expect(await page.$('#rnds-vazio')).toBeNull();
  });

  for (const viewport of VIEWPORTS) {
    it(`at ${viewport.width}×${viewport.height}: when the host reports while the tab is open, filtered, with an accordion open and focused, then the counts and refusals change in place and the accordion, the filter and the focus stay`, async () => {
      const { page, h, s } = await open({ viewport, enabled: true });
      await report(h, DAY, { accepted: 10, duplicates: 0 });
      await gotoLive(page, s.url('/rnds?modelo=RAC'));
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      // A status chosen and not yet applied, the RAC accordion opened with the keyboard and focused.
      await page.selectOption('#filtro-status', 'DADOS_INVALIDOS');
      await page.focus('#modelo-rac-resumo');
      await page.keyboard.press('Enter');
      expect(await page.$eval('#modelo-rac', (d) => (d as HTMLDetailsElement).open)).toBe(true);
      expect(await lines(page, '#modelo-rac')).toEqual(['Total de enviados 1 registro | 25.0%', 'Total de não enviados 3 registros']);

      await report(
        h,
        {
          envios: [
            { at: ago(3), model: 'RAC', recordId: 'atendimento-0005', httpStatus: 422, operationOutcome: outcome(DIAG.patientA) },
            { at: ago(2), model: 'RIA-R', recordId: 'vacina-0005', httpStatus: 201 },
            LATER.envios[0],
          ],
        },
        { accepted: 3, duplicates: 0 },
      );
      await page.waitForFunction(() => document.querySelector('#modelo-rac .rnds-modelo__total')?.textContent === '5 registros');

      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // no reload
      expect(await lines(page, '#modelo-rac')).toEqual(['Total de enviados 2 registros | 40.0%', 'Total de não enviados 3 registros']);
      expect(await texts(page, '.rnds-modelo__total')).toEqual(['5 registros', '5 registros', '2 registros']);
      expect(await page.$$eval('details.rnds-modelo', (els) => els.map((d) => (d as HTMLDetailsElement).open))).toEqual([false, true, false]);
      expect(await focusedId(page)).toBe('modelo-rac-resumo');
      expect(await page.inputValue('#filtro-modelo')).toBe('RAC');
      expect(await page.inputValue('#filtro-status')).toBe('DADOS_INVALIDOS');
      expect(new URL(page.url()).search).toBe('?modelo=RAC');
      // The list keeps the filter of the address: RAC only, the new refusal first.
      expect((await texts(page, '#rnds-recusas-lista .rnds-recusa__cabecalho'))[0]).toBe(`${at(3)} · RAC · Id atendimento-0005 Dados recusados`);
      expect((await texts(page, '#rnds-recusas-lista .rnds-recusa__cabecalho')).every((head) => head.includes(' · RAC · '))).toBe(true);
      expect(await texts(page, '#codigos li.rnds-codigo strong')).toContain('EHR-ERR983');
      expect((await texts(page, '#codigos li.rnds-codigo p:first-child'))[0]).toBe(`EHR-ERR983 · 3 registros · ${advice('EHR-ERR983').group}`);
      await page.waitForFunction(() => document.getElementById('anuncio')?.textContent === 'Envios à RNDS atualizados.');
      expect(await axeViolations(page)).toEqual([]);
      expect(await layoutProblems(page, '#rnds')).toEqual([]);
    });
  }

  it('at 1366×768: when a direct send is refused for the identificador while the tab is open, then the Certificados screen\'s alert appears live above Status do último envio and is announced; a delivered send takes it away', async () => {
    const { page, h, s } = await open({ viewport: VIEWPORTS[0], enabled: true });
    await gotoLive(page, s.url('/rnds'));
    expect(await page.$$('#rnds-avisos .alert')).toHaveLength(0);
    await page.evaluate(() => {
      const w = window as unknown as { marker: number; inserted: string[] };
      w.marker = 42;
      w.inserted = [];
      // What assistive technology is told: an element with role="alert" inserted into the page is read out.
      new MutationObserver((records) => {
        for (const r of records) for (const node of Array.from(r.addedNodes)) {
          if (node instanceof Element && node.getAttribute('role') === 'alert') w.inserted.push(node.getAttribute('data-problem') ?? '');
        }
      }).observe(document.body, { childList: true, subtree: true });
    });

    const now = Date.now();
    await report(h, { envios: [{ at: new Date(now + 1000).toISOString(), model: 'RAC', recordId: 'atendimento-0100', httpStatus: 403, operationOutcome: outcome(DIAG.identificador) }] }, { accepted: 1, duplicates: 0 });
    await page.waitForSelector('#rnds-avisos [data-problem="RNDS_CREDENTIAL_REFUSED"]');

    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42); // no reload
    expect(await page.evaluate(() => (window as unknown as { inserted: string[] }).inserted)).toEqual(['RNDS_CREDENTIAL_REFUSED']);
    const alert = '#rnds-avisos [data-problem="RNDS_CREDENTIAL_REFUSED"]';
    expect(await page.getAttribute(alert, 'role')).toBe('alert');
    expect(await page.getAttribute(alert, 'class')).toBe('alert alert--danger');
    const words = await text(page, alert);
    expect(words).toContain('identificador solicitante 3167');
    expect(words).toContain('e-Gestor AB › Credenciais geradas');
    expect(words).not.toContain('autorização para utilizar esse sistema de origem'); // RNDS's diagnostics stay in the list below
    // Above Status do último envio, which says the same in PEC's words.
    expect(await page.$eval('#rnds-avisos', (el) => el.nextElementSibling?.id)).toBe('rnds-status');
    const [alertBox, statusBox] = await Promise.all([page.locator(alert).boundingBox(), page.locator('#rnds-status-rotulo').boundingBox()]);
    expect(alertBox!.y + alertBox!.height).toBeLessThanOrEqual(statusBox!.y);
    expect(await text(page, '#rnds-status-palavras')).toBe('Falha no certificado');
    // The same words as the Certificados screen's alert (the HTTP test compares the markup).
    const screen = await request(h.app).get(`${BASE}/`).set(bearer).expect(200);
    const onScreen = /data-problem="RNDS_CREDENTIAL_REFUSED">[\s\S]*?<div class="alert__content">([^<]*)<\/div>/.exec(screen.text);
    expect(await text(page, `${alert} .alert__content`)).toBe(onScreen![1]!.replace(/\s+/g, ' ').trim());
    expect(await axeViolations(page)).toEqual([]);
    expect(await layoutProblems(page, '#rnds')).toEqual([]);

    await report(h, { envios: [{ at: new Date(now + 2000).toISOString(), model: 'RAC', recordId: 'atendimento-0101', httpStatus: 201 }] }, { accepted: 1, duplicates: 0 });
    await page.waitForFunction(() => document.querySelectorAll('#rnds-avisos .alert').length === 0);
    expect(await text(page, '#rnds-status-palavras')).toBe('Conexão bem-sucedida');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('when a report arrives while the report dialog is open, then what was ticked and typed and the focus stay, its counts follow, and the tab behind follows once it closes', async () => {
    const { page, h, s } = await open({ viewport: VIEWPORTS[1], enabled: true });
    await reportTheDay(h);
    await gotoLive(page, s.url('/rnds'));
    await page.click('#gerar-relatorio');
    await page.waitForSelector('#dialogo-relatorio[open]');
    await page.waitForFunction(() => document.getElementById('relatorio-rac-contagem')?.textContent === '2 registros neste período');
    await page.check('#relatorio-rac');
    await page.check('#relatorio-mascarar');
    await page.focus('#relatorio-rac');

    await report(h, { envios: [{ at: ago(1), model: 'RAC', recordId: 'atendimento-0006', httpStatus: 422, operationOutcome: outcome(DIAG.practitioner) }] }, { accepted: 1, duplicates: 0 });
    await page.waitForFunction(() => document.getElementById('relatorio-rac-contagem')?.textContent === '3 registros neste período');

    expect(await page.isVisible('#dialogo-relatorio')).toBe(true);
    expect(await focusedId(page)).toBe('relatorio-rac');
    expect(await page.$$eval('input[name="modelos"]', (els) => els.map((e) => (e as HTMLInputElement).checked))).toEqual([false, true, false]);
    expect(await page.isChecked('#relatorio-mascarar')).toBe(true);
    expect(await page.isDisabled('#gerar-csv')).toBe(false);
    // The tab behind waits for the dialog.
    expect(await text(page, '#modelo-rac .rnds-modelo__total')).toBe('4 registros');

    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelector('#modelo-rac .rnds-modelo__total')?.textContent === '5 registros');
    expect(await focusedId(page)).toBe('gerar-relatorio');
    expect(await layoutProblems(page, '#rnds')).toEqual([]);
  });

  it('when 1000 batches are reported in a burst while the tab is open, then the tab asks for itself once and shows them all', async () => {
    const scheduler = fakeScheduler();
    // Counts the tab's own requests for itself (the live refresh), in the page.
    const countFetches = `(() => {
      const fetch = window.fetch.bind(window);
      window.__tabFetches = 0;
      window.fetch = (input, init) => {
        if (String(input).split('?')[0].endsWith('/rnds')) window.__tabFetches++;
        return fetch(input, init);
      };
    })();`;
    const { page, h, s } = await open({ viewport: VIEWPORTS[0], enabled: true, harness: { scheduler }, initScript: countFetches });
    await gotoLive(page, s.url('/rnds'));
    const fetches = () => page.evaluate(() => (window as unknown as { __tabFetches: number }).__tabFetches);

    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => h.rnds.recordSends({ envios: [{ at: new Date(T0 - 3_600_000 + i * 1000).toISOString(), model: 'RAC', recordId: `rajada-${i}`, httpStatus: i < 990 ? 201 : 503 }] })),
    );
    expect(answers.every((a) => a.accepted === 1)).toBe(true);
    expect(await fetches()).toBe(0);

    // The whole burst is one timer, hence one event, hence one refresh.
    expect(scheduler.pending.map((t) => t.ms)).toEqual([20]);
    scheduler.fire();
    await page.waitForFunction(() => document.querySelector('#modelo-rac .rnds-modelo__total')?.textContent === '1000 registros');
    scheduler.fire(); // the pause after the event: nothing came in it
    expect(scheduler.pending).toEqual([]);
    expect(await lines(page, '#modelo-rac')).toEqual(['Total de enviados 990 registros | 99.0%', 'Total de não enviados 10 registros']);
    expect(await fetches()).toBe(1);
  });
});
