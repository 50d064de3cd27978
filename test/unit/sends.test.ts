/**
 * The sends store on a real SQLite file (node-sqlite3-wasm) in a temp data folder: status derivation, validation,
 * idempotency, atomicity, counters, the summary, retention with an injected clock, and the schema's migrations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveStatus, SENDS_FILE } from '../../module/sends/index.js';
import { openDatabase } from '../../module/sends/database.js';
import { MIGRATIONS } from '../../module/sends/migrations.js';
import { RndsError } from '../../module/errors.js';
import { tempDir } from '../support/files.js';
import { openTestStore, outcome } from '../support/sends-store.js';

const store = openTestStore;

async function refusal(promise: Promise<unknown>): Promise<RndsError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  if (!(error instanceof RndsError)) throw new Error(`expected an RndsError, got ${String(error)}`);
  return error;
}

describe('a send\'s status, from its answer and codes', () => {
  it('when each kind of answer is reported, then the status follows CONTRACT.md', () => {
    expect(deriveStatus({ delivery: 'ENVIADO_CENTRALIZADOR' }).status).toBe('ENVIADO_CENTRALIZADOR');
    expect(deriveStatus({ failure: 'certificate-failure' }).status).toBe('FALHA_CREDENCIAL');
    expect(deriveStatus({ failure: 'no-connection' }).status).toBe('SEM_CONEXAO');
    expect(deriveStatus({ httpStatus: 201 }).status).toBe('ENVIADO');
    expect(deriveStatus({ httpStatus: 401 }).status).toBe('FALHA_CREDENCIAL');
    expect(deriveStatus({ httpStatus: 403 }).status).toBe('FALHA_CREDENCIAL');
    expect(deriveStatus({ httpStatus: 503 }).status).toBe('SEM_CONEXAO');
    expect(deriveStatus({ httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') })).toMatchObject({ status: 'DADOS_INVALIDOS', codes: ['EHR-ERR983'] });
    expect(deriveStatus({ httpStatus: 422 }).status).toBe('DADOS_INVALIDOS');
  });

  it('when a 4xx carries only duplicate codes (in any spelling), then it counts as delivered; one other code makes it a refusal', () => {
    expect(deriveStatus({ httpStatus: 409, operationOutcome: outcome('(EDS-MSG010) já existe', '(ERR-EHR866) duplicado') }).status).toBe('ENVIADO');
    expect(deriveStatus({ httpStatus: 409, operationOutcome: { issue: [{ details: { coding: [{ code: 'MSG017' }, { code: 'ERR823' }] } }] } }).status).toBe('ENVIADO');
    expect(deriveStatus({ httpStatus: 422, operationOutcome: outcome('(EDS-MSG010) já existe', '(EHR-ERR983) Paciente não encontrado') }).status).toBe('DADOS_INVALIDOS');
  });

  it('when a 4xx carries a credential code, then FALHA_CREDENCIAL wins over invalid data; an RNDS-down code is SEM_CONEXAO', () => {
    expect(deriveStatus({ httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) x', '(ERR881) identificador') }).status).toBe('FALHA_CREDENCIAL');
    expect(deriveStatus({ httpStatus: 400, operationOutcome: outcome('(EHR-ERR905) indisponível') }).status).toBe('SEM_CONEXAO');
  });
});

describe('recording a batch', () => {
  it('when a batch has one invalid send, then INVALID_INPUT names its field in pt-BR and nothing is stored', async () => {
    const { sends } = store();
    const error = await refusal(
      sends.record({
        envios: [
          { at: '2026-12-03T10:15:00-03:00', model: 'RAC', recordId: 'a', httpStatus: 201 },
          { at: '2026-12-03T10:16:00-03:00', model: 'RAC', recordId: 'b', httpStatus: 201 },
          { at: '2026-12-03T10:17:00-03:00', model: 'XYZ', recordId: 'c', httpStatus: 201 },
          { at: '2026-12-03 10:18', model: 'RPM', recordId: 'd', failure: 'no-connection' },
          { at: '2026-12-03T10:19:00Z', model: 'RPM', recordId: 'e', httpStatus: 201, failure: 'no-connection' },
        ],
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.fields).toMatchObject({
      'envios[2].model': expect.stringContaining('RIA-C, RIA-R, RAC ou RPM'),
      'envios[3].at': expect.stringContaining('ISO 8601'),
      'envios[4]': expect.stringContaining('exatamente um'),
    });
    expect((await sends.summary()).models.map((m) => m.total)).toEqual([0, 0, 0]);
  });

  it('when a batch is empty, over 1000 sends, or not an object, then it is refused (413 for too many)', async () => {
    const { sends } = store();
    expect((await refusal(sends.record({ envios: [] }))).code).toBe('INVALID_INPUT');
    expect((await refusal(sends.record(undefined))).code).toBe('INVALID_INPUT');
    const many = Array.from({ length: 1001 }, (_, i) => ({ at: '2026-12-03T10:15:00Z', model: 'RAC', recordId: `r${i}`, httpStatus: 201 }));
    expect((await refusal(sends.record({ envios: many }))).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when the same send is reported twice (also written with another offset), then it is a duplicate and counted once', async () => {
    const { sends } = store();
    const send = { at: '2026-12-03T10:15:00-03:00', model: 'RAC', recordId: 'r1', httpStatus: 201 };
    expect(await sends.record({ envios: [send, send] })).toEqual({ accepted: 1, duplicates: 1 });
    expect(await sends.record({ envios: [{ ...send, at: '2026-12-03T13:15:00Z' }] })).toEqual({ accepted: 0, duplicates: 1 });
    expect((await sends.summary()).models[1]).toEqual({ model: 'RAC', total: 1, sent: 1, notSent: 0 });
  });

  it('when a record is refused and later delivered by the centralizador, then it moves from não enviados to enviados; an older send changes nothing', async () => {
    const { sends } = store();
    await sends.record({ envios: [{ at: '2026-12-03T10:16:00-03:00', model: 'RIA-R', recordId: 'v1', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado') }] });
    await sends.record({ envios: [{ at: '2026-12-03T10:17:00-03:00', model: 'RIA-C', recordId: 'v2', httpStatus: 201 }] });
    expect((await sends.summary()).models[0]).toEqual({ model: 'RIA', total: 2, sent: 1, notSent: 1 });
    await sends.record({ envios: [{ at: '2026-12-04T08:00:00-03:00', model: 'RIA-R', recordId: 'v1', delivery: 'ENVIADO_CENTRALIZADOR' }] });
    expect((await sends.summary()).models[0]).toEqual({ model: 'RIA', total: 2, sent: 2, notSent: 0 });
    await sends.record({ envios: [{ at: '2026-12-01T08:00:00-03:00', model: 'RIA-R', recordId: 'v1', failure: 'no-connection' }] });
    expect((await sends.summary()).models[0]).toEqual({ model: 'RIA', total: 2, sent: 2, notSent: 0 });
  });

  it('when the database fails in the middle of a batch, then none of the batch is stored and the counters are unchanged', async () => {
    let failAt = -1;
    const { sends } = store({ afterSend: (i) => { if (i === failAt) throw new Error('falha no meio do lote'); } });
    await sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RPM', recordId: 'p0', httpStatus: 201 }] });
    failAt = 2;
    const batch = Array.from({ length: 5 }, (_, i) => ({ at: '2026-12-03T11:00:00Z', model: 'RPM', recordId: `p${i + 1}`, httpStatus: 422 }));
    await expect(sends.record({ envios: batch })).rejects.toThrow('falha no meio do lote');
    failAt = -1;
    expect((await sends.summary()).models[2]).toEqual({ model: 'RPM', total: 1, sent: 1, notSent: 0 });
    expect(await sends.record({ envios: batch })).toEqual({ accepted: 5, duplicates: 0 });
  });
});

describe('the summary', () => {
  it('when nothing was reported or nothing is enabled, then lastSend is null and the models are RIA, RAC, RPM at zero', async () => {
    let notAfter: string | null = null;
    const { sends } = store({ enabledNotAfter: () => notAfter });
    expect(await sends.summary()).toEqual({ lastSend: null, models: ['RIA', 'RAC', 'RPM'].map((model) => ({ model, total: 0, sent: 0, notSent: 0 })) });
    await sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 }] });
    expect((await sends.summary()).lastSend).toBeNull();
    notAfter = '2027-01-01T00:00:00Z';
    expect((await sends.summary()).lastSend).toEqual({ at: '2026-12-03T10:00:00.000Z', model: 'RAC', status: 'ok', message: 'Conexão bem-sucedida' });
  });

  it('when the latest direct send failed, then lastSend says so; a later delivery does not replace it; an expired certificate wins', async () => {
    let notAfter = '2027-01-01T00:00:00Z';
    const { sends } = store({ enabledNotAfter: () => notAfter });
    await sends.record({
      envios: [
        { at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 },
        { at: '2026-12-03T11:00:00Z', model: 'RPM', recordId: 'b', failure: 'no-connection', detail: 'ETIMEDOUT' },
        { at: '2026-12-03T12:00:00Z', model: 'RAC', recordId: 'c', delivery: 'ENVIADO_CENTRALIZADOR' },
      ],
    });
    expect((await sends.summary()).lastSend).toMatchObject({ model: 'RPM', status: 'no-connection', message: 'Sem conexão' });
    await sends.record({ envios: [{ at: '2026-12-03T10:30:00Z', model: 'RAC', recordId: 'd', httpStatus: 401 }] });
    expect((await sends.summary()).lastSend).toMatchObject({ model: 'RPM', status: 'no-connection' });
    await sends.record({ envios: [{ at: '2026-12-03T13:00:00Z', model: 'RAC', recordId: 'e', httpStatus: 403 }] });
    expect((await sends.summary()).lastSend).toMatchObject({ status: 'certificate-failure', message: 'Falha no certificado' });
    expect(await sends.lastDirectSend()).toEqual({ at: '2026-12-03T13:00:00.000Z', model: 'RAC', status: 'FALHA_CREDENCIAL', codes: [] });
    notAfter = '2026-12-03T12:30:00Z';
    expect((await sends.summary()).lastSend).toMatchObject({ status: 'certificate-expired', message: 'Certificado expirado' });
  });

  it('when a period is asked, then only records whose latest send falls in those days (installation time zone) count', async () => {
    const { sends } = store();
    await sends.record({
      envios: [
        { at: '2026-12-02T23:30:00-03:00', model: 'RAC', recordId: 'a', httpStatus: 201 }, // 03/12 in UTC, 02/12 in São Paulo
        { at: '2026-12-03T00:10:00-03:00', model: 'RAC', recordId: 'b', httpStatus: 422 },
        { at: '2026-12-04T00:00:00-03:00', model: 'RPM', recordId: 'c', httpStatus: 422 },
      ],
    });
    const summary = await sends.summary({ de: '2026-12-03', ate: '2026-12-03' });
    expect(summary.models).toEqual([
      { model: 'RIA', total: 0, sent: 0, notSent: 0 },
      { model: 'RAC', total: 1, sent: 0, notSent: 1 },
      { model: 'RPM', total: 0, sent: 0, notSent: 0 },
    ]);
    expect(await sends.periodCounts({ de: '2026-12-03', ate: '2026-12-04' })).toEqual({ RIA: 0, RAC: 1, RPM: 1 });
  });
});

describe('the error list, refusals and code counts', () => {
  it('when records are not sent, then errors lists them newest first with the dictionary\'s advice, by model filter', async () => {
    const { sends } = store();
    await sends.record({
      envios: [
        { at: '2026-12-03T10:00:00-03:00', model: 'RIA-R', recordId: 'v1', httpStatus: 422, operationOutcome: outcome('(EHR-ERR983) Paciente não encontrado: Patient/01100126660') },
        { at: '2026-12-03T11:00:00-03:00', model: 'RAC', recordId: 'a1', httpStatus: 422, operationOutcome: outcome('(ERR881) identificador') },
        { at: '2026-12-03T12:00:00-03:00', model: 'RPM', recordId: 'p1', failure: 'no-connection', detail: 'ETIMEDOUT' },
        { at: '2026-12-03T13:00:00-03:00', model: 'RAC', recordId: 'a2', httpStatus: 201 },
      ],
    });
    const all = [];
    for await (const e of sends.errors({ de: '2026-12-03', ate: '2026-12-03', models: ['RIA', 'RAC', 'RPM'] })) all.push(e);
    expect(all.map((e) => e.recordId)).toEqual(['p1', 'a1', 'v1']);
    expect(all[0]).toMatchObject({ status: 'SEM_CONEXAO', message: 'ETIMEDOUT', codes: [] });
    expect(all[1]).toMatchObject({ status: 'FALHA_CREDENCIAL', codes: ['EHR-ERR881'], group: 'Credencial (administrador, e-Gestor AB)' });
    expect(all[2]).toMatchObject({ model: 'RIA-R', status: 'DADOS_INVALIDOS', codes: ['EHR-ERR983'], message: '(EHR-ERR983) Paciente não encontrado: Patient/01100126660' });
    for (const e of all) expect(e.action.length).toBeGreaterThan(10);
    const ria = [];
    for await (const e of sends.errors({ de: '2026-12-03', ate: '2026-12-03', models: ['RIA'] })) ria.push(e.recordId);
    expect(ria).toEqual(['v1']);
    expect((await sends.recentRefusals(2)).map((e) => e.recordId)).toEqual(['p1', 'a1']);
    expect((await sends.recentRefusals(20, { model: 'RAC' })).map((e) => e.recordId)).toEqual(['a1']);
    expect((await sends.recentRefusals(20, { status: 'DADOS_INVALIDOS' })).map((e) => e.recordId)).toEqual(['v1']);
    expect(await sends.codeCounts({ de: '2026-12-03', ate: '2026-12-03' })).toEqual([{ code: 'EHR-ERR881', count: 1 }, { code: 'EHR-ERR983', count: 1 }]);
  });

  it('when more errors than one page exist, then every one comes once, in order', async () => {
    const { sends } = store();
    const batch = Array.from({ length: 1000 }, (_, i) => ({ at: new Date(Date.parse('2026-12-03T12:00:00Z') + (i % 300) * 1000).toISOString(), model: i % 2 ? 'RAC' : 'RPM', recordId: `r${i}`, httpStatus: 422 }));
    await sends.record({ envios: batch });
    const seen: string[] = [];
    let previous = Infinity;
    for await (const e of sends.errors({ de: '2026-12-03', ate: '2026-12-03', models: ['RAC', 'RPM'] })) {
      expect(Date.parse(e.at)).toBeLessThanOrEqual(previous);
      previous = Date.parse(e.at);
      seen.push(e.recordId);
    }
    expect(new Set(seen).size).toBe(1000);
  });
});

describe('retention', () => {
  it('when sends get older than the retention, then their rows go at the next daily run and the counters stay', async () => {
    const { sends, dataDir, clock } = store({ retentionDays: 10 });
    await sends.record({
      envios: [
        { at: '2026-12-01T10:00:00Z', model: 'RAC', recordId: 'old', httpStatus: 422 },
        { at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'new', httpStatus: 201 },
      ],
    });
    clock.now = new Date('2026-12-12T12:00:00Z'); // 11 days after the first: its row is past 10 days
    await sends.summary();
    const before = await sends.summary();
    await sends.close();
    const db = await openDatabase(path.join(dataDir, SENDS_FILE));
    try {
      expect(db.all('SELECT record_id FROM sends ORDER BY at')).toEqual([{ record_id: 'new' }]);
    } finally {
      db.close();
    }
    const again = store({ dataDir, retentionDays: 10 });
    again.clock.now = clock.now;
    expect((await again.sends.summary()).models).toEqual(before.models);
    expect(before.models[1]).toEqual({ model: 'RAC', total: 2, sent: 1, notSent: 1 });
  });

  it('when less than a day passed since the last run, then retention does not run again', async () => {
    const { sends, clock } = store({ retentionDays: 1 });
    await sends.record({ envios: [{ at: '2026-12-03T11:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 }] });
    clock.now = new Date('2026-12-04T11:30:00Z'); // row is 1 day 30 min old, last run 23 h 30 min ago
    await sends.summary();
    expect(await sends.recentRefusals(10)).toEqual([]);
    expect((await sends.prune()).removed).toBe(1);
  });
});

describe('the schema and its migrations', () => {
  it('when a database of an older schema is opened, then the missing migrations run and the data stays', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const file = path.join(dataDir, SENDS_FILE);
    const v0 = await openDatabase(file, { migrations: [] });
    expect(v0.get('PRAGMA user_version')).toEqual({ user_version: 0 });
    v0.close();
    const v1 = await openDatabase(file, { migrations: MIGRATIONS });
    v1.run("INSERT INTO sends (model, record_id, at, at_text, status, direct, codes) VALUES ('RAC', 'x', 1, '1970', 'ENVIADO', 1, '[]')");
    v1.close();
    const next = [...MIGRATIONS, { description: 'a column added later', sql: 'ALTER TABLE sends ADD COLUMN profissional TEXT' }];
    const v2 = await openDatabase(file, { migrations: next });
    try {
      expect(v2.get('PRAGMA user_version')).toEqual({ user_version: MIGRATIONS.length + 1 });
      expect(v2.get('SELECT record_id, profissional FROM sends')).toEqual({ record_id: 'x', profissional: null });
    } finally {
      v2.close();
    }
    await expect(openDatabase(file, { migrations: MIGRATIONS })).rejects.toThrow(/mais nova/);
  });

  it('when a killed process left the binding\'s lock folder, then the next open removes it; the store opens only at first use', async () => {
    const { sends, dataDir } = store();
    expect(sends.opened).toBe(false);
    expect(fs.existsSync(path.join(dataDir, SENDS_FILE))).toBe(false);
    await sends.summary();
    expect(sends.opened).toBe(true);
    await sends.close();
    fs.mkdirSync(path.join(dataDir, `${SENDS_FILE}.lock`));
    const again = store({ dataDir });
    expect(await again.sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 }] })).toEqual({ accepted: 1, duplicates: 0 });
  });
});

describe('when the database cannot be written', () => {
  it('when the data folder\'s database is not a database, then recording answers WRITE_FAILED in pt-BR and the host can retry later', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, SENDS_FILE), 'isto não é um banco SQLite, mas um arquivo qualquer com texto suficiente para ocupar uma página '.repeat(50));
    const { sends } = store({ dataDir });
    const error = await refusal(sends.record({ envios: [{ at: '2026-12-03T10:00:00Z', model: 'RAC', recordId: 'a', httpStatus: 201 }] }));
    expect(error.code).toBe('WRITE_FAILED');
    expect(error.message).toMatch(/nada deste lote foi guardado/);
  });
});
