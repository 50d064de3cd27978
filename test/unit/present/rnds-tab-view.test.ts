/**
 * views/rnds.ejs with data: no sends store exists in this branch, so the rows, the four words and the report's
 * counts are placed from the view-model (present/rnds-tab.ts) seeded here, rendered by the real template.
 */
import path from 'node:path';
import ejs from 'ejs';
import { describe, expect, it } from 'vitest';
import { viewsDir } from '../../../module/paths.js';
import { emptySummary, rndsPageModel, type RndsTabData, type SendError } from '../../../module/present/rnds-tab.js';

const frame = { base: '/gestao/rnds', csrfToken: 'csrf-de-teste', loginEnabled: true, timeZone: 'America/Sao_Paulo' };

function render(data: Partial<RndsTabData>): Promise<string> {
  const full: RndsTabData = { enabled: true, sendsVersion: 'a1b2c3d4.0', summary: emptySummary(), refusals: [], codeCounts: [], filter: {}, period: { de: '2026-11-04', ate: '2026-12-03' }, ...data };
  return ejs.renderFile(path.join(viewsDir, 'rnds.ejs'), rndsPageModel(frame, full), { views: [viewsDir] });
}

const hostile: SendError = {
  at: '2026-12-03T13:16:00Z',
  model: 'RIA-R',
  recordId: '<img src=x onerror=alert(1)>',
  status: 'DADOS_INVALIDOS',
  codes: ['EHR-ERR983'],
  message: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660 <script>alert(1)</script>',
  action: 'Corrija o cadastro do cidadão no CADSUS.',
  group: 'Cadastro do cidadão (CADSUS)',
};

describe('views/rnds.ejs placing the view-model', () => {
  it('when the last send failed for the certificate, then the words are shown in the danger style with when and which model', async () => {
    const html = await render({ summary: { ...emptySummary(), lastSend: { at: '2026-12-03T13:15:00Z', model: 'RAC', status: 'certificate-failure', message: 'Falha no certificado' } } });
    expect(html).toMatch(/rnds-status__palavras--danger" id="rnds-status-palavras"><svg[^]*?<\/svg>\s*Falha no certificado<\/span>/);
    expect(html).toContain('Último envio em 03/12/2026 10:15 (RAC)');
    expect(html).not.toContain('Nenhum envio registrado');
  });

  it('when refusals carry markup in the record id and message, then they are shown as text, with o que fazer and quem resolve', async () => {
    const html = await render({ refusals: [hostile], codeCounts: [{ code: 'EHR-ERR983', count: 7 }] });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<dt>O que fazer</dt><dd>Corrija o cadastro do cidadão no CADSUS.</dd>');
    expect(html).toContain('<dt>Quem resolve</dt><dd>Cadastro do cidadão (CADSUS)</dd>');
    expect(html).toContain('03/12/2026 10:16');
    expect(html).toMatch(/<strong translate="no">EHR-ERR983<\/strong> · 7 registros/);
  });

  it('when the report form comes back without JavaScript, then it is in place (no dialog), with the error by the models and the choices kept', async () => {
    const html = await render({ reportForm: { de: '01/11/2026', ate: '30/11/2026', models: [], mascarar: true, errors: { models: 'Deverá ser marcado pelo menos um modelo de informação' } } });
    expect(html).not.toContain('<dialog');
    expect(html).toContain('id="relatorio"');
    expect(html).toMatch(/class="field__error" id="relatorio-modelos-dica" role="alert">Deverá ser marcado pelo menos um modelo de informação</);
    expect(html).toMatch(/id="relatorio-mascarar" checked/);
    expect(html).toContain(`<a class="btn btn--default" id="relatorio-cancelar" href="/gestao/rnds/rnds">Cancelar</a>`);
  });

  it('when the period counts are known, then each model says "N registros neste período"', async () => {
    const html = await render({ periodCounts: { RIA: 1, RAC: 405, RPM: 0 } });
    expect(html).toContain('data-count-for="RIA">1 registro neste período');
    expect(html).toContain('data-count-for="RAC">405 registros neste período');
    expect(html).toContain('data-count-for="RPM">0 registro neste período');
  });
});
