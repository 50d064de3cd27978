/**
 * The counters of /metrics in the sends store, on a real SQLite file: the refusal's group, what a batch adds (and a
 * failed batch does not), the retention (injected clock), a reopen, and a database of schema version 1 migrated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveStatus, SENDS_FILE, type SendsDeps } from '../../module/sends/index.js';
import { refusalGroup } from '../../module/sends/status.js';
import { openDatabase } from '../../module/sends/database.js';
import { MIGRATIONS } from '../../module/sends/migrations.js';
import { emptySendsMetrics } from '../../module/sends/metrics.js';
import { tempDir } from '../support/files.js';
import { openTestStore, outcome } from '../support/sends-store.js';
import { writeVersion1Database } from '../support/sends-v1.js';

const store = (overrides: Partial<SendsDeps> = {}) => openTestStore({ retentionDays: 30, enabledNotAfter: () => null, ...overrides });

const group = (send: Parameters<typeof deriveStatus>[0]) => {
  const derived = deriveStatus(send);
  return refusalGroup(derived.status, derived.codes);
};

describe('the group of a refused send', () => {
  it('when a send is refused, then its group is the one of the code that decided it; without codes, the status decides', () => {
    expect(group({ httpStatus: 201 })).toBeNull();
    expect(group({ delivery: 'ENVIADO_CENTRALIZADOR' })).toBeNull();
    expect(group({ httpStatus: 409, operationOutcome: outcome('(EDS-MSG010) já existe') })).toBeNull();
    expect(group({ failure: 'certificate-failure' })).toBe('credencial');
    expect(group({ httpStatus: 401 })).toBe('credencial');
    expect(group({ httpStatus: 403 })).toBe('credencial');
    expect(group({ failure: 'no-connection' })).toBe('rnds-fora');
    expect(group({ httpStatus: 503 })).toBe('rnds-fora');
    expect(group({ httpStatus: 422 })).toBe('desconhecido');
    expect(group({ httpStatus: 422, operationOutcome: outcome('(EHR-ERR777) código novo') })).toBe('desconhecido');
    expect(group({ httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') })).toBe('cidadao');
    // A duplicate beside another code does not decide; the credential decides over the first code.
    expect(group({ httpStatus: 422, operationOutcome: outcome('(EDS-MSG010) já existe', '(EHR-ERR807) data') })).toBe('relogio');
    expect(group({ httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) x', '(ERR881) identificador') })).toBe('credencial');
    expect(group({ httpStatus: 400, operationOutcome: outcome('(EHR-ERR832) lotação', '(EHR-ERR905) indisponível') })).toBe('rnds-fora');
    // The HTTP status decided: the code RNDS gave says who resolves it.
    expect(group({ httpStatus: 401, operationOutcome: outcome('(EHR-ERR882) JWT expired') })).toBe('token');
  });
});

describe('the counters of a batch', () => {
  it('when batches are recorded, then each accepted send counts once by model and status, refusals by group, and the latest direct sends are kept', async () => {
    const { sends } = store();
    expect(sends.metrics()).toEqual(emptySendsMetrics());
    const batch = {
      envios: [
        { at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 },
        { at: '2026-12-03T10:05:00Z', model: 'RAC', recordId: 'b', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') },
        { at: '2026-12-03T10:01:00Z', model: 'RIA-R', recordId: 'c', failure: 'no-connection' },
        { at: '2026-12-03T11:00:00Z', model: 'RIA-R', recordId: 'c', delivery: 'ENVIADO_CENTRALIZADOR' },
      ],
    };
    expect(await sends.record(batch)).toEqual({ accepted: 4, duplicates: 0 });
    expect(await sends.record(batch)).toEqual({ accepted: 0, duplicates: 4 });
    const metrics = sends.metrics();
    expect(metrics.sends.RAC).toMatchObject({ ENVIADO: 1, DADOS_INVALIDOS: 1, FALHA_CREDENCIAL: 0 });
    expect(metrics.sends['RIA-R']).toMatchObject({ SEM_CONEXAO: 1, ENVIADO_CENTRALIZADOR: 1, ENVIADO: 0 });
    expect(metrics.refusals.RAC).toMatchObject({ cidadao: 1, desconhecido: 0 });
    expect(metrics.refusals['RIA-R']).toMatchObject({ 'rnds-fora': 1 });
    // The delivery is not a direct send: RIA-R's latest direct send is the failure.
    expect(metrics.lastSendAt).toEqual({ RAC: Date.parse('2026-12-03T10:05:00Z'), 'RIA-R': Date.parse('2026-12-03T10:01:00Z') });
    expect(metrics.lastDeliveredAt).toBe(Date.parse('2026-12-03T10:00:00Z'));
    // An older direct send does not move the latest back.
    await sends.record({ envios: [{ at: '2026-12-01T10:00:00Z', model: 'RAC', recordId: 'old', httpStatus: 201 }] });
    expect(sends.metrics().lastSendAt.RAC).toBe(Date.parse('2026-12-03T10:05:00Z'));
    expect(sends.metrics().lastDeliveredAt).toBe(Date.parse('2026-12-03T10:00:00Z'));
    expect(sends.metrics().sends.RAC.ENVIADO).toBe(2);
  });

  it('when a batch fails in the middle, then neither the stored counters nor the ones in memory move', async () => {
    let failAt = -1;
    const { sends, dataDir } = store({ afterSend: (i) => { if (i === failAt) throw new Error('falha no meio do lote'); } });
    await sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RPM', recordId: 'p0', httpStatus: 201 }] });
    const before = structuredClone(sends.metrics());
    failAt = 1;
    await expect(sends.record({ envios: [0, 1, 2].map((i) => ({ at: '2026-12-03T11:00:00Z', model: 'RPM', recordId: `p${i + 1}`, failure: 'no-connection' })) })).rejects.toThrow(/falha no meio/);
    expect(sends.metrics()).toEqual(before);
    await sends.close();
    const again = store({ dataDir });
    await again.sends.loadMetrics();
    expect(again.sends.metrics()).toEqual(before);
  });
});

describe('the counters survive', () => {
  it('when the retention removes every send row, then the counters and the latest sends stay, also after a reopen', async () => {
    const { sends, dataDir, clock } = store();
    await sends.record({
      envios: [
        { at: '2026-11-01T10:00:00Z', model: 'RPM', recordId: 'r1', httpStatus: 201 },
        { at: '2026-11-01T10:01:00Z', model: 'RPM', recordId: 'r2', httpStatus: 403 },
      ],
    });
    const before = structuredClone(sends.metrics());
    expect(before.sends.RPM).toMatchObject({ ENVIADO: 1, FALHA_CREDENCIAL: 1 });
    expect(before.refusals.RPM.credencial).toBe(1);
    clock.now = new Date('2026-12-20T12:00:00Z'); // past 30 days
    await sends.prune(); // the retention due once a day runs first (and removes them), then this one
    expect(sends.metrics()).toEqual(before);
    await sends.close();
    const db = await openDatabase(path.join(dataDir, SENDS_FILE));
    expect(db.get('SELECT COUNT(*) AS n FROM sends')).toEqual({ n: 0 });
    db.close();
    const reopened = store({ dataDir });
    expect(reopened.sends.metrics()).toEqual(emptySendsMetrics()); // nothing read until asked
    expect(reopened.sends.opened).toBe(false);
    await reopened.sends.loadMetrics();
    expect(reopened.sends.metrics()).toEqual(before);
  });

  it('when a version-1 database is opened, then migration 2 starts the counters from the rows it still has and the last direct send it kept', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const file = path.join(dataDir, SENDS_FILE);
    await writeVersion1Database(
      file,
      [
        { at: '2026-12-01T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 },
        { at: '2026-12-01T10:01:00Z', model: 'RAC', recordId: 'b', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) x') },
        { at: '2026-12-01T10:02:00Z', model: 'RAC', recordId: 'c', httpStatus: 422, operationOutcome: outcome('(EHR-ERR807) data') },
        { at: '2026-12-01T10:03:00Z', model: 'RIA-C', recordId: 'd', httpStatus: 401 },
        { at: '2026-12-01T10:04:00Z', model: 'RIA-C', recordId: 'd', delivery: 'ENVIADO_CENTRALIZADOR' },
      ],
      // Its send row already removed by the retention; last_direct kept it.
      { at: '2026-12-02T09:00:00Z', model: 'RPM', recordId: 'gone', httpStatus: 201 },
    );
    const { sends } = store({ dataDir });
    await sends.loadMetrics();
    const metrics = sends.metrics();
    expect(metrics.sends.RAC).toMatchObject({ ENVIADO: 1, DADOS_INVALIDOS: 2 });
    expect(metrics.sends['RIA-C']).toMatchObject({ FALHA_CREDENCIAL: 1, ENVIADO_CENTRALIZADOR: 1 });
    expect(metrics.sends.RPM.ENVIADO).toBe(0); // the removed row is not counted
    expect(metrics.refusals.RAC).toMatchObject({ cidadao: 1, relogio: 1 });
    expect(metrics.refusals['RIA-C'].credencial).toBe(1);
    expect(metrics.lastSendAt).toEqual({ RAC: Date.parse('2026-12-01T10:02:00Z'), 'RIA-C': Date.parse('2026-12-01T10:03:00Z'), RPM: Date.parse('2026-12-02T09:00:00Z') });
    expect(metrics.lastDeliveredAt).toBe(Date.parse('2026-12-02T09:00:00Z'));
    // Sends recorded after the migration add to what it found.
    await sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'e', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) y') }] });
    expect(sends.metrics().refusals.RAC.cidadao).toBe(2);
    await sends.close();
    const db = await openDatabase(file);
    try {
      expect(db.get('PRAGMA user_version')).toEqual({ user_version: MIGRATIONS.length });
    } finally {
      db.close();
    }
  });

  it('when the store was never used, then its counters are zeros and nothing is opened or created', () => {
    const { sends, dataDir } = store();
    expect(sends.metrics()).toEqual(emptySendsMetrics());
    expect(sends.opened).toBe(false);
    expect(fs.existsSync(path.join(dataDir, SENDS_FILE))).toBe(false);
  });
});
