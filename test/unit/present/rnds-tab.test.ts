import { describe, expect, it } from 'vitest';
import { explain } from '../../../module/rnds/dictionary.js';
import {
  MIN_MODEL_MESSAGE,
  NOT_CONFIGURED_TEXT,
  checkReportForm,
  emptySummary,
  filterFrom,
  lastDays,
  parseDay,
  percentSent,
  registros,
  rndsTabModel,
  type RndsTabInput,
  type SendError,
  type SendsSummary,
} from '../../../module/present/rnds-tab.js';

const TZ = 'America/Sao_Paulo';

function input(overrides: Partial<RndsTabInput> = {}): RndsTabInput {
  return {
    enabled: true,
    sendsVersion: 'a1b2c3d4.0',
    summary: emptySummary(),
    refusals: [],
    codeCounts: [],
    periodCounts: { RIA: 0, RAC: 0, RPM: 0 },
    filter: {},
    period: { de: '2026-11-04', ate: '2026-12-03' },
    timeZone: TZ,
    base: '/gestao/rnds',
    ...overrides,
  };
}

const PEC_SUMMARY: SendsSummary = {
  lastSend: { at: '2026-12-03T13:15:00Z', model: 'RAC', status: 'ok', message: 'Conexão bem-sucedida' },
  models: [
    { model: 'RIA', total: 65, sent: 65, notSent: 0 },
    { model: 'RAC', total: 405, sent: 404, notSent: 1 },
    { model: 'RPM', total: 154, sent: 100, notSent: 54 },
  ],
};

const refusal = (n: number, over: Partial<SendError> = {}): SendError => ({
  at: `2026-12-03T${String(10 + (n % 10)).padStart(2, '0')}:00:00Z`,
  model: 'RIA-R',
  recordId: `2204681-${n}`,
  status: 'DADOS_INVALIDOS',
  codes: ['EHR-ERR983'],
  message: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660',
  action: 'Corrija o cidadão no CADSUS.',
  group: 'Cadastro do cidadão (CADSUS)',
  ...over,
});

describe('registros and percentSent: PEC\'s words for counts', () => {
  it('when the count is 0 or 1, then PEC\'s singular; from 2, the plural', () => {
    expect(registros(0)).toBe('0 registro');
    expect(registros(1)).toBe('1 registro');
    expect(registros(2)).toBe('2 registros');
    expect(registros(405)).toBe('405 registros');
  });

  it('when every record was sent, then 100.0% with a dot; otherwise rounded down, so 100.0% is never shown while one is missing', () => {
    expect(percentSent(65, 65)).toBe('100.0%');
    expect(percentSent(404, 405)).toBe('99.7%');
    expect(percentSent(9999, 10000)).toBe('99.9%');
    expect(percentSent(1, 3)).toBe('33.3%');
    expect(percentSent(0, 10)).toBe('0.0%');
    expect(percentSent(0, 0)).toBe('0.0%');
  });
});

describe('rndsTabModel: what the RNDS tab shows', () => {
  it('when nothing is enabled, then PEC\'s own empty text and no "nenhum envio" notice', () => {
    const model = rndsTabModel(input({ enabled: false }));
    expect(model.enabled).toBe(false);
    expect(model.notConfiguredText).toBe('Certificado não configurado. Não há registros a serem exibidos.');
    expect(NOT_CONFIGURED_TEXT).toBe(model.notConfiguredText);
    expect(model.noSend).toBeNull();
    expect(model.lastSend).toBeNull();
  });

  it('when enabled and nothing was reported, then "Nenhum envio registrado" with what it means and what to do', () => {
    const model = rndsTabModel(input());
    expect(model.lastSend).toBeNull();
    expect(model.noSend?.title).toBe('Nenhum envio registrado');
    expect(model.noSend?.text).toMatch(/ainda não informou/);
    expect(model.noSend?.text).toMatch(/configure o PEC para informar os envios/);
    expect(model.refusals.emptyText).toBe('Nenhum registro não enviado.');
  });

  it.each([
    ['ok', 'Conexão bem-sucedida', 'success'],
    ['no-connection', 'Sem conexão', 'danger'],
    ['certificate-expired', 'Certificado expirado', 'danger'],
    ['certificate-failure', 'Falha no certificado', 'danger'],
  ] as const)('when the last direct send is %s, then the status line says "%s" (%s), with when and which model', (status, text, tone) => {
    const model = rndsTabModel(input({ summary: { ...PEC_SUMMARY, lastSend: { at: '2026-12-03T13:15:00Z', model: 'RPM', status, message: text } } }));
    expect(model.lastSend).toMatchObject({ text, tone });
    expect(model.lastSend?.detail).toBe('Último envio em 03/12/2026 10:15 (RPM)');
    expect(model.noSend).toBeNull();
  });

  it('when the summary has PEC\'s counts, then three accordions with the 5.3 names, "N registros", "N registros | P%" and PEC\'s singular for não enviados', () => {
    const model = rndsTabModel(input({ summary: PEC_SUMMARY }));
    expect(model.accordions.map((a) => [a.id, a.name, a.totalText, a.sentText, a.notSentText, a.hasNotSent])).toEqual([
      ['modelo-ria', 'Registro de Imunobiológico Administrado em: Campanha (RIA-C) ou Rotina (RIA-R)', '65 registros', '65 registros | 100.0%', '0 registro', false],
      ['modelo-rac', 'Registro de Atendimento Clínico (RAC)', '405 registros', '404 registros | 99.7%', '1 registro', true],
      ['modelo-rpm', 'Registro de Prescrição de Medicamentos (RPM)', '154 registros', '100 registros | 64.9%', '54 registros', true],
    ]);
  });

  it('when a model is missing from the summary, then its accordion still shows, at zero', () => {
    const model = rndsTabModel(input({ summary: { lastSend: null, models: [{ model: 'RAC', total: 2, sent: 2, notSent: 0 }] } }));
    expect(model.accordions.map((a) => a.totalText)).toEqual(['0 registro', '2 registros', '0 registro']);
  });

  it('when there are refusals, then at most 20 rows, each with its date in the installation\'s zone, status word, o que fazer and quem resolve', () => {
    const refusals = Array.from({ length: 25 }, (_, n) => refusal(n));
    refusals[0] = refusal(0, { status: 'FALHA_CREDENCIAL', model: 'RAC', message: '(EHR-ERR881) sem autorização\u2028BRRNDS-3167', action: 'Confira o identificador.', group: 'Credencial (e-Gestor AB)' });
    const model = rndsTabModel(input({ summary: PEC_SUMMARY, refusals }));
    expect(model.refusals.rows).toHaveLength(20);
    expect(model.refusals.rows[0]).toEqual({
      at: '03/12/2026 07:00',
      model: 'RAC',
      recordId: '2204681-0',
      statusText: 'Falha na credencial',
      message: '(EHR-ERR881) sem autorização\\u{2028}BRRNDS-3167',
      action: 'Confira o identificador.',
      group: 'Credencial (e-Gestor AB)',
    });
    expect(model.refusals.rows[1]?.statusText).toBe('Dados recusados');
  });

  it('when each status of a refusal is shown, then it has its own words', () => {
    const statuses = ['FALHA_CREDENCIAL', 'SEM_CONEXAO', 'DADOS_INVALIDOS'] as const;
    const model = rndsTabModel(input({ refusals: statuses.map((status, n) => refusal(n, { status })) }));
    expect(model.refusals.rows.map((r) => r.statusText)).toEqual(['Falha na credencial', 'Sem conexão', 'Dados recusados']);
  });

  it('when a filter is set, then its options are selected and the empty text says the filter found nothing', () => {
    const model = rndsTabModel(input({ summary: PEC_SUMMARY, filter: { model: 'RPM', status: 'SEM_CONEXAO' } }));
    expect(model.refusals.filtered).toBe(true);
    expect(model.refusals.modelOptions.filter((o) => o.selected).map((o) => o.value)).toEqual(['RPM']);
    expect(model.refusals.statusOptions.filter((o) => o.selected).map((o) => o.value)).toEqual(['SEM_CONEXAO']);
    expect(model.refusals.statusOptions.map((o) => o.value)).toEqual(['', 'FALHA_CREDENCIAL', 'SEM_CONEXAO', 'DADOS_INVALIDOS']);
    expect(model.refusals.emptyText).toMatch(/com este filtro/);
  });

  it('when codes are counted, then the most frequent first, each with the dictionary\'s group and advice; unknown codes get the generic line', () => {
    const model = rndsTabModel(input({ codeCounts: [{ code: 'EHR-ERR832', count: 3 }, { code: 'EHR-ERR983', count: 40 }, { code: 'EHR-ERR12345', count: 1 }] }));
    expect(model.codes.rows.map((r) => [r.code, r.countText])).toEqual([['EHR-ERR983', '40 registros'], ['EHR-ERR832', '3 registros'], ['EHR-ERR12345', '1 registro']]);
    // The advice is the dictionary's own (module/rnds/dictionary.ts), never rewritten here.
    for (const row of model.codes.rows) expect([row.group, row.action]).toEqual([explain(row.code).groupLabel, explain(row.code).action]);
    expect(model.codes.rows[2]?.action.length).toBeGreaterThan(0);
    expect(model.codes.title).toBe('Erros por código de 04/11/2026 a 03/12/2026');
  });

  it('when the report dialog is built, then PEC\'s labels with "N registros neste período", the period in dd/mm/aaaa and nothing ticked', () => {
    const model = rndsTabModel(input({ periodCounts: { RIA: 1, RAC: 0, RPM: 12 } }));
    expect(model.report.models.map((m) => [m.label, m.countText, m.checked])).toEqual([
      ['RIAR e RIAC', '1 registro neste período', false],
      ['RAC', '0 registro neste período', false],
      ['RPM', '12 registros neste período', false],
    ]);
    expect([model.report.de, model.report.ate]).toEqual(['04/11/2026', '03/12/2026']);
    expect(model.report.minModelMessage).toBe('Deverá ser marcado pelo menos um modelo de informação');
    expect(model.report.inPlace).toBe(false);
    expect(model.report.action).toBe('/gestao/rnds/rnds/relatorio#relatorio');
  });
});

describe('checkReportForm: the report form without JavaScript', () => {
  it('when models come as repeated checkboxes or joined by commas, then the CSV query joins them by commas in PEC\'s order', () => {
    expect(checkReportForm({ de: '2026-11-01', ate: '2026-11-30', modelos: ['RPM', 'RIA'] })).toEqual({ ok: true, query: 'de=2026-11-01&ate=2026-11-30&modelos=RIA,RPM' });
    expect(checkReportForm({ de: '01/11/2026', ate: '30/11/2026', modelos: 'RAC,RPM', mascarar: '1' })).toEqual({ ok: true, query: 'de=2026-11-01&ate=2026-11-30&modelos=RAC,RPM&mascarar=1' });
  });

  it('when nothing is ticked, then PEC\'s message, and the dates stay as dd/mm/aaaa', () => {
    const answer = checkReportForm({ de: '2026-11-01', ate: '2026-11-30' });
    expect(answer).toEqual({ ok: false, form: { de: '01/11/2026', ate: '30/11/2026', models: [], mascarar: false, errors: { models: MIN_MODEL_MESSAGE } } });
  });

  it('when a model name is unknown, then it is not sent', () => {
    expect(checkReportForm({ de: '2026-11-01', ate: '2026-11-30', modelos: 'RIA-X' }).ok).toBe(false);
  });
});

describe('dates and the filter', () => {
  it('when a day is typed dd/mm/aaaa or written aaaa-mm-dd, then it is read; impossible days are not', () => {
    expect(parseDay('1/2/2026')).toBe('2026-02-01');
    expect(parseDay(' 28/02/2026 ')).toBe('2026-02-28');
    expect(parseDay('2026-02-28')).toBe('2026-02-28');
    expect(parseDay('29/02/2026')).toBeNull();
    expect(parseDay('2026-13-01')).toBeNull();
    expect(parseDay(['2026-01-01'])).toBeNull();
  });

  it('when the default period is asked near midnight UTC, then it ends on the installation\'s today', () => {
    // 02:00 UTC on 3 December is still 2 December in São Paulo (UTC−3).
    expect(lastDays(new Date('2026-12-03T02:00:00Z'), TZ)).toEqual({ de: '2026-11-03', ate: '2026-12-02' });
    expect(lastDays(new Date('2026-03-01T12:00:00Z'), TZ)).toEqual({ de: '2026-01-31', ate: '2026-03-01' });
  });

  it('when the query names a model and a delivered status, then only the model is kept (a refusal is never ENVIADO)', () => {
    expect(filterFrom({ modelo: 'RAC', status: 'ENVIADO' })).toEqual({ model: 'RAC' });
    expect(filterFrom({ modelo: ['RAC'], status: 'SEM_CONEXAO' })).toEqual({ status: 'SEM_CONEXAO' });
  });
});
