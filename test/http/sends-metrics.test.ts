/**
 * The sends in GET {base}/metrics (supertest on a real module with a real data folder): every series at 0 before the
 * first report, the counts after real POST /api/envios batches, the counters kept across the retention, a restart and
 * a database of the first schema, and no patient data in anything the monitoring token reads.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RNDS_ERROR_GROUPS, SEND_MODELS, SEND_STATUSES } from '../../module/enums.js';
import { SENDS_FILE } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { BASE, startHarness, tempDir, type Harness } from '../support/harness.js';
import { writeVersion1Database } from '../support/sends-v1.js';

const REPORTING = 'envios-do-pec-0123456789abcdef';
const MONITORING = 'monitoramento-central-0123456789abcdef';
const asReporter = { Authorization: `Bearer ${REPORTING}` };
const asMonitor = { Authorization: `Bearer ${MONITORING}` };

const outcome = (...diagnostics: string[]) => ({ resourceType: 'OperationOutcome', issue: diagnostics.map((d) => ({ severity: 'error', code: 'processing', diagnostics: d })) });
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

let harness: Harness | undefined;
const folders: string[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness({ reportingToken: REPORTING, monitoringToken: MONITORING, ...options });
  return harness;
}

interface Scrape {
  text: string;
  /** The value of one series, or undefined when the scrape has no such sample. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a metric, as `{labels}` → value. */
  samples(name: string): Map<string, number>;
}

async function scrape(h: Harness): Promise<Scrape> {
  const res = await request(h.app).get(`${BASE}/metrics`).set(asMonitor);
  expect(res.status).toBe(200);
  const text = res.text;
  const samples = (name: string) => {
    const found = new Map<string, number>();
    for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) found.set(m[1] ?? '', Number(m[2]));
    return found;
  };
  const value = (name: string, labels: Record<string, string> = {}) => {
    const key = Object.keys(labels).length === 0 ? '' : `{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
    return samples(name).get(key);
  };
  return { text, value, samples };
}

/** The sends' series of a scrape, as comparable data. */
function sendsSeries(s: Scrape) {
  return {
    sends: s.samples('pec_rnds_sends_total'),
    refusals: s.samples('pec_rnds_send_refusals_total'),
    last: s.samples('pec_rnds_last_send_timestamp_seconds'),
    delivered: s.samples('pec_rnds_last_delivered_send_timestamp_seconds'),
  };
}

const batch = {
  envios: [
    { at: '2026-12-03T10:00:00-03:00', model: 'RAC', recordId: 'rac-1', httpStatus: 201, rndsId: 'Composition/1' },
    { at: '2026-12-03T10:01:00-03:00', model: 'RAC', recordId: 'rac-2', httpStatus: 409, operationOutcome: outcome('(EDS-MSG010) já existe') },
    { at: '2026-12-03T10:02:00-03:00', model: 'RIA-R', recordId: 'ria-1', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') },
    { at: '2026-12-03T10:03:00-03:00', model: 'RIA-R', recordId: 'ria-2', httpStatus: 422, operationOutcome: outcome('(EHR-ERR881) identificador') },
    { at: '2026-12-03T10:04:00-03:00', model: 'RIA-C', recordId: 'ria-3', httpStatus: 401 },
    { at: '2026-12-03T10:05:00-03:00', model: 'RPM', recordId: 'rpm-1', failure: 'no-connection', detail: 'ETIMEDOUT' },
    { at: '2026-12-03T10:06:00-03:00', model: 'RPM', recordId: 'rpm-2', httpStatus: 400 },
    { at: '2026-12-04T08:00:00-03:00', model: 'RIA-R', recordId: 'ria-1', delivery: 'ENVIADO_CENTRALIZADOR' },
  ],
};

describe('the sends in GET {base}/metrics', () => {
  it('when nothing was ever reported, then every sends series is 0, no timestamp is shown, and the scrape creates no database', async () => {
    const h = await start();
    const s = await scrape(h);
    for (const model of SEND_MODELS) {
      for (const status of SEND_STATUSES) expect(s.value('pec_rnds_sends_total', { model, status }), `${model} ${status}`).toBe(0);
      for (const group of RNDS_ERROR_GROUPS) expect(s.value('pec_rnds_send_refusals_total', { model, group }), `${model} ${group}`).toBe(0);
    }
    expect(s.samples('pec_rnds_sends_total').size).toBe(SEND_MODELS.length * SEND_STATUSES.length);
    expect(s.samples('pec_rnds_send_refusals_total').size).toBe(SEND_MODELS.length * RNDS_ERROR_GROUPS.length);
    expect(s.samples('pec_rnds_last_send_timestamp_seconds').size).toBe(0);
    expect(s.samples('pec_rnds_last_delivered_send_timestamp_seconds').size).toBe(0);
    for (const name of ['sends_total', 'send_refusals_total', 'last_send_timestamp_seconds', 'last_delivered_send_timestamp_seconds']) {
      expect(s.text).toMatch(new RegExp(`^# HELP pec_rnds_${name} \\S`, 'm'));
    }
    expect(fs.existsSync(path.join(h.dataDir, SENDS_FILE))).toBe(false);
  });

  it('when batches are reported over HTTP, then each accepted send counts once (duplicates not), each refusal in its group, and the timestamps are the latest direct sends', async () => {
    const h = await start();
    expect((await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(batch)).body).toEqual({ accepted: 8, duplicates: 0 });
    expect((await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(batch)).body).toEqual({ accepted: 0, duplicates: 8 });
    const s = await scrape(h);
    const sends = (model: string, status: string) => s.value('pec_rnds_sends_total', { model, status });
    const refusals = (model: string, group: string) => s.value('pec_rnds_send_refusals_total', { model, group });
    expect(sends('RAC', 'ENVIADO')).toBe(2); // a duplicate answer of RNDS is delivered
    expect(sends('RIA-R', 'DADOS_INVALIDOS')).toBe(1);
    expect(sends('RIA-R', 'FALHA_CREDENCIAL')).toBe(1);
    expect(sends('RIA-R', 'ENVIADO_CENTRALIZADOR')).toBe(1);
    expect(sends('RIA-C', 'FALHA_CREDENCIAL')).toBe(1);
    expect(sends('RPM', 'SEM_CONEXAO')).toBe(1);
    expect(sends('RPM', 'DADOS_INVALIDOS')).toBe(1);
    expect([...s.samples('pec_rnds_sends_total').values()].reduce((a, b) => a + b, 0)).toBe(8);
    expect(refusals('RIA-R', 'cidadao')).toBe(1);
    expect(refusals('RIA-R', 'credencial')).toBe(1);
    expect(refusals('RIA-C', 'credencial')).toBe(1);
    expect(refusals('RPM', 'rnds-fora')).toBe(1);
    expect(refusals('RPM', 'desconhecido')).toBe(1);
    expect(refusals('RAC', 'duplicado')).toBe(0);
    expect([...s.samples('pec_rnds_send_refusals_total').values()].reduce((a, b) => a + b, 0)).toBe(5);
    expect(Object.fromEntries(s.samples('pec_rnds_last_send_timestamp_seconds'))).toEqual({
      '{model="RIA-C"}': seconds('2026-12-03T10:04:00-03:00'),
      '{model="RIA-R"}': seconds('2026-12-03T10:03:00-03:00'), // the delivery is not a direct send
      '{model="RAC"}': seconds('2026-12-03T10:01:00-03:00'),
      '{model="RPM"}': seconds('2026-12-03T10:06:00-03:00'),
    });
    expect(s.value('pec_rnds_last_delivered_send_timestamp_seconds')).toBe(seconds('2026-12-03T10:01:00-03:00'));

    await h.restart();
    expect(sendsSeries(await scrape(h))).toEqual(sendsSeries(s));
  });

  it('when the retention removes the send rows and the module restarts, then the counters and timestamps stay as they were', async () => {
    const clock = { now: new Date('2026-12-03T12:00:00Z') };
    const h = await start({ now: () => clock.now, sendsRetentionDays: 30 });
    const old = { envios: batch.envios.map((send) => ({ ...send, at: send.at.replace('2026-12-0', '2026-11-1') })) };
    expect((await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(old)).body.accepted).toBe(8);
    const before = sendsSeries(await scrape(h));
    expect(before.delivered.size).toBe(1);

    clock.now = new Date('2027-01-10T12:00:00Z'); // every row past 30 days; the daily retention is due
    expect((await request(h.app).get(`${BASE}/api/envios`).set(asMonitor)).status).toBe(200);
    expect(sendsSeries(await scrape(h))).toEqual(before);

    await h.rnds.close();
    const db = await openDatabase(path.join(h.dataDir, SENDS_FILE));
    try {
      expect(db.get('SELECT COUNT(*) AS n FROM sends')).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    await h.restart();
    expect(sendsSeries(await scrape(h))).toEqual(before);
  });

  it('when the data folder holds a database of the first schema, then the module starts from its rows and goes on counting', async () => {
    const folder = tempDir();
    folders.push(folder);
    const dataDir = path.join(folder, 'data');
    await writeVersion1Database(path.join(dataDir, SENDS_FILE), [
      { at: '2026-12-01T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 },
      { at: '2026-12-01T10:01:00Z', model: 'RAC', recordId: 'b', httpStatus: 422, operationOutcome: outcome('(EHR-ERR832) lotação') },
      { at: '2026-12-01T10:02:00Z', model: 'RPM', recordId: 'c', failure: 'certificate-failure' },
    ]);
    const h = await start({ dataDir });
    const s = await scrape(h);
    expect(s.value('pec_rnds_sends_total', { model: 'RAC', status: 'ENVIADO' })).toBe(1);
    expect(s.value('pec_rnds_send_refusals_total', { model: 'RAC', group: 'profissional-estabelecimento' })).toBe(1);
    expect(s.value('pec_rnds_send_refusals_total', { model: 'RPM', group: 'credencial' })).toBe(1);
    expect(s.value('pec_rnds_last_send_timestamp_seconds', { model: 'RPM' })).toBe(seconds('2026-12-01T10:02:00Z'));
    expect(s.value('pec_rnds_last_delivered_send_timestamp_seconds')).toBe(seconds('2026-12-01T10:00:00Z'));
    await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'd', httpStatus: 201 }] });
    const after = await scrape(h);
    expect(after.value('pec_rnds_sends_total', { model: 'RAC', status: 'ENVIADO' })).toBe(2);
    expect(after.value('pec_rnds_last_delivered_send_timestamp_seconds')).toBe(seconds('2026-12-03T10:00:00Z'));
  });
});

describe('no patient data in the sends metrics', () => {
  it('when sends carry CNS, CPF, record ids, RNDS diagnostics, rndsId and CNES, then none of them (nor their runs of 5+ digits) is in /metrics', async () => {
    const h = await start();
    const cns = '898001160668392';
    const cpf = '529.982.247-25';
    const secrets = [
      cns,
      cpf,
      '52998224725',
      `atendimento-${cns}`,
      'vacina-cpf-52998224725',
      'prontuario-7340912',
      'Paciente não encontrado',
      'Composition/7d3f1c9a-88231',
      '2204681',
      'ETIMEDOUT',
    ];
    const report = {
      envios: [
        { at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: `atendimento-${cns}`, httpStatus: 201, rndsId: 'Composition/7d3f1c9a-88231', cnes: '2204681' },
        { at: '2026-12-03T10:01:00Z', model: 'RIA-R', recordId: 'vacina-cpf-52998224725', httpStatus: 422, cnes: '2204681', operationOutcome: outcome(`(EHR-ERR983) Paciente não encontrado: Patient/${cns} CPF ${cpf}`) },
        { at: '2026-12-03T10:02:00Z', model: 'RPM', recordId: 'prontuario-7340912', failure: 'no-connection', detail: `ETIMEDOUT ao enviar ${cpf} ${cns}` },
        { at: '2026-12-03T10:03:00Z', model: 'RIA-C', recordId: `atendimento-${cns}`, httpStatus: 422, operationOutcome: { issue: [{ details: { coding: [{ code: 'ERR897' }] }, diagnostics: `CNES 2204681 do ${cns}` }] } },
      ],
    };
    expect((await request(h.app).post(`${BASE}/api/envios`).set(asReporter).send(report)).body.accepted).toBe(4);
    const { text } = await scrape(h);
    expect(text).toMatch(/^pec_rnds_sends_total\{model="RIA-R",status="DADOS_INVALIDOS"\} 1$/m); // the sends are there
    for (const secret of secrets) {
      expect(text, secret).not.toContain(secret);
      for (const run of secret.match(/\d{5,}/g) ?? []) expect(text, `${secret}: ${run}`).not.toContain(run);
    }
    // Every label value of the sends' metrics is from a closed set.
    const allowed = new Set<string>([...SEND_MODELS, ...SEND_STATUSES, ...RNDS_ERROR_GROUPS]);
    for (const m of text.matchAll(/^pec_rnds_(?:sends_total|send_refusals_total|last_send_timestamp_seconds)\{([^}]*)\}/gm)) {
      for (const v of m[1]!.matchAll(/="([^"]*)"/g)) expect(allowed.has(v[1]!), v[1]).toBe(true);
    }
  });
});
