/**
 * The order of reports (CONTRACT.md *Sends*): a record counts by its latest send by `at`, whatever order the host
 * reports its sends in; the same model, recordId and at is a duplicate; a retried batch changes nothing; the last
 * direct send is the latest by `at`. On a real SQLite file in a temp data folder.
 */
import { describe, expect, it } from 'vitest';
import type { Sends } from '../../module/sends/index.js';
import { openTestStore } from '../support/sends-store.js';

const outcome = (diagnostics: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics }] });

const store = (): Sends => openTestStore().sends;

async function errorIds(sends: Sends): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of sends.errors({ de: '2026-11-01', ate: '2026-12-03', models: ['RIA', 'RAC', 'RPM'] })) ids.push(`${e.recordId} ${e.status}`);
  return ids;
}

/** What a store shows: the counters, the error list and the last direct send. */
async function view(sends: Sends) {
  return { models: (await sends.summary()).models, errors: await errorIds(sends), lastDirect: await sends.lastDirectSend() };
}

const accepted = { at: '2026-12-02T10:00:00-03:00', model: 'RAC', recordId: 'atendimento-1', httpStatus: 201 };
const refused = { at: '2026-12-02T10:05:00-03:00', model: 'RAC', recordId: 'atendimento-1', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') };

describe('a record counts by its latest send by at, in any order of reports', () => {
  it('when an accepted send is dated before a refusal of the same record, then the record is não enviado, reported in either order or in one batch', async () => {
    const inOrder = store();
    await inOrder.record({ envios: [accepted] });
    await inOrder.record({ envios: [refused] });
    const reversed = store();
    await reversed.record({ envios: [refused] });
    expect(await reversed.record({ envios: [accepted] })).toEqual({ accepted: 1, duplicates: 0 });
    const oneBatch = store();
    await oneBatch.record({ envios: [refused, accepted] });
    const expected = await view(inOrder);
    expect(expected.models[1]).toEqual({ model: 'RAC', total: 1, sent: 0, notSent: 1 });
    expect(expected.errors).toEqual(['atendimento-1 DADOS_INVALIDOS']);
    expect(expected.lastDirect).toMatchObject({ at: '2026-12-02T13:05:00.000Z', status: 'DADOS_INVALIDOS' });
    expect(await view(reversed)).toEqual(expected);
    expect(await view(oneBatch)).toEqual(expected);
  });

  it('when the refusal is dated before the accepted send, then the record is enviado in either order', async () => {
    const later = { ...accepted, at: '2026-12-02T10:10:00-03:00' };
    const a = store();
    await a.record({ envios: [refused] });
    await a.record({ envios: [later] });
    const b = store();
    await b.record({ envios: [later] });
    await b.record({ envios: [refused] });
    const expected = await view(a);
    expect(expected.models[1]).toEqual({ model: 'RAC', total: 1, sent: 1, notSent: 0 });
    expect(expected.errors).toEqual([]);
    expect(await view(b)).toEqual(expected);
  });

  it('when many sends of many records arrive shuffled across batches, then the store shows the latest by at of each', async () => {
    const outcomes = [{ httpStatus: 201 }, { httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) x') }, { failure: 'no-connection' }, { delivery: 'ENVIADO_CENTRALIZADOR' }, { httpStatus: 401 }];
    const all = Array.from({ length: 120 }, (_, i) => ({
      at: new Date(Date.parse('2026-12-01T10:00:00Z') + ((i * 7919) % 120) * 60_000).toISOString(),
      model: (['RIA-C', 'RIA-R', 'RAC', 'RPM'] as const)[i % 4],
      recordId: `r${i % 12}`,
      ...outcomes[(i * 31) % outcomes.length],
    }));
    const sorted = store();
    for (const send of [...all].sort((x, y) => Date.parse(x.at) - Date.parse(y.at))) await sorted.record({ envios: [send] });
    let seed = 42;
    const shuffled = [...all].sort(() => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5);
    const mixed = store();
    for (let i = 0; i < shuffled.length; i += 25) await mixed.record({ envios: shuffled.slice(i, i + 25) });
    const expected = await view(sorted);
    expect(expected.models.reduce((n, m) => n + m.total, 0)).toBe(new Set(all.map((s) => `${s.model} ${s.recordId}`)).size);
    expect(await view(mixed)).toEqual(expected);
  });
});

describe('duplicates and retries', () => {
  it('when two sends of one record have the same at but different outcomes, then the second reported is a duplicate and the first stays', async () => {
    const sameAt = { ...accepted, at: refused.at };
    const a = store();
    expect(await a.record({ envios: [refused, sameAt] })).toEqual({ accepted: 1, duplicates: 1 });
    expect((await view(a)).errors).toEqual(['atendimento-1 DADOS_INVALIDOS']);
    const b = store();
    await b.record({ envios: [sameAt] });
    expect(await b.record({ envios: [refused] })).toEqual({ accepted: 0, duplicates: 1 });
    expect((await view(b)).models[1]).toEqual({ model: 'RAC', total: 1, sent: 1, notSent: 0 });
  });

  it('when a batch is retried whole, then every send is a duplicate and nothing the tab shows changes', async () => {
    const sends = store();
    const batch = { envios: [accepted, refused, { at: '2026-12-02T11:00:00-03:00', model: 'RPM', recordId: 'receita-1', failure: 'certificate-failure' }] };
    expect(await sends.record(batch)).toEqual({ accepted: 3, duplicates: 0 });
    const before = await view(sends);
    expect(await sends.record(batch)).toEqual({ accepted: 0, duplicates: 3 });
    expect(await sends.record({ envios: [...batch.envios].reverse() })).toEqual({ accepted: 0, duplicates: 3 });
    expect(await view(sends)).toEqual(before);
    expect(await sends.codeCounts({ de: '2026-12-02', ate: '2026-12-02' })).toEqual([{ code: 'EHR-ERR983', count: 1 }]);
  });
});

describe('the last direct send', () => {
  it('when an older direct send is reported after a newer one, then the newer stays the last; a delivery never becomes it', async () => {
    const sends = store();
    await sends.record({ envios: [{ at: '2026-12-02T12:00:00Z', model: 'RPM', recordId: 'receita-2', httpStatus: 201 }] });
    await sends.record({ envios: [{ at: '2026-12-02T11:00:00Z', model: 'RAC', recordId: 'atendimento-3', failure: 'certificate-failure' }] });
    expect(await sends.lastDirectSend()).toEqual({ at: '2026-12-02T12:00:00.000Z', model: 'RPM', status: 'ENVIADO', codes: [] });
    expect((await sends.summary()).lastSend).toMatchObject({ status: 'ok' });
    await sends.record({ envios: [{ at: '2026-12-02T13:00:00Z', model: 'RIA-R', recordId: 'vacina-2', delivery: 'ENVIADO_CENTRALIZADOR' }] });
    expect((await sends.lastDirectSend())?.at).toBe('2026-12-02T12:00:00.000Z');
    await sends.record({
      envios: [
        { at: '2026-12-02T14:00:00Z', model: 'RAC', recordId: 'atendimento-4', httpStatus: 403 },
        { at: '2026-12-02T12:30:00Z', model: 'RAC', recordId: 'atendimento-5', httpStatus: 201 },
      ],
    });
    expect(await sends.lastDirectSend()).toEqual({ at: '2026-12-02T14:00:00.000Z', model: 'RAC', status: 'FALHA_CREDENCIAL', codes: [] });
  });
});
