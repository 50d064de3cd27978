/**
 * The retention seen over HTTP (supertest on a real module, a real data folder and an injected clock): once a refused
 * record is past RNDS_SENDS_RETENTION_DAYS, the RNDS tab, the error list and the CSV no longer show it or RNDS's text
 * naming a patient, and the tab's counters stay.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE, CERTS, bearer, startHarness, type Harness } from '../support/harness.js';

const CNS = '700123456789012';
const DAY_MS = 86_400_000;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** aaaa-mm-dd of an instant in Brasília time. */
const day = (ms: number): string => new Date(ms - 3 * 3_600_000).toISOString().slice(0, 10);

describe('retention over HTTP', () => {
  it('when a refused record naming a CNS passes the retention, then the tab, the error list and the CSV no longer show it, and the counters stay', async () => {
    const start = Date.now();
    const clock = { now: new Date(start) };
    harness = await startHarness({ files: [CERTS.aes.file], now: () => clock.now, sendsRetentionDays: 10, timeZone: 'America/Sao_Paulo' });
    const h = harness;
    await request(h.app).post(`${BASE}/api/enable`).set(bearer).send({ file: CERTS.aes.file, password: CERTS.aes.password, identificadorSolicitante: '3167' }).expect(200);
    const sentAt = start - DAY_MS;
    const report = {
      envios: [
        {
          at: new Date(sentAt).toISOString(),
          model: 'RIA-R',
          recordId: 'vacina-77',
          httpStatus: 422,
          operationOutcome: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: `(EHR-ERR983) Paciente não encontrado: Patient/${CNS}` }] },
        },
        { at: new Date(sentAt + 60_000).toISOString(), model: 'RIA-C', recordId: 'vacina-78', httpStatus: 201 },
      ],
    };
    await request(h.app).post(`${BASE}/api/envios`).set(bearer).send(report).expect(200);
    const query = `de=${day(sentAt - DAY_MS)}&ate=${day(start + 12 * DAY_MS)}&modelos=RIA,RAC,RPM`;
    const read = async () => ({
      tab: (await request(h.app).get(`${BASE}/rnds`).set(bearer).expect(200)).text,
      errors: (await request(h.app).get(`${BASE}/api/envios/erros?${query}`).set(bearer).expect(200)).body as { erros: Array<{ recordId: string }> },
      csv: (await request(h.app).get(`${BASE}/api/envios/relatorio-erros.csv?${query}`).set(bearer).expect(200)).text,
      summary: (await request(h.app).get(`${BASE}/api/envios`).set(bearer).expect(200)).body as { models: unknown[] },
    });

    const before = await read();
    expect(before.tab).toContain(CNS);
    expect(before.errors.erros.map((e) => e.recordId)).toEqual(['vacina-77']);
    expect(before.csv).toContain(CNS);
    expect(before.summary.models[0]).toEqual({ model: 'RIA', total: 2, sent: 1, notSent: 1 });

    clock.now = new Date(start + 10 * DAY_MS + 3_600_000); // 10 days and 1 hour after the sends, over a day since the last run
    const after = await read();
    expect(after.tab).not.toContain(CNS);
    expect(after.tab).not.toContain('vacina-77');
    expect(after.errors.erros).toEqual([]);
    expect(after.csv).not.toContain(CNS);
    expect(after.csv).not.toContain('vacina-77');
    expect(after.summary.models).toEqual(before.summary.models);
  });
});
