/** The Histórico as a person reads it: the events in pt-BR, dates in the zone, PEC's CSV conventions, the page model. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, csvLine, reportHeader } from '../../module/present/csv.js';
import { historyCsv, historyCsvFileName, historyEventText, historyPageModel, historyRow, periodText } from '../../module/present/history.js';
import type { AuditRecord } from '../../module/state/index.js';

const ZONE = 'America/Sao_Paulo';
const record = (action: AuditRecord['action'], extra: Partial<AuditRecord> = {}): AuditRecord => ({
  at: '2026-03-01T02:30:00.000Z',
  action,
  actor: 'maria.silva (10.0.0.7)',
  description: 'x',
  ...extra,
});

async function* from(records: AuditRecord[]): AsyncGenerator<AuditRecord> {
  yield* records;
}
async function text(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

describe('historyEventText and historyRow', () => {
  it('when each kind of record is shown, then it reads as what happened, in pt-BR', () => {
    expect(historyEventText(record('enable'))).toBe('Certificado habilitado');
    expect(historyEventText(record('enable-failed', { code: 'WRONG_PASSWORD' }))).toBe('Tentativa de habilitação recusada: senha incorreta');
    expect(historyEventText(record('enable-failed', { code: 'CERTIFICATE_EXPIRED' }))).toBe('Tentativa de habilitação recusada: certificado vencido');
    expect(historyEventText(record('enable-failed', { code: 'NOVO_CODIGO' }))).toBe('Tentativa de habilitação recusada: erro NOVO_CODIGO');
    expect(historyEventText(record('enable-failed'))).toBe('Tentativa de habilitação recusada: motivo não registrado');
    expect(historyEventText(record('disable'))).toBe('RNDS desabilitado');
    expect(historyEventText(record('renew'))).toBe('Certificado renovado');
    expect(historyEventText(record('renew-failed', { code: 'RNDS_CERTIFICATE_REJECTED' }))).toBe('Troca pelo certificado renovado recusada: a RNDS recusou o certificado');
    expect(historyEventText(record('contra-chave'))).toBe('Contra-chave alterada');
  });

  it('when a row is made, then the time is the installation zone’s, names are made safe to read and details say what changed', () => {
    const enabled = historyRow(record('enable', { file: 'muni\u202Ecipio.pfx', identificadorSolicitante: '3167' }), ZONE);
    expect(enabled).toEqual({
      at: '2026-03-01T02:30:00.000Z',
      when: '28/02/2026 23:30',
      event: 'Certificado habilitado',
      tone: 'success',
      file: 'muni\\u{202E}cipio.pfx',
      details: 'Identificador solicitante 3167',
      actor: 'maria.silva (10.0.0.7)',
    });
    expect(historyRow(record('enable'), 'America/Rio_Branco').when).toBe('28/02/2026 21:30');
    const changed = historyRow(record('contra-chave', { previousContraChave: 'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa', contraChave: 'bbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbb', source: 'tela' }), ZONE);
    expect(changed.details).toBe('De aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa para bbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbb (informada na tela)');
    expect(changed.file).toBe('');
    expect(historyRow(record('enable-failed', { code: 'WRONG_PASSWORD' }), ZONE)).toMatchObject({ tone: 'danger', details: 'Código WRONG_PASSWORD' });
  });

  it('when a period is named, then it reads as days, whatever the zone', () => {
    expect(periodText({ from: '2026-03-01', to: '2026-03-31' })).toBe('de 01/03/2026 até 31/03/2026');
    expect(periodText({ from: '2026-03-01', to: '2026-03-01' })).toBe('em 01/03/2026');
    expect(periodText({ from: '2026-03-01', to: null })).toBe('a partir de 01/03/2026');
    expect(periodText({ from: null, to: '2026-03-31' })).toBe('até 31/03/2026');
    expect(periodText({ from: null, to: null })).toBe('todo o histórico');
  });
});

describe("PEC's CSV conventions", () => {
  it('when a field holds the separator, a quote or a line break, then it is quoted; a formula-like start is defused', () => {
    expect(csvField('simples')).toBe('simples');
    expect(csvField('a;b')).toBe('"a;b"');
    expect(csvField('diz "oi"')).toBe('"diz ""oi"""');
    expect(csvField('um\ndois')).toBe('"um\ndois"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvLine(['a', 'b;c'])).toBe('a;"b;c"\r\n');
  });

  it('when the header block is written, then it is PEC’s, with the BOM first and the time in the zone', () => {
    const header = reportHeader({ title: 'Relatório', filters: ['Período: todo o histórico'], generatedAt: new Date('2026-12-03T16:20:00Z'), by: 'maria', timeZone: ZONE });

    expect(header.startsWith('\uFEFF')).toBe(true);
    expect(header.slice(1)).toBe(
      'e-SUS - Atenção Primária\r\nMINISTÉRIO DA SAÚDE\r\nFILTROS;Período: todo o histórico\r\nRelatório\r\nGerado em;03/12/2026;às;13:20;por;maria\r\n\r\n',
    );
  });

  it('when the history is written as CSV, then a real CSV parser reads the header block, the columns and one row per record', async () => {
    const records = [
      record('disable', { file: 'a;b.pfx', at: '2026-03-02T12:00:00.000Z' }),
      record('enable-failed', { file: 'muni "x".pfx', code: 'WRONG_PASSWORD', actor: '=cmd|calc' }),
    ];

    const csv = await text(historyCsv(from(records), { period: { from: '2026-03-01', to: null }, generatedAt: new Date('2026-03-03T12:00:00Z'), by: 'sessão (10.0.0.7)', timeZone: ZONE }));
    const rows: string[][] = parse(csv, { delimiter: ';', bom: true, relax_column_count: true, skip_empty_lines: true });

    expect(csv.split('\n').slice(0, -1).every((l) => l.endsWith('\r'))).toBe(true);
    expect(rows.slice(0, 6)).toEqual([
      ['e-SUS - Atenção Primária'],
      ['MINISTÉRIO DA SAÚDE'],
      ['FILTROS', 'Período: a partir de 01/03/2026'],
      ['Histórico de certificados da RNDS'],
      ['Gerado em', '03/03/2026', 'às', '09:00', 'por', 'sessão (10.0.0.7)'],
      ['Data e hora', 'Evento', 'Certificado', 'Detalhes', 'Realizado por'],
    ]);
    expect(rows.slice(6)).toEqual([
      ['02/03/2026 09:00', 'RNDS desabilitado', 'a;b.pfx', '', 'maria.silva (10.0.0.7)'],
      ['28/02/2026 23:30', 'Tentativa de habilitação recusada: senha incorreta', 'muni "x".pfx', 'Código WRONG_PASSWORD', "'=cmd|calc"],
    ]);
  });

  it('when the file is named, then it carries the date and time of the zone', () => {
    expect(historyCsvFileName(new Date('2026-12-03T16:20:00Z'), ZONE)).toBe('historico-rnds-2026-12-03-1320.csv');
  });
});

describe('historyPageModel', () => {
  const request = { base: '/rnds', csrfToken: 'csrf', loginEnabled: true, timeZone: ZONE };
  const values = { de: '', ate: '' };

  it('when the trail is empty, then the page says what will appear there', () => {
    const model = historyPageModel(request, { records: [], limit: 50, period: { from: null, to: null }, values, errors: {} });
    expect(model.rows).toEqual([]);
    expect(model.empty).toContain('Nenhum evento registrado ainda');
    expect(model.filtered).toBe(false);
  });

  it('when the list is full, then the summary says these are the latest and how to see all', () => {
    const records = Array.from({ length: 50 }, () => record('enable'));
    const model = historyPageModel(request, { records, limit: 50, period: { from: '2026-03-01', to: null }, values: { de: '2026-03-01', ate: '' }, errors: {} });
    expect(model.summary).toBe('Os 50 eventos mais recentes (a partir de 01/03/2026), do mais novo ao mais antigo. Para ver todos, exporte o CSV.');
    expect(model.fields.map((f) => f.value)).toEqual(['2026-03-01', '']);
    expect(model.filtered).toBe(true);
  });

  it('when a typed period is refused, then the text typed comes back with the error by its field', () => {
    const model = historyPageModel(request, { records: null, limit: 50, period: null, values: { de: '31/02/2026', ate: '' }, errors: { de: 'Data inicial inválida' } });
    expect(model.fields[0]).toMatchObject({ value: '31/02/2026', invalid: true, error: 'Data inicial inválida' });
    expect(model.fields[1]).toMatchObject({ invalid: false, error: '' });
    expect(model.summary).toContain('Corrija o período');
    expect(model.rows).toEqual([]);
  });

  it('when a period has no events, then the page says so and what to do', () => {
    const model = historyPageModel(request, { records: [], limit: 50, period: { from: '2026-03-01', to: '2026-03-02' }, values: { de: '2026-03-01', ate: '2026-03-02' }, errors: {} });
    expect(model.empty).toBe('Nenhum evento de 01/03/2026 até 02/03/2026. Escolha outro período ou limpe o filtro.');
  });
});
