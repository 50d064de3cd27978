/**
 * GET {base}/api/envios/relatorio-erros.csv over HTTP (supertest on a real module with a real data folder): sends
 * reported with POST /api/envios, the CSV read back byte for byte by a real CSV parser — PEC's header block, the
 * columns, the dictionary's advice, the filters, the masking — who may download it, and the RNDS tab's report form
 * leading to it.
 */
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP_LABELS, explain } from '../../module/rnds/dictionary.js';
import { BASE, bearer, loggedIn, startHarness, type Harness } from '../support/harness.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const MONITORING = 'monitoramento-central-0123456789abcdef';
const NOW = new Date('2026-12-04T15:45:00Z'); // 04/12/2026 12:45 in Brasília
const COLUMNS = ['Data do envio', 'Tipo de registro', 'Id do registro', 'Status do envio', 'Erro retornado pela RNDS', 'O que fazer', 'Quem resolve'];

const outcome = (diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics }] });
const PATIENT = '(EHR-ERR983) Paciente não encontrado: Patient/01100126660';
const report = {
  envios: [
    { at: '2026-12-01T08:00:00-03:00', model: 'RAC', recordId: '2204681-6f1c0a', httpStatus: 201, rndsId: 'Composition/1' },
    { at: '2026-12-02T09:30:00-03:00', model: 'RIA-R', recordId: 'vacina-700123456789012', httpStatus: 422, operationOutcome: outcome(PATIENT) },
    { at: '2026-12-02T10:00:00-03:00', model: 'RIA-C', recordId: 'vacina-duplicada-1', httpStatus: 422, operationOutcome: outcome('(EDS-MSG010) Registro já existe na RNDS') },
    { at: '2026-12-03T23:30:00-03:00', model: 'RAC', recordId: 'atendimento-42', failure: 'no-connection', detail: 'ETIMEDOUT; "sem resposta"' },
    { at: '2026-11-20T10:00:00-03:00', model: 'RPM', recordId: 'prescricao-antiga', httpStatus: 422, operationOutcome: outcome(PATIENT) },
  ],
};

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(): Promise<Harness> {
  harness = await startHarness({ reportingToken: REPORTING, monitoringToken: MONITORING, now: () => NOW, timeZone: 'America/Sao_Paulo' });
  const res = await request(harness.app).post(`${BASE}/api/envios`).set(bearer).send(report);
  expect(res.body).toEqual({ accepted: 5, duplicates: 0 });
  return harness;
}

/** The answer's body as the bytes sent (supertest would decode text). */
function bytes(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

const csvRows = (body: Buffer): string[][] => parse(body, { bom: true, delimiter: ';', relax_column_count: true, skip_empty_lines: true });
/** The rows below the header row. */
function dataRows(body: Buffer): string[][] {
  const rows = csvRows(body);
  const header = rows.findIndex((r) => r[0] === 'Data do envio');
  expect(rows[header]).toEqual(COLUMNS);
  return rows.slice(header + 1);
}

const csv = (h: Harness, query: string) => bytes(request(h.app).get(`${BASE}/api/envios/relatorio-erros.csv?${query}`).set(bearer));

describe('GET {base}/api/envios/relatorio-erros.csv', () => {
  it("when an admin downloads a period, then PEC's header block, the columns and one row per record not sent come, newest first, with the advice", async () => {
    const h = await start();
    const res = await csv(h, 'de=2026-12-01&ate=2026-12-03&modelos=RIA,RAC,RPM').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="relatorio-erros-rnds-2026-12-01-2026-12-03.csv"');
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.body as Buffer;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.toString('utf8')).toContain('\r\n');
    expect(body.toString('utf8').replaceAll('\r\n', '')).not.toContain('\n');
    expect(csvRows(body).slice(0, 6)).toEqual([
      ['e-SUS - Atenção Primária'],
      ['MINISTÉRIO DA SAÚDE'],
      ['FILTROS', 'Período: de 01/12/2026 até 03/12/2026', 'Modelos: RIAR e RIAC, RAC, RPM'],
      ['Relatório de Erros da RNDS'],
      ['Gerado em', '04/12/2026', 'às', '12:45', 'por', expect.stringMatching(/^token \(/)],
      COLUMNS,
    ]);
    const err983 = explain('EHR-ERR983');
    expect(dataRows(body)).toEqual([
      // 23:30 of the 3rd in Brasília is the 4th in UTC: the period is the installation's calendar days.
      ['03/12/2026 23:30', 'RAC', 'atendimento-42', 'SEM_CONEXAO', 'ETIMEDOUT; "sem resposta"', expect.stringMatching(/\S/), GROUP_LABELS['rnds-fora']],
      ['02/12/2026 09:30', 'RIA-R', 'vacina-700123456789012', 'DADOS_INVALIDOS', PATIENT, err983.action, err983.groupLabel],
    ]);
    expect(err983.groupLabel).toBe('Cadastro do cidadão (UBS, CADSUS)');
    // The duplicate counts as delivered and the send of November is outside the period.
    expect(body.toString('utf8')).not.toContain('vacina-duplicada-1');
    expect(body.toString('utf8')).not.toContain('prescricao-antiga');
  });

  it('when the period or the models change, then only the records of those models whose latest send is in the period come', async () => {
    const h = await start();
    const rac = dataRows((await csv(h, 'de=2026-12-01&ate=2026-12-03&modelos=RAC').expect(200)).body as Buffer);
    expect(rac.map((r) => r[2])).toEqual(['atendimento-42']);
    const ria = dataRows((await csv(h, 'de=2026-12-01&ate=2026-12-03&modelos=RIA').expect(200)).body as Buffer);
    expect(ria.map((r) => r[2])).toEqual(['vacina-700123456789012']);
    const november = await csv(h, 'de=2026-11-01&ate=2026-11-30&modelos=RIA,RAC,RPM').expect(200);
    expect(november.headers['content-disposition']).toBe('attachment; filename="relatorio-erros-rnds-2026-11-01-2026-11-30.csv"');
    expect(dataRows(november.body as Buffer).map((r) => r[2])).toEqual(['prescricao-antiga']);
    expect(csvRows(november.body as Buffer)[2]).toEqual(['FILTROS', 'Período: de 01/11/2026 até 30/11/2026', 'Modelos: RIAR e RIAC, RAC, RPM']);
    const fourth = dataRows((await csv(h, 'de=2026-12-04&ate=2026-12-04&modelos=RAC').expect(200)).body as Buffer);
    expect(fourth).toEqual([]);
  });

  it('when mascarar=1, then every digit but the last 4 of each number in the id and the RNDS text is *, and the full numbers are nowhere in the bytes', async () => {
    const h = await start();
    const res = await csv(h, 'de=2026-12-01&ate=2026-12-03&modelos=RIA&mascarar=1').expect(200);
    const body = res.body as Buffer;
    expect(dataRows(body)).toEqual([
      ['02/12/2026 09:30', 'RIA-R', 'vacina-***********9012', 'DADOS_INVALIDOS', '(EHR-ERR983) Paciente não encontrado: Patient/*******6660', explain('EHR-ERR983').action, explain('EHR-ERR983').groupLabel],
    ]);
    const text = body.toString('utf8');
    expect(text).not.toContain('01100126660');
    expect(text).not.toContain('700123456789012');
    expect(text).not.toContain('0110012');
    const plain = (await csv(h, 'de=2026-12-01&ate=2026-12-03&modelos=RIA').expect(200)).body as Buffer;
    expect(plain.toString('utf8')).toContain('Patient/01100126660');
  });

  it('when a record id looks like a spreadsheet formula, then it is written as text (a leading apostrophe), quoted when it holds ;', async () => {
    const h = await start();
    const formula = '=HYPERLINK("http://exemplo.invalido";"abrir")';
    await request(h.app).post(`${BASE}/api/envios`).set(bearer).send({ envios: [{ at: '2026-12-02T11:00:00-03:00', model: 'RPM', recordId: formula, httpStatus: 422, operationOutcome: outcome('@SUM(1+1) (EHR-ERR983)') }] }).expect(200);
    const res = await csv(h, 'de=2026-12-02&ate=2026-12-02&modelos=RPM').expect(200);
    expect(dataRows(res.body as Buffer).map((r) => [r[2], r[4]])).toEqual([[`'${formula}`, "'@SUM(1+1) (EHR-ERR983)"]]);
  });

  it('when the period holds more records than a page of the store, then every one comes, newest first, none twice', async () => {
    const h = await start();
    const at = (i: number) => new Date(Date.parse('2026-12-05T12:00:00Z') + i * 1000).toISOString();
    for (let batch = 0; batch < 2; batch++) {
      const envios = Array.from({ length: 650 }, (_, j) => batch * 650 + j).map((i) => ({ at: at(i), model: 'RAC', recordId: `rac-${i}`, httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') }));
      await request(h.app).post(`${BASE}/api/envios`).set(bearer).send({ envios }).expect(200);
    }
    const rows = dataRows((await csv(h, 'de=2026-12-05&ate=2026-12-05&modelos=RAC').expect(200)).body as Buffer);
    expect(rows.map((r) => r[2])).toEqual(Array.from({ length: 1300 }, (_, i) => `rac-${1299 - i}`));
  });

  it('when the query is missing or malformed, then 400 INVALID_INPUT as /api/envios/erros, no CSV', async () => {
    const h = await start();
    for (const query of ['de=2026-12-03&ate=2026-12-01&modelos=RAC', 'de=03/12/2026&ate=2026-12-03&modelos=RAC', 'de=2026-12-01&ate=2026-12-03', 'de=2026-12-01&ate=2026-12-03&modelos=XYZ', '']) {
      const res = await request(h.app).get(`${BASE}/api/envios/relatorio-erros.csv?${query}`).set(bearer);
      expect(res.status, query).toBe(400);
      expect(res.headers['content-type'], query).toMatch(/application\/json/);
      expect(res.body.error.code).toBe('INVALID_INPUT');
      expect(res.headers['content-disposition']).toBeUndefined();
    }
  });

  it('when the monitoring or the reporting token or nobody asks, then 403, 403 and 401, and no record id leaks', async () => {
    const h = await start();
    const path = `${BASE}/api/envios/relatorio-erros.csv?de=2026-12-01&ate=2026-12-03&modelos=RIA,RAC,RPM`;
    const monitor = await request(h.app).get(path).set({ Authorization: `Bearer ${MONITORING}` });
    const reporter = await request(h.app).get(path).set({ Authorization: `Bearer ${REPORTING}` });
    const nobody = await request(h.app).get(path);
    expect([monitor.status, reporter.status, nobody.status]).toEqual([403, 403, 401]);
    for (const res of [monitor, reporter, nobody]) {
      expect(res.text).not.toContain('vacina-');
      expect(res.text).not.toContain('01100126660');
    }
  });
});

describe("the RNDS tab's report form", () => {
  it('when an admin session submits the form, then a 303 leads to the CSV, which answers 200 with the choice made', async () => {
    const h = await start();
    const { agent } = await loggedIn(h);
    const form = await agent.get(`${BASE}/rnds/relatorio?de=01/12/2026&ate=03/12/2026&modelos=RIA&mascarar=1`);
    expect(form.status).toBe(303);
    const location = form.headers.location!;
    expect(location).toBe(`${BASE}/api/envios/relatorio-erros.csv?de=2026-12-01&ate=2026-12-03&modelos=RIA&mascarar=1`);
    const res = await bytes(agent.get(location)).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const body = res.body as Buffer;
    expect(csvRows(body)[2]).toEqual(['FILTROS', 'Período: de 01/12/2026 até 03/12/2026', 'Modelos: RIAR e RIAC', 'CNS/CPF mascarados']);
    expect(csvRows(body)[4]).toEqual(['Gerado em', '04/12/2026', 'às', '12:45', 'por', expect.stringMatching(/^sessão \(/)]);
    expect(dataRows(body).map((r) => r[2])).toEqual(['vacina-***********9012']);
  });
});
